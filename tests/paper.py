"""Realistic phone photos of a handwritten digit on paper (made in dae.drawings), and a shift-tolerant PSNR.

data = paper_photo(digit, paper="ruled", ink="blue", light="shadow", seed=3)   # JPEG bytes
"""

from __future__ import annotations

import numpy as np

from dae.drawings import INKS, LIGHTS, PAPERS, paper_photo  # noqa: F401 - the tests' photos


def aligned_psnr(found: np.ndarray, source: np.ndarray, reach: int = 2) -> float:
    """PSNR of `found` against `source` at the best whole-pixel shift within `reach` (the centring may differ)."""
    best = 0.0
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            moved = np.roll(found, (dy, dx), axis=(0, 1))
            mse = float(np.mean((moved - source) ** 2))
            best = max(best, 10 * np.log10(1 / max(mse, 1e-10)))
    return best
