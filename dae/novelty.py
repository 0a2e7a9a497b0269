"""Is it a digit? A novelty score from what models learnt of digits, and from nothing else.

    denoiser, classifiers = load_models("checkpoints/novelty")   # trained by scripts/calibrate_novelty.py
    novelty = Novelty.load("checkpoints/novelty.json")
    moved, doubt = measure(denoiser, classifiers, images)    # how far the DAE moves each input; the energy [N]
    score = novelty.score(moved, doubt)                      # [N]: higher is less like a digit
    novelty.flags(score)                                     # True where the input is not a digit

A DAE has learnt where digits lie: r(x) − x points from x towards them, so the
distance it moves an input, ‖r(x) − x‖, says how far the input is from any digit
(Alain and Bengio 2014; autoencoders' reconstruction error as an anomaly score,
e.g. Sakurada and Yairi 2014). Here x is the clean input, noised at NOISE with
DRAWS fixed draws: the DAE's own task. The DAE is a linear one with a code of
CODE numbers (`denoiser`), narrower than the page's (256), so that it can put
back digits and little else. Classifiers add what they know: their energy,
−logsumexp of the logits, is lower on the data they were trained on (Liu et
al. 2020, "Energy-based out-of-distribution detection"), and averaged over an
ENSEMBLE trained from different seeds it is steadier (Lakshminarayanan et al.
2017). Each measure is in units of its spread over digits and the two are
averaged.

Nothing that is not a digit sets anything here. The models learn from digits as
the page sees them: MNIST training digits as they are and drawn the page's way
(dae.drawings). `Novelty.fit` sees MNIST test digits as they are, drawn and
photographed, and the threshold lets through all but FALSE_FLAGS of each kind.
Measurements, the candidates tried and what each flags: docs/experiments.md.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from .models import LinearDAE

Model = Callable[[Tensor], Tensor]  # a model, or its fast form (dae.lab.fused_form): images [N, 1, 28, 28] in

NOISE, DRAWS = 0.5, 4  # the DAE's distance is measured on the input noised at NOISE (Gaussian), DRAWS draws
# alone, a 16-number code flagged 42% of drawn non-digits (a mean over three kinds), 64 numbers 28%, 8 numbers 25%
CODE = 16
ENSEMBLE = 3  # classifiers whose energy is averaged: with the DAE, 3 flagged 63% of non-digits, the first alone 60%
FALSE_FLAGS = 0.015  # the share of each kind of calibration digit above the threshold: under 2% on new digits
BINS = 32  # the histogram of digits' novelty the page draws


def noise_draws(shape: tuple[int, ...] = (1, 28, 28)) -> Tensor:
    """The fixed noise the distance is measured with: [DRAWS, *shape], the same for every input."""
    return torch.randn(DRAWS, *shape, generator=torch.Generator().manual_seed(0)) * NOISE


def noised(images: Tensor) -> Tensor:
    """[N, 1, 28, 28] -> [N * DRAWS, 1, 28, 28]: each image under each fixed draw, clipped to [0, 1]."""
    return (images[:, None] + noise_draws(images.shape[1:])[None]).clamp(0, 1).flatten(0, 1)


def distance(images: Tensor, denoised: Tensor) -> Tensor:
    """The root-mean-square distance of `denoised` ([N * DRAWS, ...], from `noised(images)`) to the clean images,
    averaged over the draws: [N]."""
    clean = images.repeat_interleave(DRAWS, 0)
    return (denoised.float() - clean).pow(2).mean((1, 2, 3)).sqrt().view(-1, DRAWS).mean(1)


def denoising_distance(model, images: Tensor) -> Tensor:
    """How far `model` (a DAE: [N,1,28,28] -> same) moves each image's noisy versions from the image: [N]."""
    with torch.inference_mode():
        return distance(images, model(noised(images)))


def energy(logits: Tensor) -> Tensor:
    """The classifier's energy, −logsumexp of its logits: [N], lower on digits."""
    return -torch.logsumexp(logits.float(), dim=1)


def denoiser() -> LinearDAE:
    """The novelty score's DAE, untrained: the page's linear architecture with a CODE-number code."""
    return LinearDAE(bottleneck=CODE)


def model_paths(folder: str | Path) -> tuple[Path, list[Path]]:
    """Where the score's DAE and its ENSEMBLE classifiers are kept in `folder`."""
    folder = Path(folder)
    return folder / "denoiser", [folder / f"classifier-{seed}" for seed in range(ENSEMBLE)]


def load_models(folder: str | Path) -> tuple[nn.Module, list[nn.Module]]:
    """The score's DAE and classifiers, saved in `folder` by scripts/calibrate_novelty.py, in eval mode."""
    from .checkpoint import load_model

    denoiser_path, classifier_paths = model_paths(folder)
    return load_model(denoiser_path).eval(), [load_model(path).eval() for path in classifier_paths]


