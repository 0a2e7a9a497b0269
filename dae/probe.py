"""What a model's code knows: linear probes on its codes, a 2-D map of them, and paths between two digits.

    from dae.probe import codes_of, fit_probe, few_labels, CodeMap, interpolate
    codes = codes_of(model, images)                         # [N, D]: model.encode, flattened (None: the pixels)
    pick = few_labels(train_labels, per_class=100, seed=0)   # 100 labelled digits of each class
    probe = fit_probe(codes[pick], train_labels[pick])      # multinomial logistic regression, L-BFGS
    probe.accuracy(test_codes, test_labels)
    frames = interpolate(model, a, b, steps=8)               # [8,1,28,28]: decoded along the line between codes

A linear probe asks how much of the label a linear read-out can find in a
representation (Alain and Bengio 2016, "Understanding intermediate layers using
linear classifier probes"); Vincent et al. 2008 and 2010 scored DAE features by
the classifiers trained on them. Trained on clean codes and tested on noisy
ones, it asks whether the noise moves a digit's code off its class: the claim
that denoising builds a robust representation.

`CodeMap` holds what the Inside view draws: each model's codes of test digits
projected on their first two principal axes, and the probe trained on clean
codes. `scripts/evaluate.py --probe-only` fits and writes them.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from .checkpoint import atomic_write_bytes

CLASSES = 10
PENALTY = 1e-3  # L2 on the weights, per mean log-loss: scikit-learn's default (C = 1) for 1,000 examples
FRAMES = 8  # points along an interpolation, both ends included


def codes_of(model: nn.Module | None, images: Tensor, *, batch_size: int = 1000) -> Tensor:
    """[N, D] float32 codes: `model.encode` flattened (for the U-Net: its bottleneck); None gives the pixels."""
    if model is None:
        return images.flatten(1).float()
    with torch.inference_mode():
        return torch.cat([model.encode(images[i : i + batch_size]).flatten(1).float()
                          for i in range(0, len(images), batch_size)])  # fmt: skip


def few_labels(labels: Tensor, *, per_class: int = 100, seed: int = 0) -> Tensor:
    """Indices of `per_class` examples of each class, drawn with `seed` (sorted)."""
    generator = torch.Generator().manual_seed(seed)
    picks = []
    for digit in range(CLASSES):
        members = (labels == digit).nonzero().flatten()
        picks.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    return torch.cat(picks).sort().values


@dataclass
class Probe:
    """A linear read-out of codes: logits = codes @ weight.T + bias (the centring and scale folded in)."""

    weight: Tensor  # [CLASSES, D]
    bias: Tensor  # [CLASSES]

    def logits(self, codes: Tensor) -> Tensor:
        return codes.double() @ self.weight.T + self.bias

    def predict(self, codes: Tensor) -> Tensor:
        return self.logits(codes).argmax(1)

    def accuracy(self, codes: Tensor, labels: Tensor) -> float:
        return (self.predict(codes) == labels).double().mean().item()


def fit_probe(codes: Tensor, labels: Tensor, *, penalty: float = PENALTY, iterations: int = 500) -> Probe:
    """Multinomial logistic regression on `codes` [N, D], L2-penalised, fitted by L-BFGS in float64.

    The codes are centred and divided by one number, their mean per-unit spread, so the penalty means the
    same for every model while the code's own geometry is kept (no unit is stretched more than another).
    The fit runs on the codes' coordinates in their own span (at most N of them, from an SVD): the penalised
    optimum lies in that span, and the problem is as small as the data however long the code.
    """
    x = codes.double()
    mean = x.mean(0)
    scale = x.std(0).mean().clamp_min(1e-12)
    x = (x - mean) / scale
    u, s, span = torch.linalg.svd(x, full_matrices=False)
    z = u * s  # = x @ span.T
    weight = torch.zeros(CLASSES, z.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(CLASSES, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=iterations, line_search_fn="strong_wolfe")

    def loss() -> Tensor:
        optimizer.zero_grad()
        value = nn.functional.cross_entropy(z @ weight.T + bias, labels) + 0.5 * penalty * weight.square().sum()
        value.backward()
        return value

    optimizer.step(loss)
    weight = weight.detach() @ span / scale
    return Probe(weight, bias.detach() - weight @ mean)


@dataclass
class CodeMap:
    """One model's codes of test digits on a plane, and the probe that reads its codes.

    The plane: through the codes' mean, along the first two principal axes of the ten class means, the two
    directions in which the classes' middles differ most. Like any projection it keeps a code's place for
    new inputs; it spreads the classes 1.3 to 1.5 times more (between-class over within-class spread) than
    the codes' own first two principal axes (docs/experiments.md, 2026-12-06).
    """

    mean: np.ndarray  # [D]
    axes: np.ndarray  # [2, D], orthonormal
    points: np.ndarray  # [N, 2]: the test digits' codes on the plane
    labels: np.ndarray  # [N]: their classes
    probe: Probe
    accuracy: dict[str, float] = field(default_factory=dict)  # "clean" and each noise kind: the probe's, at 0.5

    @classmethod
    def fit(cls, codes: Tensor, labels: Tensor, probe: Probe, accuracy: dict[str, float] | None = None) -> CodeMap:
        x = codes.double()
        mean = x.mean(0)
        middles = torch.stack([x[labels == digit].mean(0) for digit in labels.unique()])
        axes = torch.linalg.svd(middles - middles.mean(0), full_matrices=False).Vh[:2]
        axes = axes * torch.where(axes.sum(1, keepdim=True) < 0, -1.0, 1.0).double()  # one sign, run to run
        points = (x - mean) @ axes.T
        return cls(mean.numpy(), axes.numpy(), points.float().numpy(), labels.numpy(), probe, dict(accuracy or {}))

    def place(self, codes: Tensor) -> np.ndarray:
        """[N, D] codes -> [N, 2] points on the plane."""
        return (codes.detach().double().numpy() - self.mean) @ self.axes.T

    def arrays(self, name: str) -> dict[str, np.ndarray]:
        arrays = {"mean": self.mean, "axes": self.axes, "points": self.points, "labels": self.labels,
                  "weight": self.probe.weight.numpy(), "bias": self.probe.bias.numpy()}  # fmt: skip
        return {f"{name}/{key}": value for key, value in arrays.items()}


def save_maps(maps: dict[str, CodeMap], path: str | os.PathLike) -> None:
    """Write the maps to one .npz (float32; the accuracies as JSON in it), atomically."""
    arrays = {key: np.asarray(value, dtype=np.int64 if key.endswith("labels") else np.float32)
              for name, one in maps.items() for key, value in one.arrays(name).items()}  # fmt: skip
    arrays["accuracy.json"] = np.frombuffer(json.dumps({n: m.accuracy for n, m in maps.items()}).encode(), np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def load_maps(path: str | os.PathLike) -> dict[str, CodeMap]:
    with np.load(path) as data:
        accuracy = json.loads(data["accuracy.json"].tobytes())
        maps = {}
        for name in accuracy:
            one = {key: data[f"{name}/{key}"] for key in ("mean", "axes", "points", "labels", "weight", "bias")}
            probe = Probe(torch.from_numpy(one["weight"]).double(), torch.from_numpy(one["bias"]).double())
            plane = one["mean"].astype(np.float64), one["axes"].astype(np.float64)
            maps[name] = CodeMap(*plane, one["points"], one["labels"], probe, accuracy[name])
    return maps


def interpolate(model: nn.Module | None, a: Tensor, b: Tensor, *, steps: int = FRAMES) -> Tensor:
    """[steps,1,28,28]: the images along the straight line from digit `a` to digit `b` ([1,1,28,28] each).

    model: decode the points of the line between everything its decoder gets from each digit
    (`model.decoder_inputs`: the code; for the U-Net, its bottleneck and its skips too); None: the line in pixels.
    """
    t = torch.linspace(0, 1, steps).view(-1, 1, 1, 1)
    if model is None:
        return (1 - t) * a + t * b
    with torch.inference_mode():
        ends = zip(model.decoder_inputs(a), model.decoder_inputs(b), strict=True)
        line = [(1 - t.view(-1, *[1] * (x.dim() - 1))) * x + t.view(-1, *[1] * (x.dim() - 1)) * y for x, y in ends]
        return model.decode(line).float()


def evaluate_probes(
    model: nn.Module | None,
    train: tuple[Tensor, Tensor],
    test: tuple[Tensor, Tensor],
    kinds: tuple[str, ...],
    *,
    strength: float = 0.5,
    seeds: tuple[int, ...] = (0, 1, 2),
    per_class: int = 100,
    noise_seed: int = 1234,
) -> tuple[dict[str, dict[str, list[float]]], Probe]:
    """Probe accuracies on `model`'s codes (None: the pixels), one per seed of the labelled pick.

    Returns ({"clean" or kind: {"clean probe": [...], "noisy probe": [...]}}, the first seed's clean probe).
    "clean probe": trained on clean codes, tested on codes of the test digits under that setting; "noisy probe":
    trained on codes of the labelled digits under the same kind and strength (no entry for "clean").
    """
    from .noise import corrupt

    (images, labels), (test_images, test_labels) = train, test
    noisy = lambda x, kind, seed: corrupt(x, kind, strength, generator=torch.Generator().manual_seed(seed))  # noqa: E731
    test_codes = {"clean": codes_of(model, test_images)}
    test_codes |= {kind: codes_of(model, noisy(test_images, kind, noise_seed)) for kind in kinds}
    scores = {setting: {"clean probe": []} | ({"noisy probe": []} if setting != "clean" else {})
              for setting in test_codes}  # fmt: skip
    first = None
    for seed in seeds:
        pick = few_labels(labels, per_class=per_class, seed=seed)
        probe = fit_probe(codes_of(model, images[pick]), labels[pick])
        first = first or probe
        for setting, codes in test_codes.items():
            scores[setting]["clean probe"].append(probe.accuracy(codes, test_labels))
        for kind in kinds:
            noisy_codes = codes_of(model, noisy(images[pick], kind, noise_seed + 1 + seed))
            scores[kind]["noisy probe"].append(
                fit_probe(noisy_codes, labels[pick]).accuracy(test_codes[kind], test_labels)
            )
    return scores, first
