"""The comparison, the page's first part: give a digit, corrupt it, see each autoencoder's reconstruction.

    compare.section(page)        # the input column, the panels, the noise controls and the curve, wired
    compare.view(lab, digit, "gaussian", 0.5, 0)    # [digit, panels' HTML, curve's table]: one update

The digit comes from the canvas, an example or an uploaded photo (`to_mnist`
prepares each the same way); `lab.compare` corrupts, denoises and scores it
in the models' process; ui/panels.py draws the result. The page opens in the
state its link names (ui/share.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import gradio as gr
import numpy as np

from dae.comparison import DENOISERS, METHODS
from dae.kinds import MAX_SEED, NOISE_DOCS, NOISE_KINDS, NOISE_LABELS
from dae.names import NAMES
from dae.preprocess import BlankImageError, open_data_url, open_image, to_mnist

from .inputs import drawing_canvas, example_strip
from .page import QUIET, Page, check_params, messages
from .panels import curve_frame, headline, panels_html
from .share import COPY_LINK_JS, SharedState, read_query

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.png"))
PROMPT = "<strong>Draw a digit</strong> on the canvas, upload a photo of one, or pick an example."
OPENING = SharedState(kind="gaussian", strength=0.5, seed=0, example=7)  # what the page shows before any input
# Short series names: the legend does not wrap, and on a phone longer ones ran off the plot's edge.
CURVE_COLOURS = {
    "noisy": "#9ca3af",
    "median": "#16a34a",
    "linear": "#f97316",
    "conv": "#2563eb",
    "unet": "#db2777",
    "current": "#111827",
}
CURVE_NOTE = (
    "How each method's PSNR falls as the noise gets stronger, for this digit and this noise draw. "
    "**median** is a classic 3×3 median filter, no learning involved, for reference; **noisy** is the corrupted "
    "input itself. The black line marks the current strength."
)
# a new input replaces the example or drawing on view: wipe the canvas without sending anything (ui/canvas.js)
CLEAR_CANVAS_JS = "(...args) => { document.dispatchEvent(new CustomEvent('dae-input')); return args; }"


def on_view(models) -> tuple[str, ...]:
    """The autoencoders the visitor keeps on view (the Models boxes; all of them when not given)."""
    return DENOISERS if models is None else tuple(name for name in DENOISERS if name in models)


def empty_view(message: str = PROMPT, models=None) -> list:
    return [None, panels_html(message, None, on_view(models)), None]


def view(lab, digit: np.ndarray | None, kind, strength, seed, yours: str | None = None, models=None) -> list:
    """All outputs of the comparison: the digit (state), the panels with their scores, the curve.

    yours: the visitor's live-trained model (a checkpoint zip's path), shown as a last panel.
    models: the shipped autoencoders on view (all by default): the others' panels and curves are hidden.
    """
    kind, strength, seed = check_params(kind, strength, seed)
    models = on_view(models)
    if digit is None:
        return empty_view(models=models)
    with messages():
        result = lab.compare(digit, kind, strength, seed, yours=yours)
    return [digit, panels_html(headline(result, models), result, models), curve_frame(result.curve, strength, models)]


def from_sketch(lab, sketch, kind, strength, seed, yours=None, models=None) -> list:
    """The canvas's value (a PNG data URL, "" when empty), treated as untrusted input; also un-highlights examples."""
    with messages():
        try:
            digit = to_mnist(open_data_url(sketch))
        except BlankImageError:
            return [*empty_view(models=models), ""]
    return [*view(lab, digit, kind, strength, seed, yours, models), ""]


def read_upload(file) -> np.ndarray:
    """An uploaded file (its bytes, or a path) to a 28x28 digit, turning every problem into a message for the user."""
    if file is None:
        raise gr.Error("No file received. Upload a PNG or JPEG image of a digit.")
    with messages():
        return to_mnist(open_image(file))


def from_upload(lab, file, kind, strength, seed, yours=None, models=None) -> list:
    if file is None:  # the upload was cleared
        return [*empty_view(models=models), ""]
    return [*view(lab, read_upload(file), kind, strength, seed, yours, models), ""]


def show_example(lab, index: int, kind, strength, seed, yours=None, models=None) -> list:
    """Example `index` in the panels, and its index for the strip to highlight."""
    return [*view(lab, read_upload(EXAMPLES[index]), kind, strength, seed, yours, models), str(index)]


def from_example(lab, index, kind, strength, seed, yours=None, models=None) -> list:
    """A click on the example strip; also empties the upload box, which would otherwise show a file not on view."""
    if not isinstance(index, int) or not 0 <= index < len(EXAMPLES):
        raise gr.Error(f"There is no example {index!r}; pick one of the {len(EXAMPLES)} on the page.")
    return [*show_example(lab, index, kind, strength, seed, yours, models), None]


def opening(lab, query: dict) -> list:
    """The page's first state: the URL's settings (see ui/share.py) or the default example, already denoised."""
    state = read_query(query, examples=len(EXAMPLES), default=OPENING)
    for problem in state.problems:
        gr.Warning(f"The link's {problem}: left out.")
    shown = show_example(lab, state.example, state.kind, state.strength, state.seed, models=state.models)
    return [state.kind, state.strength, state.seed, list(state.models), noise_help(state.kind), *shown]


def noise_help(kind: str) -> str:
    return f"**{NOISE_LABELS[kind]}** {NOISE_DOCS[kind]}."


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED)


@dataclass
class Inputs:
    """The comparison's own components that no other part reads."""

    sketch: gr.HTML
    strip: gr.HTML
    upload: gr.File
    kind_help: gr.Markdown
    fresh: gr.Button
    copy: gr.Button


