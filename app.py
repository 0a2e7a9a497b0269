"""dae-lab: draw or upload a digit, corrupt it, compare a linear, a convolutional and a U-Net denoising autoencoder.

    python app.py                      # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT to change)

A thin UI over the `dae` package: `to_mnist` prepares the digit,
`DenoisingLab.compare` corrupts, denoises and scores it, `DenoisingLab.inspect`
looks inside the models (ui/inside.py), and `dae.live` trains a model of the
visitor's own (ui/train.py). Also serves the API endpoints `denoise` and
`train` (see README.md).
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # start offline: no telemetry, no version check
# Gradio's queue rebuilds a pandas summary of its last 10,000 events after every event (for its monitoring page);
# it showed up in py-spy profiles of the update benchmark, so summarise every 1,000 events, over the last 1,000.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")

# ZeroGPU (a free Hugging Face Space) wants `spaces` imported before anything touches CUDA; elsewhere its
# decorator does nothing. This process never imports torch, but the GPU function below does, in ZeroGPU's worker.
try:
    import spaces  # noqa: E402
except ImportError:  # a plain local install without it: the same no-op
    spaces = None

import secrets  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from dae.lab_process import LabError, start_lab  # noqa: E402 - no torch in this process, see below
from dae.live import MAX_SECONDS, TrainingError, TrainingJob, TrainingRequest, run_training  # noqa: E402

ROOT = Path(__file__).resolve().parent
CHECKPOINTS = Path(os.environ.get("DAE_CHECKPOINTS", ROOT / "checkpoints"))
# The models run in a process of their own, started first: it imports torch and loads the checkpoints on the
# other core while this one imports Gradio and builds the page (docs/serving.md). Two comparisons at a time,
# one torch thread each: a 2-core Space. Gradio's queue runs as many requests at a time as the process has slots.
CONCURRENCY = int(os.environ.get("DAE_CONCURRENCY", "2"))
LAB = start_lab(CHECKPOINTS, slots=CONCURRENCY, threads=int(os.environ.get("DAE_TORCH_THREADS", "1")))

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402

from dae.comparison import DENOISERS, METHODS, Comparison, finite, to_uint8  # noqa: E402
from dae.kinds import MAX_SEED, NOISE_DOCS, NOISE_KINDS, NOISE_LABELS, check_noise, check_seed  # noqa: E402
from dae.preprocess import BlankImageError, ImageInputError, open_data_url, open_image, to_mnist  # noqa: E402
from dae.samples import check_generation, grid  # noqa: E402
from ui.generate import (  # noqa: E402
    FRAME_SECONDS,
    GENERATE_CSS,
    SHOWN,
    chain_html,
    default_steps,
    frame_steps,
    generate_part,
    generation_metrics,
    samples_html,
    samples_npz,
    scrub_html,
)
from ui.inputs import drawing_canvas, example_strip  # noqa: E402
from ui.inside import inside_html  # noqa: E402
from ui.panels import PANELS, curve_frame, headline, panels_html  # noqa: E402
from ui.sessions import lazy_session_configs  # noqa: E402
from ui.share import COPY_LINK_JS, SharedState, read_query  # noqa: E402
from ui.train import apply_lesson, save_download, stop_training, train_part, training_events  # noqa: E402

EXAMPLES = sorted((ROOT / "examples").glob("*.png"))
# Gradio keeps every upload and every image the API returns in its cache (three new PNGs per API call): every
# half hour, delete those older than an hour, so a long-running Space does not fill its disk.
CACHE_CLEANUP = (1800, 3600)  # (every N seconds, files older than M seconds)
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
API_PANELS = ("clean", "noisy", "linear", "conv")  # the API's first images, in this order; the U-Net's comes last


def check_params(kind, strength, seed) -> tuple[str, float, int]:
    """Validate the controls (the API sends anything); raise gr.Error naming the valid values."""
    try:
        return kind, check_noise(kind, strength), check_seed(seed)
    except ValueError as error:
        raise gr.Error(str(error).capitalize() + ".") from None


def compare(
    digit: np.ndarray, kind: str, strength: float, seed: int, *, curve: bool = True, yours: str | None = None
) -> Comparison:
    try:
        return LAB.compare(digit, kind, strength, seed, curve=curve, yours=yours)
    except LabError as error:  # the models' process died (it restarts): say so, and keep serving
        raise gr.Error(f"Sorry, {error}.") from None
    except ValueError as error:  # the visitor's trained model is gone (the cache is cleaned hourly)
        raise gr.Error(str(error).capitalize() + ".") from None


def on_view(models) -> tuple[str, ...]:
    """The autoencoders the visitor keeps on view (the Models boxes; all of them when not given)."""
    return DENOISERS if models is None else tuple(name for name in DENOISERS if name in models)


def empty_view(message: str = PROMPT, models=None) -> list:
    return [None, panels_html(message, None, on_view(models)), None]


def view(digit: np.ndarray | None, kind, strength, seed, yours: str | None = None, models=None) -> list:
    """All outputs of the page: the digit (state), the panels with their scores, the curve.

    yours: the visitor's live-trained model (a checkpoint zip's path), shown as a last panel.
    models: the shipped autoencoders on view (all by default): the others' panels and curves are hidden.
    """
    kind, strength, seed = check_params(kind, strength, seed)
    models = on_view(models)
    if digit is None:
        return empty_view(models=models)
    result = compare(digit, kind, strength, seed, yours=yours)
    return [digit, panels_html(headline(result, models), result, models), curve_frame(result.curve, strength, models)]


def from_sketch(sketch, kind, strength, seed, yours=None, models=None) -> list:
    """The canvas's value (a PNG data URL, "" when empty), treated as untrusted input; also un-highlights examples."""
    try:
        digit = to_mnist(open_data_url(sketch))
    except BlankImageError:
        return [*empty_view(models=models), ""]
    except ImageInputError as error:
        raise gr.Error(str(error)) from None
    return [*view(digit, kind, strength, seed, yours, models), ""]


