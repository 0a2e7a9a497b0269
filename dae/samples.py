"""What a generation gives back, and the checks on a request for one: no torch here (the web process reads it).

    check_generation("generator", 16, 10, 0)      # -> ("generator", 16, 10, 0), or ValueError naming the valid values
    result = lab.generate("generator", 16, 10, 0)   # a Generation (dae.lab)
    grid(result.images)                           # uint8 [H, W]: the samples side by side

The chains themselves run in `dae.generation`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .kinds import check_seed
from .names import NAMES

GENERATORS = ("generator", "conv", "linear", "yours")  # the models that can generate, as the API names them
GENERATOR_LABELS = {"generator": NAMES["generator"].title} | {
    name: f"{NAMES[name].title} (blind chain)" for name in GENERATORS[1:]
}
# the generator's 10 steps (19 evaluations, each of a told and an untold half): with its guidance, as readable as
# at 18 and cheaper (docs/experiments.md, 2026-12-05)
DEFAULT_STEPS = {"generator": 10, "conv": 100, "linear": 100, "yours": 100}
MAX_SAMPLES, MAX_STEPS = 256, 200
CONFIDENT = 0.9  # a sample "reads as a digit" when the classifier gives one digit more than this
CHAIN_SAMPLES = 16  # the chain is kept for the first this many samples: the page's grid


@dataclass
class Generation:
    """n samples and the chain that made them. Images are uint8 [.., 28, 28], white digit on black like MNIST."""

    model: str
    images: np.ndarray  # [n, 28, 28]
    chain: np.ndarray  # [steps + 1, min(n, CHAIN_SAMPLES), 28, 28]: the chain's state after each step, noise first
    levels: list[float]  # the noise level of each state: σ for the generator, the corruption's strength otherwise
    seconds: float  # the chain's own time, in the model process
    readings: list[tuple[int, float]] = field(default_factory=list)  # the classifier's reading of each sample
    digits: list[int] = field(default_factory=list)  # the digit each sample was asked to be (a generator told it)

    @property
    def read_as_asked(self) -> int:
        """How many samples the classifier reads, with confidence above CONFIDENT, as the digit asked (or as any
        digit, when none was asked)."""
        asked = self.digits or [label for label, _ in self.readings]
        return sum(c > CONFIDENT and label == digit for (label, c), digit in zip(self.readings, asked, strict=True))

    @property
    def steps(self) -> int:
        return len(self.chain) - 1


def check_generation(model, n, steps, seed) -> tuple[str, int, int, int]:
    """Validate a generation request (the API sends anything); ValueError naming the valid values."""
    if model not in GENERATORS:
        raise ValueError(f"model={model!r} is not one of {', '.join(GENERATORS)}")
    checked = []
    for name, value, top in (("n", n, MAX_SAMPLES), ("steps", steps, MAX_STEPS)):
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            number = math.nan
        if not (number.is_integer() and 1 <= number <= top):
            raise ValueError(f"{name}={value!r} must be a whole number from 1 to {top}")
        checked.append(int(number))
    return model, checked[0], checked[1], check_seed(seed)


def grid(images: np.ndarray, columns: int | None = None, gap: int = 2, fill: float = 64) -> np.ndarray:
    """[n, h, w] images side by side in rows of `columns` (a square by default), `gap` pixels of `fill` between
    (64: dark grey for uint8 digits); the result has the images' dtype."""
    n, h, w = images.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    out = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), fill, images.dtype)
    for i, image in enumerate(images):
        top, left = (i // columns) * (h + gap), (i % columns) * (w + gap)
        out[top : top + h, left : left + w] = image
    return out
