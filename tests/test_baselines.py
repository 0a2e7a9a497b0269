"""The classic denoisers the evaluation compares with: right answers, and finite ones on any image."""

from __future__ import annotations

import pytest
import torch
from conftest import seeded
from scipy.ndimage import median_filter as scipy_median

from dae import corrupt, psnr
from dae.baselines import median_filter, non_local_means, total_variation


def test_median_filter_matches_scipy_with_mirrored_borders():
    images = torch.rand(4, 1, 28, 28, generator=seeded(0))
    expected = torch.from_numpy(scipy_median(images.numpy(), size=(1, 1, 3, 3), mode="mirror"))
    assert torch.equal(median_filter(images), expected)


@pytest.mark.parametrize("denoise", [median_filter, total_variation, non_local_means])
def test_classic_denoisers_help_against_gaussian_noise(denoise, digits):
    clean = digits[:16]
    noisy = corrupt(clean, "gaussian", 0.25, generator=seeded(1))
    assert psnr(clean, denoise(noisy)).mean() > psnr(clean, noisy).mean() + 1


@pytest.mark.parametrize("denoise", [total_variation, non_local_means])
def test_a_flat_image_gives_a_finite_answer(denoise):
    # a block covering the whole digit leaves nothing but zeros: the noise estimate is NaN there
    flat = torch.zeros(2, 1, 28, 28)
    flat[1] = 0.5
    out = denoise(flat)
    assert torch.isfinite(out).all()
    assert torch.allclose(out, flat, atol=1e-3)
