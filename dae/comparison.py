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

METHODS = ("noisy", "linear", "conv", "unet", "median")  # what the curve shows; "noisy" is the corrupted input
DENOISERS = ("linear", "conv", "unet")  # the shipped autoencoders the page compares
TIE_DB = 0.05  # PSNR differences below this are a tie
CLEAR_DIGIT = 0.5  # below this, no class has the majority: the page says "no clear digit", not a number


@dataclass
class Comparison:
    """Everything one update shows. Images are float32 [28, 28] in [0, 1]."""

    clean: np.ndarray
    noisy: np.ndarray
    linear: np.ndarray
    conv: np.ndarray
    scores: dict[str, dict[str, float]]  # noisy / linear / conv / unet -> {"psnr": dB, "ssim": ...}; psnr may be inf
    better: str  # the best of the shipped autoencoders by PSNR ("linear", "conv", "unet"), or "tie"
    curve: dict[str, list[float]] = field(default_factory=dict)  # "strength" and one PSNR list per METHODS entry
    # the classifier's reading of each panel: name -> (label, confidence in [0, 1]); empty without a classifier
    readings: dict[str, tuple[int, float]] = field(default_factory=dict)
    yours: np.ndarray | None = None  # the visitor's live-trained model's reconstruction, when there is one
    unet: np.ndarray | None = None  # the U-Net DAE's reconstruction (None for a lab without one)
    # how unlike a digit the clean input is (dae.novelty; None for a lab without the score): score, flagged, moved
    # (the linear DAE's distance), limit (the distance most digits stay under), share (of digits below its score),
    # and the digits' histogram (edges, counts) with the threshold, for the page's strip
    novelty: dict | None = None

    @property
    def denoisers(self) -> tuple[str, ...]:
        """The shipped autoencoders this comparison has: linear, conv, and unet where the lab has one."""
        return tuple(name for name in DENOISERS if name in self.scores)


def ranking(scores: dict[str, dict[str, float]], names=DENOISERS) -> list[str]:
    """The `names` that have scores, closest to the clean digit (highest PSNR) first."""
    return sorted((name for name in names if name in scores), key=lambda name: -scores[name]["psnr"])


def winner(scores: dict[str, dict[str, float]], names=DENOISERS, tie_db: float = TIE_DB) -> str:
    """The model closest to the clean digit by PSNR among `names`, or "tie" when the best two differ by less
    than tie_db (and with fewer than two models: no contest)."""
    order = ranking(scores, names)
    if len(order) < 2:
        return "tie"
    gap = scores[order[0]]["psnr"] - scores[order[1]]["psnr"]
    if math.isnan(gap) or abs(gap) < tie_db:  # both perfect (inf - inf) counts as a tie too
        return "tie"
    return order[0]


def is_clear(reading: tuple[int, float], threshold: float = CLEAR_DIGIT) -> bool:
    """True when the classifier's (label, confidence) gives one digit at least `threshold` of the probability."""
    return reading[1] >= threshold


def identity_flips(readings: dict[str, tuple[int, float]], names=DENOISERS) -> list[str]:
    """The `names` whose image clearly reads as a different digit from the clean one: an identity flip.

    Only clear readings count: an image that reads as no clear digit has no identity to flip, nor to flip from.
    """
    clean = readings.get("clean")
    if clean is None or not is_clear(clean):
        return []
    return [name for name in names if name in readings and is_clear(readings[name]) and readings[name][0] != clean[0]]


def looks_like_a_digit(result: Comparison) -> bool:
    """False when the novelty score flags the clean input as not a digit (True for a lab without the score)."""
    return result.novelty is None or not result.novelty["flagged"]


def to_uint8(image: np.ndarray) -> np.ndarray:
    """[0, 1] float image -> uint8 (the app shows it enlarged with nearest-neighbour, in the browser)."""
    return np.clip(np.rint(np.asarray(image) * 255), 0, 255).astype(np.uint8)


def finite(value: float) -> float | None:
    """JSON-safe number: None for an infinite PSNR (a perfect reconstruction)."""
    return None if math.isinf(value) or math.isnan(value) else round(value, 4)
