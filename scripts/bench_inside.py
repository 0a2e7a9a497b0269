"""Time the Inside view's update against the main update, through the models' process as the app runs them.

    python scripts/bench_inside.py                # 200 of each, alternating in blocks; prints p50/p95 and the ratio

Main update: `compare` (both models on the current strength and the curve's,
the classifier's readings) and the panels' HTML and the curve's table. Inside
update: `inspect` (codes, error maps, first layers, repeated denoising, the
plain autoencoder, the readings, the maps of codes) and its HTML, then the walk
to a second digit (`interpolate`, example 1) and its HTML: as on the page, the
walk between the same two digits is kept, so a new noise does not redo it.
"walk" times the walk alone for a digit it has not seen (the digit on view
with one pixel changed), as when the visitor draws. As on the page, each Inside
update follows the main update of the same digit and noise, and continues from
its reconstructions; each pair uses a new seed, so nothing else comes from a
cache. --cold times the Inside view after another seed's update instead, as if
nothing came before it. Goal: Inside p50 at most 2x the main p50.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradio_http import percentile  # noqa: E402
from PIL import Image  # noqa: E402

from dae import to_mnist  # noqa: E402
from dae.lab_process import LabProcess  # noqa: E402
from ui.codes import between_html  # noqa: E402
from ui.inside import inside_html  # noqa: E402
from ui.panels import curve_frame, headline, panels_html  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="timed updates of each kind")
    parser.add_argument("--kind", default="gaussian", help="noise kind")
    parser.add_argument("--cold", action="store_true", help="no main update of the same input before the Inside one")
    args = parser.parse_args()
    digit = to_mnist(Image.open(ROOT / "examples" / "7.png"))
    other = to_mnist(Image.open(ROOT / "examples" / "1.png"))  # the walk's second digit
    lab = LabProcess(ROOT / "checkpoints")
    lab.wait_ready()

    def main_update(seed: int) -> None:
        result = lab.compare(digit, args.kind, 0.5, seed)
        panels_html(headline(result), result)
        curve_frame(result.curve, 0.5)

    def inside_update(seed: int) -> None:
        inside_html(lab.inspect(digit, args.kind, 0.5, seed), kind=args.kind)
        between_html(lab.interpolate(digit, other))

    def new_walk(seed: int) -> None:
        changed = digit.copy()
        changed.flat[seed % changed.size] += 1e-3  # a digit the walk has not seen
        between_html(lab.interpolate(changed, other))

    times = {"main": [], "inside": [], "walk": []}
    try:
        for seed in range(10):  # warm-up
            main_update(10_000 + seed)
            inside_update(10_000 + seed)
        for seed in range(args.requests):
            for name, update in (("main", main_update), ("inside", inside_update), ("walk", new_walk)):
                tick = time.perf_counter()
                update(seed if name == "main" or not args.cold else 100_000 + seed)
                times[name].append((time.perf_counter() - tick) * 1000)
    finally:
        lab.close()
    for name, values in times.items():
        print(f"{name:<7} p50 {percentile(values, 50):6.1f} ms  p95 {percentile(values, 95):6.1f} ms (n={len(values)})")
    for name in ("inside", "walk"):
        ratio = percentile(times[name], 50) / percentile(times["main"], 50)
        print(f"{name} / main p50: {ratio:.2f}x" + (" (goal: at most 2x)" if name == "inside" else ""))


if __name__ == "__main__":
    main()
