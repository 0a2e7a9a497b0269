"""Time a generation of 16 digits over plain HTTP, and the page's denoising while a generation runs.

    python scripts/bench_generate.py                 # 20 generations per model; 200 denoise calls idle and busy

Starts the app (`python app.py`) on a free port. A generation is the API's
/generate with n=16 at the model's default steps, each with a new seed, timed
from the POST to the end of its event stream. Denoising is the API's /denoise
on a digit, new seed every call (nothing cached): first with nothing else
running, then while another thread keeps the generator generating, one
generation after another. Goals: the generator's 16 digits p50 at most 2 s;
denoise p50 during generations at most 2.5x idle.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT)]

from gradio_http import PYTHON, call, file_data, percentile, start_server, upload  # noqa: E402

from dae.samples import DEFAULT_STEPS  # noqa: E402 - no torch in it: this process stays light


def timed(function, *args) -> float:
    tick = time.perf_counter()
    function(*args)
    return (time.perf_counter() - tick) * 1000


def line(name: str, times: list[float]) -> str:
    return f"{name:<34} p50 {percentile(times, 50):7.1f} ms   p95 {percentile(times, 95):7.1f} ms   (n={len(times)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generations", type=int, default=20, help="timed generations per model")
    parser.add_argument("--requests", type=int, default=200, help="timed denoise calls, idle and busy each")
    args = parser.parse_args()
    server = start_server([PYTHON, "app.py"], cwd=ROOT)
    try:
        path = upload(server.url, ROOT / "examples" / "7.png")
        generate = lambda model, seed: call(server.url, "generate", [model, 16, DEFAULT_STEPS[model], seed])  # noqa: E731
        denoise = lambda seed: call(server.url, "denoise", [file_data(path), "gaussian", 0.5, seed])  # noqa: E731
        for seed in range(3):  # warm-up: the first calls at a new batch size compile the fused models
            generate("generator", seed)
            generate("conv", seed)
            denoise(seed)
        for model in ("generator", "conv", "linear"):  # not "yours": the API has no model of yours
            times = [timed(generate, model, 1000 + seed) for seed in range(args.generations)]
            goal = "   (goal: p50 at most 2000 ms)" if model == "generator" else ""
            print(line(f"{model}, 16 digits", times) + goal)
        idle = [timed(denoise, 10_000 + seed) for seed in range(args.requests)]
        running = threading.Event()
        running.set()

        def keep_generating() -> None:
            seed = 0
            while running.is_set():
                generate("generator", 50_000 + seed)
                seed += 1

        worker = threading.Thread(target=keep_generating)
        worker.start()
        time.sleep(0.5)
        try:
            busy = [timed(denoise, 20_000 + seed) for seed in range(args.requests)]
        finally:
            running.clear()
            worker.join()
        print(line("denoise, idle", idle))
        print(line("denoise, during generations", busy))
        ratio = percentile(busy, 50) / percentile(idle, 50)
        print(f"denoise during generations / idle p50: {ratio:.2f}x (goal: at most 2.5x)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