def section(page: Page) -> None:
    """The input column and the panels with their controls side by side, the curve below; wired."""
    page.digit, page.yours = gr.State(None), gr.State(None)  # the digit on view; the visitor's trained model
    with gr.Row(equal_height=False, elem_id="main-row"):
        sketch, strip, upload = input_column()
        with gr.Column(scale=8, min_width=300, elem_id="output-column"):
            page.panels = gr.HTML(panels_html("Loading the example…"), elem_id="panels")
            kind_help, fresh, copy = controls(page)
    page.curve = gr.LinePlot(
        x="strength",
        y="PSNR (dB)",
        color="method",
        color_map=CURVE_COLOURS,
        x_lim=[0, 1],
        title="PSNR against noise strength, this digit",
        colors_in_legend=list(METHODS),  # not "current": the note names the black line
        color_title="",
        height=280,
        elem_id="curve",
    )
    gr.Markdown(CURVE_NOTE, elem_id="curve-note")
    page.refresh = partial(view, page.lab)
    wire(page, Inputs(sketch, strip, upload, kind_help, fresh, copy))


def input_column() -> tuple[gr.HTML, gr.HTML, gr.File]:
    """Draw (the canvas and the examples) or upload a photo: the canvas, the example strip, the upload box."""
    with gr.Column(scale=4, min_width=300, elem_id="input-column"), gr.Tabs():
        with gr.Tab("Draw", id="draw"):
            sketch = drawing_canvas("sketch")
            strip = example_strip(EXAMPLES, "examples")
        with gr.Tab("Upload a photo", id="upload"):
            # type="binary" (here and in the API): the functions get the file's bytes. With "filepath", Gradio 6.31
            # leaves an empty temporary file in its cache on every event (50 updates: 50 files).
            upload = gr.File(
                label="A photo or scan of one handwritten digit", file_types=["image"], type="binary", elem_id="upload"
            )
            gr.Markdown(
                "Dark ink on white or grey paper, plain, ruled or squared, works; so does a drawing saved from any "
                "program. Crop to one digit; it may sit anywhere in the picture.",
                elem_id="upload-help",
            )
    return sketch, strip, upload


def controls(page: Page) -> tuple[gr.Markdown, gr.Button, gr.Button]:
    """The noise, its strength and seed, the link, the models on view; (the noise's help, New noise, Copy link)."""
    with gr.Row(equal_height=False, elem_id="controls"):
        with gr.Column(scale=3, min_width=260):
            page.kind = gr.Radio(
                choices=[(NOISE_LABELS[k], k) for k in NOISE_KINDS], value=OPENING.kind, label="Noise", elem_id="kind"
            )
            kind_help = gr.Markdown(noise_help(OPENING.kind), elem_id="kind-help")
        with gr.Column(scale=2, min_width=220):
            page.strength = gr.Slider(0, 1, value=OPENING.strength, step=0.01, label="Strength", elem_id="strength")
            with gr.Row(elem_id="seed-row"):
                page.seed = gr.Number(
                    value=OPENING.seed, precision=0, minimum=0, maximum=MAX_SEED, label="Seed", elem_id="seed",
                    min_width=90,
                )  # fmt: skip
                fresh = gr.Button("↻ New noise", elem_id="new-noise", min_width=90, size="sm")
                copy = gr.Button("Copy link", elem_id="copy-link", min_width=90, size="sm")
            page.models = gr.CheckboxGroup(
                choices=[(NAMES[name].title.removesuffix(" DAE"), name) for name in DENOISERS],
                value=list(DENOISERS),
                label="Models on view",
                elem_id="models",
            )
    return kind_help, fresh, copy


def wire(page: Page, own: Inputs) -> None:
    lab, outputs, settings = page.lab, page.outputs, page.settings
    shown = [*outputs, own.strip]  # an input's update also says which example is on view ("" for none)
    # undocumented but callable over HTTP, like the page's other updates: a tampered value gets a message.
    # scripts/bench_app.py times the page's full update through "update".
    http = {**QUIET, "api_visibility": "undocumented"}
    own.sketch.change(partial(from_sketch, lab), [own.sketch, *settings, page.yours, page.models], shown, **http,
                      api_name="sketch")  # fmt: skip
    # .upload and .clear, not .change: an example click empties the upload box without emptying the panels
    own.upload.upload(partial(from_upload, lab), [own.upload, *settings, page.yours, page.models], shown,
                      js=CLEAR_CANVAS_JS, **http, api_name="update")  # fmt: skip
    own.upload.clear(lambda models: [*empty_view(models=models), ""], page.models, shown, **QUIET)

    def clicked(kind, strength, seed, yours, models, event: gr.SelectData):
        return from_example(lab, event.index, kind, strength, seed, yours, models)

    own.strip.select(clicked, [*settings, page.yours, page.models], [*shown, own.upload], **QUIET)
    for event in (page.kind.input, page.strength.input, page.seed.input, page.models.input):
        event(page.refresh, page.current, outputs, **QUIET)
    page.kind.input(noise_help, page.kind, own.kind_help, **QUIET)
    own.fresh.click(new_seed, None, page.seed, **QUIET).then(page.refresh, page.current, outputs, **QUIET)
    own.copy.click(None, [*settings, own.strip, page.models], None, js=COPY_LINK_JS)

    def opened(request: gr.Request):
        return opening(lab, dict(request.query_params))

    page.demo.load(opened, None, [*settings, page.models, own.kind_help, *shown], **QUIET)