def read_upload(file) -> np.ndarray:
    """An uploaded file (its bytes, or a path) to a 28x28 digit, turning every problem into a message for the user."""
    if file is None:
        raise gr.Error("No file received. Upload a PNG or JPEG image of a digit.")
    try:
        return to_mnist(open_image(file))
    except ImageInputError as error:
        raise gr.Error(str(error)) from None


def from_upload(file, kind, strength, seed, yours=None, models=None) -> list:
    if file is None:  # the upload was cleared
        return [*empty_view(models=models), ""]
    return [*view(read_upload(file), kind, strength, seed, yours, models), ""]


def show_example(index: int, kind, strength, seed, yours=None, models=None) -> list:
    """Example `index` in the panels, and its index for the strip to highlight."""
    return [*view(read_upload(EXAMPLES[index]), kind, strength, seed, yours, models), str(index)]


def from_example(kind, strength, seed, yours, models, event: gr.SelectData) -> list:
    """A click on the example strip; also empties the upload box, which would otherwise show a file not on view."""
    index = event.index
    if not isinstance(index, int) or not 0 <= index < len(EXAMPLES):
        raise gr.Error(f"There is no example {index!r}; pick one of the {len(EXAMPLES)} on the page.")
    return [*show_example(index, kind, strength, seed, yours, models), None]


def opening(request: gr.Request) -> list:
    """The page's first state: the URL's settings (see ui/share.py) or the default example, already denoised."""
    state = read_query(dict(request.query_params), examples=len(EXAMPLES), max_seed=MAX_SEED, default=OPENING)
    for problem in state.problems:
        gr.Warning(f"The link's {problem}: left out.")
    shown = show_example(state.example, state.kind, state.strength, state.seed, models=state.models)
    return [state.kind, state.strength, state.seed, list(state.models), noise_help(state.kind), *shown]


def noise_help(kind: str) -> str:
    return f"**{NOISE_LABELS[kind]}** {NOISE_DOCS[kind]}."


