"""One comparison, start to finish: corrupt a digit, run both autoencoders, score everything.

    lab = DenoisingLab.from_checkpoints("checkpoints")
    result = lab.compare(to_mnist(image), "gaussian", 0.5, seed=0)
    result.scores["conv"]["psnr"], result.better, result.curve

This is what the app (and its API) runs on every update; it lives here so
scripts and notebooks get exactly the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .baselines import median_filter
from .checkpoint import load_model
from .metrics import psnr, ssim
from .noise import check_noise, corrupt

CURVE_STRENGTHS = tuple(round(0.05 * i, 2) for i in range(1, 21))  # 0.05 ... 1.0
METHODS = ("noisy", "linear", "conv", "median")  # what the curve shows; "noisy" is the corrupted input itself
TIE_DB = 0.05  # PSNR differences below this are a tie


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


class DenoisingLab:
    """The two shipped models, ready to compare on single digits."""

    def __init__(self, linear: nn.Module, conv: nn.Module):
        self.linear = linear.eval()
        self.conv = conv.eval()

    @classmethod
    def from_checkpoints(cls, folder: str | Path = "checkpoints") -> DenoisingLab:
        folder = Path(folder)
        return cls(load_model(folder / "linear"), load_model(folder / "conv"))

    @torch.inference_mode()
    def compare(self, digit: np.ndarray, kind: str, strength: float, seed: int = 0, *, curve: bool = True) -> Comparison:
        """Corrupt `digit` with (kind, strength, seed), denoise it with both models, score it.

        With curve=True the same noise draw is also applied at every strength
        of CURVE_STRENGTHS, so the PSNR-against-strength curve passes exactly
        through the values shown for the current strength.
        """
        strength = check_noise(kind, strength)
        clean = torch.as_tensor(np.asarray(digit, dtype=np.float32)).view(1, 1, 28, 28)
        strengths = sorted(set(CURVE_STRENGTHS) | {strength}) if curve else [strength]
        # the same seed at every strength: one noise field, scaled, so the curve is smooth
        noisy = torch.cat([corrupt(clean, kind, s, generator=torch.Generator().manual_seed(seed)) for s in strengths])
        outputs = {"noisy": noisy, "linear": self.linear(noisy), "conv": self.conv(noisy)}
        if curve:
            outputs["median"] = median_filter(noisy)
        clean_batch = clean.expand_as(noisy)
        peak = {name: psnr(clean_batch, out).tolist() for name, out in outputs.items()}
        here = strengths.index(strength)
        scores = {}
        for name in ("noisy", "linear", "conv"):
            scores[name] = {"psnr": peak[name][here], "ssim": ssim(clean, outputs[name][here : here + 1]).item()}
        gap = scores["conv"]["psnr"] - scores["linear"]["psnr"]
        better = "tie" if abs(gap) < TIE_DB else ("conv" if gap > 0 else "linear")
        curve_data = {"strength": strengths, **peak} if curve else {}
        return Comparison(
            clean=clean[0, 0].numpy(),
            noisy=noisy[here, 0].numpy(),
            linear=outputs["linear"][here, 0].numpy(),
            conv=outputs["conv"][here, 0].numpy(),
            scores=scores,
            better=better,
            curve=curve_data,
        )


def to_uint8(image: np.ndarray, scale: int = 1) -> np.ndarray:
    """[0, 1] float image -> uint8, optionally enlarged `scale` times with nearest-neighbour (crisp pixels)."""
    pixels = np.clip(np.rint(np.asarray(image) * 255), 0, 255).astype(np.uint8)
    return pixels.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else pixels


def finite(value: float) -> float | None:
    """JSON-safe number: None for an infinite PSNR (a perfect reconstruction)."""
    return None if math.isinf(value) or math.isnan(value) else round(value, 4)
