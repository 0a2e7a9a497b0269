"""Classic denoisers to compare the autoencoders with. Each maps noisy [N,1,H,W] in [0,1] to the same.

    median_filter(noisy)          # 3x3 median, pure torch (fast enough for the app)
    total_variation(noisy)        # scikit-image, Chambolle's TV
    non_local_means(noisy)        # scikit-image, noise level estimated per image
    bm3d_denoise(noisy)           # the optional `bm3d` package (non-commercial licence)

scikit-image and bm3d are imported on first use: the app needs only the median filter.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor


def median_filter(images: Tensor, size: int = 3) -> Tensor:
    """size x size median filter with reflected borders, vectorised over the batch."""
    pad = size // 2
    padded = F.pad(images, (pad, pad, pad, pad), mode="reflect")
    patches = padded.unfold(2, size, 1).unfold(3, size, 1)  # [N,1,H,W,size,size]
    return patches.flatten(-2).median(dim=-1).values


def _per_image(denoise: Callable[[np.ndarray], np.ndarray]) -> Callable[[Tensor], Tensor]:
    def apply(images: Tensor) -> Tensor:
        arrays = images.squeeze(1).double().cpu().numpy()
        out = np.stack([denoise(a) for a in arrays]).astype(np.float32)
        return torch.from_numpy(out).unsqueeze(1).clamp(0, 1)

    return apply


def _estimated_sigma(image: np.ndarray) -> float:
    from skimage.restoration import estimate_sigma

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "mean of empty slice" on a flat image
        sigma = float(estimate_sigma(image))
    # a flat image (a block that covers the whole digit, say) has no noise to estimate: NaN, which would
    # turn the whole output into NaN; use the floor instead
    return sigma if math.isfinite(sigma) and sigma > 1e-3 else 1e-3


def total_variation(images: Tensor, weight: float | None = None) -> Tensor:
    """Chambolle total-variation denoising; weight defaults to the estimated noise level per image."""
    from skimage.restoration import denoise_tv_chambolle

    return _per_image(lambda a: denoise_tv_chambolle(a, weight=weight or _estimated_sigma(a)))(images)


def non_local_means(images: Tensor) -> Tensor:
    """Non-local means (fast mode, 5x5 patches in a 13x13 window), h tuned to the estimated noise."""
    from skimage.restoration import denoise_nl_means

    def denoise(a: np.ndarray) -> np.ndarray:
        sigma = _estimated_sigma(a)
        return denoise_nl_means(a, h=0.8 * sigma, sigma=sigma, patch_size=5, patch_distance=6, fast_mode=True)

    return _per_image(denoise)(images)


def bm3d_available() -> bool:
    try:
        import bm3d  # noqa: F401
    except ImportError:
        return False
    return True


def bm3d_denoise(images: Tensor) -> Tensor:
    """BM3D with the estimated noise level (needs `pip install bm3d`; non-commercial licence)."""
    import bm3d

    return _per_image(lambda a: bm3d.bm3d(a, sigma_psd=_estimated_sigma(a)))(images)


BASELINES: dict[str, Callable[[Tensor], Tensor]] = {
    "median 3x3": median_filter,
    "total variation": total_variation,
    "non-local means": non_local_means,
}