def denoise(image, kind, strength, seed):
    """API: an image file, a noise kind, a strength in [0, 1] and a seed -> the clean, noisy, linear and conv
    images, the metrics, and the U-Net's image (last, so that clients written before it keep working)."""
    kind, strength, seed = check_params(kind, strength, seed)
    result = compare(read_upload(image), kind, strength, seed, curve=False)
    metrics = {name: {key: finite(value) for key, value in scores.items()} for name, scores in result.scores.items()}
    metrics["clean"] = {}
    for name, (label, confidence) in result.readings.items():  # the classifier's reading of each image
        metrics[name].update(label=label, confidence=round(confidence, 4))
    metrics.update(better=result.better, kind=kind, strength=strength, seed=seed)
    panels = (to_uint8(getattr(result, name)) for name in API_PANELS)
    return (*panels, metrics, to_uint8(result.unet) if result.unet is not None else None)


def inside_view(digit: np.ndarray | None, kind, strength, seed, is_open: bool):
    """The Inside view for the digit and noise on view, computed only while its section is open."""
    if not is_open:
        return gr.skip()
    kind, strength, seed = check_params(kind, strength, seed)
    if digit is None:
        return inside_html(None, "Draw or pick a digit to look inside the models.")
    try:
        return inside_html(LAB.inspect(digit, kind, strength, seed))
    except LabError as error:
        raise gr.Error(f"Sorry, {error}.") from None


def run_generation(model, n, steps, seed, yours=None):
    """A generation in the model process; every problem becomes a message for the visitor."""
    try:
        model, n, steps, seed = check_generation(model, n, steps, seed)
        return LAB.generate(model, n, steps, seed, yours=yours)
    except LabError as error:
        raise gr.Error(f"Sorry, {error}.") from None
    except ValueError as error:  # bad values, or no model of yours (yet, or any more)
        raise gr.Error(str(error).capitalize() + ".") from None


def generate_stream(model, steps, seed, yours):
    """The page's Generate: the chain's frames from noise to digits, then the samples with their readings."""
    yield ["Running the chain…", gr.skip(), gr.skip(), gr.skip(), gr.skip()]
    result = run_generation(model, SHOWN, steps, seed, yours)
    for step in frame_steps(result.steps)[:-1]:
        yield [gr.skip(), chain_html(result, step), gr.skip(), gr.skip(), gr.skip()]
        time.sleep(FRAME_SECONDS)
    what = "the digit it was asked for" if result.digits else "a digit"
    status = (
        f"{len(result.images)} digits in {result.steps} steps, {result.seconds:.2f} s. The classifier reads "
        f"**{result.read_as_asked} of {len(result.images)}** as {what} with more than 90% confidence."
    )
    step = gr.Slider(maximum=result.steps, value=result.steps)
    yield [status, samples_html(result), result, step, scrub_html(result, 0, result.steps)]


def generate(model, n, steps, seed, yours=None):
    """API: a model ("generator", "conv", "linear", "yours"), n (1 to 256), steps (1 to 200), a seed -> the grid of
    samples, an .npz of them (uint8 [n, 28, 28], white on black) and the metrics."""
    result = run_generation(model, n, steps, seed, yours)
    return grid(result.images), save_download(samples_npz(result), "dae-samples-", ".npz"), generation_metrics(result)


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED)


# Live training (ui/train.py, dae/live.py). On a ZeroGPU Space it runs in the decorated function below, on the
# GPU that ZeroGPU lends for `request.seconds` plus start-up; everywhere else in a process of its own on one core
# at the lowest priority (a local CUDA GPU is used there too), so the page's denoising stays fast for everyone.
ON_ZEROGPU = spaces is not None and bool(os.environ.get("SPACES_ZERO_GPU"))
MAX_TRAIN_SECONDS = MAX_SECONDS["gpu" if ON_ZEROGPU else "cpu"]


def _gpu_duration(request: TrainingRequest, should_stop=None) -> int:
    return int(request.seconds) + 30  # the budget, plus loading torch, the data and the final scoring


def train_on_gpu(request: TrainingRequest, should_stop=None):
    # should_stop is not passed: ZeroGPU runs this in a forked worker, which a flag set later would not reach
    yield from run_training(request, device="cuda")


if spaces is not None:
    train_on_gpu = spaces.GPU(duration=_gpu_duration)(train_on_gpu)


