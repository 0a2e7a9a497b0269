"""Fit the novelty score (dae.novelty) on digits alone, and write checkpoints/novelty.json.

    python scripts/calibrate_novelty.py --data-dir ../shared/data

The digits are the first --digits MNIST test digits three ways: as they are,
drawn the page's way (dae.drawings.drawn_digit: a random pen, size, place and
colours, through to_mnist) and photographed on paper (the first --photos of
them). The threshold lets through all but FALSE_FLAGS of each way. The test
digits after --digits are left for scripts/evaluate.py --novelty to measure on;
no image that is not a digit is used here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dae.checkpoint import load_model  # noqa: E402
from dae.data import load_dataset  # noqa: E402
from dae.drawings import drawn_digit, photographed_digit  # noqa: E402
from dae.novelty import FALSE_FLAGS, Novelty, measure  # noqa: E402
from dae.preprocess import open_image, to_mnist  # noqa: E402


def digit_kinds(images: np.ndarray, photos: int, seed: int = 0) -> dict[str, np.ndarray]:
    """MNIST digits (float [N, 28, 28]) as they are, drawn the page's way and photographed, through to_mnist."""
    return {
        "mnist": images,
        "drawn": np.stack([to_mnist(drawn_digit(d, seed + i)) for i, d in enumerate(images)]),
        "photo": np.stack(
            [to_mnist(open_image(photographed_digit(d, seed + i))) for i, d in enumerate(images[:photos])]
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="../shared/data", help="where MNIST is, in torchvision's layout")
    parser.add_argument("--checkpoints", default="checkpoints", help="the linear DAE and classifier to measure with")
    parser.add_argument("--digits", type=int, default=3000, help="MNIST test digits to fit on (from the first)")
    parser.add_argument("--photos", type=int, default=300, help="of them, how many are photographed too")
    args = parser.parse_args()
    folder = Path(args.checkpoints)
    linear, classifier = load_model(folder / "linear").eval(), load_model(folder / "classifier").eval()
    images = load_dataset("mnist", train=False, root=args.data_dir)[0][: args.digits, 0].numpy()
    kinds = {name: measure(linear, classifier, made) for name, made in digit_kinds(images, args.photos).items()}
    novelty = Novelty.fit(kinds)
    novelty.save(folder / "novelty.json")
    for name, (moved, doubt) in kinds.items():
        share = np.mean(novelty.flags(novelty.score(moved, doubt)))
        print(f"{name:<6} {len(moved):>5} digits, flagged {share:.1%} (fitted to at most {FALSE_FLAGS:.1%})")
    limit = novelty.distance_limit
    print(f"threshold {novelty.threshold:.3f}; {1 - FALSE_FLAGS:.1%} of digits move by less than {limit:.3f}")


if __name__ == "__main__":
    main()
