"""Score the shipped autoencoders against classic denoisers on a fixed, seeded protocol.

    python scripts/evaluate.py --data-dir ../shared/data             # writes docs/results.{md,json} and figures
    python scripts/evaluate.py --data-dir ../shared/data --limit 1000 --out /tmp/eval   # a quicker look

Every noise kind at several strengths (each with its own fixed seed, so every
method sees the same noisy images), plus two corruptions no model was trained
on. Methods: the noisy input itself, a 3x3 median filter, total variation,
non-local means (scikit-image), BM3D when the optional `bm3d` package is
installed (its licence is non-commercial), the three shipped DAEs (linear, conv,
U-Net), the U-Net with its skip connections zeroed, and the plain autoencoder
(the linear architecture trained without noise). PSNR is computed
per image with data range 1, then averaged. The shipped digit classifier then
reads every output: its accuracy says whether the digit survives; its own
calibration (ECE on clean digits and on each kind at strength 0.5) is reported too.
Then each model that can generate draws 1,000 digits from noise (dae.generation).

    python scripts/evaluate.py --data-dir ../shared/data --probe-only   # docs/probe.md, checkpoints/code_maps.npz

--probe-only asks what each model's code knows (dae.probe): linear probes
trained on 100 labelled training digits per class (seeds 0, 1, 2), tested on
the test digits clean and under every noise kind at 0.5. It also writes the
maps the page's Inside view draws, from the same probes.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from dae import NOISE_KINDS, NOISE_LABELS, corrupt, load_dataset, load_model, psnr, read_config  # noqa: E402
from dae.baselines import BASELINES, bm3d_available, bm3d_denoise  # noqa: E402
from dae.calibration import ECE_BINS, ECE_GOAL, calibration_report  # noqa: E402
from dae.evaluation import (  # noqa: E402
    ALL_SETTINGS,
    PROTOCOL,
    accuracy,
    evaluate,
    format_table,
    noisy_versions,
    protocol_mean,
    run_model,
    setting_name,
)
from dae.generation import blind_chain, sample, sample_report  # noqa: E402
from dae.metrics import frechet_distance  # noqa: E402
from dae.names import CODES, NAMES  # noqa: E402
from dae.samples import DEFAULT_STEPS  # noqa: E402

# The conv DAE shipped until 2026-11-30 (WideConvDAE), on this protocol and all 10,000 MNIST test digits
# (docs/results.json of 2026-11-24): its successor must stay within 0.2 dB of it on every setting.
PREVIOUS_CONV = {
    "gaussian 0.25": 24.65,
    "gaussian 0.5": 20.23,
    "gaussian 0.75": 17.23,
    "masking 0.25": 28.45,
    "masking 0.5": 24.91,
    "salt_and_pepper 0.1": 28.61,
    "salt_and_pepper 0.3": 24.83,
}
# the checkpoints scored, and their rows in the tables (dae.names); linear_plain is the plain autoencoder
MODELS = {
    name: NAMES["plain" if name == "linear_plain" else name].row for name in ("linear", "conv", "unet", "linear_plain")
}
NO_SKIPS = NAMES["unet_no_skips"].row  # what its decoder makes of the bottleneck alone: what the skips carry
# the U-Net's goals: a mean over the 7 bar settings of at least UNET_GOAL dB and UNET_OVER_CONV dB over the conv's
UNET_GOAL, UNET_OVER_CONV = 25.0, 0.5
CURVE_STRENGTHS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
SLOW = {"total variation", "non-local means", "bm3d"}
HELD_OUT = 5000  # the novelty score is fitted on test digits before this one (calibrate_novelty.py) and measured after


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--checkpoints",
        default="checkpoints",
        help="folder with linear/, conv/, unet/, linear_plain/, classifier/ and generator/",
    )
    parser.add_argument("--dataset", choices=["mnist", "fashion"], default="mnist", help="test data")
    parser.add_argument("--data-dir", default=None, help="dataset root (default: $DAE_DATA_DIR, else ./data)")
    parser.add_argument("--download", action="store_true", help="download the dataset if missing")
    parser.add_argument("--limit", type=int, default=None, help="score on the first N test images (default: all)")
    parser.add_argument("--slow-limit", type=int, default=1000, help="test images for the slow classic denoisers")
    parser.add_argument("--curve-limit", type=int, default=200, help="test images per point of the strength curves")
    parser.add_argument("--seed", type=int, default=1234, help="base seed of the protocol's noise")
    parser.add_argument("--no-slow", action="store_true", help="skip total variation, non-local means and BM3D")
    parser.add_argument("--workers", type=int, default=2, help="processes for the per-image classic denoisers")
    parser.add_argument("--novelty-only", action="store_true", help="only the novelty score's table (docs/novelty.md)")
    parser.add_argument(
        "--probe-only", action="store_true", help="only the linear probes on the codes (docs/probe.md, code_maps.npz)"
    )
    parser.add_argument("--out", default="docs", help="where results.md, results.json and the figures go")
    return parser.parse_args()


def _on_arrays(method, chunk: np.ndarray) -> np.ndarray:
    torch.set_num_threads(1)  # the pool already uses every core
    return method(torch.from_numpy(chunk)).numpy()


@functools.cache
def worker_pool(workers: int) -> ProcessPoolExecutor:
    """One pool for the whole run, of spawned (not forked) processes.

    A forked child inherits torch's OpenMP thread pool mid-state and hung in its
    first torch op here; and torch tensors sent back from a pool travel through
    shared-memory file descriptors, which deadlocked too: chunks go as numpy.
    """
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def in_parallel(method, images: torch.Tensor, workers: int) -> torch.Tensor:
    """Run a per-image scikit-image denoiser over chunks in several processes."""
    if workers <= 1 or len(images) < 64:
        return method(images)
    chunks = [chunk.numpy() for chunk in images.chunk(workers * 4)]
    outputs = worker_pool(workers).map(_on_arrays, [method] * len(chunks), chunks)
    return torch.cat([torch.from_numpy(out) for out in outputs])


def methods_for(args, models: dict) -> dict:
    methods = {"noisy input": lambda x: x, "median 3x3": BASELINES["median 3x3"]}
    if not args.no_slow:
        slow = {"total variation": BASELINES["total variation"], "non-local means": BASELINES["non-local means"]}
        if bm3d_available():
            slow["bm3d"] = bm3d_denoise
        # per-image scikit-image denoisers: spread over worker processes
        methods.update({name: partial(in_parallel, method, workers=args.workers) for name, method in slow.items()})
    for name, model in models.items():
        methods[MODELS[name]] = model
        if name == "unet":
            methods[NO_SKIPS] = WithoutSkips(model)
    return methods


class WithoutSkips(torch.nn.Module):
    """A UNetDAE run with every skip connection zeroed, as a model of its own."""

    def __init__(self, unet: torch.nn.Module):
        super().__init__()
        self.unet = unet

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.unet.without_skips(x)


def apply(method, noisy: torch.Tensor) -> torch.Tensor:
    return run_model(method, noisy) if isinstance(method, torch.nn.Module) else method(noisy)


def strength_curves(methods: dict, images: torch.Tensor, labels: torch.Tensor, classifier, seed: int) -> dict:
    """{"psnr": {kind: {method: [..]}}, "accuracy": the same}, one value per CURVE_STRENGTHS entry."""
    curves = {"psnr": {}, "accuracy": {}}
    for k, kind in enumerate(NOISE_KINDS):
        for metric in curves:
            curves[metric][kind] = {name: [] for name in methods}
        for i, strength in enumerate(CURVE_STRENGTHS):
            generator = torch.Generator().manual_seed(seed + 1000 + 100 * k + i)
            noisy = corrupt(images, kind, strength, generator=generator)
            for name, method in methods.items():
                restored = apply(method, noisy)
                curves["psnr"][kind][name].append(psnr(images, restored).mean().item())
                curves["accuracy"][kind][name].append(accuracy(classifier, restored, labels))
    return curves


def plot_curves(curves: dict, path: Path, metric: str = "psnr") -> None:
    figure, axes = plt.subplots(2, 3, figsize=(13, 7.5), sharex=True)
    for axis, (kind, lines) in zip(axes.flat, curves.items(), strict=False):
        for name, values in lines.items():
            style = (
                {"linewidth": 2.4}
                if "DAE" in name
                else {"linewidth": 1.3, "linestyle": "--" if name == "noisy input" else "-"}
            )
            axis.plot(CURVE_STRENGTHS, values, marker="o", markersize=3, label=name, **style)
        axis.set_title(NOISE_LABELS[kind])
        axis.set_xlabel("strength")
        axis.set_ylabel("PSNR (dB)" if metric == "psnr" else "classifier accuracy")
        axis.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    title = {
        "psnr": "PSNR against noise strength, MNIST test digits (higher is better)",
        "accuracy": "Does the digit survive? A classifier's accuracy on each method's output, MNIST test digits",
    }
    figure.suptitle(title[metric])
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_samples(methods: dict, images: torch.Tensor, noisy: dict, path: Path, index: int = 0) -> None:
    settings = list(noisy)
    columns = ["clean", *methods]
    figure, axes = plt.subplots(len(settings), len(columns), figsize=(1.3 * len(columns), 1.35 * len(settings)))
    for row, setting in enumerate(settings):
        sample = noisy[setting][index : index + 1]
        shown = [images[index : index + 1]] + [apply(m, sample) for m in methods.values()]
        for column, (title, image) in enumerate(zip(columns, shown, strict=False)):
            axis = axes[row, column]
            axis.imshow(image[0, 0].numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            axis.set_xticks([])
            axis.set_yticks([])
            if row == 0:
                axis.set_title(title, fontsize=8)
            if column == 0:
                axis.set_ylabel(setting.replace("salt_and_pepper", "s&p").replace("unseen: ", ""), fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def goals(results: dict) -> list[str]:
    lines = []
    conv = results.get(MODELS["conv"])
    if conv:
        changes = {s: conv[s]["psnr"] - PREVIOUS_CONV[s] for s in PREVIOUS_CONV}
        worst = min(changes, key=changes.get)
        lines.append(
            f"conv: largest loss against the previous conv model {changes[worst]:+.2f} dB ({worst}); "
            "goal: no setting below -0.2"
        )
        lines.append(f"conv: mean over the 7 settings {protocol_mean(conv):.2f} dB; goal 24.1")
        for s in (s for s in conv if s.startswith("unseen")):
            lines.append(
                f"conv: {s}: {conv[s]['psnr']:.2f} dB vs noisy input {results['noisy input'][s]['psnr']:.2f} dB"
            )
    unet = results.get(MODELS["unet"])
    if unet and conv:
        mean, conv_mean = protocol_mean(unet), protocol_mean(conv)
        lines.append(
            f"U-Net: mean over the 7 settings {mean:.2f} dB, the conv's {conv_mean:.2f} dB ({mean - conv_mean:+.2f}); "
            f"goal at least {UNET_GOAL} dB and at least the conv's + {UNET_OVER_CONV} dB"
        )
        lost = [s for s in unet if unet[s]["psnr"] < conv[s]["psnr"]]
        lines.append(
            "U-Net: settings where it is behind the conv: "
            + (", ".join(f"{s} ({unet[s]['psnr'] - conv[s]['psnr']:+.2f} dB)" for s in lost) or "none")
        )
        if NO_SKIPS in results:
            carried = mean - protocol_mean(results[NO_SKIPS])
            lines.append(f"U-Net: its skips carry {carried:+.2f} dB over the 7 settings (against skips zeroed)")
    linear, plain = MODELS["linear"], MODELS["linear_plain"]
    if linear in results and plain in results:
        gain = protocol_mean(results[linear]) - protocol_mean(results[plain])
        lines.append(f"linear DAE against the plain autoencoder: {gain:+.2f} dB over the 7 settings")
    return lines


GENERATION_SAMPLES = 1000
# the naive chain the generator is measured against: the shipped linear DAE, salt and pepper, 100 steps
NAIVE = "linear"
GENERATION_GOALS = {"confident": 0.9, "class": 0.04, "frechet_vs_naive": 0.5}


def generation_results(checkpoints: Path, classifier, images: torch.Tensor, seed: int) -> dict:
    """For each model that can generate: GENERATION_SAMPLES samples at its default steps, read by the classifier,
    and the Fréchet distance of its penultimate features to 1,000 test digits; the floor: two sets of 1,000 real
    test digits (0-999 against 1000-1999), the same size as the samples."""
    half = min(1000, len(images) // 2)  # fewer with --limit
    reference, other = images[:half], images[half : 2 * half]
    with torch.no_grad():
        floor = frechet_distance(classifier.embedding(reference), classifier.embedding(other))
    out = {"floor": floor, "samples": GENERATION_SAMPLES, "models": {}}
    for name in ("generator", "conv", "linear"):
        model = load_model(checkpoints / name)
        steps = DEFAULT_STEPS[name]
        tick = time.perf_counter()
        if name == "generator":
            chain = sample(model, GENERATION_SAMPLES, steps, seed, keep=0)
        else:
            chain = blind_chain(model, GENERATION_SAMPLES, steps, seed, keep=0)
        report = sample_report(classifier, chain.images, reference, chain.digits)
        out["models"][name] = {"steps": steps, "seconds": time.perf_counter() - tick, **report}
        print(f"  generation, {name}: {report['confident']:.1%} confident, Fréchet {report['frechet']:.2f}")
    return out


def generation_table(results: dict) -> str:
    lines = [
        "| model | steps | read with confidence > 0.9 | as the digit asked | rarest class | Fréchet distance | "
        + " | ".join(f"{d}" for d in range(10))
        + " |",
        "|---|---|---|---|---|---|" + "---|" * 10,
    ]
    for name, row in results["models"].items():
        classes = row["classes"]
        asked = f"{row['as_asked']:.1%}" if "as_asked" in row else "(not told)"
        lines.append(
            f"| {name} | {row['steps']} | {row['confident']:.1%} | {asked} "
            f"| {min(classes):.1%} ({classes.index(min(classes))}) "
            f"| {row['frechet']:.2f} | " + " | ".join(f"{share:.1%}" for share in classes) + " |"
        )
    lines.append(f"| real test digits (the floor) | | | | | {results['floor']:.2f} |" + " |" * 10)
    return "\n".join(lines)


def generation_goals(results: dict) -> list[str]:
    generator, naive = results["models"]["generator"], results["models"][NAIVE]
    ratio = generator["frechet"] / naive["frechet"]
    return [
        f"generator: {generator['confident']:.1%} of {results['samples']} samples read with confidence > 0.9 "
        f"(goal at least {GENERATION_GOALS['confident']:.0%})",
        f"generator: rarest class {min(generator['classes']):.1%} (goal every class at least "
        f"{GENERATION_GOALS['class']:.0%})",
        f"generator: Fréchet distance {generator['frechet']:.2f} against the naive chain's {naive['frechet']:.2f} "
        f"({NAIVE} DAE, salt and pepper, {naive['steps']} steps): {ratio:.2f}x (goal at most "
        f"{GENERATION_GOALS['frechet_vs_naive']}x); real digits' floor {results['floor']:.2f}",
    ]


def calibration_table(report: dict) -> str:
    lines = ["| test digits | accuracy | mean confidence | ECE |", "|---|---|---|---|"]
    for name, row in report.items():
        lines.append(f"| {name} | {row['accuracy']:.2%} | {row['confidence']:.2%} | {row['ece']:.3f} |")
    return "\n".join(lines)


def score_all(methods: dict, images: torch.Tensor, noisy: dict, labels, classifier) -> tuple[dict, dict]:
    results, seconds = {}, {}
    for name, method in methods.items():
        tick = time.perf_counter()
        results[name] = evaluate(partial(apply, method), images, noisy=noisy, labels=labels, classifier=classifier)
        seconds[name] = time.perf_counter() - tick
        mean = protocol_mean(results[name])
        print(f"  {name}: mean PSNR {mean:.2f} dB on the 7 bar settings, {len(images)} images ({seconds[name]:.0f} s)")
    return results, seconds


def novelty_results(checkpoints: Path, data_dir, seed: int, count: int = 400) -> list[dict]:
    """The novelty score (dae.novelty) on digits it was not fitted on and on sets that are not digits: for each,
    the share flagged at the threshold and the AUROC against the held-out drawn digits (1: always ranked above)."""
    from calibrate_novelty import digit_kinds
    from scipy.stats import mannwhitneyu

    from dae.drawings import not_digits
    from dae.novelty import Novelty, load_models, measure
    from dae.preprocess import to_mnist

    novelty = Novelty.load(checkpoints / "novelty.json")
    dae, classifiers = load_models(checkpoints / "novelty")
    digits = load_dataset("mnist", train=False, root=data_dir)[0][HELD_OUT:, 0].numpy()
    fashion = load_dataset("fashion", train=False, root=data_dir)[0][:, 0].numpy()
    kinds = digit_kinds(digits[: 2 * count], count // 2, seed=seed)
    sets = {
        f"MNIST test digits {HELD_OUT}+": digits,
        "digits drawn the page's way": kinds["drawn"],
        "digits photographed on paper": kinds["photo"],
        "Fashion-MNIST test images": fashion[:2000],
        **{f"{family} drawn the page's way": np.stack([to_mnist(image) for image in not_digits(
            family, count, seed, clothing=fashion[2000:])]) for family in ("letters", "shapes", "clothing")},
    }  # fmt: skip
    scores = {name: novelty.score(*measure(dae, classifiers, images)) for name, images in sets.items()}
    drawn = scores["digits drawn the page's way"]
    rows = []
    for name, score in scores.items():
        auc = mannwhitneyu(score, drawn).statistic / (len(score) * len(drawn)) if "digits" not in name else None
        rows.append({"set": name, "images": len(score), "flagged": float(np.mean(novelty.flags(score))), "auroc": auc})
    return rows


def novelty_table(rows: list[dict]) -> str:
    lines = ["| set | images | flagged | AUROC against drawn digits |", "|---|---|---|---|"]
    for row in rows:
        auc = "" if row["auroc"] is None else f"{row['auroc']:.3f}"
        lines.append(f"| {row['set']} | {row['images']} | {row['flagged']:.1%} | {auc} |")
    return "\n".join(lines)


# the checkpoint of each code that is not in a folder of its own name (the pixels have none)
CHECKPOINT_OF = {"pixels": None, "plain": "linear_plain"}
PROBED = {name: CHECKPOINT_OF.get(name, name) for name in CODES}
PROBE_ROWS = {name: NAMES[name].row for name in CODES}
MAP_DIGITS = 1000  # test digits on each map of the Inside view
PROBE_NOTE = (
    "Linear probes on each model's code (100 labelled digits per class, seeds 0 to 2), trained on clean codes "
    "and on noisy ones, tested on every kind at 0.5: [probe.md](probe.md), made by `--probe-only`, which also "
    "writes the maps the Inside view draws (checkpoints/code_maps.npz)."
)


def probe_results(checkpoints: Path, data_dir, limit: int | None, seed: int) -> tuple[dict, int]:
    """Each model's probe accuracies (dae.probe.evaluate_probes) and the number of test digits; writes the maps
    to code_maps.npz."""
    from dae.probe import CodeMap, codes_of, evaluate_probes, save_maps

    train = load_dataset("mnist", train=True, root=data_dir)
    test_images, test_labels = load_dataset("mnist", train=False, root=data_dir)
    test = test_images[:limit], test_labels[:limit]
    results, maps = {}, {}
    for name, checkpoint in PROBED.items():
        tick = time.perf_counter()
        model = load_model(checkpoints / checkpoint).eval() if checkpoint else None
        results[name], probe = evaluate_probes(model, train, test, NOISE_KINDS, noise_seed=seed)
        means = {setting: float(np.mean(row["clean probe"])) for setting, row in results[name].items()}
        codes = codes_of(model, test[0][:MAP_DIGITS])
        maps[name] = CodeMap.fit(codes, test[1][:MAP_DIGITS], probe, means)
        print(f"  {name}: clean {means['clean']:.1%} ({time.perf_counter() - tick:.0f} s)", flush=True)
    save_maps(maps, checkpoints / "code_maps.npz")
    return results, len(test[0])


def probe_table(results: dict, which: str) -> str:
    """Mean accuracy (and the spread over the seeds) of `which` probe, one row per code, one column per setting."""
    settings = ["clean", *NOISE_KINDS]
    lines = ["| code of | " + " | ".join(settings) + " |", "|---|" + "---|" * len(settings)]
    for name, row in results.items():
        cells = []
        for setting in settings:
            values = row[setting].get(which) or row[setting]["clean probe"]
            cells.append(f"{np.mean(values):.1%} ±{(max(values) - min(values)) / 2:.1%}")
        lines.append(f"| {PROBE_ROWS[name]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_probe_report(results: dict, out: Path, images: int, seed: int) -> None:
    report = (
        "# What the code knows (made by scripts/evaluate.py --probe-only)\n\n"
        f"A linear probe (multinomial logistic regression, dae/probe.py) is trained on the codes of 100 labelled "
        f"training digits per class, for each of three picks (seeds 0, 1, 2), and tested on {images:,} test "
        f"digits, clean and under every noise kind at strength 0.5 (noise seed {seed}). Each cell: the mean over "
        "the three picks, ± half their range. The U-Net's code is its bottleneck (96 maps of 7×7); its skip "
        "connections bypass it, so the decoder gets more than this code.\n\n"
        f"## Probe trained on clean codes\n\nDoes the noise move a digit's code off its class?\n\n"
        f"{probe_table(results, 'clean probe')}\n\n"
        f"## Probe trained on noisy codes of the same kind\n\nIs the class still in the code, read another way? "
        f"(The clean column repeats the clean probe.)\n\n{probe_table(results, 'noisy probe')}\n"
    )
    (out / "probe.md").write_text(report)
    (out / "probe.json").write_text(json.dumps({"images": images, "seed": seed, "results": results}, indent=2))


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.novelty_only:
        table = novelty_table(novelty_results(Path(args.checkpoints), args.data_dir, args.seed))
        title = "# The novelty score (made by scripts/evaluate.py --novelty-only)"
        (out / "novelty.md").write_text(f"{title}\n\n{table}\n")
        print(table)
        return
    if args.probe_only:
        results, images = probe_results(Path(args.checkpoints), args.data_dir, args.limit, args.seed)
        write_probe_report(results, out, images, args.seed)
        print((out / "probe.md").read_text())
        return
    images, labels = load_dataset(args.dataset, train=False, root=args.data_dir, download=args.download)
    images, labels = images[: args.limit], labels[: args.limit]
    models = {name: load_model(Path(args.checkpoints) / name) for name in MODELS}
    classifier = load_model(Path(args.checkpoints) / "classifier")
    clean_accuracy = accuracy(classifier, images, labels)
    print(f"classifier: {clean_accuracy:.2%} on the {len(images)} clean test images")
    calibration = calibration_report(classifier, images, labels, seed=args.seed)
    calibration_lines = [
        f"classifier: ECE {row['ece']:.3f} on {name} (goal at most {ECE_GOAL})" for name, row in calibration.items()
    ]
    calibration_lines.append(f"classifier: {clean_accuracy:.2%} of the clean test digits (goal at least 99.0%)")
    print("\n".join(calibration_lines))
    methods = methods_for(args, models)
    fast = {name: method for name, method in methods.items() if name not in SLOW}
    noisy = noisy_versions(images, ALL_SETTINGS, seed=args.seed, unseen=True)
    subset = min(len(images), args.slow_limit)
    print(f"{len(images)} test images, {len(noisy)} settings; slow baselines on the first {subset}")

    results, seconds = score_all(fast, images, noisy, labels, classifier)
    subset_results, subset_seconds = score_all(
        methods, images[:subset], {name: x[:subset] for name, x in noisy.items()}, labels[:subset], classifier
    )
    curve_images = min(len(images), args.curve_limit)
    curves = strength_curves(methods, images[:curve_images], labels[:curve_images], classifier, args.seed)
    plot_curves(curves["psnr"], out / "psnr_vs_strength.png")
    plot_curves(curves["accuracy"], out / "accuracy_vs_strength.png", metric="accuracy")
    plot_samples(methods, images, noisy, out / "samples.png")

    generation = generation_results(Path(args.checkpoints), classifier, images, args.seed)
    goal_lines = goals(results) + calibration_lines + generation_goals(generation)
    bar = ", ".join(setting_name(k, s) for k, s in PROTOCOL)
    report = (
        f"# Evaluation on the {args.dataset} test set\n\n"
        f"Made by `python scripts/evaluate.py` (seed {args.seed}). PSNR in dB per image (data range 1), then "
        f"averaged; the last column is the mean over the quality bar's seven settings ({bar}). The 'unseen' "
        f"corruptions are not in NOISE_KINDS: no model was trained on them.\n\n"
        f"## All {len(images)} test images\n\nPSNR (dB):\n\n{format_table(results, 'psnr')}\n\n"
        f"SSIM:\n\n{format_table(results, 'ssim')}\n\n"
        f"Does the digit survive? The shipped classifier's accuracy on each output (on the clean test digits: "
        f"{clean_accuracy:.2%}):\n\n{format_table(results, 'accuracy')}\n\n"
        f"## How far to trust the classifier's confidence\n\n"
        f"The classifier is trained on clean and corrupted digits, then temperature-scaled on held-out ones "
        f"(T = {classifier.temperature:.3f}, dae/calibration.py). Expected calibration error ({ECE_BINS} bins): the "
        f"gap between how sure it is and how often it is right; 0 is perfect. The page says 'no clear digit' "
        f"where no digit reaches 50%.\n\n{calibration_table(calibration)}\n\n"
        f"## Denoisers that draw\n\n{generation['samples']} samples from each model, from pure noise (see "
        f"dae/generation.py): the generator with its sampler, each blind DAE with its chain (salt and pepper "
        f"annealed from 1 to 0). The shipped classifier reads each sample; the Fréchet distance compares its "
        f"penultimate features of the samples with those of 1,000 test digits (lower is closer; the last row is two "
        f"sets of 1,000 real test digits). Columns 0 to 9: each class's share of the readings.\n\n"
        f"{generation_table(generation)}\n\n"
        f"## Every method, on the first {subset} test images\n\n(total variation and non-local means take "
        f"milliseconds per image, too slow for all of them)\n\nPSNR (dB):\n\n{format_table(subset_results, 'psnr')}"
        f"\n\nSSIM:\n\n{format_table(subset_results, 'ssim')}\n\n"
        f"Classifier accuracy:\n\n{format_table(subset_results, 'accuracy')}\n\n"
        f"## Against the goals (all {len(images)} images)\n\n" + "\n".join(f"- {line}" for line in goal_lines) + "\n\n"
        f"## What the code knows\n\n{PROBE_NOTE}\n\n"
        f"## Figures\n\nPSNR against strength ({curve_images} images per point):\n\n"
        "![PSNR against strength](psnr_vs_strength.png)\n\n"
        f"The classifier's accuracy against strength, one panel per kind ({curve_images} images per point):\n\n"
        "![Accuracy against strength](accuracy_vs_strength.png)\n\nOne test digit under every setting:\n\n"
        "![Samples](samples.png)\n"
    )
    (out / "results.md").write_text(report)
    checkpoints = {name: read_config(Path(args.checkpoints) / name) for name in [*models, "classifier", "generator"]}
    summary = {
        "dataset": args.dataset,
        "seed": args.seed,
        "classifier_accuracy_clean": clean_accuracy,
        "calibration": {"temperature": classifier.temperature, "bins": ECE_BINS, "settings": calibration},
        "generation": generation,
        "all": {"images": len(images), "results": results, "seconds": seconds},
        "subset": {"images": subset, "results": subset_results, "seconds": subset_seconds},
        "curves": {"strengths": CURVE_STRENGTHS, "images": curve_images, **curves},
        "checkpoints": checkpoints,
        "goals": goal_lines,
    }
    (out / "results.json").write_text(json.dumps(summary, indent=2))
    print(f"\n{format_table(results, 'psnr')}\n\n" + "\n".join(goal_lines))
    elapsed = time.perf_counter() - started
    print(f"\nWrote {out}/results.md, results.json and the three figures in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
