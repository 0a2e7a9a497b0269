"""The novelty score (dae.novelty), the drawings it is measured on (dae.drawings), and what the page says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import FIXTURES, STAR, page_drawing
from PIL import Image, ImageDraw, ImageFont

from dae import load_dataset, to_mnist
from dae.checkpoint import read_config
from dae.comparison import Comparison, looks_like_a_digit
from dae.drawings import CANVAS, FAMILIES, SHAPES, drawn_digit, not_digits, photographed_digit
from dae.lab import DenoisingLab
from dae.novelty import (
    CODE,
    DRAWS,
    ENSEMBLE,
    NOISE,
    Novelty,
    denoising_distance,
    energy,
    load_models,
    mean_energy,
    model_paths,
    noised,
)
from dae.preprocess import open_image
from ui.panels import headline, panels_html

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def lab():
    return DenoisingLab.from_checkpoints(ROOT / "checkpoints")


def test_fit_puts_the_threshold_above_all_but_the_stated_share_of_each_kind_of_digit():
    rng = np.random.default_rng(0)
    kinds = {
        "mnist": (np.exp(rng.normal(-2, 0.1, 2000)), rng.normal(-20, 5, 2000)),
        "drawn": (np.exp(rng.normal(-1.9, 0.2, 2000)), rng.normal(-18, 6, 2000)),  # a wider kind sets it
    }
    novelty = Novelty.fit(kinds, false_flags=0.02)
    shares = {name: np.mean(novelty.flags(novelty.score(*k))) for name, k in kinds.items()}
    assert shares["drawn"] == pytest.approx(0.02, abs=0.001) and shares["mnist"] < 0.02
    assert novelty.share_below(novelty.threshold) == pytest.approx(1 - 0.01, abs=0.01)  # of both kinds pooled
    assert novelty.share_below(-1e9) == 0 and novelty.share_below(1e9) == 1
    far = novelty.score([1.0], [0.0])  # moved far, and a classifier with no favourite: not a digit
    assert novelty.flags(far).all() and not novelty.flags(novelty.score([np.exp(-2)], [-20])).any()


def test_novelty_is_saved_and_loaded_unchanged(tmp_path):
    rng = np.random.default_rng(1)
    novelty = Novelty.fit({"mnist": (np.exp(rng.normal(-2, 0.1, 500)), rng.normal(-20, 5, 500))})
    novelty.save(tmp_path / "novelty.json")
    assert Novelty.load(tmp_path / "novelty.json") == novelty
    assert [p.name for p in tmp_path.iterdir()] == ["novelty.json"]  # no temporary file left behind


def test_the_distance_is_what_the_denoiser_moves_the_noisy_input_by():
    images = torch.rand(3, 1, 28, 28)
    assert noised(images).shape == (3 * DRAWS, 1, 28, 28)
    assert torch.equal(noised(images), noised(images))  # fixed draws: the same input, the same score
    perfect = denoising_distance(lambda noisy: images.repeat_interleave(DRAWS, 0), images)
    assert torch.allclose(perfect, torch.zeros(3))
    identity = denoising_distance(lambda noisy: noisy, images)  # moves nothing back: the noise's size (clipped)
    assert ((identity > 0.2 * NOISE) & (identity < NOISE)).all()
    expected = [-np.log(2), -10 - np.log1p(np.exp(-10))]
    assert energy(torch.tensor([[0.0, 0.0], [10.0, 0.0]])).tolist() == pytest.approx(expected)


def test_the_energy_is_averaged_over_the_classifiers():
    sure, unsure = torch.tensor([[10.0, 0.0]]), torch.tensor([[0.0, 0.0]])
    classifiers = [lambda x, out=out: out.expand(len(x), 2) for out in (sure, unsure)]
    expected = (energy(sure) + energy(unsure)) / 2
    assert torch.allclose(mean_energy(classifiers, torch.zeros(3, 1, 28, 28)), expected.expand(3))


def test_the_shipped_score_has_its_own_narrow_dae_and_classifiers_trained_on_drawn_digits_too():
    dae, classifiers = load_models(ROOT / "checkpoints" / "novelty")
    assert dae.encode(torch.zeros(1, 1, 28, 28)).shape == (1, CODE) and len(classifiers) == ENSEMBLE
    denoiser_path, classifier_paths = model_paths(ROOT / "checkpoints" / "novelty")
    configs = [read_config(path) for path in (denoiser_path, *classifier_paths)]
    assert all(config["metadata"]["drawn_images"] > 0 for config in configs)
    assert len({config["metadata"]["seed"] for config in configs[1:]}) == ENSEMBLE  # an ensemble, not one model


def test_drawings_are_made_the_pages_way():
    images, _ = load_dataset("mnist", train=False, root=FIXTURES)
    drawing = drawn_digit(images[0, 0].numpy(), seed=1)
    assert drawing.size == (CANVAS, CANVAS) and drawing.mode == "RGB"
    assert to_mnist(drawing).max() == pytest.approx(1.0)
    assert to_mnist(open_image(photographed_digit(images[0, 0].numpy(), seed=2))).shape == (28, 28)
    for family in FAMILIES:
        made = not_digits(family, 3, seed=0, clothing=np.ones((2, 28, 28), np.float32))
        assert len(made) == 3 and all(to_mnist(image).max() > 0.9 for image in made)
    assert len(not_digits("shapes", len(SHAPES))) == len(SHAPES)
    with pytest.raises(ValueError, match="family must be one of"):
        not_digits("clothing", 2)  # clothing needs images of clothing


def sketch(strokes: list[list[tuple[int, int]]]) -> np.ndarray:
    return to_mnist(page_drawing(strokes))


def letter(text: str) -> np.ndarray:
    page = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(page).text((60, 30), text, fill=0, font=ImageFont.load_default(size=200))
    return to_mnist(page)


NON_DIGITS = {  # lines drawn on a 280x280 page
    "a star": lambda: sketch([STAR]),
    "a house": lambda: sketch([[(40, 130), (140, 30), (240, 130), (240, 250), (40, 250), (40, 130), (240, 130)]]),
    "a grid of six lines": lambda: sketch([[(40, 40), (240, 40)], [(40, 140), (240, 140)], [(40, 240), (240, 240)],
                                           [(40, 40), (40, 240)], [(140, 40), (140, 240)], [(240, 40), (240, 240)]]),
    "a T-shirt": lambda: sketch([[(100, 40), (40, 70), (15, 130), (60, 145), (75, 110), (75, 250), (205, 250),
                                  (205, 110), (220, 145), (265, 130), (240, 70), (180, 40), (140, 60), (100, 40)]]),
    "the letter M": lambda: letter("M"),
}  # fmt: skip


@pytest.mark.parametrize("name", NON_DIGITS)
def test_the_shipped_score_flags_drawings_that_are_not_digits(lab, name):
    result = lab.compare(NON_DIGITS[name](), "gaussian", 0.3, curve=False)
    assert result.novelty["flagged"] and not looks_like_a_digit(result), result.novelty["score"]
    assert result.novelty["score"] > result.novelty["threshold"] and result.novelty["share"] > 0.98
    assert "Not a digit?" in headline(result) and 'class="novelty-strip"' in headline(result)


def test_the_shipped_score_lets_digits_through(lab):
    # the examples (MNIST digits), and 40 fixture digits drawn the page's way: at most one may be flagged
    examples = [to_mnist(Image.open(ROOT / "examples" / f"{k}.png")) for k in range(10)]
    images, _ = load_dataset("mnist", train=False, root=FIXTURES)
    drawn = [to_mnist(drawn_digit(images[i, 0].numpy(), seed=i)) for i in range(40)]
    flags = [lab.compare(digit, "gaussian", 0.3, curve=False).novelty["flagged"] for digit in examples + drawn]
    assert not any(flags[:10]) and sum(flags[10:]) <= 1, flags


def comparison(novelty: dict | None) -> Comparison:
    zeros = np.zeros((28, 28), np.float32)
    scores = {name: {"psnr": 20.0 + i, "ssim": 0.5} for i, name in enumerate(("noisy", "linear", "conv"))}
    readings = {"clean": (4, 0.97), "noisy": (4, 0.6), "linear": (4, 0.8), "conv": (4, 0.9)}
    return Comparison(zeros, zeros, zeros, zeros, scores, "conv", readings=readings, novelty=novelty)


def reading(score: float, moved: float) -> dict:
    edges = np.linspace(-2, 4, 7).tolist()
    return dict(score=score, flagged=score > 2, moved=moved, limit=0.15, limit_share=0.985, code=16, share=0.999
                if score > 2 else 0.5, threshold=2.0, edges=edges, counts=[1, 5, 9, 5, 1, 0])  # fmt: skip


def test_a_flagged_input_gets_the_note_and_no_confident_reading():
    for flagged in (reading(3.1, 0.2), reading(2.5, 0.1)):  # moved far; or not far, but the classifier doubts it
        html = panels_html(headline(comparison(flagged)), comparison(flagged))
        clean = html.split('data-name="clean"')[1].split("</figure>")[0]
        assert "Not a digit?" in html and "not a digit?" in clean and "reads <strong>4</strong>" not in clean
        assert 'data-flagged="true"' in html and "over 99%" in html
        assert ("where 98.5% of digits move by less than 0.150" in html) == (flagged["moved"] > 0.15)
        conv = html.split('data-name="conv"')[1].split("</figure>")[0]
        assert "reads <strong>4</strong>" in conv  # the reconstructions keep their readings
    for calm in (reading(0.3, 0.1), None):  # a digit, and a lab without the score: as before
        html = panels_html(headline(comparison(calm)), comparison(calm))
        assert "Not a digit?" not in html and "novelty-strip" not in html and "not a digit?" not in html
        assert ('data-flagged="false"' in html) == (calm is not None)
