"""Time a stroke's answer in a real browser: from pointer-up on the canvas to the panels showing the result.

    python scripts/bench_browser.py                  # 20 strokes on the app and on a bare app, p50/p95

Headless Chromium (Debian's, never a downloaded one) draws with the mouse on
the app's canvas and on a bare Gradio app that has the same canvas and a change
event that only returns a tiny inline image: the floor of any canvas in Gradio.
Each stroke is drawn over about half a second on a cleared canvas; the time is
from pointer-up to the last change of the panels after the canvas sent the
finished drawing (the answer to the finished stroke, not an earlier one sent
mid-stroke), seen by a MutationObserver in the page. The finished drawing is
sent at pointer-up, or earlier when the throttled send after the last pointer
move already carried it: pointer-up then sends the same value, which fires no
change event, and the answer may be on view before the pointer lifts (counted
as 0 ms, and shown as "on view at pointer-up"). A stroke with no such change
within 3 s counts as unanswered. Also counts the answers that arrived while
the stroke was drawn.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chromium import CHROMIUM, FLAGS  # noqa: E402
from gradio_http import PYTHON, percentile, start_server  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BARE_APP = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import gradio as gr
from ui.inputs import drawing_canvas
DOT = '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="{{}}">'
with gr.Blocks(analytics_enabled=False) as demo:
    sketch = drawing_canvas("sketch")
    panels = gr.HTML("", elem_id="panels")
    sketch.change(lambda value: DOT.format(len(value or "")), sketch, panels, show_progress="hidden")
demo.queue().launch()
"""
WATCH = """() => {
  window.marks = {up: [], down: [], move: [], sent: [], change: []};
  const canvas = document.querySelector('#sketch canvas');
  canvas.addEventListener('pointerup', () => marks.up.push(performance.now()), true);
  canvas.addEventListener('pointerdown', () => marks.down.push(performance.now()), true);
  canvas.addEventListener('pointermove', () => marks.move.push(performance.now()), true);
  document.addEventListener('dae-drawn', () => marks.sent.push(performance.now()));  // ui/canvas.js, each send
  // a change is a new set of result images (Gradio's own status classes also mutate the subtree: not counted)
  const panels = document.querySelector('#panels');
  const shown = () => [...panels.querySelectorAll('img')].map(image => image.src + image.alt).join();
  let last = shown();
  new MutationObserver(() => {
    const now = shown();
    if (now !== last) { last = now; marks.change.push(performance.now()); }
  }).observe(panels, {subtree: true, childList: true, attributes: true});
}"""
QUIET_MS = 3000  # after pointer-up: the answer must come within this


def draw_stroke(page, index: int) -> None:
    """A digit-like stroke (a '7' or a '1' with a slant), different for every index, over about half a second."""
    box = page.locator("#sketch canvas").bounding_box()
    side = box["width"]
    shift = (index % 5) * 0.04
    if index % 2:
        path = [(0.25 + shift, 0.2), (0.72 + shift, 0.2), (0.4 + shift, 0.85)]
    else:
        path = [(0.45 + shift, 0.15), (0.5 + shift, 0.5), (0.42 + shift, 0.85)]
    page.mouse.move(box["x"] + path[0][0] * side, box["y"] + path[0][1] * side)
    page.mouse.down()
    for (x0, y0), (x1, y1) in zip(path, path[1:], strict=False):
        for step in range(1, 11):
            t = step / 10
            page.mouse.move(box["x"] + (x0 + t * (x1 - x0)) * side, box["y"] + (y0 + t * (y1 - y0)) * side)
            page.wait_for_timeout(25)
    page.mouse.up()


def measure(browser, url: str, strokes: int, ready: str) -> dict:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    page.goto(url)
    page.wait_for_selector(ready)
    page.wait_for_timeout(1000)
    page.evaluate(WATCH)
    latencies, during, unanswered, early = [], [], 0, 0
    for i in range(strokes + 1):  # the first stroke after load is a warm-up
        if page.locator("#sketch button[data-tool=clear]").is_enabled():
            page.click("#sketch button[data-tool=clear]")
            page.wait_for_timeout(800)
        draw_stroke(page, i)
        page.wait_for_timeout(QUIET_MS)
        marks = page.evaluate("marks")
        down, up = marks["down"][-1], marks["up"][-1]
        # the first send after the last move carries the finished drawing (pointer-up's, or the throttle's)
        finished = min(t for t in marks["sent"] if t >= marks["move"][-1])
        after = [t for t in marks["change"] if finished < t <= up + QUIET_MS]
        if i == 0:
            continue
        during.append(sum(down < t <= up for t in marks["change"]))
        if after:
            latencies.append(max(0.0, max(after) - up))
            early += max(after) <= up
        else:
            unanswered += 1
    page.close()
    return {"latencies": latencies, "during": during, "unanswered": unanswered, "early": early}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strokes", type=int, default=20, help="timed strokes per app")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        bare_file = Path(folder) / "bare_app.py"
        bare_file.write_text(BARE_APP)
        bare = start_server([PYTHON, str(bare_file)], cwd=Path(folder))
        app = start_server([PYTHON, "app.py"], cwd=ROOT)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                results = {
                    "bare canvas app": measure(browser, bare.url, args.strokes, "#sketch canvas"),
                    "dae-lab": measure(browser, app.url, args.strokes, "#panels img"),
                }
                browser.close()
        finally:
            app.stop()
            bare.stop()

    for name, result in results.items():
        times = result["latencies"]
        answered = len(times)
        shown = f"p50 {percentile(times, 50):6.1f} ms   p95 {percentile(times, 95):6.1f} ms" if times else "no answers"
        print(
            f"{name:<16} pointer-up to panels: {shown}   answered {answered}/{answered + result['unanswered']} strokes"
            f" ({result['early']} on view at pointer-up)"
            f"   answers while drawing: median {sorted(result['during'])[len(result['during']) // 2]} per stroke"
        )
    app_p50 = percentile(results["dae-lab"]["latencies"], 50)
    print(f"dae-lab p50 {app_p50:.1f} ms (goal: at most 150 ms, every stroke answered)")


if __name__ == "__main__":
    main()
