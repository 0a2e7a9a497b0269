"""Point sets in 2-D for the field lab, and the energy distance that says how close two sets are.

    points = make_points("moons", 2000, seed=0)       # float32 [2000, 2], inside [-1, 1]
    energy_distance(samples, points)                  # 0 for the same distribution, up to sampling noise
    check_points(anything)                            # float32 [n, 2], or ValueError naming what is valid

No torch here (numpy only): the web process makes the built-in sets and
checks the visitor's points; the model that learns them is in dae.field.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

SETS = ("moons", "swiss_roll", "rings", "gaussians")  # the built-in sets, as the page and the link name them
SET_LABELS = {
    "moons": "Two moons",
    "swiss_roll": "Swiss roll",
    "rings": "Rings",
    "gaussians": "8 Gaussians (one 3× heavier)",
}
HEAVY = 3.0  # the heavy mode of "gaussians" has this many times the weight of each other mode
HEAVY_SHARE = HEAVY / (HEAVY + 7)  # its share of the data: 0.3
MIN_POINTS, MAX_POINTS = 50, 10_000
MAX_FIELD_SECONDS = 30.0


@dataclass(frozen=True)
class FieldRequest:
    """A field training: the points [[x, y], ...], the time budget, the seed, and the built-in set they came from
    ("" for the visitor's own), which gives fresh points to score the samples against."""

    points: list = field(compare=False)
    seconds: float = 10.0
    seed: int = 0
    set_name: str = ""

    def run(self, device: str = "cpu", should_stop: Callable[[], bool] = lambda: False):
        """What a TrainingJob's child runs (dae.live): dae.field.run_field."""
        from .field import run_field

        return run_field(self, should_stop=should_stop)


def check_field(points, seconds, seed, set_name: str = "") -> FieldRequest:
    """A field request from anything an API sends; ValueError naming the valid values."""
    from .kinds import check_seconds, check_seed

    array = check_points(points)
    seconds = check_seconds(seconds, MAX_FIELD_SECONDS)
    if set_name and set_name not in SETS:
        raise ValueError(f"unknown point set {set_name!r}; the sets are {', '.join(SETS)}")
    return FieldRequest(array.tolist(), seconds, check_seed(seed), set_name)


def make_points(name: str, n: int = 2000, seed: int = 0) -> np.ndarray:
    """n points of the built-in set `name`, float32 [n, 2], scaled to lie within [-1, 1]; the same seed gives the
    same points."""
    if name not in SETS:
        raise ValueError(f"unknown point set {name!r}; the sets are {', '.join(SETS)}")
    rng = np.random.default_rng(seed)
    points = {"moons": _moons, "swiss_roll": _swiss_roll, "rings": _rings, "gaussians": _gaussians}[name](n, rng)
    return np.clip(points, -1, 1).astype(np.float32)


def _moons(n: int, rng: np.random.Generator) -> np.ndarray:
    upper = rng.random(n) < 0.5
    t = rng.random(n) * math.pi
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    points = np.stack([x - 0.5, y - 0.25], 1) * 0.62
    return points + rng.normal(0, 0.035, (n, 2))


def _swiss_roll(n: int, rng: np.random.Generator) -> np.ndarray:
    t = 1.5 * math.pi * (1 + 2 * rng.random(n))  # 1.5π to 4.5π: one and a half turns
    points = np.stack([t * np.cos(t), t * np.sin(t)], 1) / (4.5 * math.pi) * 0.85
    return points + rng.normal(0, 0.02, (n, 2))


def _rings(n: int, rng: np.random.Generator) -> np.ndarray:
    outer = rng.random(n) < 2 / 3  # the outer ring is twice as long: twice the points, the same density
    radius = np.where(outer, 0.8, 0.4) + rng.normal(0, 0.025, n)
    angle = rng.random(n) * 2 * math.pi
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1)


def _gaussians(n: int, rng: np.random.Generator) -> np.ndarray:
    weights = np.array([HEAVY] + [1.0] * 7)
    mode = rng.choice(8, size=n, p=weights / weights.sum())
    angle = mode * 2 * math.pi / 8
    centres = 0.7 * np.stack([np.cos(angle), np.sin(angle)], 1)
    return centres + rng.normal(0, 0.07, (n, 2))


def heavy_share(points: np.ndarray) -> float:
    """The share of `points` nearest the heavy mode of "gaussians" (at angle 0) of its 8 centres."""
    angle = np.arange(8) * 2 * math.pi / 8
    centres = 0.7 * np.stack([np.cos(angle), np.sin(angle)], 1)
    nearest = np.argmin(((points[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    return float(np.mean(nearest == 0))


def check_points(points) -> np.ndarray:
    """The visitor's points (anything an API sends) as float32 [n, 2]; ValueError naming what is valid."""
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        array = np.empty((0,))
    valid = array.ndim == 2 and array.shape[1:] == (2,) and np.isfinite(array).all() and np.abs(array).max() <= 1
    if not valid:
        raise ValueError("points must be a list of [x, y] pairs, each number from -1 to 1")
    if not MIN_POINTS <= len(array) <= MAX_POINTS:
        raise ValueError(f"points must hold from {MIN_POINTS:,} to {MAX_POINTS:,} pairs; got {len(array):,}")
    return array.astype(np.float32)


def energy_distance(a: np.ndarray, b: np.ndarray, within_b: float | None = None) -> float:
    """The squared energy distance between two samples (Székely and Rizzo 2013): 2·E|X−Y| − E|X−X'| − E|Y−Y'|,
    each mean over all pairs (V-statistics, the diagonal's zeros included). It is 0 only for the same set; two
    samples of one distribution, of sizes n and m, still give about E|X−X'|·(1/n + 1/m): the floor.
    within_b: E|Y−Y'| when it is already known (`mean_distance(b, b)`), to score many samples against one b."""
    within_b = mean_distance(b, b) if within_b is None else within_b
    return 2 * mean_distance(a, b) - mean_distance(a, a) - within_b


def mean_distance(a: np.ndarray, b: np.ndarray, chunk: int = 2048) -> float:
    """The mean Euclidean distance over all pairs of a row of `a` and a row of `b` (SciPy's cdist, in chunks)."""
    from scipy.spatial.distance import cdist

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return sum(cdist(a[i : i + chunk], b).sum() for i in range(0, len(a), chunk)) / (len(a) * len(b))


def pack(values) -> str:
    """Numbers (any shape; at most ±32) for the page: base64 of little-endian int16 thousandths, a third of the
    bytes of JSON text; the page's script reads them back into a Float32Array."""
    import base64

    scaled = np.clip(np.rint(np.asarray(values, dtype=np.float64) * 1000), -32767, 32767).astype("<i2")
    return base64.b64encode(scaled.tobytes()).decode("ascii")


def unpack(text: str) -> np.ndarray:
    """`pack`'s numbers back, flat float32 (the page's script does the same in JavaScript, ui/field.js)."""
    import base64

    return np.frombuffer(base64.b64decode(text), dtype="<i2").astype(np.float32) / 1000
