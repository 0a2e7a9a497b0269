"""Augmentation: whole-pixel shifts keep every pixel value; the resampling augment keeps most images as they are."""

from __future__ import annotations

import torch
from conftest import seeded

from dae.augment import augment, shift_whole_pixels


def offset(before: torch.Tensor, after: torch.Tensor, max_shift: int) -> tuple[int, int] | None:
    """The (dy, dx) that turns `before` [H,W] into `after`, or None if no shift up to max_shift does."""
    padded = torch.nn.functional.pad(before, (max_shift,) * 4)
    h, w = before.shape
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            window = padded[max_shift - dy : max_shift - dy + h, max_shift - dx : max_shift - dx + w]
            if torch.equal(window, after):
                return dy, dx
    return None


def test_whole_pixel_shifts_move_digits_without_changing_a_pixel_value(digits):
    images = digits[:64]
    for max_shift in (1, 2):
        shifted = shift_whole_pixels(images, generator=seeded(0), probability=1.0, max_shift=max_shift)
        offsets = [offset(a[0], b[0], max_shift) for a, b in zip(images, shifted, strict=True)]
        assert None not in offsets  # each image is its original, moved by whole pixels (no resampling)
        assert len(set(offsets)) > 5  # in different directions
        assert max(max(abs(dy), abs(dx)) for dy, dx in offsets) == max_shift
        # MNIST's margin is about 4 pixels, so almost every digit keeps all its ink
        kept = torch.isclose(shifted.sum((1, 2, 3)), images.sum((1, 2, 3))).float().mean().item()
        assert kept > 0.9


def test_whole_pixel_shift_probability_is_the_share_of_images_moved(digits):
    images = digits[:256]
    assert torch.equal(shift_whole_pixels(images, generator=seeded(0), probability=0.0), images)
    shifted = shift_whole_pixels(images, generator=seeded(1), probability=0.5)
    moved = (shifted != images).flatten(1).any(1).float().mean().item()
    # half are chosen, and 1 in 9 of those draws the shift (0, 0)
    assert 0.35 < moved < 0.55


def test_augment_resamples_about_a_quarter_and_stays_in_range(digits):
    images = digits[:256]
    out = augment(images, generator=seeded(0))
    assert out.shape == images.shape and out.min() >= 0 and out.max() <= 1
    changed = (out != images).flatten(1).any(1).float().mean().item()
    assert 0.15 < changed < 0.35
