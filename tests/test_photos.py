"""to_mnist reads phone photos of a digit on paper: made in code from real MNIST digits (see paper.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from paper import INKS, LIGHTS, PAPERS, aligned_psnr, paper_photo

from dae.preprocess import BlankImageError, open_image, to_mnist

CASES = list(itertools.product(PAPERS, INKS, LIGHTS, (False, True)))  # 24: every paper, ink, light, white/grey
FRACTIONS = (0.15, 0.3, 0.45, 0.6)  # of the short side: the range the page promises
SIZES = ((800, 600), (640, 480), (1600, 1200), (600, 800))


def photo_of(digits, k: int) -> tuple[np.ndarray, bytes]:
    paper, ink, light, grey = CASES[k]
    digit = digits[k, 0].numpy()
    data = paper_photo(
        digit,
        paper=paper,
        ink=ink,
        light=light,
        grey=grey,
        size=SIZES[k % 4],
        fraction=FRACTIONS[k % 4],
        centre=(0.3 + 0.1 * (k % 5), 0.35 + 0.1 * (k % 4)),
        pen=(0.05, 0.07, 0.1)[k % 3],
        seed=k,
    )
    return digit, data


@pytest.fixture(scope="module")
def recovered(digits) -> list[float]:
    scores = []
    for k in range(len(CASES)):
        digit, data = photo_of(digits, k)
        scores.append(aligned_psnr(to_mnist(open_image(data)), digit))
    return scores


@pytest.mark.parametrize("k", range(len(CASES)), ids=["-".join(map(str, case)) for case in CASES])
def test_each_paper_photo_gives_back_its_digit(recovered, k):
    # a photo read as a clean sketch (the code before paper_ink) scored 9.2 to 12.2 dB here: a small digit in a frame
    assert recovered[k] > 12.5, f"{CASES[k]}: {recovered[k]:.1f} dB"


def test_paper_photos_on_average(recovered):
    print(f"paper photos: aligned PSNR mean {np.mean(recovered):.2f} dB, min {np.min(recovered):.2f} dB")
    assert np.mean(recovered) > 17.5  # 10.8 dB before paper_ink


def test_a_photo_of_empty_paper_is_blank(digits):
    data = paper_photo(np.zeros((28, 28), np.float32), paper="ruled", light="shadow", seed=1)
    with pytest.raises(BlankImageError):
        to_mnist(open_image(data))


def test_the_models_beat_the_noise_on_a_paper_photo(app_module, digits):
    digit, data = photo_of(digits, 5)
    result = app_module.LAB.compare(to_mnist(open_image(data)), "gaussian", 0.5, seed=0)
    assert result.scores["conv"]["psnr"] > result.scores["noisy"]["psnr"] + 3
    assert result.scores["linear"]["psnr"] > result.scores["noisy"]["psnr"] + 2
