"""Train the novelty score's models on digits alone, then fit the score: checkpoints/novelty/ and novelty.json.

    python scripts/calibrate_novelty.py --data-dir ../shared/data              # train (under 18 minutes here), fit
    python scripts/calibrate_novelty.py --data-dir ../shared/data --fit-only   # refit on the models already saved

The models (dae.novelty) learn from the MNIST training digits as they are and
the first --drawn of them drawn the page's way (dae.drawings.drawn_digit: a
random pen, size, place and colours, through to_mnist): the DAE with a small
code learns to put them back from Gaussian noise, and ENSEMBLE classifiers (the
shipped classifier's recipe, from different seeds) learn to read them.

The score is then fitted on the first --digits MNIST test digits three ways: as
they are, drawn the page's way and photographed on paper (the first --photos of
them). The threshold lets through all but FALSE_FLAGS of each way. The test
digits after --digits are left for scripts/evaluate.py --novelty to measure on;
no image that is not a digit is used here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dae.checkpoint import save_model  # noqa: E402
from dae.data import load_dataset  # noqa: E402
from dae.drawings import drawn_digit, photographed_digit  # noqa: E402
from dae.models import DigitClassifier  # noqa: E402
from dae.novelty import ENSEMBLE, FALSE_FLAGS, Novelty, denoiser, load_models, measure, model_paths  # noqa: E402
from dae.preprocess import open_image, to_mnist  # noqa: E402
from dae.tasks import Classification, Denoising  # noqa: E402
from dae.training import fit  # noqa: E402

DRAWN_SEED = 50_000  # the training drawings' seeds start here, far from the calibration drawings' (0 up)
VALIDATION = 500  # digits held out of training to validate on


def digit_kinds(images: np.ndarray, photos: int, seed: int = 0) -> dict[str, np.ndarray]:
    """MNIST digits (float [N, 28, 28]) as they are, drawn the page's way and photographed, through to_mnist."""
    return {
        "mnist": images,
        "drawn": drawn(images, seed),
        "photo": np.stack(
            [to_mnist(open_image(photographed_digit(d, seed + i))) for i, d in enumerate(images[:photos])]
        ),
    }


def drawn(images: np.ndarray, seed: int) -> np.ndarray:
    """Each digit (float [N, 28, 28]) drawn the page's way and brought back through to_mnist: [N, 28, 28]."""
    return np.stack([to_mnist(drawn_digit(d, seed + i)) for i, d in enumerate(images)])


def train_models(data_dir: str, folder: Path, drawings: int) -> None:
    """Train and save the score's DAE and classifiers on MNIST's training digits, plain and drawn."""
    images, labels = load_dataset("mnist", train=True, root=data_dir)
    pictures = torch.as_tensor(drawn(images[:drawings, 0].numpy(), DRAWN_SEED))[:, None]
    images, labels = torch.cat([images, pictures]), torch.cat([labels, labels[:drawings]])
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    images, labels = images[order], labels[order]
    train, val = (images[VALIDATION:], labels[VALIDATION:]), (images[:VALIDATION], labels[:VALIDATION])
    denoiser_path, classifier_paths = model_paths(folder)
    dae = denoiser()
    run = fit(dae, Denoising(kinds=("gaussian",), max_strength=0.8), train[0], val[0], out=None, epochs=120)
    save_model(dae, denoiser_path, **run["metadata"], drawn_images=drawings)
    print(f"denoiser: {run['history'][-1]['val_psnr']:.2f} dB on held-out digits, {run['seconds']:.0f} s", flush=True)
    for seed, path in enumerate(classifier_paths):
        classifier = DigitClassifier()
        task = Classification(clean_share=0.5, augmentation=1.0)
        run = fit(classifier, task, train, val, out=None, epochs=20, weight_decay=5e-4, seed=seed)
        save_model(classifier, path, **run["metadata"], drawn_images=drawings)
        accuracy = run["history"][-1]["val_accuracy"]
        print(f"classifier {seed + 1} of {ENSEMBLE}: {accuracy:.1%} on noisy held-out digits", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="../shared/data", help="where MNIST is, in torchvision's layout")
    parser.add_argument("--checkpoints", default="checkpoints", help="writes novelty/ and novelty.json here")
    parser.add_argument("--drawn", type=int, default=5000, help="training digits also drawn the page's way")
    parser.add_argument("--fit-only", action="store_true", help="keep the models in novelty/, only refit the score")
    parser.add_argument("--digits", type=int, default=3000, help="MNIST test digits to fit on (from the first)")
    parser.add_argument("--photos", type=int, default=300, help="of them, how many are photographed too")
    args = parser.parse_args()
    torch.manual_seed(0)  # the DAE's first weights: it is built before fit seeds the rest
    folder = Path(args.checkpoints)
    if not args.fit_only:
        train_models(args.data_dir, folder / "novelty", args.drawn)
    dae, classifiers = load_models(folder / "novelty")
    images = load_dataset("mnist", train=False, root=args.data_dir)[0][: args.digits, 0].numpy()
    kinds = {name: measure(dae, classifiers, made) for name, made in digit_kinds(images, args.photos).items()}
    novelty = Novelty.fit(kinds)
    novelty.save(folder / "novelty.json")
    for name, (moved, doubt) in kinds.items():
        share = np.mean(novelty.flags(novelty.score(moved, doubt)))
        print(f"{name:<6} {len(moved):>5} digits, flagged {share:.1%} (fitted to at most {FALSE_FLAGS:.1%})")
    limit = novelty.distance_limit
    print(f"threshold {novelty.threshold:.3f}; {1 - FALSE_FLAGS:.1%} of digits move by less than {limit:.3f}")


if __name__ == "__main__":
    main()
