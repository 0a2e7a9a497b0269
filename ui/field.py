"""What a denoiser learns, a part of the page: train a denoiser on points in 2-D, see its field r(x) − x, and
follow it to samples.

    field.section(page)       # the accordion: the canvas, the set, Train and Stop, the loss curve; wired
    field.train_stream(...)   # the page's training: snapshots of the field at least twice a second, then samples

The training runs in a process of its own at the lowest priority
(server.zerogpu.run_in_process: dae.field.run_field), so the comparison keeps answering.
What the visitor then changes on the canvas (σ, what is shown) is redrawn by
field.js from the last snapshot, without the server.
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from dae.points import MAX_FIELD_SECONDS, SET_LABELS, SETS, check_field, make_points, unpack
from server.zerogpu import run_in_process

from .page import QUIET, Page, StopFlags, messages

HERE = Path(__file__).resolve().parent
DEFAULT_SET = "moons"
SHOWN_POINTS = 2000  # points of a built-in set
NOTE = (
    "A denoiser trained at noise level σ moves a point x to r(x), its guess of the clean point; the arrow r(x) − x "
    "points towards the data (Tweedie's formula: r(x) − x ≈ σ² ∇ log p(x)). Move **σ**: at a small σ the arrows are "
    "strong only near the data and wrong far from it; at a large σ they reach everywhere but blur the data. So a "
    "sampler follows them while σ shrinks (the **ODE** sampler, the same formula the Generate part runs on digits; "
    "**EDM's** adds fresh noise before each step, which washes out the field's errors), while **Langevin** at one "
    "small σ gets stuck where it starts. Colour: |r(x) − x| / σ², blue weak, red strong."
)
HTML = """
<figure class="field-figure" data-points="0" data-arrows="0" data-samples="0">
  <div class="field-box"><canvas role="img" tabindex="0" aria-label="The 2-D field"></canvas></div>
  <div class="field-controls">
    <label class="field-sigma-label">σ <input type="range" class="field-sigma" min="0" max="23" step="1" value="12"
      aria-label="Noise level σ, on a log scale"> <span class="field-sigma-value"></span></label>
    <span class="field-toggles">
      <label><input type="checkbox" data-show="arrows" checked> arrows</label>
      <label><input type="checkbox" data-show="points" checked> data</label>
      <label><input type="radio" name="field-sampler" value="edm" checked> EDM samples</label>
      <label><input type="radio" name="field-sampler" value="ode"> ODE samples</label>
      <label><input type="radio" name="field-sampler" value="langevin"> Langevin at σ</label>
      <label><input type="radio" name="field-sampler" value="none"> no samples</label>
    </span>
    <span class="field-buttons"><button type="button" data-tool="play">▶ ODE trajectories</button>
      <button type="button" data-tool="clear">✕ Clear points</button></span>
  </div>
  <figcaption class="field-numbers" aria-live="polite"></figcaption>
</figure>
"""
CSS = """
.field-box {width: min(100%, 440px); margin: 0 auto}
.field-box canvas {display: block; width: 100%; aspect-ratio: 1; border-radius: 8px; touch-action: none;
  cursor: crosshair}
.field-controls {display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; justify-content: center;
  margin-top: 8px; font-size: 0.9rem}
.field-controls label {display: inline-flex; align-items: center; gap: 4px}
.field-sigma {width: 160px}
.field-buttons button {height: 30px; padding: 0 10px; border-radius: 6px; border: 1px solid var(--border-color-primary);
  background: var(--button-secondary-background-fill); color: var(--body-text-color); cursor: pointer}
.field-numbers {font-size: 0.9rem; margin: 8px 0 0; text-align: center}
"""

# the chosen set goes into the address bar, so the page's Copy link keeps it (ui/share.py keeps what it does not set)
KEEP_IN_LINK = """(name) => {
  const query = new URLSearchParams(window.location.search);
  query.set("field", name);
  window.history.replaceState(null, "", window.location.pathname + "?" + query.toString().replace(/%2C/g, ","));
  return name;
}"""


def set_value(name: str, seed: int = 0) -> str:
    """The canvas's value for a built-in set ("draw": no points yet)."""
    points = [] if name not in SETS else make_points(name, SHOWN_POINTS, seed).round(3).tolist()
    return json.dumps({"points": points, "set": name if name in SETS else ""})


def read_value(value: str | None) -> dict:
    try:
        state = json.loads(value or "{}")
    except json.JSONDecodeError:
        raise gr.Error("The canvas sent something that is not its points; press Clear points and draw again.") from None
    return state if isinstance(state, dict) else {}


STOPS = StopFlags()


