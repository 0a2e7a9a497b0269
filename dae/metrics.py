"""Image quality metrics, per image, for batches of [0, 1] images (data range 1).

    psnr(clean, denoised)  # tensor [N] in dB
    ssim(clean, denoised)  # tensor [N] in [-1, 1]

Both accept [N,1,H,W], [N,H,W] or [H,W] and always return one value per image.
`ssim` matches scikit-image's `structural_similarity(a, b, data_range=1)`
defaults: a 7x7 uniform window, sample covariance, K1=0.01, K2=0.03, and the
mean over the window positions that fit inside the image.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def psnr(a: Tensor, b: Tensor) -> Tensor:
    """Peak signal-to-noise ratio in dB per image; identical images give inf."""
    a, b = _pair(a, b)
    mse = (a - b).pow(2).flatten(1).mean(1)
    return 10 * torch.log10(1.0 / mse)


def ssim(a: Tensor, b: Tensor, *, window: int = 7) -> Tensor:
    """Structural similarity per image (scikit-image's default settings, data range 1)."""
    a, b = _pair(a, b)
    if min(a.shape[-2:]) < window:
        raise ValueError(f"ssim needs images of at least {window}x{window}, got {list(a.shape[-2:])}")
    c1, c2 = 0.01**2, 0.03**2
    n = window * window

    def mean(x: Tensor) -> Tensor:
        return F.avg_pool2d(x, window, stride=1)

    mu_a, mu_b = mean(a), mean(b)
    sample = n / (n - 1)  # unbiased covariance, as scikit-image uses by default
    var_a = sample * (mean(a * a) - mu_a * mu_a)
    var_b = sample * (mean(b * b) - mu_b * mu_b)
    cov = sample * (mean(a * b) - mu_a * mu_b)
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return s.flatten(1).mean(1)


def _pair(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    if a.shape != b.shape:
        raise ValueError(f"images must have the same shape, got {list(a.shape)} and {list(b.shape)}")
    return _batch(a), _batch(b)


def _batch(x: Tensor) -> Tensor:
    x = x.double() if x.dtype == torch.float64 else x.float()
    if x.dim() == 2:
        return x.view(1, 1, *x.shape)
    if x.dim() == 3:
        return x.unsqueeze(1)
    if x.dim() == 4:
        return x
    raise ValueError(f"images must be shaped [N,1,H,W], [N,H,W] or [H,W], got {list(x.shape)}")


def frechet_distance(a: Tensor, b: Tensor) -> float:
    """The Fréchet distance between Gaussians fitted to two sets of feature vectors [N, D] and [M, D]:
    |μa − μb|² + Tr(Σa + Σb − 2 (Σa Σb)^½), as FID does with Inception features (Heusel et al. 2017).
    SciPy's matrix square root; its tiny imaginary part (rounding) is dropped."""
    import numpy as np
    from scipy import linalg

    x, y = a.double().numpy(), b.double().numpy()
    mean_x, mean_y = x.mean(0), y.mean(0)
    cov_x, cov_y = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    root = linalg.sqrtm(cov_x @ cov_y)
    if np.iscomplexobj(root):
        root = root.real
    return float(((mean_x - mean_y) ** 2).sum() + np.trace(cov_x + cov_y - 2 * root))
