"""The classifier's confidence: expected calibration error, temperature scaling, and 'no clear digit'."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from conftest import seeded

from dae import NOISE_KINDS, DigitClassifier, load_model, save_model
from dae.calibration import calibrate, expected_calibration_error, fit_temperature, setting_sets, worst_ece
from dae.comparison import identity_flips
from ui.panels import reading_text


def test_ece_is_zero_when_confidence_matches_accuracy_and_the_gap_when_it_does_not():
    labels = torch.zeros(1000, dtype=torch.long)
    # every image 80% sure of class 0, and class 0 is right for 800 of them
    probabilities = torch.full((1000, 10), 0.2 / 9)
    probabilities[:, 0] = 0.8
    labels[800:] = 1
    assert expected_calibration_error(probabilities, labels) < 1e-5  # float rounding
    # 100% sure, right half the time: a gap of 0.5
    sure = torch.zeros(1000, 10)
    sure[:, 0] = 1.0
    halves = torch.cat([torch.zeros(500), torch.ones(500)]).long()
    assert abs(expected_calibration_error(sure, halves) - 0.5) < 1e-6


def test_fit_temperature_recovers_the_temperature_the_labels_were_drawn_at():
    logits = torch.randn(20000, 10, generator=seeded(0)) * 4
    labels = torch.multinomial(torch.softmax(logits / 3.0, dim=1), 1, generator=seeded(1)).flatten()
    assert abs(fit_temperature(logits, labels) - 3.0) < 0.15
    before = expected_calibration_error(torch.softmax(logits, 1), labels)
    after = expected_calibration_error(torch.softmax(logits / fit_temperature(logits, labels), 1), labels)
    assert before > 0.1 and after < 0.02


def test_a_calibrated_classifier_divides_its_logits_and_keeps_the_temperature_in_its_checkpoint(tmp_path, digits):
    torch.manual_seed(0)
    model = DigitClassifier().eval()
    raw = model.logits(digits[:8])
    model.calibrate(2.5)
    assert torch.allclose(model(digits[:8]), raw / 2.5)
    assert torch.equal(model.probabilities(digits[:8]).argmax(1), raw.argmax(1))  # the same readings, less sure
    save_model(model, tmp_path / "classifier")
    again = load_model(tmp_path / "classifier")
    assert again.temperature == 2.5 and torch.allclose(again(digits[:8]), model(digits[:8]), atol=1e-6)


def test_the_setting_sets_are_the_clean_digits_and_each_kind_at_half_strength_drawn_again_and_again(digits):
    sets = setting_sets(digits[:16], draws=3)
    assert list(sets) == ["clean", *(f"{kind} 0.5" for kind in NOISE_KINDS)]
    assert torch.equal(sets["clean"], digits[:16])
    gaussian = sets["gaussian 0.5"]
    assert gaussian.shape == (48, 1, 28, 28) and not torch.equal(gaussian[:16], gaussian[16:32])  # new noise each draw


def test_calibrate_finds_the_temperature_that_makes_an_overconfident_reader_honest(digits):
    labels = torch.arange(len(digits)) % 10
    guesses = torch.where(torch.arange(len(digits)) < len(digits) // 2, labels, (labels + 1) % 10)  # half right

    class Sure(torch.nn.Module):
        """Always 4 logits up on its guess: 86% sure at T = 1, right half the time."""

        def forward(self, x):
            return 4.0 * F.one_hot(guesses[: len(x)], 10).float()

    temperature = calibrate(Sure(), digits, labels, draws=1)
    assert abs(temperature - 4 / math.log(9)) < 0.015  # where softmax gives the guess exactly 50%
    logits = {"clean": Sure()(digits)}
    assert worst_ece(logits, {"clean": labels}, 1.0) > 0.35 and worst_ece(logits, {"clean": labels}, temperature) < 0.01


def test_a_reading_under_half_is_no_clear_digit_and_never_an_identity_flip():
    assert reading_text((8, 0.49)).startswith('<span class="unclear"') and "no clear digit" in reading_text((8, 0.49))
    assert "8" not in reading_text((8, 0.49)).split(">", 1)[1]  # the number is only in the tooltip
    assert reading_text((8, 0.5)) == "reads <strong>8</strong> · 50%"
    assert reading_text((8, 0.996)) == "reads <strong>8</strong> · >99%"  # never "100%"
    assert "identity flip" in reading_text((1, 0.9), clean=(7, 0.99))
    assert "identity flip" not in reading_text((1, 0.9), clean=(7, 0.3))  # the clean digit itself is unclear
    readings = {"clean": (7, 0.99), "linear": (1, 0.4), "conv": (1, 0.6)}
    assert identity_flips(readings) == ["conv"]