def train_stream(value, seconds, seed, request: gr.Request):
    """The page's training on the points on the canvas: the field and the loss at least twice a second, then the
    samples and the numbers."""
    state = read_value(value)
    points = state.get("points") or []
    with messages():
        job = check_field(points, seconds, seed, state.get("set", ""))
    session = request.session_hash or ""
    STOPS.take(session)  # a stale Stop from before this training
    base = {"points": points, "set": job.set_name}
    yield [gr.skip(), None, "Starting: loading torch in a process of its own…"]
    with messages():
        for kind, snapshot in run_in_process(job, lambda: STOPS.take(session)):
            snapshot.pop("samples", None), snapshot.pop("ode_samples", None)
            shown = {**base, **snapshot}
            curve = pd.DataFrame(snapshot["curve"], columns=["seconds", "loss"])
            if kind == "progress":
                yield [json.dumps(shown), curve, f"Training… {snapshot['seconds']:.1f} s, epoch {snapshot['epoch']}"]
            else:
                m = snapshot["metrics"]
                done = f"**Done**: {m['steps']:,} steps in {m['seconds']:.1f} s on {m['points']:,} points."
                yield [json.dumps(shown), curve, done]


def train_to_end(job) -> dict:
    """One field training to its end (the API's field): the result of dae.field.result."""
    with messages():
        for kind, snapshot in run_in_process(job):
            if kind == "done":
                return snapshot
    raise gr.Error("The training ended without a result; try again.")


def picture(points: list, result: dict, sigma: float = 0.1, size: int = 480) -> np.ndarray:
    """The field at the level of LEVELS nearest `sigma` over the data (grey) and the samples of EDM's stochastic
    sampler (blue): RGB uint8."""
    image = Image.new("RGB", (size, size), (11, 16, 32))
    draw = ImageDraw.Draw(image)
    box, side, levels = result["box"], result["side"], result["levels"]
    at = lambda x, y: ((x / box + 1) / 2 * size, (1 - y / box) / 2 * size)  # noqa: E731
    for x, y in points:
        draw.point(at(x, y), fill=(156, 163, 175))
    for x, y in unpack(result["edm"]).reshape(-1, 2):
        draw.point(at(x, y), fill=(96, 165, 250))
    index = int(np.argmin([abs(np.log(level / sigma)) for level in levels]))
    arrows = unpack(result["field"]).reshape(len(levels), side * side, 2)[index]
    grid = np.linspace(-box, box, side)
    reach = size / side * 0.45
    for k, (dx, dy) in enumerate(arrows):
        length = float(np.hypot(dx, dy))
        if length > 1e-6:
            x0, y0 = at(grid[k % side], grid[k // side])
            draw.line([(x0, y0), (x0 + dx / length * reach, y0 - dy / length * reach)], fill=(248, 113, 113))
    return np.asarray(image)


def stop_field(request: gr.Request) -> None:
    STOPS.set(request.session_hash or "")


def section(page: Page) -> None:
    """The field accordion: a canvas of points and arrows, the set, the time budget, Train and Stop."""
    with gr.Accordion("What a denoiser learns: the field in 2-D", open=False, elem_id="field-section"):
        gr.Markdown(NOTE, elem_id="field-note")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                canvas = gr.HTML(
                    set_value(DEFAULT_SET), html_template=HTML, css_template=CSS,
                    js_on_load=(HERE / "field.js").read_text(), elem_id="field",
                )  # fmt: skip
            with gr.Column(scale=2, min_width=260):
                choices = [(label, name) for name, label in SET_LABELS.items()] + [("Draw your own", "draw")]
                points = gr.Radio(choices, value=DEFAULT_SET, label="Points", elem_id="field-set")
                seconds = gr.Slider(1, MAX_FIELD_SECONDS, value=10, step=1, label="Seconds", elem_id="field-seconds")
                seed = gr.Number(0, precision=0, minimum=0, label="Seed", elem_id="field-seed")
                with gr.Row():
                    start = gr.Button("Train", variant="primary", elem_id="field-start")
                    stop = gr.Button("Stop", elem_id="field-stop")
                status = gr.Markdown("Pick a set or draw points, then press **Train**.", elem_id="field-status")
                curve = gr.LinePlot(x="seconds", y="loss", title="Denoising loss, held-out noise", height=200,
                                    elem_id="field-curve")  # fmt: skip
    points.input(set_value, points, canvas, js=KEEP_IN_LINK, **QUIET)
    start.click(train_stream, [canvas, seconds, seed], [canvas, curve, status], api_visibility="private",
                concurrency_limit=1, concurrency_id="field", show_progress="hidden")  # fmt: skip
    stop.click(stop_field, None, None, **QUIET)

    def opened(request: gr.Request):
        name = request.query_params.get("field", DEFAULT_SET)
        return [name, set_value(name)] if name in (*SETS, "draw") else [DEFAULT_SET, set_value(DEFAULT_SET)]

    page.demo.load(opened, None, [points, canvas], **QUIET)
