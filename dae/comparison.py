"""What one comparison gives back: the `Comparison` record, and helpers to show it.

    result = lab.compare(digit, "gaussian", 0.5)      # a Comparison (see dae.lab)
    png_pixels = to_uint8(result.conv)

No torch here, so a web front end can take results from the process that
runs the models (see `dae.lab_process`) without loading torch itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

METHODS = ("noisy", "linear", "conv", "median")  # what the curve shows; "noisy" is the corrupted input itself
TIE_DB = 0.05  # PSNR differences below this are a tie
LOW_CONFIDENCE = 0.7  # a clean input the classifier reads with less confidence than this is not much like a digit
CLEAR_DIGIT = 0.5  # below this, no class has the majority: the page says "no clear digit", not a number


@dataclass
class Comparison:
    """Everything one update shows. Images are float32 [28, 28] in [0, 1]."""

    clean: np.ndarray
    noisy: np.ndarray
    linear: np.ndarray
    conv: np.ndarray
    scores: dict[str, dict[str, float]]  # noisy / linear / conv -> {"psnr": dB, "ssim": ...}; psnr may be inf
    better: str  # "linear", "conv" or "tie"
    curve: dict[str, list[float]] = field(default_factory=dict)  # "strength" and one PSNR list per METHODS entry
    # the classifier's reading of each panel: name -> (label, confidence in [0, 1]); empty without a classifier
    readings: dict[str, tuple[int, float]] = field(default_factory=dict)
    yours: np.ndarray | None = None  # the visitor's live-trained model's reconstruction, when there is one


def winner(scores: dict[str, dict[str, float]], tie_db: float = TIE_DB) -> str:
    """The model closer to the clean digit by PSNR: "linear", "conv", or "tie" when they differ by less than tie_db."""
    gap = scores["conv"]["psnr"] - scores["linear"]["psnr"]
    if math.isnan(gap) or abs(gap) < tie_db:  # both perfect (inf - inf) counts as a tie too
        return "tie"
    return "conv" if gap > 0 else "linear"


def is_clear(reading: tuple[int, float], threshold: float = CLEAR_DIGIT) -> bool:
    """True when the classifier's (label, confidence) gives one digit at least `threshold` of the probability."""
    return reading[1] >= threshold


def identity_flips(readings: dict[str, tuple[int, float]], names=("linear", "conv")) -> list[str]:
    """The `names` whose image clearly reads as a different digit from the clean one: an identity flip.

    Only clear readings count: an image that reads as no clear digit has no identity to flip, nor to flip from.
    """
    clean = readings.get("clean")
    if clean is None or not is_clear(clean):
        return []
    return [name for name in names if name in readings and is_clear(readings[name]) and readings[name][0] != clean[0]]


def looks_like_a_digit(readings: dict[str, tuple[int, float]], threshold: float = LOW_CONFIDENCE) -> bool:
    """False when the classifier reads the clean input with less than `threshold` confidence (True without one)."""
    return "clean" not in readings or readings["clean"][1] >= threshold


def to_uint8(image: np.ndarray) -> np.ndarray:
    """[0, 1] float image -> uint8 (the app shows it enlarged with nearest-neighbour, in the browser)."""
    return np.clip(np.rint(np.asarray(image) * 255), 0, 255).astype(np.uint8)


def finite(value: float) -> float | None:
    """JSON-safe number: None for an infinite PSNR (a perfect reconstruction)."""
    return None if math.isinf(value) or math.isnan(value) else round(value, 4)
