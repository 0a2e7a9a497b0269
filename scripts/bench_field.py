"""The field lab's speed in a real browser: σ's redraw, and the comparison's strokes while a field trains.

    python scripts/bench_field.py                 # 40 σ moves; 12 strokes idle, 12 during field trainings

Headless Chromium (Debian's) opens the app, trains the field on the two moons
for 3 s, then moves the σ slider by a key press 40 times: each is timed from
the key's event to the next painted frame after the canvas was redrawn
(field.js stamps data-drawn-at). Then strokes on the digit canvas are timed
as scripts/bench_browser.py times them (pointer-up to the panels' answer),
first with nothing else running, then while 30-s field trainings run through
the API (/field) one after another, and the two are compared.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_browser import measure  # noqa: E402
from chromium import CHROMIUM, FLAGS  # noqa: E402
from gradio_http import PYTHON, percentile, start_server  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# from the key press (its event's time stamp) to the first frame painted after the redraw that followed it
REDRAW = """async () => {
  const figure = document.querySelector('#field .field-figure');
  const slider = document.querySelector('#field .field-sigma');
  const before = figure.dataset.drawnAt;
  const pressed = performance.now();
  slider.value = String((Number(slider.value) + 1) % (Number(slider.max) + 1));
  slider.dispatchEvent(new Event('input', {bubbles: true}));
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return figure.dataset.drawnAt !== before ? performance.now() - pressed : null;
}"""


def sigma_redraws(browser, url: str, moves: int) -> list[float]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    page.goto(url + "?field=moons")
    page.wait_for_selector("#panels img")
    page.get_by_text("What a denoiser learns: the field in 2-D").click()
    seconds = page.locator("#field-seconds input[type='number']")
    seconds.fill("3")
    seconds.press("Enter")
    page.locator("#field-start").click()
    page.wait_for_function("Number(document.querySelector('#field .field-figure').dataset.samples) > 0")
    page.locator("#field canvas").scroll_into_view_if_needed()
    times = [page.evaluate(REDRAW) for _ in range(moves)]
    page.close()
    missing = times.count(None)
    if missing:
        raise SystemExit(f"{missing} of {moves} σ moves were not redrawn")
    return times


def train_fields(url: str, stop: threading.Event) -> None:
    """30-s field trainings through the API, one after another, until `stop`."""
    from gradio_client import Client

    from dae.points import make_points

    client = Client(url, verbose=False)
    points = make_points("swiss_roll", 2000, seed=0).tolist()
    while not stop.is_set():
        try:
            client.predict(points, 30, 0, api_name="/field")
        except Exception:  # noqa: BLE001 - the server stopping cancels the call under way
            if not stop.is_set():
                raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--moves", type=int, default=40, help="σ moves timed")
    parser.add_argument("--strokes", type=int, default=12, help="strokes timed, idle and during training each")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    app = start_server([PYTHON, "app.py"], cwd=ROOT)
    stop = threading.Event()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            redraws = sigma_redraws(browser, app.url, args.moves)
            idle = measure(browser, app.url, args.strokes, "#panels img")
            trainer = threading.Thread(target=train_fields, args=(app.url, stop), daemon=True)
            trainer.start()
            busy = measure(browser, app.url, args.strokes, "#panels img")
            stop.set()
            browser.close()
    finally:
        stop.set()
        app.stop()
    print(f"σ redraw, key to painted frame: p50 {percentile(redraws, 50):.1f} ms, p95 {percentile(redraws, 95):.1f} ms "
          f"(n={len(redraws)}; goal: p50 at most 100 ms)")  # fmt: skip
    for name, result in (("idle", idle), ("during field training", busy)):
        times = result["latencies"]
        print(f"stroke, {name:<22} p50 {percentile(times, 50):6.1f} ms   p95 {percentile(times, 95):6.1f} ms   "
              f"answered {len(times)}/{len(times) + result['unanswered']}")  # fmt: skip
    ratio = percentile(busy["latencies"], 50) / percentile(idle["latencies"], 50)
    print(f"stroke p50 during field training / idle: {ratio:.2f}x (goal: at most 1.5x)")


if __name__ == "__main__":
    main()
