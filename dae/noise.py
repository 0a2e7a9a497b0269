"""Corruption processes for denoising autoencoders.

    from dae import corrupt
    noisy = corrupt(images, "gaussian", 0.5, generator=torch.Generator().manual_seed(0))

Every kind takes a `strength` in [0, 1]; 0 leaves the image unchanged and 1 is
the strongest corruption the kind makes. Where a kind has a natural parameter,
the strength *is* that parameter (see `NOISE_DOCS`). All kinds work on whole
batches at once and clip their output to [0, 1].
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .kinds import NOISE_DOCS, NOISE_KINDS, NOISE_LABELS, check_noise  # noqa: F401 - also part of this module's API


def corrupt(images: Tensor, kind: str, strength: float, *, generator: torch.Generator | None = None) -> Tensor:
    """Corrupt float images in [0, 1] with one noise process.

    images: shaped [N,1,H,W], [1,H,W] or [H,W]. Returns the same shape, dtype
    and device, clipped to [0, 1]. `strength` is in [0, 1]; 0 returns an
    unchanged copy. Kinds and the meaning of strength:

    - gaussian: add N(0, σ²) noise, strength = σ.
    - masking: zero each pixel with probability p, strength = p.
    - salt_and_pepper: set each pixel with probability p to 0 or 1 (equal chance), strength = p.
    - speckle: x * (1 + n), n ~ N(0, σ²), strength = σ.
    - poisson: Poisson(x / s²) * s², strength = s (noise std on a white pixel).
    - block: zero a square covering `strength` of the image area, centred on the ink.

    Pass a seeded `generator` (on the images' device) for reproducible noise.
    """
    value = check_noise(kind, strength)
    batch = _as_batch(images)
    if value == 0.0:
        return images.clone()
    levels = torch.full((batch.shape[0],), value, device=images.device, dtype=images.dtype)
    return corrupt_each(batch, kind, levels, generator=generator).reshape(images.shape)


def corrupt_each(images: Tensor, kind: str, strengths: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
    """Corrupt a batch [N,1,H,W] with one kind and a strength per image (shape [N]).

    The vectorised workhorse behind `corrupt` and `random_corruption`; it
    trusts its arguments, so validate user input with `check_noise` first.
    """
    s = strengths.to(images).view(-1, 1, 1, 1)
    x = images
    if kind == "gaussian":
        out = x + s * _randn(x, generator)
    elif kind == "masking":
        out = x * (_rand(x, generator) >= s)
    elif kind == "salt_and_pepper":
        hit = _rand(x, generator) < s
        salt = _rand(x, generator) < 0.5
        out = torch.where(hit, salt.to(x.dtype), x)
    elif kind == "speckle":
        out = x * (1 + s * _randn(x, generator))
    elif kind == "poisson":
        # photons at full brightness = 1/s²; s = 0 would divide by zero, so keep those pixels as they are
        photons = 1.0 / s.clamp_min(1e-6) ** 2
        counts = torch.poisson((x.clamp(0, 1) * photons).float(), generator=generator).to(x.dtype)
        out = torch.where(s > 0, counts / photons, x)
    elif kind == "block":
        out = x * ~_block_mask(x, s, generator)
    else:
        raise ValueError(f"unknown noise kind {kind!r}; valid kinds: {', '.join(NOISE_KINDS)}")
    return out.clamp(0, 1)


def random_corruption(
    images: Tensor,
    *,
    kinds: tuple[str, ...] = NOISE_KINDS,
    max_strength: float = 1.0,
    strength_power: float = 1.0,
    clean_share: float = 0.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Blind-training corruption: each image gets a random kind and a strength max_strength * U(0, 1) ** strength_power.

    strength_power > 1 draws weak and middling strengths more often, while still
    covering the whole range. clean_share: the chance that an image is left
    clean (strength 0). Fresh noise on every call; one vectorised pass per kind,
    not per image.
    """
    n = images.shape[0]
    which = torch.randint(len(kinds), (n,), generator=generator, device=images.device)
    levels = torch.rand(n, generator=generator, device=images.device) ** strength_power * max_strength
    if clean_share:
        levels = levels * (torch.rand(n, generator=generator, device=images.device) >= clean_share)
    out = images.clone()
    for i, kind in enumerate(kinds):
        rows = (which == i).nonzero().flatten()
        if rows.numel():
            out[rows] = corrupt_each(images[rows], kind, levels[rows], generator=generator)
    return out


def block_side(strength: float, height: int, width: int) -> int:
    """Side in pixels of the square `block` patch: its area is `strength` of the image."""
    return min(height, width, round(math.sqrt(strength * height * width)))


def _block_mask(x: Tensor, s: Tensor, generator: torch.Generator | None) -> Tensor:
    n, _, h, w = x.shape
    side = torch.round(torch.sqrt(s.flatten() * h * w)).clamp(max=min(h, w)).long()
    # centre on an ink pixel drawn in proportion to its brightness; the tiny floor keeps blank images valid
    weights = x.flatten(1).float().clamp_min(0) + 1e-12
    centre = torch.multinomial(weights, 1, generator=generator).flatten()
    cy, cx = centre // w, centre % w
    top = (cy - side // 2).clamp(min=0).minimum(h - side)
    left = (cx - side // 2).clamp(min=0).minimum(w - side)
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    inside_rows = (rows >= top.view(n, 1, 1)) & (rows < (top + side).view(n, 1, 1))
    inside_cols = (cols >= left.view(n, 1, 1)) & (cols < (left + side).view(n, 1, 1))
    return (inside_rows & inside_cols).unsqueeze(1)


def _as_batch(images: Tensor) -> Tensor:
    if not isinstance(images, Tensor):
        raise TypeError(f"images must be a torch.Tensor, got {type(images).__name__}")
    if not images.is_floating_point():
        raise TypeError(f"images must be a float tensor in [0, 1], got dtype {images.dtype}")
    if images.dim() == 4 and images.shape[1] == 1:
        return images
    if images.dim() == 3 and images.shape[0] == 1:
        return images.unsqueeze(0)
    if images.dim() == 2:
        return images.view(1, 1, *images.shape)
    raise ValueError(f"images must be shaped [N,1,H,W], [1,H,W] or [H,W], got {list(images.shape)}")


def _rand(x: Tensor, generator: torch.Generator | None) -> Tensor:
    return torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def _randn(x: Tensor, generator: torch.Generator | None) -> Tensor:
    return torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
