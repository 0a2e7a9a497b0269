"""psnr and ssim agree with scikit-image's implementations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import seeded
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from dae import corrupt, psnr, ssim


def reference(clean: torch.Tensor, other: torch.Tensor):
    a, b = clean.squeeze(1).double().numpy(), other.squeeze(1).double().numpy()
    ref_psnr = [peak_signal_noise_ratio(x, y, data_range=1) for x, y in zip(a, b, strict=False)]
    ref_ssim = [structural_similarity(x, y, data_range=1) for x, y in zip(a, b, strict=False)]
    return np.array(ref_psnr), np.array(ref_ssim)


def test_agrees_with_scikit_image_on_random_images():
    a = torch.rand(20, 1, 28, 28, generator=seeded(0), dtype=torch.float64)
    b = (a + 0.2 * torch.randn(a.shape, generator=seeded(1), dtype=torch.float64)).clamp(0, 1)
    ref_psnr, ref_ssim = reference(a, b)
    np.testing.assert_allclose(psnr(a, b).numpy(), ref_psnr, rtol=1e-10)
    np.testing.assert_allclose(ssim(a, b).numpy(), ref_ssim, atol=1e-10)


@pytest.mark.parametrize("kind", ["gaussian", "masking", "salt_and_pepper", "block"])
def test_agrees_with_scikit_image_on_real_digits(digits, kind):
    clean = digits[:64].double()
    noisy = corrupt(clean, kind, 0.3, generator=seeded(2))
    ref_psnr, ref_ssim = reference(clean, noisy)
    np.testing.assert_allclose(psnr(clean, noisy).numpy(), ref_psnr, rtol=1e-10)
    np.testing.assert_allclose(ssim(clean, noisy).numpy(), ref_ssim, atol=1e-10)


def test_float32_is_close_to_float64(digits):
    noisy = corrupt(digits, "gaussian", 0.4, generator=seeded(3))
    np.testing.assert_allclose(psnr(digits, noisy).numpy(), psnr(digits.double(), noisy.double()).numpy(), rtol=1e-5)
    np.testing.assert_allclose(ssim(digits, noisy).numpy(), ssim(digits.double(), noisy.double()).numpy(), atol=1e-4)


def test_one_value_per_image_and_identity_limits(digits):
    assert psnr(digits[:5], digits[:5]).shape == (5,)
    assert torch.isinf(psnr(digits[0, 0], digits[0, 0])).all()
    assert torch.allclose(ssim(digits[:5], digits[:5]), torch.ones(5, dtype=torch.float32))


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="same shape"):
        psnr(torch.rand(1, 1, 28, 28), torch.rand(1, 1, 27, 28))
