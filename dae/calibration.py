"""How far to trust the classifier's confidence: temperature scaling and the expected calibration error.

    temperature = calibrate(classifier, val_images, val_labels)     # held-out digits, clean and corrupted
    report = calibration_report(classifier, test_images, test_labels)  # accuracy, confidence, ECE per setting

Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural
Networks") divides the logits by one number T: the readings keep their order
(the same top class), only the confidence changes. Guo et al. fit T by the
negative log-likelihood (`fit_temperature`); on a set that mixes clean digits
with corrupted ones, that is ruled by the many easy images, and the hard
settings stay off. `calibrate` picks the T whose worst expected calibration
error over the settings the evaluation reports is smallest, measured on the
held-out validation digits, never the test digits. `DigitClassifier` stores T
in its config and divides by it in `forward`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .evaluation import noisy_versions, run_model
from .kinds import NOISE_KINDS

ECE_BINS = 15  # Guo et al.'s choice
ECE_GOAL = 0.05
# where the ECE is measured and calibrated: the clean digits, and each kind at strength 0.5
REPORT_SETTINGS = tuple((kind, 0.5) for kind in NOISE_KINDS)
TEMPERATURES = [round(0.4 + 0.01 * i, 2) for i in range(161)]  # the candidates `calibrate` tries: 0.4 to 2


def expected_calibration_error(probabilities: Tensor, labels: Tensor, bins: int = ECE_BINS) -> float:
    """ECE: the gap between confidence and accuracy, averaged over `bins` equal-width confidence bins by their size.

    probabilities: [N, classes], rows summing to 1; labels: [N].
    """
    confidence, predicted = probabilities.float().max(dim=1)
    correct = (predicted == labels).float()
    # bin i holds confidences in (i/bins, (i+1)/bins]
    which = (confidence * bins).ceil().long().clamp(1, bins) - 1
    # sum over bins of |bin| / N * |mean confidence - accuracy| = sum of |sum of (confidence - correct)| / N
    gap = torch.zeros(bins).index_add_(0, which, confidence - correct)
    return (gap.abs().sum() / max(1, len(labels))).item()


def fit_temperature(logits: Tensor, labels: Tensor) -> float:
    """Guo et al.'s T: the T > 0 minimising the cross-entropy of softmax(logits / T) (LBFGS on log T)."""
    logits, labels = logits.detach().float(), labels.detach()
    log_t = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.exp().item())


def setting_sets(images: Tensor, *, seed: int = 1234, draws: int = 1) -> dict[str, Tensor]:
    """{"clean": images, "gaussian 0.5": ..., ...}: each of REPORT_SETTINGS `draws` times over, each draw its own
    noise, concatenated (more draws: a steadier ECE from few digits)."""
    sets = {"clean": images}
    for draw in range(draws):
        for name, noisy in noisy_versions(images, REPORT_SETTINGS, seed=seed + 100 * draw).items():
            sets[name] = torch.cat([sets[name], noisy]) if name in sets else noisy
    return sets


def calibrate(classifier: nn.Module, images: Tensor, labels: Tensor, *, draws: int = 4, seed: int = 4321) -> float:
    """The temperature, from TEMPERATURES, whose largest ECE over `setting_sets` of these (held-out) digits is
    smallest. The classifier's own temperature is ignored while measuring; set the result with its `calibrate`."""
    raw = getattr(classifier, "logits", classifier)  # undivided logits
    sets = setting_sets(images, seed=seed, draws=draws)
    classifier.eval()
    with torch.no_grad():
        logits = {name: torch.cat([raw(chunk).float() for chunk in x.split(1000)]) for name, x in sets.items()}
    targets = {name: labels.repeat(len(x) // len(labels)) for name, x in sets.items()}
    return min(TEMPERATURES, key=lambda t: worst_ece(logits, targets, t))


def worst_ece(logits: dict[str, Tensor], labels: dict[str, Tensor], temperature: float = 1.0) -> float:
    """The largest ECE over several sets' logits, each divided by `temperature`."""
    return max(
        expected_calibration_error(torch.softmax(z / temperature, 1), labels[name]) for name, z in logits.items()
    )


def calibration_report(classifier: nn.Module, images: Tensor, labels: Tensor, *, seed: int = 1234) -> dict:
    """{"clean": {...}, "gaussian 0.5": {...}, ...}: each with the classifier's accuracy, mean confidence and ECE."""
    report = {}
    for name, inputs in setting_sets(images, seed=seed).items():
        probabilities = torch.softmax(run_model(classifier, inputs), dim=1)
        confidence, predicted = probabilities.max(dim=1)
        report[name] = {
            "accuracy": (predicted == labels).float().mean().item(),
            "confidence": confidence.mean().item(),
            "ece": expected_calibration_error(probabilities, labels),
        }
    return report
