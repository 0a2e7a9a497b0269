"""dae-lab: draw or upload a digit, corrupt it, compare a linear and a convolutional denoising autoencoder.

    python app.py                      # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT to change)

A thin UI over the `dae` package: `to_mnist` prepares the digit,
`DenoisingLab.compare` corrupts, denoises and scores it. Also serves the API
endpoint `denoise` (see README.md).
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # start offline: no telemetry, no version check
# Gradio's queue rebuilds a pandas summary of its last 10,000 events after every event (for its monitoring page);
# it showed up in py-spy profiles of the update benchmark, so summarise every 1,000 events, over the last 1,000.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")

import base64  # noqa: E402
import io  # noqa: E402
import secrets  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from dae.lab_process import LabError, start_lab  # noqa: E402 - no torch in this process, see below

ROOT = Path(__file__).resolve().parent
CHECKPOINTS = Path(os.environ.get("DAE_CHECKPOINTS", ROOT / "checkpoints"))
# The models run in a process of their own, started first: it imports torch and loads the checkpoints on the
# other core while this one imports Gradio and builds the page (README, "Serving"). Two comparisons at a time,
# one torch thread each: a 2-core Space. Gradio's queue runs as many requests at a time as the process has slots.
CONCURRENCY = int(os.environ.get("DAE_CONCURRENCY", "2"))
LAB = start_lab(CHECKPOINTS, slots=CONCURRENCY, threads=int(os.environ.get("DAE_TORCH_THREADS", "1")))

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

from dae import NOISE_DOCS, NOISE_KINDS, NOISE_LABELS, check_noise  # noqa: E402
from dae.comparison import METHODS, Comparison, finite, to_uint8  # noqa: E402
from dae.preprocess import BlankImageError, ImageInputError, open_image, to_mnist  # noqa: E402

EXAMPLES = sorted((ROOT / "examples").glob("*.png"))
MAX_SEED = 2**31 - 1
# Gradio keeps every upload and every image the API returns in its cache (three new PNGs per API call): every
# half hour, delete those older than an hour, so a long-running Space does not fill its disk. Examples stay.
CACHE_CLEANUP = (1800, 3600)  # (every N seconds, files older than M seconds)
PROMPT = "<strong>Draw a digit</strong> on the canvas, upload an image, or click an example."
PANELS = {
    "clean": "Clean digit, 28×28",
    "noisy": "Corrupted input",
    "linear": "Linear DAE",
    "conv": "Convolutional DAE",
}
# Short series names: the legend does not wrap, and on a phone longer ones ran off the plot's edge.
CURVE_COLOURS = {"noisy": "#9ca3af", "median": "#16a34a", "linear": "#f97316", "conv": "#2563eb", "current": "#111827"}


def check_params(kind, strength, seed) -> tuple[str, float, int]:
    """Validate the controls (the API sends anything); raise gr.Error naming the valid values."""
    try:
        strength = check_noise(kind, strength)
    except ValueError as error:
        raise gr.Error(str(error).capitalize() + ".") from None
    try:
        whole = float(seed).is_integer() and 0 <= float(seed) <= MAX_SEED
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise gr.Error(f"Seed must be a whole number from 0 to {MAX_SEED}, got {seed!r}.")
    return kind, strength, int(seed)


def compare(digit: np.ndarray, kind: str, strength: float, seed: int, *, curve: bool = True) -> Comparison:
    try:
        return LAB.compare(digit, kind, strength, seed, curve=curve)
    except LabError as error:  # the models' process died (it restarts): say so, and keep serving
        raise gr.Error(f"Sorry, {error}.") from None


def metric_line(scores: dict, winner: bool = False) -> str:
    value = scores["psnr"]
    shown = "∞" if value == float("inf") else f"{value:.1f}"
    line = f"PSNR <strong>{shown} dB</strong> · SSIM <strong>{scores['ssim']:.2f}</strong>"
    return line + ("<br>★ <strong>better</strong>" if winner else "")


def png_data_url(image: np.ndarray) -> str:
    """A [0, 1] image as an inline PNG: a few hundred bytes in the page, no file written, no second request."""
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(image)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def panels_html(headline: str, result: Comparison | None = None) -> str:
    """The headline and the four panels, each with its scores and a download link (empty frames without a result)."""
    figures = []
    for name, title in PANELS.items():
        picture, text = '<div class="frame"></div>', ""
        if result is not None:
            url = png_data_url(getattr(result, name))
            picture = (
                f'<img src="{url}" alt="{title}">'
                f'<a class="save" href="{url}" download="dae-{name}.png" title="Download this 28x28 PNG">⤓</a>'
            )
            if name == "clean":
                text = "the reference: what the models get, before the noise"
            else:
                text = metric_line(result.scores[name], winner=result.better == name)
                text += "<br>the corrupted input" if name == "noisy" else ""
        figures.append(
            f'<figure class="panel panel-{name}"><figcaption>{title}</figcaption>'
            f'<div class="picture">{picture}</div><div class="metric">{text}</div></figure>'
        )
    return f'<p id="headline">{headline}</p><div class="panel-grid">{"".join(figures)}</div>'


def curve_frame(curve: dict, strength: float) -> pd.DataFrame:
    """The curve as the LinePlot's long table, with a vertical line at the current strength."""
    rows = [
        (s, value, name)
        for name in METHODS
        for s, value in zip(curve["strength"], curve[name], strict=False)
        if np.isfinite(value)
    ]
    values = [value for _, value, _ in rows]
    if values:
        rows += [(strength, y, "current") for y in (min(values), max(values))]
    return pd.DataFrame(rows, columns=["strength", "PSNR (dB)", "method"])