def run_training_job(request: TrainingRequest, should_stop):
    """Updates from one training, wherever it runs; a failure becomes a message for the visitor."""
    try:
        if ON_ZEROGPU:
            yield from train_on_gpu(request)
            return
        job = TrainingJob(request)
        try:
            for update in job.updates():
                if should_stop():
                    job.stop_soon()
                yield update
        finally:
            job.stop()  # also when the visitor leaves: Gradio closes this generator
    except TrainingError as error:
        raise gr.Error(f"Training failed: {error}.") from None


train_stream, train_api = training_events(run_training_job, MAX_TRAIN_SECONDS)


CSS = (ROOT / "ui" / "page.css").read_text() + GENERATE_CSS
# Gradio 6.31's bundled semibold fonts are fragments (SourceSansPro-SemiBold.woff2: 55 glyphs, "A", "B" and some
# Cyrillic), so semibold text (titles, labels, our captions) mixed two fonts: "DAE" with a small "A". With
# weights 400 and 700 declared, the browser draws semibold text from the complete Bold faces instead.
THEME = gr.themes.Default(
    font=(gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"),
    font_mono=(gr.themes.LocalFont("IBM Plex Mono", weights=(400, 700)), "ui-monospace", "Consolas", "monospace"),
)
INTRO = """<h1>dae-lab <span>· denoising autoencoders</span></h1>
<p>Draw a digit and corrupt it: a <b>linear</b>, a <b>convolutional</b> and a <b>U-Net</b> denoising autoencoder,
trained only to map noisy digits back to clean ones, try to restore it as you draw.</p>"""
CURVE_NOTE = (
    "How each method's PSNR falls as the noise gets stronger, for this digit and this noise draw. "
    "**median** is a classic 3×3 median filter, no learning involved, for reference; **noisy** is the corrupted "
    "input itself. The black line marks the current strength."
)
TRAIN_NOTE = (
    "Train a small denoising autoencoder here, in seconds, and watch it learn: its PSNR on held-out digits, and "
    "its reconstructions, update as it trains. The lessons show what training decides: with noise and a loss "
    "against the clean digit it learns to denoise; without noise, or with a loss against the noisy input, it "
    f"does not. One training runs at a time on this server (at most {MAX_TRAIN_SECONDS:g} s); others wait "
    "their turn."
)
INSIDE_NOTE = (
    "What happens inside the autoencoders for the digit and noise on view: where each one goes wrong, what a "
    "network trained without noise makes of the same input, what the U-Net's skip connections carry, what each "
    "keeps in its code, what its first layer looks for, and what happens when it denoises its own output again "
    "and again."
)
# one submit per user change: .input fires on the user's own changes only, not when the page sets a value
QUIET = dict(api_visibility="private", trigger_mode="always_last", show_progress="hidden")
# a new input replaces the example or drawing on view: wipe the canvas without sending anything (ui/canvas.js)
CLEAR_CANVAS_JS = "(...args) => { document.dispatchEvent(new CustomEvent('dae-input')); return args; }"


def build(delete_cache: tuple[int, int] = CACHE_CLEANUP) -> gr.Blocks:
    with gr.Blocks(title="dae-lab: denoising autoencoders", analytics_enabled=False, delete_cache=delete_cache) as demo:
        gr.HTML(INTRO, elem_id="intro")
        digit_state = gr.State(None)
        with gr.Row(equal_height=False, elem_id="main-row"):
            with gr.Column(scale=4, min_width=300, elem_id="input-column"):
                with gr.Tabs():
                    with gr.Tab("Draw", id="draw"):
                        sketch = drawing_canvas("sketch")
                        strip = example_strip(EXAMPLES, "examples")
                    with gr.Tab("Upload a photo", id="upload"):
                        # type="binary" (here and in the API): the functions get the file's bytes. With "filepath",
                        # Gradio 6.31 leaves an empty temporary file in its cache on every event (50 updates: 50 files).
                        upload = gr.File(
                            label="A photo or scan of one handwritten digit",
                            file_types=["image"],
                            type="binary",
                            elem_id="upload",
                        )
                        gr.Markdown(
                            "Dark ink on white or grey paper, plain, ruled or squared, works; so does a drawing "
                            "saved from any program. Crop to one digit; it may sit anywhere in the picture.",
                            elem_id="upload-help",
                        )
            with gr.Column(scale=8, min_width=300, elem_id="output-column"):
                panels = gr.HTML(panels_html("Loading the example…"), elem_id="panels")
                with gr.Row(equal_height=False, elem_id="controls"):
                    with gr.Column(scale=3, min_width=260):
                        kind = gr.Radio(
                            choices=[(NOISE_LABELS[k], k) for k in NOISE_KINDS],
                            value=OPENING.kind,
                            label="Noise",
                            elem_id="kind",
                        )
                        kind_help = gr.Markdown(noise_help(OPENING.kind), elem_id="kind-help")
                    with gr.Column(scale=2, min_width=220):
                        strength = gr.Slider(
                            0, 1, value=OPENING.strength, step=0.01, label="Strength", elem_id="strength"
                        )
                        with gr.Row(elem_id="seed-row"):
                            seed = gr.Number(
                                value=OPENING.seed,
                                precision=0,
                                minimum=0,
                                maximum=MAX_SEED,
                                label="Seed",
                                elem_id="seed",
                                min_width=90,
                            )
                            fresh = gr.Button("↻ New noise", elem_id="new-noise", min_width=90, size="sm")
                            copy = gr.Button("Copy link", elem_id="copy-link", min_width=90, size="sm")
                        models = gr.CheckboxGroup(
                            choices=[(PANELS[name].removesuffix(" DAE"), name) for name in DENOISERS],
                            value=list(DENOISERS),
                            label="Models on view",
                            elem_id="models",
                        )
        curve = gr.LinePlot(
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
        with gr.Accordion("Inside the models", open=False, elem_id="inside-section") as inside_section:
            gr.Markdown(INSIDE_NOTE, elem_id="inside-note")
            inside = gr.HTML(inside_html(None, "Opening…"), elem_id="inside")
        inside_open = gr.State(False)
        with gr.Accordion("Generate: a denoiser that draws digits", open=False, elem_id="generate-section"):
            maker = generate_part()
        generation = gr.State(None)  # the last generation on the page, for the step slider
        with gr.Accordion("Train your own autoencoder", open=False, elem_id="train-section"):
            gr.Markdown(TRAIN_NOTE, elem_id="train-note")
            part = train_part(MAX_TRAIN_SECONDS)
        yours = gr.State(None)  # the path of the visitor's trained model (a checkpoint zip), once there is one

        outputs = [digit_state, panels, curve]
        settings = [kind, strength, seed]
        current = [digit_state, *settings, yours, models]
        # undocumented but callable over HTTP, like the page's other updates: a tampered value gets a message
        sketch.change(
            from_sketch,
            [sketch, *settings, yours, models],
            [*outputs, strip],
            **{**QUIET, "api_visibility": "undocumented"},
            api_name="sketch",
        )
        # .upload and .clear, not .change: an example click empties the upload box without emptying the panels.
        # scripts/bench_app.py times the page's full update through "update".
        upload.upload(
            from_upload,
            [upload, *settings, yours, models],
            [*outputs, strip],
            js=CLEAR_CANVAS_JS,
            **{**QUIET, "api_visibility": "undocumented"},
            api_name="update",
        )
        upload.clear(lambda shown: [*empty_view(models=shown), ""], models, [*outputs, strip], **QUIET)
        strip.select(from_example, [*settings, yours, models], [*outputs, strip, upload], **QUIET)
        for event in (kind.input, strength.input, seed.input, models.input):
            event(view, current, outputs, **QUIET)
        kind.input(noise_help, kind, kind_help, **QUIET)
        fresh.click(new_seed, None, seed, **QUIET).then(view, current, outputs, **QUIET)
        copy.click(None, [*settings, strip, models], None, js=COPY_LINK_JS)
        # the Inside view follows every new comparison while open, after the panels (never delaying them)
        inside_inputs = [digit_state, *settings, inside_open]
        panels.change(inside_view, inside_inputs, inside, **QUIET)
        inside_section.expand(lambda: True, None, inside_open, **QUIET).then(
            inside_view, inside_inputs, inside, **QUIET
        )
        inside_section.collapse(lambda: False, None, inside_open, **QUIET)

        # Generate: one generation at a time on the whole server (the model process has one connection for them)
        maker.model.input(default_steps, maker.model, maker.steps, **QUIET)
        maker.start.click(
            generate_stream,
            [maker.model, maker.steps, maker.seed, yours],
            [maker.status, maker.samples, generation, maker.step, maker.scrub],
            api_visibility="private",
            concurrency_limit=1,
            concurrency_id="generate",
            show_progress="hidden",
        )
        for slider in (maker.step, maker.sample):  # no model runs: each move redraws from the kept chain
            slider.input(
                lambda result, step, sample: scrub_html(result, int(sample) - 1, int(step)),
                [generation, maker.step, maker.sample],
                maker.scrub,
                **QUIET,
            )

        # Train: one training at a time on the whole server (Gradio queues the rest and shows their place)
        part.lesson.input(apply_lesson, part.lesson, [part.lesson_note, part.kinds, part.target], **QUIET)
        train_inputs = [part.architecture, part.kinds, part.max_strength, part.target, part.seconds, part.seed]
        training = part.start.click(
            train_stream,
            [*train_inputs, digit_state, *settings],
            [part.status, part.curve, part.shown, part.download, yours],
            api_visibility="private",
            concurrency_limit=1,
            concurrency_id="train",
        )
        # the new model joins the comparison on view as a fifth panel
        training.success(view, current, outputs, **QUIET)
        part.stop.click(stop_training, None, None, **QUIET)
        demo.load(opening, None, [*settings, models, kind_help, *outputs, strip], **QUIET)

        # The API endpoint: an image file in; the clean, noisy, linear and conv images, the metrics, and the U-Net's
        # image out. It has inputs of its own, with no choices or ranges, so every value reaches check_params, whose
        # messages name the valid values.
        with gr.Group(visible=False):
            api_inputs = [
                gr.File(label="image", type="binary"),
                gr.Textbox(value="gaussian", label="kind"),
                gr.Number(value=0.5, label="strength"),
                gr.Number(value=0, label="seed"),
            ]
            api_outputs = [gr.Image(label=PANELS[name], format="png") for name in API_PANELS]
            api_outputs += [gr.JSON(label="metrics"), gr.Image(label=PANELS["unet"], format="png")]
            api_trigger = gr.Button()
            train_api_inputs = [
                gr.Textbox(value="linear", label="architecture"),
                gr.JSON(value=list(NOISE_KINDS), label="kinds"),
                gr.Number(value=1.0, label="max_strength"),
                gr.Textbox(value="clean", label="target"),
                gr.Number(value=20, label="seconds"),
                gr.Number(value=0, label="seed"),
            ]
            train_api_outputs = [gr.JSON(label="metrics"), gr.File(label="checkpoint")]
            train_trigger = gr.Button()
            generate_api_inputs = [
                gr.Textbox(value="generator", label="model"),
                gr.Number(value=16, label="n"),
                gr.Number(value=default_steps("generator"), label="steps"),
                gr.Number(value=0, label="seed"),
            ]
            generate_api_outputs = [
                gr.Image(label="grid", format="png"),
                gr.File(label="samples"),
                gr.JSON(label="metrics"),
            ]
            generate_trigger = gr.Button()
        api_trigger.click(denoise, api_inputs, api_outputs, api_name="denoise")
        generate_trigger.click(
            generate,
            [*generate_api_inputs, yours],
            generate_api_outputs,
            api_name="generate",
            concurrency_limit=1,
            concurrency_id="generate",
        )
        train_trigger.click(
            train_api,
            train_api_inputs,
            train_api_outputs,
            api_name="train",
            concurrency_limit=1,
            concurrency_id="train",
        )
    return demo


lazy_session_configs()  # an API call without a session no longer builds the whole page's config (ui/sessions.py)
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
