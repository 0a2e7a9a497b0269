"""Realistic phone photos of a handwritten digit on paper, made in code from a real MNIST digit, deterministically.

    data = paper_photo(digit, paper="ruled", ink="blue", light="shadow", seed=3)   # JPEG bytes

The digit (28x28, white on black) becomes pen strokes of a chosen width at a
chosen size and place; the paper is white or grey, plain, ruled (light blue
lines and a red margin) or squared; the light falls off across the sheet and,
with light="shadow", a soft shadow covers part of it; then sensor noise and
JPEG compression, as a phone would.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage

PAPERS = ("plain", "ruled", "squared")
INKS = {"black": (28, 28, 34), "blue": (30, 50, 150)}
LIGHTS = ("even", "shadow")


def paper_photo(
    digit: np.ndarray,
    *,
    paper: str = "plain",
    ink: str = "black",
    light: str = "even",
    size: tuple[int, int] = (800, 600),
    fraction: float = 0.35,
    centre: tuple[float, float] = (0.5, 0.5),
    pen: float = 0.07,
    grey: bool = False,
    seed: int = 0,
    quality: int = 85,
) -> bytes:
    """A JPEG of `digit` written on paper; `fraction` of the short side tall, `centre` in fractions of the frame.

    pen: the stroke width as a share of the digit's height (MNIST's is about 0.11; a ballpoint's less).
    """
    rng = np.random.default_rng(seed)
    width, height = size
    short = min(size)
    alpha = _strokes(np.asarray(digit, dtype=np.float32), round(fraction * short), pen)
    canvas = np.zeros((height, width), np.float32)
    top = int(np.clip(centre[1] * height - alpha.shape[0] / 2, 0, height - alpha.shape[0]))
    left = int(np.clip(centre[0] * width - alpha.shape[1] / 2, 0, width - alpha.shape[1]))
    canvas[top : top + alpha.shape[0], left : left + alpha.shape[1]] = alpha

    base = np.array((188, 188, 182) if grey else (242, 240, 233), np.float32)
    sheet = np.broadcast_to(base, (height, width, 3)).copy()
    rows, cols = np.mgrid[0:height, 0:width]
    if paper == "ruled":
        spacing = short / 16
        line = np.abs(((rows + rng.uniform(0, spacing)) % spacing) - spacing / 2) > spacing / 2 - 1.2
        sheet[line] = sheet[line] * 0.35 + np.array((150, 185, 225), np.float32) * 0.65
        margin = np.abs(cols - width * 0.12) < 1.2
        sheet[margin] = sheet[margin] * 0.4 + np.array((225, 120, 120), np.float32) * 0.6
    elif paper == "squared":
        spacing = short / 24
        offset = rng.uniform(0, spacing, 2)
        grid = (np.abs(((rows + offset[0]) % spacing) - spacing / 2) > spacing / 2 - 0.8) | (
            np.abs(((cols + offset[1]) % spacing) - spacing / 2) > spacing / 2 - 0.8
        )
        sheet[grid] = sheet[grid] * 0.45 + np.array((160, 175, 200), np.float32) * 0.55
    elif paper != "plain":
        raise ValueError(f"paper must be one of {PAPERS}")
    colour = np.array(INKS[ink], np.float32)
    photo = sheet * (1 - canvas[..., None]) + colour * canvas[..., None]

    # light: a gradient across the sheet, and maybe a soft shadow (a blurred blob over one side)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * (cols / width - 0.5) + np.sin(angle) * (rows / height - 0.5)).astype(np.float32)
    shade = 0.93 + 0.22 * ramp
    if light == "shadow":
        blob = np.zeros((height, width), np.float32)
        cy, cx = rng.uniform(0.1, 0.9) * height, rng.choice([0.05, 0.95]) * width
        blob[(rows - cy) ** 2 / (0.45 * height) ** 2 + (cols - cx) ** 2 / (0.35 * width) ** 2 < 1] = 1
        shade *= 1 - 0.38 * ndimage.gaussian_filter(blob, short / 12)
    elif light != "even":
        raise ValueError(f"light must be one of {LIGHTS}")
    photo = photo * shade[..., None] + rng.normal(0, 3.0, photo.shape)
    image = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _strokes(digit: np.ndarray, side: int, pen: float) -> np.ndarray:
    """The digit as pen strokes `side` pixels tall: its skeleton drawn with a round pen `pen * side` wide."""
    from skimage.morphology import skeletonize

    big = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC))
    skeleton = skeletonize(big > 0.45)
    if not skeleton.any():  # an empty page
        return np.zeros((side, side), np.float32)
    radius = max(0.8, pen * side / 2)
    distance = ndimage.distance_transform_edt(~skeleton)
    return np.clip(radius + 0.5 - distance, 0, 1).astype(np.float32)  # anti-aliased edge, one pixel wide


def aligned_psnr(found: np.ndarray, source: np.ndarray, reach: int = 2) -> float:
    """PSNR of `found` against `source` at the best whole-pixel shift within `reach` (the centring may differ)."""
    best = 0.0
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            moved = np.roll(found, (dy, dx), axis=(0, 1))
            mse = float(np.mean((moved - source) ** 2))
            best = max(best, 10 * np.log10(1 / max(mse, 1e-10)))
    return best
