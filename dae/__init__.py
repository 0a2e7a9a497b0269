"""dae: denoising autoencoders for 28x28 digits, and everything around them.

    import torch
    from dae import corrupt, load_model, psnr

    model = load_model("checkpoints/conv")
    noisy = corrupt(clean, "gaussian", 0.5, generator=torch.Generator().manual_seed(0))
    print(psnr(clean, model(noisy)))

The names below are the public API; the modules hold one concept each. Each
name is imported from its module on first use, so `from dae import to_mnist`
or `NOISE_KINDS` does not load torch (the app's web process never does).
"""

from importlib import import_module

_MODULES = {
    "kinds": ["NOISE_KINDS", "NOISE_LABELS", "NOISE_DOCS", "check_noise"],
    "noise": ["corrupt", "random_corruption"],
    "models": ["LinearDAE", "ConvDAE", "UNetDAE", "DigitClassifier", "count_parameters"],
    "generation": ["DigitGenerator", "sample", "blind_chain"],
    "checkpoint": ["save_model", "load_model", "read_config", "CheckpointError"],
    "metrics": ["psnr", "ssim"],
    "data": ["load_dataset", "split_validation"],
    "preprocess": ["to_mnist", "open_image", "open_data_url", "ImageInputError", "BlankImageError"],
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}
__all__ = list(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'dae' has no attribute {name!r}")
    value = getattr(import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value  # once found, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