def empty_view(message: str = PROMPT) -> list:
    return [None, panels_html(message), None]


def view(digit: np.ndarray | None, kind, strength, seed) -> list:
    """All outputs of the page: the digit (state), the panels with their scores, the curve."""
    kind, strength, seed = check_params(kind, strength, seed)
    if digit is None:
        return empty_view()
    result = compare(digit, kind, strength, seed)
    gap = result.scores["conv"]["psnr"] - result.scores["linear"]["psnr"]
    if result.better == "tie":
        headline = "The two autoencoders tie on this digit."
    else:
        name = {"conv": "convolutional", "linear": "linear"}[result.better]
        headline = (
            f"The <strong>{name}</strong> autoencoder is closer to the clean digit, "
            f"by <strong>{abs(gap):.1f} dB</strong> PSNR."
        )
    return [digit, panels_html(headline, result), curve_frame(result.curve, strength)]


def from_sketch(sketch, kind, strength, seed):
    try:
        digit = to_mnist(sketch)
    except BlankImageError:
        return empty_view()
    except ImageInputError as error:
        raise gr.Error(str(error)) from None
    return view(digit, kind, strength, seed)


def read_upload(file) -> np.ndarray:
    """An uploaded file (its bytes, or a path) to a 28x28 digit, turning every problem into a message for the user."""
    if file is None:
        raise gr.Error("No file received. Upload a PNG or JPEG image of a digit.")
    try:
        return to_mnist(open_image(file))
    except ImageInputError as error:
        raise gr.Error(str(error)) from None


def from_upload(file, kind, strength, seed):
    if file is None:  # the upload was cleared
        return empty_view()
    return view(read_upload(file), kind, strength, seed)


def from_example(kind, strength, seed, event: gr.SelectData):
    """An example digit; also empties the upload box, which would otherwise show a file that is not on view."""
    return [*view(read_upload(EXAMPLES[event.index]), kind, strength, seed), None]


def denoise(image, kind, strength, seed):
    """API: an image file, a noise kind, a strength in [0, 1] and a seed -> the four images and the metrics."""
    kind, strength, seed = check_params(kind, strength, seed)
    result = compare(read_upload(image), kind, strength, seed, curve=False)
    metrics = {name: {key: finite(value) for key, value in scores.items()} for name, scores in result.scores.items()}
    metrics.update(better=result.better, kind=kind, strength=strength, seed=seed)
    panels = (to_uint8(getattr(result, name)) for name in PANELS)
    return (*panels, metrics)


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED)


