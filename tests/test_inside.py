"""The digit classifier, the readings under the panels, and the Inside view (dae.inside, ui/inside.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import FIXTURES, ROOT, seeded

from dae import ConvDAE, DigitClassifier, LinearDAE, UNetDAE, load_dataset, load_model
from dae.comparison import Comparison, identity_flips
from dae.inside import REPEATS, TOP_FILTERS, Inside, look_inside, read_digits, repeat_denoising, skip_effect
from dae.lab import DenoisingLab
from ui.inside import SIGNED_PALETTE, inside_html, mosaic, signed_indices, skip_sentence
from ui.panels import panels_html


@pytest.fixture(scope="module")
def classifier():
    return load_model(ROOT / "checkpoints" / "classifier").eval()


@pytest.fixture(scope="module")
def shipped_lab():
    return DenoisingLab.from_checkpoints(ROOT / "checkpoints")


def test_the_shipped_classifier_reads_the_fixture_digits(classifier):
    images, labels = load_dataset("mnist", train=False, root=FIXTURES)
    with torch.inference_mode():
        scores = classifier(images)
    assert scores.shape == (len(images), 10)
    accuracy = (scores.argmax(1) == labels).float().mean().item()
    assert accuracy >= 0.98, accuracy  # measured: see docs/results.md; 99.0% on the full 10,000 test digits


def test_read_digits_gives_label_and_confidence(classifier, digits):
    readings = read_digits(classifier, digits[:4])
    assert len(readings) == 4
    for label, confidence in readings:
        assert 0 <= label <= 9 and 0.1 <= confidence <= 1.0


def small_models():
    torch.manual_seed(0)
    linear = LinearDAE(hidden=(32,), bottleneck=8).eval()
    conv = ConvDAE(channels=(4, 8, 8), blocks=(0, 1, 1), code_channels=3).eval()
    plain = LinearDAE(hidden=(32,), bottleneck=8).eval()
    return linear, conv, plain, DigitClassifier(channels=(4, 8), hidden=16).eval()


def test_look_inside_shapes_and_error_maps(digits):
    linear, conv, plain, classifier = small_models()
    clean = digits[:1]
    noisy = (clean + 0.3 * torch.randn(clean.shape, generator=seeded(1))).clamp(0, 1)
    inside = look_inside(linear, conv, noisy, clean, classifier=classifier, plain=plain)
    assert inside.linear_code.shape == (8,)
    assert inside.conv_code.shape == (3, 7, 7)
    assert inside.filters.shape == (TOP_FILTERS, 28, 28)
    assert inside.feature_maps.shape == (4, 28, 28)
    assert set(inside.outputs) == set(inside.errors) == {"linear", "conv", "plain"}
    for name, model in {"linear": linear, "conv": conv, "plain": plain}.items():
        with torch.inference_mode():
            expected = model(noisy)[0, 0].numpy()
        np.testing.assert_allclose(inside.outputs[name], expected, atol=1e-6)
        np.testing.assert_allclose(inside.errors[name], expected - clean[0, 0].numpy(), atol=1e-6)
    # the filters are the first-layer rows with the largest responses, in order
    with torch.inference_mode():
        responses = linear.net[0](noisy.flatten(1))[0]
    assert inside.filter_responses == sorted(inside.filter_responses, reverse=True)
    assert inside.filter_responses[0] == pytest.approx(responses.max().item(), abs=1e-5)
    assert inside.repeats["linear"].shape == (REPEATS, 28, 28)
    assert len(inside.repeat_readings["conv"]) == REPEATS
    assert set(inside.readings) == {"clean", "noisy", "linear", "conv", "plain"}
    np.testing.assert_allclose(inside.noisy, noisy[0, 0].numpy())
    assert skip_effect(inside) is None and "skip connections" not in inside_html(inside)


def test_look_inside_runs_the_unet_with_and_without_its_skips(digits):
    linear, conv, _, classifier = small_models()
    unet = UNetDAE(channels=(4, 8), blocks=1).eval()
    clean = digits[:1]
    noisy = (clean + 0.3 * torch.randn(clean.shape, generator=seeded(2))).clamp(0, 1)
    inside = look_inside(linear, conv, noisy, clean, classifier=classifier, unet=unet)
    with torch.inference_mode():
        expected = {"unet": unet(noisy), "unet_no_skips": unet.without_skips(noisy)}
    assert not torch.allclose(expected["unet"], expected["unet_no_skips"])  # the skips change the output
    for name, image in expected.items():
        np.testing.assert_allclose(inside.outputs[name], image[0, 0].numpy(), atol=1e-6)
        assert name in inside.readings and name in inside.psnr
    effect = skip_effect(inside)
    assert effect.gain_db == pytest.approx(inside.psnr["unet"] - inside.psnr["unet_no_skips"])
    assert "What the U-Net's skip connections carry" in inside_html(inside)


def test_what_the_skips_carried_is_counted_pixel_by_pixel():
    zeros = np.zeros((28, 28), np.float32)
    clean, with_skips, without = zeros.copy(), zeros.copy(), zeros.copy()
    clean[5:20, 10:14] = 1.0  # a stroke
    without[5:20, 10:14] = 0.4  # the bottleneck alone: a faint stroke
    with_skips[5:20, 10:14] = 0.9  # the skips restore it (15 x 4 pixels, 0.5 closer each = 30)...
    with_skips[0, :10] = 0.3  # ...and carry some noise (10 pixels, 0.3 further each = 3)
    inside = Inside(
        noisy=zeros, outputs={"unet": with_skips, "unet_no_skips": without},
        errors={"unet": with_skips - clean, "unet_no_skips": without - clean},
        linear_code=zeros[0], conv_code=zeros[None], filters=zeros[None], filter_responses=[0.0],
        feature_maps=zeros[None], repeats={}, psnr={"unet": 20.0, "unet_no_skips": 14.5},
    )  # fmt: skip
    effect = skip_effect(inside)
    assert effect.toward == pytest.approx(30.0) and effect.away == pytest.approx(3.0)
    assert effect.away_share == pytest.approx(3 / 33) and effect.gain_db == pytest.approx(5.5)
    assert "+5.5 dB of detail" in skip_sentence(effect.gain_db, effect.away_share)
    assert "some noise too: 20%" in skip_sentence(2.0, 0.2)
    assert "cost 1.5 dB" in skip_sentence(-1.5, 0.6)


def test_repeated_denoising_applies_the_model_to_its_own_output(digits):
    linear, *_ = small_models()
    with torch.inference_mode():
        steps = repeat_denoising(linear, digits[:1], 3)
        assert torch.allclose(steps[2:3], linear(linear(linear(digits[:1]))), atol=1e-6)
        # from a first step already known: the chain continues from it, whatever it is
        known = digits[1:2]
        continued = repeat_denoising(linear, digits[:1], 3, first=known)
        assert torch.equal(continued[0:1], known) and torch.allclose(continued[2:3], linear(linear(known)), atol=1e-6)


def test_the_shipped_lab_inspects_the_same_noisy_input_it_compares(shipped_lab, digits):
    digit = digits[0, 0].numpy()
    result = shipped_lab.compare(digit, "masking", 0.5, seed=3, curve=False)
    inside = shipped_lab.inspect(digit, "masking", 0.5, seed=3)
    np.testing.assert_allclose(inside.noisy, result.noisy)
    assert inside.readings["clean"][0] == result.readings["clean"][0]
    np.testing.assert_array_equal(inside.outputs["conv"], result.conv)
    np.testing.assert_array_equal(inside.outputs["unet"], result.unet)
    # the DAE beats the plain autoencoder on noisy input: what the noise in training does
    assert inside.psnr["linear"] > inside.psnr["plain"] + 1.0
    # the shipped U-Net leans on its skips: without them, far from the clean digit
    assert inside.psnr["unet"] > inside.psnr["unet_no_skips"] + 1.0
    html = inside_html(inside)
    # one picture each: 3 error maps, 3 in the plain card, 4 in the skips card, 2 codes, the filters, the feature
    # maps, 2 repeat rows
    assert html.count("<img") == 3 + 3 + 4 + 2 + 1 + 1 + 2
    assert html.count('class="strip-labels"') == 3 and html.count("reads <strong>") >= 3 + 2 * REPEATS


def test_the_inside_view_continues_from_the_comparison_before_it(shipped_lab, digits, monkeypatch):
    runs = []
    forward = shipped_lab._conv_forward
    monkeypatch.setattr(shipped_lab, "_conv_forward", lambda x: runs.append(len(x)) or forward(x))
    digit = digits[5, 0].numpy()
    fresh = shipped_lab.inspect(digit, "gaussian", 0.4, seed=8)
    assert runs == [1] * REPEATS  # nothing to start from: the whole chain
    runs.clear()
    result = shipped_lab.compare(digit, "gaussian", 0.4, seed=8)  # the conv model on the curve's five strengths
    inside = shipped_lab.inspect(digit, "gaussian", 0.4, seed=8)
    assert runs == [5] + [1] * (REPEATS - 1)  # the chain's first step is the comparison's output
    np.testing.assert_array_equal(inside.repeats["conv"][0], result.conv)
    np.testing.assert_array_equal(inside.repeats["linear"][0], result.linear)
    assert np.abs(fresh.outputs["conv"] - inside.outputs["conv"]).max() < 0.02  # batch of 5 or 1: bf16 rounding


def comparison(readings: dict) -> Comparison:
    zeros = np.zeros((28, 28), np.float32)
    scores = {name: {"psnr": 20.0 + i, "ssim": 0.5} for i, name in enumerate(("noisy", "linear", "conv"))}
    return Comparison(zeros, zeros, zeros, zeros, scores, "conv", readings=readings)


def test_an_identity_flip_is_marked_under_its_panel_only():
    readings = {"clean": (7, 0.99), "noisy": (7, 0.6), "linear": (1, 0.8), "conv": (7, 0.97)}
    assert identity_flips(readings) == ["linear"]
    html = panels_html("", comparison(readings))
    panels = {name: html.split(f'data-name="{name}"')[1].split("</figure>")[0] for name in readings}
    assert "identity flip" in panels["linear"] and "reads <strong>1</strong> · 80%" in panels["linear"]
    for name in ("clean", "noisy", "conv"):
        assert "identity flip" not in panels[name]
    assert "reads <strong>7</strong> · 97%" in panels["conv"]


def test_signed_colours_and_mosaic():
    rgb = SIGNED_PALETTE[signed_indices(np.array([[-1.0, 0.0, 1.0, np.nan]]), 1.0)]
    assert signed_indices(np.array([[-0.5, 0.5, 2.0]]), 1.0).tolist() == [[64, 190, 254]]  # halfway, and clipped
    assert rgb[0, 0].tolist() == [37, 99, 235] and rgb[0, 1].tolist() == [255, 255, 255]
    assert rgb[0, 2].tolist() == [220, 38, 38] and rgb[0, 3].tolist() == [229, 229, 229]
    tiles = mosaic(np.arange(3 * 2 * 2, dtype=np.float32).reshape(3, 2, 2), columns=2)
    assert tiles.shape == (5, 5)
    assert tiles[3, 0] == 8 and np.isnan(tiles[2, 0]) and np.isnan(tiles[3, 3])
