"""dae: denoising autoencoders for 28x28 digits, and everything around them.

    import torch
    from dae import corrupt, load_model, psnr

    model = load_model("checkpoints/conv")
    noisy = corrupt(clean, "gaussian", 0.5, generator=torch.Generator().manual_seed(0))
    print(psnr(clean, model(noisy)))

The names below are the public API; the modules hold one concept each.
"""

from .checkpoint import CheckpointError, load_model, read_config, save_model
from .data import load_dataset, split_validation
from .metrics import psnr, ssim
from .models import ConvDAE, LinearDAE, count_parameters
from .noise import NOISE_DOCS, NOISE_KINDS, NOISE_LABELS, check_noise, corrupt, random_corruption
from .preprocess import BlankImageError, ImageInputError, open_image, to_mnist

__all__ = [
    "NOISE_KINDS",
    "NOISE_LABELS",
    "NOISE_DOCS",
    "corrupt",
    "check_noise",
    "random_corruption",
    "LinearDAE",
    "ConvDAE",
    "count_parameters",
    "save_model",
    "load_model",
    "read_config",
    "CheckpointError",
    "psnr",
    "ssim",
    "load_dataset",
    "split_validation",
    "to_mnist",
    "open_image",
    "ImageInputError",
    "BlankImageError",
]
