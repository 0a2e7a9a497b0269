"""Live training's goals: what 20 s of training teaches, and whether it slows the page's denoising for others.

    python scripts/bench_train.py                 # the three lessons, 20 s each, then denoise idle vs under training
    python scripts/bench_train.py --seconds 10 --skip-lessons

Lessons: each trains the page's small linear DAE for --seconds in its own
process with one thread, exactly as the page does (`dae.live.TrainingJob`),
and prints val_psnr (held-out digits, every kind at 0.5) against the noisy
input's. Goals: the blind DAE at least 6 dB above the noisy input; the plain
autoencoder and the loss against the noisy input clearly below the DAE.

Denoise: the app is started, its full update (`update`, as bench_app.py
times it) is timed idle, then while a training runs through the `train`
endpoint (the longest the server allows). Goal: p50 under training at most
2.5x the idle p50.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradio_http import ON_VIEW, PYTHON, call, file_data, percentile, start_server, upload  # noqa: E402

from dae import NOISE_KINDS  # noqa: E402
from dae.live import MAX_SECONDS, TrainingJob, check_training  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LESSONS = {
    "denoising autoencoder (blind, clean target)": {"kinds": list(NOISE_KINDS), "target": "clean"},
    "plain autoencoder (no noise)": {"kinds": [], "target": "clean"},
    "loss against the noisy input": {"kinds": list(NOISE_KINDS), "target": "noisy"},
}


def lesson(architecture: str, kinds: list[str], target: str, seconds: float) -> dict:
    job = TrainingJob(check_training(architecture, kinds, 1.0, target, seconds, 0))
    for kind, value in job.updates():
        if kind == "done":
            return value["metrics"]
    raise RuntimeError("the training ended without a result")


def time_updates(url: str, path: str, count: int, first_seed: int) -> list[float]:
    times = []
    for i in range(count):
        tick = time.perf_counter()
        call(url, "update", [file_data(path), "gaussian", 0.5, first_seed + i, ON_VIEW], session="bench-train")
        times.append((time.perf_counter() - tick) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20, help="training budget of each lesson")
    parser.add_argument("--architecture", default="linear", help="linear or conv")
    parser.add_argument("--requests", type=int, default=60, help="timed updates idle, and under training")
    parser.add_argument("--skip-lessons", action="store_true", help="only the denoise timing")
    args = parser.parse_args()

    if not args.skip_lessons:
        results = {}
        for name, settings in LESSONS.items():
            metrics = lesson(args.architecture, settings["kinds"], settings["target"], args.seconds)
            results[name] = metrics
            print(
                f"{name:<46} val_psnr {metrics['val_psnr']:5.2f} dB, noisy input {metrics['noisy_psnr']:5.2f} dB "
                f"({metrics['val_psnr'] - metrics['noisy_psnr']:+.2f}), {metrics['epochs']} epochs in "
                f"{metrics['seconds']:.1f} s"
            )
        dae, plain, copy = (results[name]["val_psnr"] for name in LESSONS)
        gain = dae - results[next(iter(LESSONS))]["noisy_psnr"]
        print(f"DAE over the noisy input: {gain:+.2f} dB (goal: at least +6)")
        print(
            f"DAE over the plain autoencoder: {dae - plain:+.2f} dB; over the noisy-target model: {dae - copy:+.2f} dB"
        )

    server = start_server([PYTHON, "app.py"], cwd=ROOT)
    try:
        path = upload(server.url, ROOT / "examples" / "7.png")
        time_updates(server.url, path, 10, 10_000)  # warm-up
        idle = time_updates(server.url, path, args.requests, 0)
        seconds = MAX_SECONDS["cpu"]
        training = threading.Thread(
            target=call,
            args=(server.url, "train", [args.architecture, list(NOISE_KINDS), 1.0, "clean", seconds, 0]),
            kwargs={"timeout": seconds + 60},
        )
        training.start()
        time.sleep(3)  # the training process has started and loaded torch
        busy = []
        while training.is_alive() and len(busy) < args.requests:
            busy += time_updates(server.url, path, 1, 1000 + len(busy))
        training.join()
    finally:
        server.stop()
    ratio = percentile(busy, 50) / percentile(idle, 50)
    print(
        f"denoise idle           p50 {percentile(idle, 50):6.1f} ms  p95 {percentile(idle, 95):6.1f} ms (n={len(idle)})"
    )
    print(
        f"denoise under training p50 {percentile(busy, 50):6.1f} ms  p95 {percentile(busy, 95):6.1f} ms (n={len(busy)})"
    )
    print(f"under training / idle p50: {ratio:.2f}x (goal: at most 2.5x)")


if __name__ == "__main__":
    main()
