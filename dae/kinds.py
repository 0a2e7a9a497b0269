"""The noise kinds: their names, labels for people, what their strength means, and validation.

    from dae.kinds import NOISE_KINDS, check_noise
    strength = check_noise("gaussian", 0.5)

No torch here: a web front end can build its controls and check its input
without loading torch (the app loads the models in another process, see
`dae.lab_process`). The corruption itself is in `dae.noise`.
"""

from __future__ import annotations

import math

NOISE_KINDS: tuple[str, ...] = ("gaussian", "masking", "salt_and_pepper", "speckle", "poisson", "block")

NOISE_LABELS: dict[str, str] = {
    "gaussian": "Gaussian",
    "masking": "Masking (dropout)",
    "salt_and_pepper": "Salt and pepper",
    "speckle": "Speckle (multiplicative)",
    "poisson": "Poisson (shot noise)",
    "block": "Block occlusion",
}

NOISE_DOCS: dict[str, str] = {
    "gaussian": "adds N(0, σ²) to every pixel; strength = σ",
    "masking": "sets each pixel to 0 with probability p; strength = p, the fraction of pixels zeroed",
    "salt_and_pepper": "replaces each pixel with probability p by 0 or 1 (equal chance); strength = p",
    "speckle": "multiplies each pixel by (1 + n), n ~ N(0, σ²), so noise grows with brightness; strength = σ",
    "poisson": "photon shot noise: counts ~ Poisson(x / s²), scaled back by s²; strength = s, "
    "the noise std on a white pixel (s² = 1 / photons at full brightness)",
    "block": "sets a square patch to 0, centred on a random ink pixel; strength = the patch's share of the image area",
}


def check_noise(kind: str, strength: float) -> float:
    """Validate a (kind, strength) pair and return the strength as a float.

    Raises ValueError that lists the valid values, for use at every boundary
    (the API, the app, the scripts).
    """
    if kind not in NOISE_KINDS:
        raise ValueError(f"unknown noise kind {kind!r}; valid kinds: {', '.join(NOISE_KINDS)}")
    try:
        value = float(strength)
    except (TypeError, ValueError):
        raise ValueError(f"strength must be a number in [0, 1], got {strength!r}") from None
    if not (0.0 <= value <= 1.0):  # also rejects NaN, for which every comparison is False
        raise ValueError(f"strength must be a number in [0, 1], got {strength!r}")
    return value


TARGETS = ("clean", "noisy")  # what a training loss compares the output with: a DAE, or a model that copies the noise

MAX_SEED = 2**31 - 1  # noise seeds: what torch.Generator.manual_seed takes on every platform we serve


def check_seed(seed) -> int:
    """Validate a noise seed (anything an API sends) and return it as an int; ValueError names the valid range."""
    try:
        whole = float(seed).is_integer() and 0 <= float(seed) <= MAX_SEED
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise ValueError(f"seed must be a whole number from 0 to {MAX_SEED}, got {seed!r}")
    return int(seed)


def check_seconds(seconds, top: float) -> float:
    """Validate a training's time budget (anything an API sends): a number from 1 to `top`; ValueError if not."""
    try:
        value = float(seconds)
    except (TypeError, ValueError, OverflowError):
        value = math.nan
    if not 1 <= value <= top:  # also rejects NaN
        raise ValueError(f"seconds must be from 1 to {top:g} on this server; got {seconds!r}")
    return value
