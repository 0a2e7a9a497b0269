"""Each noise process does what its name and strength say."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import seeded

from dae import NOISE_KINDS, corrupt, random_corruption
from dae.noise import block_side

# 512x512 = 262,144 pixels. A Bernoulli fraction over that many pixels has a
# standard deviation below 0.001, so 0.005 is a five-sigma tolerance.
SIZE = 512
FRACTION_TOLERANCE = 0.005


def flat(value: float, size: int = SIZE) -> torch.Tensor:
    return torch.full((1, 1, size, size), value)


@pytest.mark.parametrize("p", [0.1, 0.25, 0.5, 0.9])
def test_masking_zeroes_the_stated_fraction(p):
    noisy = corrupt(flat(0.5), "masking", p, generator=seeded(0))
    assert abs((noisy == 0).float().mean().item() - p) < FRACTION_TOLERANCE
    assert set(noisy.unique().tolist()) == {0.0, 0.5}  # untouched pixels keep their value


@pytest.mark.parametrize("p", [0.1, 0.3, 0.6])
def test_salt_and_pepper_hits_the_stated_fraction_half_salt_half_pepper(p):
    noisy = corrupt(flat(0.5), "salt_and_pepper", p, generator=seeded(1))
    salt, pepper = (noisy == 1).float().mean().item(), (noisy == 0).float().mean().item()
    assert abs(salt + pepper - p) < FRACTION_TOLERANCE
    assert abs(salt / (salt + pepper) - 0.5) < 0.01  # 26k+ hits: std of the share is < 0.003


@pytest.mark.parametrize("sigma", [0.02, 0.05, 0.1])
def test_gaussian_residual_std_is_sigma_where_nothing_clips(sigma):
    # at 0.5 with sigma <= 0.1 a clip needs a 5-sigma draw: the residual is unclipped
    noisy = corrupt(flat(0.5), "gaussian", sigma, generator=seeded(2))
    assert noisy.min() > 0 and noisy.max() < 1
    residual = noisy - 0.5
    assert abs(residual.std().item() / sigma - 1) < 0.01
    assert abs(residual.mean().item()) < 5 * sigma / SIZE  # five standard errors of the mean


def test_gaussian_output_is_clipped_to_unit_range():
    noisy = corrupt(flat(0.5), "gaussian", 1.0, generator=seeded(3))
    assert noisy.min() == 0 and noisy.max() == 1


@pytest.mark.parametrize("sigma", [0.1, 0.3])
def test_speckle_is_multiplicative_with_std_sigma_times_value(sigma):
    noisy = corrupt(flat(0.25), "speckle", sigma, generator=seeded(4))
    assert abs((noisy - 0.25).std().item() / (0.25 * sigma) - 1) < 0.01
    assert torch.equal(corrupt(flat(0.0), "speckle", sigma, generator=seeded(4)), flat(0.0))  # black stays black


@pytest.mark.parametrize("s", [0.1, 0.2])
def test_poisson_is_unbiased_with_std_s_times_sqrt_value(s):
    x = 0.25
    noisy = corrupt(flat(x), "poisson", s, generator=seeded(5))
    assert abs(noisy.mean().item() - x) < 0.002
    assert abs(noisy.std().item() / (s * math.sqrt(x)) - 1) < 0.02


@pytest.mark.parametrize("area", [0.1, 0.25, 0.5])
def test_block_covers_the_stated_area(area):
    images = torch.full((200, 1, 28, 28), 0.7)  # 156,800 pixels
    noisy = corrupt(images, "block", area, generator=seeded(6))
    side = block_side(area, 28, 28)
    per_image = (noisy == 0).flatten(1).sum(1)
    assert torch.all(per_image == side * side)  # one full square in every image
    assert abs((noisy == 0).float().mean().item() - area) < 0.02  # rounding the side to whole pixels


def test_block_is_a_square_placed_over_the_ink():
    image = torch.zeros(1, 1, 28, 28)
    image[0, 0, 20:24, 3:7] = 1.0  # ink only in the lower-left corner
    for seed in range(20):
        noisy = corrupt(image, "block", 0.05, generator=seeded(seed))
        assert noisy.sum() < image.sum()  # some ink is always occluded


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_strength_zero_is_the_identity(kind, digits):
    out = corrupt(digits, kind, 0.0, generator=seeded(0))
    assert torch.equal(out, digits) and out is not digits


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_same_seed_same_noise_other_seed_other_noise(kind, digits):
    a = corrupt(digits, kind, 0.3, generator=seeded(7))
    b = corrupt(digits, kind, 0.3, generator=seeded(7))
    c = corrupt(digits, kind, 0.3, generator=seeded(8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert not torch.equal(a, digits)


@pytest.mark.parametrize("kind", NOISE_KINDS)
@pytest.mark.parametrize("shape", [(4, 1, 28, 28), (1, 28, 28), (28, 28), (2, 1, 40, 30)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shape_dtype_device_kept_and_output_in_range(kind, shape, dtype):
    images = torch.rand(shape, generator=seeded(9), dtype=dtype)
    out = corrupt(images, kind, 0.6, generator=seeded(10))
    assert out.shape == images.shape and out.dtype == dtype and out.device == images.device
    assert out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("kind", ["", "Gaussian", "blur", None])
def test_unknown_kind_lists_the_valid_kinds(kind):
    with pytest.raises(ValueError) as error:
        corrupt(torch.rand(28, 28), kind, 0.5)
    assert all(name in str(error.value) for name in NOISE_KINDS)


@pytest.mark.parametrize("strength", [-0.01, 1.01, float("nan"), float("inf"), -float("inf"), "strong", None])
def test_bad_strength_says_what_is_valid(strength):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        corrupt(torch.rand(28, 28), "gaussian", strength)


def test_integer_images_are_refused_with_a_hint():
    with pytest.raises(TypeError, match="float"):
        corrupt(torch.zeros(28, 28, dtype=torch.uint8), "gaussian", 0.5)


def test_random_corruption_mixes_every_kind(digits):
    noisy = random_corruption(digits, generator=seeded(11))
    assert noisy.shape == digits.shape and noisy.min() >= 0 and noisy.max() <= 1
    changed = (noisy != digits).flatten(1).any(1).float().mean().item()
    assert changed > 0.9  # only a strength near 0 can leave an image unchanged
    again = random_corruption(digits, generator=seeded(11))
    assert torch.equal(noisy, again)


def test_strength_power_favours_weaker_noise_but_keeps_the_range(digits):
    gaussian = ("gaussian",)
    uniform = random_corruption(digits, kinds=gaussian, generator=seeded(3))
    skewed = random_corruption(digits, kinds=gaussian, strength_power=3.0, generator=seeded(3))
    # the same uniform draws, cubed: every image gets at most the noise it had, and less on average
    residual = lambda noisy: (noisy - digits).abs().flatten(1).mean(1)  # noqa: E731
    assert residual(skewed).mean() < 0.6 * residual(uniform).mean()
    assert residual(skewed).max() > 0.5 * residual(uniform).max()
