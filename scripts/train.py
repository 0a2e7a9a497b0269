"""Train the shipped models: the DAEs, the plain autoencoder, the digit classifier and the generator.

    python scripts/train.py --data-dir ../shared/data                    # all six shipped checkpoints
    python scripts/train.py --model generator --data-dir ../shared/data  # only the generator
    python scripts/train.py --model conv --download --epochs 20          # full MNIST, fetched first
    python scripts/train.py --model conv --resume                        # continue after an interruption
    python scripts/train.py --model linear --kinds gaussian --out runs   # a DAE that only ever saw Gaussian noise
    python scripts/train.py --model conv --device cuda                   # on a GPU (--device auto picks one)

The DAEs (linear, conv, unet) are blind to the noise kind: each batch mixes every kind at random
strengths, and the loss is against the clean image. `unet` is the conv recipe on a U-Net: the two differ
by the skip connections. `linear_plain` is the same
linear architecture trained on clean inputs only (a plain autoencoder), to show
what the noise in training does. `classifier` reads digits, so the lab can ask
whether a reconstruction still reads as the digit it came from; it is trained
on clean and corrupted digits, then calibrated (dae.calibration). `generator`
is told the noise level and trained on Gaussian noise at every level, to draw
digits from noise (dae.generation).
A checkpoint is written atomically after every epoch to OUT/<model>, and the
training state beside it, so --resume picks up from the last completed epoch.
Ends with a test table per noise kind (test accuracy for the classifier).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

from dae import (  # noqa: E402
    NOISE_KINDS,
    ConvDAE,
    DigitClassifier,
    DigitGenerator,
    LinearDAE,
    UNetDAE,
    count_parameters,
    load_dataset,
    save_model,
    split_validation,
)
from dae.calibration import calibrate  # noqa: E402
from dae.evaluation import evaluate, format_table, protocol_mean, run_model  # noqa: E402
from dae.kinds import TARGETS  # noqa: E402
from dae.tasks import LOSSES, Classification, Denoising, Diffusion  # noqa: E402
from dae.training import bf16_available, fit, pick_device  # noqa: E402

# Per-model defaults: what the shipped checkpoints were trained with, and on which task (dae.tasks). augmentation:
# the share of images resampled. 400 epochs: 800 gave 0.2 dB more, a time the README's 32-minute total of all six
# no longer has room for
LINEAR = {
    "build": LinearDAE,
    "task": Denoising,
    "epochs": 400,
    "lr": 2e-3,
    "batch_size": 512,
    "weight_decay": 0.3,
    "pixel_shift": 0.5,
}
DEFAULTS = {
    "linear": {**LINEAR, "augmentation": 0.25, "kinds": NOISE_KINDS},
    "conv": {
        "build": ConvDAE,
        "task": Denoising,
        "epochs": 68,
        "lr": 2e-3,
        "batch_size": 64,
        "weight_decay": 1e-4,
        "pixel_shift": 0.0,
        "augmentation": 0.25,
        "kinds": NOISE_KINDS,
    },
    # the linear DAE's recipe without the noise, in half its epochs (it has less to learn; the 32-minute total)
    "linear_plain": {**LINEAR, "epochs": 200, "augmentation": 0.25, "kinds": ()},
    "classifier": {
        "build": DigitClassifier,
        "task": Classification,
        "epochs": 40,
        "lr": 2e-3,
        "batch_size": 128,
        "weight_decay": 5e-4,
        "pixel_shift": 0.0,
        "augmentation": 1.0,  # every image: a reader must take any slant and size, a DAE's test digits are MNIST's
        # it reads corrupted inputs too: trained on them, then calibrated (dae.calibration), it is unsure where
        # the noise hides the digit, instead of reading 8 at 100% in pure noise
        "kinds": NOISE_KINDS,
        "clean_share": 0.5,  # and half of them clean, to keep its accuracy on clean digits
    },
    # a U-Net told the noise level and the digit, trained on Gaussian noise at every level (dae.generation); no
    # augmentation: what it draws is what it saw
    "generator": {
        "build": partial(DigitGenerator, classes=10),
        "task": Diffusion,
        "labels": True,  # told the digit (dropped a tenth of the time), for classifier-free guidance
        "epochs": 45,  # about 12.5 s an epoch here: under the 10 minutes a shipped model may take
        "lr": 2e-3,
        "batch_size": 128,
        "weight_decay": 0.0,
        "pixel_shift": 0.0,
        "augmentation": 0.0,
        "ema": 0.995,  # the average of its weights over the last 200 or so steps (5 epochs) draws better digits
    },
}
# the conv DAE's recipe on a U-Net, the same blind mixture, so the two differ by the skip connections; about 11 s
# an epoch here, under the 10 minutes a shipped model may take (48 epochs: 1.3 dB more than 24, docs/experiments.md)
DEFAULTS["unet"] = {**DEFAULTS["conv"], "build": UNetDAE, "epochs": 48}
GROUPS = {"all": list(DEFAULTS), "both": ["linear", "conv"]}


def defaults_of(key: str) -> str:
    """The per-model defaults of one setting for the help texts, e.g. 'linear 800, conv 45'."""
    return ", ".join(f"{name} {settings[key]:g}" for name, settings in DEFAULTS.items())


def task_for(settings: dict, args: argparse.Namespace):
    """The model's task (dae.tasks), with its defaults and the command line's choices, where the task has them."""
    shift = settings["pixel_shift"] if args.pixel_shift is None else args.pixel_shift
    options = {
        "kinds": settings.get("kinds", ()) if args.kinds is None else tuple(args.kinds),
        "max_strength": args.max_strength,
        "clean_share": settings.get("clean_share", 0.0),
        "augmentation": 0.0 if args.no_augment else settings["augmentation"],
        "pixel_shift": 0.0 if args.no_augment else shift,
        "target": args.target,
        "loss_kind": args.loss,
        "code_match": args.code_match,
    }
    names = {field.name for field in dataclasses.fields(settings["task"])}
    return settings["task"](**{name: value for name, value in options.items() if name in names})


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model",
        choices=[*DEFAULTS, *GROUPS],
        default="all",
        help="which model to train: all six shipped ones (default), the linear and conv DAEs (both), or one",
    )
    parser.add_argument(
        "--kinds",
        nargs="*",
        choices=NOISE_KINDS,
        default=None,
        help="noise kinds to train the DAEs on (default: all six; none at all for linear_plain); "
        "give the flag alone for a plain autoencoder",
    )
    parser.add_argument(
        "--target",
        choices=TARGETS,
        default="clean",
        help="what the DAE's loss compares with: the clean digit, or the corrupted input (a model that copies noise)",
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="auto (a CUDA or Apple GPU when there is one, else the CPU), cpu, cuda, cuda:1, mps",
    )
    parser.add_argument("--dataset", choices=["mnist", "fashion"], default="mnist", help="training data")
    parser.add_argument("--data-dir", default=None, help="dataset root (default: $DAE_DATA_DIR, else ./data)")
    parser.add_argument("--download", action="store_true", help="download the dataset into --data-dir if missing")
    parser.add_argument("--epochs", type=int, default=None, help=f"epochs (default: {defaults_of('epochs')})")
    parser.add_argument(
        "--batch-size", type=int, default=None, help=f"batch size (default: {defaults_of('batch_size')})"
    )
    parser.add_argument(
        "--lr",
        type=float,
        default=None,
        help=f"peak learning rate of the one-cycle schedule (default: {defaults_of('lr')})",
    )
    parser.add_argument(
        "--weight-decay",
        type=float,
        default=None,
        help=f"AdamW's decoupled weight decay (default: {defaults_of('weight_decay')}; the linear model's large "
        "value curbs its memorising of the training digits)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for initialisation, data order, augmentation and noise"
    )
    parser.add_argument("--out", default="checkpoints", help="folder that receives OUT/<model>")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/<model>.state.pt if it exists")
    parser.add_argument(
        "--val-fraction", type=float, default=0.1, help="share of the training images held out for validation"
    )
    parser.add_argument(
        "--loss",
        choices=LOSSES,
        default="psnr",
        help="psnr: the per-image PSNR the evaluation averages (plus a little BCE); bce or mse: per pixel",
    )
    parser.add_argument(
        "--code-match",
        type=float,
        default=0.0,
        help="DAEs: weight of a term pulling the noisy input's code toward the clean digit's (default 0: none)",
    )
    parser.add_argument("--max-strength", type=float, default=1.0, help="noise strengths are drawn from U(0, this)")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training images (quick runs)")
    parser.add_argument("--test-limit", type=int, default=None, help="score on only the first N test images")
    parser.add_argument(
        "--no-augment", action="store_true", help="turn off shifts, rotations, scaling and stroke-width changes"
    )
    parser.add_argument(
        "--pixel-shift",
        type=float,
        default=None,
        help="share of training images moved by up to one whole pixel each way, on top of the other augmentation "
        f"(default: {defaults_of('pixel_shift')}; the shifts curb the linear model's memorising of the training "
        "digits, and the shipped conv model was trained without them)",
    )
    parser.add_argument(
        "--no-bf16", action="store_true", help="train in float32 even where bfloat16 autocast is available"
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def show_progress(info: dict, bar: tqdm, shown: dict, steps: int, epochs: int) -> None:
    """fit's progress on the bar: the epoch, the last loss and the last validation score."""
    if "val_psnr" in info:
        shown["val_psnr"] = f"{info['val_psnr']:.2f} dB"
    elif "val_accuracy" in info:
        shown["val_accuracy"] = f"{info['val_accuracy']:.2%}"
    else:
        shown["loss"] = f"{info['loss']:.4f}"
    bar.set_description(f"epoch {info['epoch']}/{epochs}")
    bar.set_postfix(shown, refresh=False)
    bar.n = (info["epoch"] - 1) * steps + info["step"]
    bar.update(0)  # redraws at most once a second (mininterval)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    try:
        device = pick_device(args.device)
    except ValueError as error:
        sys.exit(f"train.py: {error}")
    images, labels = load_dataset(args.dataset, train=True, root=args.data_dir, download=args.download)
    test_images, test_labels = load_dataset(args.dataset, train=False, root=args.data_dir, download=args.download)
    images, labels = images[: args.limit], labels[: args.limit]
    test_images, test_labels = test_images[: args.test_limit], test_labels[: args.test_limit]
    # the same seed splits images and labels alike
    train_images, val_images = split_validation(images, fraction=args.val_fraction, seed=args.seed)
    train_labels, val_labels = split_validation(labels, fraction=args.val_fraction, seed=args.seed)
    bf16 = bf16_available() and not args.no_bf16 and device.type == "cpu"
    print(
        f"{args.dataset}: {len(train_images)} training, {len(val_images)} validation, {len(test_images)} test images; "
        f"device {device}, bf16 autocast {'on' if bf16 else 'off'}, {torch.get_num_threads()} threads"
    )

    results, accuracies = {}, {}
    for name in GROUPS.get(args.model, [args.model]):
        settings = DEFAULTS[name]
        classify = name == "classifier"
        labelled = classify or settings.get("labels", False)
        torch.manual_seed(args.seed)  # the initial weights, too, come from --seed
        model = settings["build"]()
        epochs = args.epochs or settings["epochs"]
        out = Path(args.out) / name
        print(
            f"\n{name}: {type(model).__name__} {model.config}, {count_parameters(model):,} parameters, "
            f"{epochs} epochs -> {out}"
        )
        batch_size = args.batch_size or settings["batch_size"]
        steps = -(-len(train_images) // batch_size)
        bar = tqdm(total=epochs * steps, disable=args.quiet, unit="batch", dynamic_ncols=True, mininterval=1.0)
        run = fit(
            model,
            task_for(settings, args),
            (train_images, train_labels) if labelled else train_images,
            (val_images, val_labels) if classify else val_images,
            out=out,
            epochs=epochs,
            batch_size=batch_size,
            lr=args.lr or settings["lr"],
            weight_decay=settings["weight_decay"] if args.weight_decay is None else args.weight_decay,
            seed=args.seed,
            resume=args.resume,
            ema=settings.get("ema", 0.0),
            bf16=bf16,
            device=device,
            metadata={
                "dataset": args.dataset,
                "train_images": len(train_images),
                "val_images": len(val_images),
                "parameters": count_parameters(model),
            },
            progress=partial(show_progress, bar=bar, shown={}, steps=steps, epochs=epochs),
        )
        bar.close()
        if run["resumed_from"]:
            print(f"{name}: resumed after epoch {run['resumed_from']}")
        last = run["history"][-1]
        validation = f"{last['val_accuracy']:.2%}" if classify else f"PSNR {last['val_psnr']:.2f} dB"
        print(f"{name}: {last['epoch']} epochs in {run['seconds']:.0f} s of training, validation {validation}")
        model = model.float().cpu()
        if classify:
            # temperature scaling on the held-out digits, clean and corrupted; saved into the same checkpoint
            model.calibrate(calibrate(model, val_images, val_labels))
            save_model(model, out, **run["metadata"])
            print(f"{name}: temperature {model.temperature:.2f}, calibrated on the {len(val_images)} held-out digits")
            accuracies[name] = (run_model(model, test_images).argmax(1) == test_labels).float().mean().item()
        elif name != "generator":  # the generator is scored by what it draws: scripts/evaluate.py
            results[name] = evaluate(model, test_images)

    for name, accuracy in accuracies.items():
        print(f"\n{name}: test accuracy {accuracy:.2%} on {len(test_images)} images")
    if not results:
        print(f"\nWall time: {time.perf_counter() - started:.0f} s")
        return
    print(f"\nTest set ({len(test_images)} images), PSNR in dB:\n")
    print(format_table(results, "psnr"))
    print("\nSSIM:\n")
    print(format_table(results, "ssim"))
    for name, scores in results.items():
        print(f"{name}: mean PSNR over the 7 quality-bar settings {protocol_mean(scores):.2f} dB")
    print(f"\nWall time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
