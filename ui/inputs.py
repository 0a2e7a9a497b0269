"""The page's own input widgets: the drawing canvas and the strip of example digits.

    sketch = drawing_canvas()          # gr.HTML; its value is a small PNG data URL of the drawing, "" when empty
    strip = example_strip(paths)       # gr.HTML; .select gives the example's index, its value is the index on view

Both are plain HTML and a little JavaScript inside `gr.HTML` (see canvas.js and
examples.js beside this file). Gradio's Sketchpad took 825 ms from a stroke to
an answer here and dropped strokes; a plain canvas answers in tens of
milliseconds (docs/serving.md).
"""

from __future__ import annotations

import base64
from pathlib import Path

import gradio as gr

HERE = Path(__file__).resolve().parent

CANVAS_HTML = """
<div class="sketch-box">
  <canvas role="img" aria-label="Drawing area for a digit" aria-describedby="sketch-how" tabindex="0"></canvas>
  <p id="sketch-how" class="visually-hidden">Draw a digit with the mouse, a finger or a pen; Ctrl+Z undoes a
  stroke. Without a pointer, pick one of the MNIST examples below with Tab and Enter, or upload a photo.</p>
  <p class="sketch-hint">Draw a digit here</p>
</div>
<div class="sketch-tools" role="toolbar" aria-label="Drawing tools">
  <button type="button" data-tool="pen" aria-pressed="true" title="Draw">✎ Pen</button>
  <button type="button" data-tool="eraser" aria-pressed="false" title="Erase part of the drawing">⌫ Eraser</button>
  <button type="button" data-tool="undo" title="Undo the last stroke (Ctrl+Z)">↶ Undo</button>
  <button type="button" data-tool="clear" title="Start again">✕ Clear</button>
</div>
"""

CANVAS_CSS = """
.sketch-box {position: relative; width: min(100%, 300px); margin: 0 auto}
.sketch-box canvas {display: block; width: 100%; aspect-ratio: 1; background: #000; border-radius: 8px;
  touch-action: none; cursor: crosshair; user-select: none; -webkit-user-select: none}
.sketch-box.erasing canvas {cursor: cell}
.sketch-hint {position: absolute; inset: 0; margin: 0; display: none; align-items: center; justify-content: center;
  color: #9ca3af; pointer-events: none; font-size: 1.05rem}
.sketch-box.empty .sketch-hint {display: flex}
.sketch-tools {display: flex; gap: 6px; justify-content: center; margin-top: 8px; flex-wrap: wrap}
.sketch-tools button {display: inline-flex; align-items: center; height: 30px; padding: 0 10px; line-height: 1;
  border-radius: 6px;
  border: 1px solid var(--border-color-primary);
  background: var(--button-secondary-background-fill); color: var(--body-text-color); font-size: 0.9rem;
  cursor: pointer}
.sketch-tools button[aria-pressed="true"] {background: var(--color-accent-soft); border-color: var(--color-accent)}
.sketch-tools button:disabled {opacity: 0.45; cursor: default}
"""

STRIP_CSS = """
.strip-label {font-size: 0.85rem; color: var(--body-text-color-subdued); margin: 0 0 4px; text-align: center}
.strip {display: grid; grid-template-columns: repeat(10, minmax(0, 1fr)); gap: 4px; max-width: 300px; margin: 0 auto}
.strip button {padding: 0; border: 2px solid transparent; border-radius: 4px; background: #000; cursor: pointer;
  aspect-ratio: 1; overflow: hidden}
.strip button[aria-pressed="true"] {border-color: var(--color-accent)}
.strip img {display: block; width: 100%; height: 100%; image-rendering: pixelated}
"""


def drawing_canvas(elem_id: str = "sketch") -> gr.HTML:
    """The drawing canvas with its pen, eraser, undo and clear buttons."""
    return gr.HTML(
        value="",
        html_template=CANVAS_HTML,
        css_template=CANVAS_CSS,
        js_on_load=(HERE / "canvas.js").read_text(),
        elem_id=elem_id,
    )


def example_strip(paths: list[Path], elem_id: str = "examples") -> gr.HTML:
    """One row of clickable example digits, shown as their own 28x28 PNGs."""
    tiles = "".join(
        f'<button type="button" data-index="{i}" aria-pressed="false" title="Example {i}: a real MNIST test digit">'
        f'<img alt="example {i}" src="data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}"></button>'
        for i, path in enumerate(paths)
    )
    return gr.HTML(
        value="",
        html_template=f'<p class="strip-label">or pick a real MNIST digit</p><div class="strip">{tiles}</div>',
        css_template=STRIP_CSS,
        js_on_load=(HERE / "examples.js").read_text(),
        elem_id=elem_id,
    )
