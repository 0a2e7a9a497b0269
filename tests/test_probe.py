"""What the code knows (dae.probe): the linear probe, the maps of codes, the lines between two digits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import FIXTURES, ROOT, seeded

from dae import load_dataset, load_model
from dae.inside import INTERPOLATED
from dae.lab import DenoisingLab
from dae.probe import CodeMap, codes_of, evaluate_probes, few_labels, fit_probe, interpolate, load_maps, save_maps
from ui.codes import between_html, code_maps_section


@pytest.fixture(scope="module")
def fixture_split():
    return load_dataset("mnist", train=True, root=FIXTURES), load_dataset("mnist", train=False, root=FIXTURES)


@pytest.fixture(scope="module")
def dae_models():
    return {name: load_model(ROOT / "checkpoints" / name).eval() for name in ("linear", "conv", "unet")}


def _primal_fit(x: torch.Tensor, labels: torch.Tensor, penalty: float) -> torch.Tensor:
    """The same penalised logistic regression fitted on the centred, scaled codes directly: its logits."""
    x = x.double()
    x = (x - x.mean(0)) / x.std(0).mean()
    weight = torch.zeros(10, x.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(10, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=500, line_search_fn="strong_wolfe")

    def loss():
        optimizer.zero_grad()
        value = torch.nn.functional.cross_entropy(x @ weight.T + bias, labels) + 0.5 * penalty * weight.square().sum()
        value.backward()
        return value

    optimizer.step(loss)
    return (x @ weight.T + bias).detach()


@pytest.mark.parametrize("width", [20, 300])  # fewer units than examples, and more
def test_the_probe_fitted_in_the_codes_span_is_the_direct_fit(width):
    generator = seeded(width)
    labels = torch.arange(100) % 10
    codes = torch.randn(10, width, generator=generator)[labels] + 2 * torch.randn(100, width, generator=generator)
    direct = _primal_fit(codes, labels, 1e-2)
    probe = fit_probe(codes, labels, penalty=1e-2)
    assert torch.equal(probe.predict(codes), direct.argmax(1))
    # the same logits up to a constant per example (softmax ignores it)
    difference = probe.logits(codes) - direct
    assert (difference - difference.mean(1, keepdim=True)).abs().max() < 1e-3


def test_a_probe_on_pixels_reads_unseen_digits_far_above_chance(fixture_split):
    (images, labels), (test, test_labels) = fixture_split
    probe = fit_probe(codes_of(None, images), labels)
    assert probe.accuracy(codes_of(None, test), test_labels) > 0.7  # 256 training digits; chance is 0.1


def test_few_labels_picks_as_many_of_each_class_and_the_seed_decides_which(fixture_split):
    (_, labels), _ = fixture_split
    pick = few_labels(labels, per_class=5, seed=0)
    assert torch.bincount(labels[pick], minlength=10).tolist() == [5] * 10
    assert torch.equal(pick, few_labels(labels, per_class=5, seed=0))
    assert not torch.equal(pick, few_labels(labels, per_class=5, seed=1))


def test_the_same_seeds_give_the_same_probe_figures(fixture_split, dae_models):
    train, (test, test_labels) = fixture_split
    run = lambda: evaluate_probes(dae_models["linear"], train, (test[:100], test_labels[:100]), ("masking",),  # noqa: E731
                                  seeds=(0, 1), per_class=8)[0]  # fmt: skip
    first = run()
    assert first == run()
    assert set(first) == {"clean", "masking"} and len(first["masking"]["noisy probe"]) == 2
    assert first["clean"]["clean probe"][0] > 0.5


def test_each_dae_decodes_what_its_encoder_hands_its_decoder(digits, dae_models):
    with torch.inference_mode():
        for name, model in dae_models.items():
            inputs = model.decoder_inputs(digits[:4])
            assert torch.allclose(model.decode(inputs), model(digits[:4]), atol=1e-6), name
            assert model.encode(digits[:4]).shape[0] == 4
        # the U-Net's code is its bottleneck (7x7 maps); its decoder also gets the skips
        assert dae_models["unet"].encode(digits[:1]).shape[-2:] == (7, 7)
        assert len(dae_models["unet"].decoder_inputs(digits[:1])) == 3


def test_an_interpolation_runs_from_one_reconstruction_to_the_other(digits, dae_models):
    a, b = digits[0:1], digits[1:2]
    pixels = interpolate(None, a, b, steps=8)
    assert pixels.shape == (8, 1, 28, 28)
    assert (
        torch.equal(pixels[0], a[0])
        and torch.allclose(pixels[-1], b[0])
        and torch.allclose(pixels[3], a[0] + 3 / 7 * (b[0] - a[0]))
    )
    with torch.inference_mode():
        for name, model in dae_models.items():
            frames = interpolate(model, a, b)
            assert torch.allclose(frames[0], model(a)[0], atol=1e-5) and torch.allclose(
                frames[-1], model(b)[0], atol=1e-5
            )
            assert not torch.allclose(frames[3], frames[4]), name  # it moves


def test_a_map_places_its_own_digits_where_it_drew_them_and_survives_a_round_trip(tmp_path, digits, dae_models):
    labels = torch.arange(len(digits)) % 10
    codes = codes_of(dae_models["conv"], digits)
    one = CodeMap.fit(codes, labels, fit_probe(codes[:100], labels[:100]), {"clean": 0.9, "masking": 0.8})
    np.testing.assert_allclose(one.place(codes), one.points, atol=1e-3)
    save_maps({"conv": one}, tmp_path / "maps.npz")
    back = load_maps(tmp_path / "maps.npz")["conv"]
    np.testing.assert_allclose(back.place(codes), one.points, atol=1e-3)
    assert back.accuracy == {"clean": 0.9, "masking": 0.8}
    assert torch.equal(back.probe.predict(codes), one.probe.predict(codes))


@pytest.fixture(scope="module")
def shipped_lab():
    return DenoisingLab.from_checkpoints(ROOT / "checkpoints")


def test_the_inside_view_places_the_digit_and_its_noisy_version_on_every_map(shipped_lab, digits):
    inside = shipped_lab.inspect(digits[0, 0].numpy(), "masking", 0.5, seed=1)
    assert set(inside.code_maps) == {"pixels", "linear", "plain", "conv", "unet"}
    html = code_maps_section(inside.code_maps, "masking")
    for name, view in inside.code_maps.items():
        assert f'data-model="{name}"' in html and view.clean != view.noisy
        assert view.reads[0] == 7  # the fixture's first digit is a 7; every probe reads its clean code right
    # the probe's figures under the kind on view, as evaluate.py measured them
    masked = inside.code_maps["linear"].accuracy["masking"]
    assert "Masking (dropout) at 0.5" in html and f"Linear DAE {masked:.0%}" in html and 0.5 < masked < 1


def test_the_lab_walks_between_two_digits_in_every_code(shipped_lab, digits):
    lines = shipped_lab.interpolate(digits[0, 0].numpy(), digits[1, 0].numpy())
    assert list(lines) == list(INTERPOLATED)
    for frames, readings in lines.values():
        assert frames.shape == (8, 28, 28) and frames.dtype == np.uint8 and len(readings) == 8
    assert lines["pixels"][1][0][0] == 7 and lines["pixels"][1][-1][0] == 2  # the fixture's first two digits
    html = between_html(lines, "example 2")
    assert html.count('class="between-row"') == 4 and 'data-readings="7 ' in html
    with pytest.raises(ValueError, match="valid models: pixels, linear, conv, unet"):
        shipped_lab.interpolate(digits[0, 0].numpy(), digits[1, 0].numpy(), ("plain",))