def mean_energy(classifiers: list[Model], images: Tensor) -> Tensor:
    """The classifiers' energy of each image ([N, 1, 28, 28]), averaged over them: [N]. Their forward gives their
    logits (they are not calibrated: temperature 1), so their fast forms (dae.lab.fused_form) serve as well."""
    return torch.stack([energy(classifier(images)) for classifier in classifiers]).mean(0)


@dataclass
class Novelty:
    """Where digits lie on the two measures, and the threshold above which an input is not a digit.

    centre and scale: the median and half the 16th-to-84th percentile range over digits, of ln(distance) and of
    the energy; threshold: the score FALSE_FLAGS of each kind of digit exceeds; distance_limit: the distance
    1 − FALSE_FLAGS of digits stay under; edges and counts: the histogram of the digits' scores.
    """

    centre: list[float]
    scale: list[float]
    threshold: float
    distance_limit: float
    edges: list[float]
    counts: list[int]
    digits: int

    def score(self, moved: Tensor | np.ndarray, doubt: Tensor | np.ndarray) -> np.ndarray:
        """The novelty of inputs the DAE moved by `moved` and the classifier doubts by `doubt` (its energy)."""
        moved, doubt = np.asarray(moved, np.float64), np.asarray(doubt, np.float64)
        z_moved = (np.log(np.maximum(moved, 1e-6)) - self.centre[0]) / self.scale[0]
        z_doubt = (doubt - self.centre[1]) / self.scale[1]
        return (z_moved + z_doubt) / 2

    def flags(self, score: np.ndarray | float) -> np.ndarray | bool:
        return np.asarray(score) > self.threshold

    def share_below(self, score: float) -> float:
        """The share of the calibration digits whose novelty is below `score` (from the histogram)."""
        counts, edges = np.asarray(self.counts), np.asarray(self.edges)
        inside = np.clip((score - edges[:-1]) / np.diff(edges), 0, 1)
        return float((counts * inside).sum() / self.digits)

    def reading(self, moved: float, doubt: float) -> dict:
        """What the page and the API say of one input: its score, whether it is flagged, the distance it moved
        and the one most digits stay under, the size of the DAE's code, the share of digits below its score, and
        the digits' histogram."""
        score = float(self.score(moved, doubt))
        return {
            "score": round(score, 4),
            "flagged": bool(self.flags(score)),
            "moved": round(float(moved), 4),
            "limit": round(self.distance_limit, 4),
            "limit_share": 1 - FALSE_FLAGS,
            "code": CODE,
            "share": self.share_below(score),
            "threshold": self.threshold,
            "edges": self.edges,
            "counts": self.counts,
        }

    @classmethod
    def fit(cls, kinds: dict[str, tuple[np.ndarray, np.ndarray]], false_flags: float = FALSE_FLAGS) -> Novelty:
        """Fit on digits only: kinds maps a kind of digit ("mnist", "drawn", "photo") to (distances, energies)."""
        moved = np.concatenate([np.log(k[0]) for k in kinds.values()])
        doubt = np.concatenate([k[1] for k in kinds.values()])
        centre = [float(np.median(moved)), float(np.median(doubt))]
        scale = [float(np.subtract(*np.percentile(v, [84, 16])) / 2) for v in (moved, doubt)]
        made = cls(centre, scale, math.inf, 0.0, [], [], 0)
        scores = {name: made.score(*k) for name, k in kinds.items()}
        threshold = max(float(np.quantile(s, 1 - false_flags)) for s in scores.values())
        every = np.concatenate(list(scores.values()))
        counts, edges = np.histogram(every, bins=BINS, range=(float(every.min()), max(float(every.max()), threshold)))
        limit = float(np.exp(np.quantile(moved, 1 - false_flags)))
        return cls(centre, scale, threshold, limit, edges.tolist(), counts.tolist(), len(every))

    def save(self, path: str | Path) -> None:
        from .checkpoint import atomic_write_bytes

        atomic_write_bytes(path, json.dumps(asdict(self), indent=1).encode())

    @classmethod
    def load(cls, path: str | Path) -> Novelty:
        return cls(**json.loads(Path(path).read_text()))


def measure(
    denoise: Model, classifiers: list[Model], images: np.ndarray | Tensor, batch: int = 500
) -> tuple[np.ndarray, np.ndarray]:
    """(distances, energies) of images [N, 28, 28] or [N, 1, 28, 28] in [0, 1]: denoise is the score's DAE,
    classifiers its ensemble (`load_models`)."""
    images = torch.as_tensor(np.asarray(images, np.float32)).reshape(-1, 1, 28, 28)
    moved, doubt = [], []
    with torch.inference_mode():
        for start in range(0, len(images), batch):
            part = images[start : start + batch]
            moved.append(denoising_distance(denoise, part))
            doubt.append(mean_energy(classifiers, part))
    return torch.cat(moved).numpy(), torch.cat(doubt).numpy()
