"""A fixed, seeded evaluation protocol shared by the training script, the evaluation script and tests.

    results = evaluate(model, test_images)             # {"gaussian 0.25": {"psnr": .., "ssim": ..}, ...}
    print(format_table({"conv": results}))

Each setting corrupts the whole test set with its own fixed seed, so every
method sees exactly the same noisy images.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from .metrics import psnr, ssim
from .noise import corrupt

# The quality bar: (kind, strength) pairs every shipped model is scored on.
PROTOCOL: tuple[tuple[str, float], ...] = (
    ("gaussian", 0.25),
    ("gaussian", 0.5),
    ("gaussian", 0.75),
    ("masking", 0.25),
    ("masking", 0.5),
    ("salt_and_pepper", 0.1),
    ("salt_and_pepper", 0.3),
)
# The other kinds, reported alongside.
EXTRA_SETTINGS: tuple[tuple[str, float], ...] = (
    ("speckle", 0.5),
    ("speckle", 1.0),
    ("poisson", 0.25),
    ("poisson", 0.5),
    ("block", 0.1),
    ("block", 0.2),
)
ALL_SETTINGS = PROTOCOL + EXTRA_SETTINGS


def _uniform(images: Tensor, generator: torch.Generator) -> Tensor:
    noise = torch.rand(images.shape, generator=generator, device=images.device) - 0.5
    return (images + 0.8 * noise).clamp(0, 1)  # additive U(-0.4, 0.4)


def _lines(images: Tensor, generator: torch.Generator) -> Tensor:
    # two random full-length white scratches per image, one row and one column
    n, _, h, w = images.shape
    rows = torch.randint(h, (n,), generator=generator)
    cols = torch.randint(w, (n,), generator=generator)
    out = images.clone()
    out[torch.arange(n), 0, rows, :] = 1.0
    out[torch.arange(n), 0, :, cols] = 1.0
    return out


# Corruptions that are not in NOISE_KINDS, so no model was trained on them.
UNSEEN: dict[str, Callable[[Tensor, torch.Generator], Tensor]] = {
    "unseen: uniform ±0.4": _uniform,
    "unseen: scratches": _lines,
}

Denoise = Callable[[Tensor], Tensor]


def setting_name(kind: str, strength: float) -> str:
    return f"{kind} {strength:g}"


def noisy_versions(
    images: Tensor, settings=ALL_SETTINGS, *, seed: int = 1234, unseen: bool = False
) -> dict[str, Tensor]:
    """The corrupted test set for each setting (and the UNSEEN corruptions), each from its own fixed seed."""
    out = {}
    for i, (kind, strength) in enumerate(settings):
        generator = torch.Generator(device=images.device).manual_seed(seed + i)
        out[setting_name(kind, strength)] = corrupt(images, kind, strength, generator=generator)
    if unseen:
        for i, (name, apply) in enumerate(UNSEEN.items()):
            out[name] = apply(images, torch.Generator(device=images.device).manual_seed(seed + 100 + i))
    return out


@torch.no_grad()
def run_model(model: nn.Module, noisy: Tensor, *, batch_size: int = 1000) -> Tensor:
    """Denoise a whole tensor in batches with `model` in eval mode."""
    model.eval()
    return torch.cat([model(chunk).float() for chunk in noisy.split(batch_size)])


def score(
    clean: Tensor, restored: Tensor, *, labels: Tensor | None = None, classifier: nn.Module | None = None
) -> dict[str, float]:
    """Mean per-image PSNR (dB) and SSIM; with labels and a classifier, also its accuracy on `restored`."""
    scores = {"psnr": psnr(clean, restored).mean().item(), "ssim": ssim(clean, restored).mean().item()}
    if classifier is not None and labels is not None:
        scores["accuracy"] = accuracy(classifier, restored, labels)
    return scores


def accuracy(classifier: nn.Module, images: Tensor, labels: Tensor) -> float:
    """The share of `images` the classifier reads as their label: does the digit survive?"""
    return (run_model(classifier, images).argmax(1) == labels).float().mean().item()


def evaluate(
    method: nn.Module | Denoise,
    images: Tensor,
    settings=ALL_SETTINGS,
    *,
    seed: int = 1234,
    noisy: dict[str, Tensor] | None = None,
    labels: Tensor | None = None,
    classifier: nn.Module | None = None,
) -> dict[str, dict[str, float]]:
    """Score a model (or any function noisy -> restored) on every setting of the protocol.

    With the images' labels and a classifier, each setting also gets "accuracy": the classifier's on the output.
    """
    noisy = noisy if noisy is not None else noisy_versions(images, settings, seed=seed)
    apply = (lambda x: run_model(method, x)) if isinstance(method, nn.Module) else method
    return {
        name: score(images, apply(corrupted), labels=labels, classifier=classifier) for name, corrupted in noisy.items()
    }


def protocol_mean(results: dict[str, dict[str, float]], metric: str = "psnr") -> float:
    """Mean of `metric` over the seven settings of the quality bar."""
    names = [setting_name(k, s) for k, s in PROTOCOL]
    return sum(results[name][metric] for name in names) / len(names)


def format_table(results: dict[str, dict[str, dict[str, float]]], metric: str = "psnr") -> str:
    """A markdown table: one row per method, one column per setting, plus the protocol mean."""
    settings = list(next(iter(results.values())))
    header = ["method", *settings, "mean (7 bar settings)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    formats = {"psnr": "{:.2f}", "ssim": "{:.3f}", "accuracy": "{:.1%}"}
    shown = formats.get(metric, "{:.4f}").format
    for method, scores in results.items():
        cells = [shown(scores[s][metric]) for s in settings]
        has_bar = all(setting_name(k, v) in scores for k, v in PROTOCOL)
        mean = shown(protocol_mean(scores, metric)) if has_bar else ""
        lines.append("| " + " | ".join([method, *cells, mean]) + " |")
    return "\n".join(lines)