CSS = """
.gradio-container {max-width: 1180px !important; margin: auto}
/* the panels are the 28x28 images themselves, enlarged by the browser with nearest-neighbour: crisp pixels,
   and a few hundred bytes per image instead of a server-side 280x280 PNG on every update */
#headline {font-size: 1.05rem; margin: 4px 0 10px}
#panels .panel-grid {display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px}
#panels figure {margin: 0; padding: 8px; border: 1px solid var(--border-color-primary);
  border-radius: var(--block-radius); background: var(--block-background-fill)}
#panels figcaption {font-size: 0.85rem; font-weight: 600; color: var(--body-text-color); margin-bottom: 6px}
#panels .picture {position: relative}
#panels img, #panels .frame {display: block; width: 100%; aspect-ratio: 1; background: #000; border-radius: 4px}
#panels img {image-rendering: pixelated}
#panels .save {position: absolute; top: 4px; right: 6px; color: #fff; opacity: 0.6; text-decoration: none}
#panels .save:hover {opacity: 1}
#panels .metric {text-align: center; min-height: 3.2em; margin-top: 6px; font-size: 0.9rem}
@media (max-width: 640px) {
  #panels .panel-grid {grid-template-columns: repeat(2, minmax(0, 1fr))}
  /* two-line titles beside one-line ones: keep the pictures level */
  #panels figcaption {min-height: 2.8em; line-height: 1.4}
}
#sketch {max-width: 330px; margin: auto}
#examples .grid-container {grid-template-columns: repeat(5, minmax(0, 1fr)) !important}
/* square thumbnails at every width, never cropped, and no empty space below them */
#examples .grid-wrap {height: auto !important; min-height: 0 !important; max-height: none !important; overflow: visible;
  padding-top: 30px !important}  /* below the floating label */
#examples .grid-container {grid-template-rows: none !important; grid-auto-rows: auto !important}
#examples .thumbnail-item {aspect-ratio: 1; height: auto}
#seed-row {flex-wrap: wrap}
#seed-row > * {min-width: 140px !important}
footer {display: none !important}
"""
# Gradio 6.31's bundled semibold fonts are fragments (SourceSansPro-SemiBold.woff2: 55 glyphs, "A", "B" and some
# Cyrillic), so semibold text (titles, labels, our captions) mixed two fonts: "DAE" with a small "A". With
# weights 400 and 700 declared, the browser draws semibold text from the complete Bold faces instead.
THEME = gr.themes.Default(
    font=(gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"),
    font_mono=(gr.themes.LocalFont("IBM Plex Mono", weights=(400, 700)), "ui-monospace", "Consolas", "monospace"),
)
# No tool is selected when a Sketchpad opens, so strokes do nothing: select the brush on load.
SELECT_BRUSH = """() => { setTimeout(() => {
  const button = document.querySelector('#sketch button[aria-label="Brush"]');
  if (button) button.click();
}, 300); }"""


def build(delete_cache: tuple[int, int] = CACHE_CLEANUP) -> gr.Blocks:
    with gr.Blocks(title="dae-lab: denoising autoencoders", analytics_enabled=False, delete_cache=delete_cache) as demo:
        gr.Markdown(
            "# dae-lab · denoising autoencoders\n"
            "Draw a digit, corrupt it, and see how a **linear** and a **convolutional** denoising autoencoder "
            "restore it. Both were trained only to map noisy digits back to clean ones."
        )
        digit_state = gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=300):
                with gr.Tabs():
                    with gr.Tab("Draw"):
                        sketch = gr.Sketchpad(
                            label="Draw a digit",
                            type="numpy",
                            image_mode="RGBA",
                            canvas_size=(280, 280),
                            brush=gr.Brush(default_size=12, colors=["#000000"], color_mode="fixed"),
                            elem_id="sketch",
                            layers=False,
                            transforms=(),
                        )
                    with gr.Tab("Upload"):
                        # type="binary" (here and in the API): the functions get the file's bytes. With "filepath",
                        # Gradio 6.31 leaves an empty temporary file in its cache on every event (50 updates: 50 files).
                        upload = gr.File(
                            label="Upload an image of a digit", file_types=["image"], type="binary", elem_id="upload"
                        )
            with gr.Column(scale=1, min_width=300):
                kind = gr.Radio(
                    choices=[(NOISE_LABELS[k], k) for k in NOISE_KINDS],
                    value="gaussian",
                    label="Noise",
                    info="Gaussian: σ · masking: share of pixels zeroed · salt and pepper: share flipped to 0/1",
                    elem_id="kind",
                )
                strength = gr.Slider(0, 1, value=0.5, step=0.01, label="Strength", elem_id="strength")
                with gr.Row(elem_id="seed-row"):
                    seed = gr.Number(
                        value=0, precision=0, minimum=0, maximum=MAX_SEED, label="Seed", elem_id="seed", min_width=100
                    )
                    fresh = gr.Button("↻ New noise", elem_id="new-noise", min_width=100)
                kind_help = gr.Markdown(f"*{NOISE_DOCS['gaussian']}*")
                examples = gr.Gallery(
                    value=[str(path) for path in EXAMPLES],
                    label="Or click an example: real MNIST test digits",
                    columns=5,
                    rows=2,
                    height="auto",
                    object_fit="contain",
                    allow_preview=False,
                    elem_id="examples",
                    buttons=[],
                )
        # One HTML output for the headline, the four panels and their scores: the 28x28 PNGs travel inline
        # (see png_data_url), so an update writes no files and the browser fetches nothing more.
        panels = gr.HTML(panels_html(PROMPT), elem_id="panels")
        curve = gr.LinePlot(
            x="strength",
            y="PSNR (dB)",
            color="method",
            color_map=CURVE_COLOURS,
            x_lim=[0, 1],
            title="PSNR against strength · black line: current",
            colors_in_legend=list(METHODS),  # not "current": the title names the black line
            color_title="",
            height=300,
            elem_id="curve",
        )
        outputs = [digit_state, panels, curve]
        common = dict(outputs=outputs, api_visibility="private", trigger_mode="always_last", show_progress="hidden")

        sketch.change(from_sketch, [sketch, kind, strength, seed], **common)
        # undocumented but callable over HTTP: scripts/bench_app.py times the page's full update through it.
        # .upload and .clear, not .change: an example click empties the upload box without emptying the panels.
        upload.upload(
            from_upload,
            [upload, kind, strength, seed],
            **{**common, "api_visibility": "undocumented"},
            api_name="update",
        )
        upload.clear(empty_view, None, **common)
        examples.select(from_example, [kind, strength, seed], **{**common, "outputs": [*outputs, upload]})
        for event in (kind.change, strength.release, seed.change):
            event(view, [digit_state, kind, strength, seed], **common)
        kind.change(lambda k: f"*{NOISE_DOCS[k]}*", kind, kind_help, api_visibility="private", show_progress="hidden")
        fresh.click(new_seed, None, seed, api_visibility="private", show_progress="hidden")

        # The API endpoint: an image file in, the four images and the metrics out. It has inputs of its own, with
        # no choices or ranges, so every value reaches check_params, whose messages name the valid values.
        with gr.Group(visible=False):
            api_inputs = [
                gr.File(label="image", type="binary"),
                gr.Textbox(value="gaussian", label="kind"),
                gr.Number(value=0.5, label="strength"),
                gr.Number(value=0, label="seed"),
            ]
            api_outputs = [gr.Image(label=title, format="png") for title in PANELS.values()]
            api_outputs.append(gr.JSON(label="metrics"))
            api_trigger = gr.Button()
        api_trigger.click(denoise, api_inputs, api_outputs, api_name="denoise")
        demo.load(None, js=SELECT_BRUSH)
    return demo


demo = build()
demo.queue(default_concurrency_limit=CONCURRENCY, max_size=64)
try:
    LAB.wait_ready()  # loaded by now, as a rule: the models' process started before Gradio's import
except LabError as error:
    sys.exit(
        f"Cannot start: {error}\nRebuild the checkpoints with: python scripts/train.py --model both "
        f"--data-dir <MNIST folder> (or restore them with: git checkout -- checkpoints)"
    )


def launch(**kwargs):
    """Start the server; honours GRADIO_SERVER_NAME and GRADIO_SERVER_PORT like any Gradio app."""
    return demo.launch(css=CSS, theme=THEME, show_error=False, **kwargs)


if __name__ == "__main__":
    launch()
