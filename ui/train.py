"""The Train part of the page: train a small DAE live, watch it learn, then compare it as a fifth panel.

    train.section(page)                             # the accordion: controls, live curve, reconstructions; wired
    metrics, path = train_to_end(request)           # the API's train: the same training, to its end

The lessons come as presets (`LESSONS`): what a plain autoencoder does with
noise, a model that only ever saw Gaussian noise, and a loss taken against the
noisy input. Training runs through `dae.live` (a process of its own on a CPU,
the GPU on a ZeroGPU Space: server/zerogpu.py), one at a time per server:
Gradio queues the rest and shows each visitor their place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import gradio as gr
import numpy as np
import pandas as pd

from dae.kinds import NOISE_KINDS, NOISE_LABELS
from dae.live import ARCHITECTURES, SCORE_STRENGTH, TrainingRequest, check_training, shape_text
from server.downloads import save_checkpoint
from server.zerogpu import MAX_TRAIN_SECONDS, run_training_job

from .page import QUIET, Page, StopFlags, messages
from .panels import png_data_url

LESSONS = {
    "dae": {
        "title": "A denoising autoencoder",
        "kinds": list(NOISE_KINDS),
        "target": "clean",
        "note": "Every kind of noise, loss against the clean digit: it learns to undo the noise.",
    },
    "plain": {
        "title": "A plain autoencoder (no noise)",
        "kinds": [],
        "target": "clean",
        "note": "Trained on clean digits only. It learns to copy digits, and copies the noise too: compare its "
        "held-out PSNR with the noisy input's, then with a denoising autoencoder's.",
    },
    "gaussian_only": {
        "title": "Trained on Gaussian, tested on masking",
        "kinds": ["gaussian"],
        "target": "clean",
        "note": "Only Gaussian noise in training. Afterwards, set the page's noise to Masking: your model has never "
        "seen holes, and its fifth panel shows it.",
    },
    "noisy_target": {
        "title": "Loss against the noisy input",
        "kinds": list(NOISE_KINDS),
        "target": "noisy",
        "note": "The same noise, but the loss compares the output with the corrupted input, not the clean digit: "
        "the model learns to reproduce the noise. The clean target is what makes a DAE.",
    },
}
ARCHITECTURE_LABELS = {"linear": f"Linear ({shape_text('linear')})", "conv": f"Convolutional ({shape_text('conv')})"}
TARGET_LABELS = {"clean": "the clean digit (a DAE)", "noisy": "the corrupted input"}
SHOWN_TITLES = [f"{NOISE_LABELS[kind]} {SCORE_STRENGTH:g}" for kind in NOISE_KINDS] + ["your digit"]
NOTE = (
    "Train a small denoising autoencoder here, in seconds, and watch it learn: its PSNR on held-out digits, and "
    "its reconstructions, update as it trains. The lessons show what training decides: with noise and a loss "
    "against the clean digit it learns to denoise; without noise, or with a loss against the noisy input, it "
    f"does not. One training runs at a time on this server (at most {MAX_TRAIN_SECONDS:g} s); others wait "
    "their turn."
)


@dataclass
class TrainPart:
    lesson: gr.Radio
    lesson_note: gr.Markdown
    architecture: gr.Radio
    kinds: gr.CheckboxGroup
    max_strength: gr.Slider
    target: gr.Radio
    seconds: gr.Slider
    seed: gr.Number
    start: gr.Button
    stop: gr.Button
    status: gr.Markdown
    curve: gr.LinePlot
    shown: gr.HTML
    download: gr.File


def train_part(max_seconds: float) -> TrainPart:
    """The Train part's components, laid out (inside the caller's container)."""
    first = LESSONS["dae"]
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=280):
            lesson = gr.Radio(
                [(lesson["title"], key) for key, lesson in LESSONS.items()],
                value="dae",
                label="Lesson",
                elem_id="train-lesson",
            )
            lesson_note = gr.Markdown(first["note"], elem_id="train-lesson-note")
            architecture = gr.Radio(
                [(ARCHITECTURE_LABELS[a], a) for a in ARCHITECTURES],
                value="linear",
                label="Architecture",
                elem_id="train-architecture",
            )
            kinds = gr.CheckboxGroup(
                [(NOISE_LABELS[k], k) for k in NOISE_KINDS],
                value=first["kinds"],
                label="Training noise (none: a plain autoencoder)",
                elem_id="train-kinds",
            )
            with gr.Row():
                max_strength = gr.Slider(0.05, 1, value=1.0, step=0.05, label="Strengths up to", min_width=140)
                seconds = gr.Slider(
                    2, max_seconds, value=min(20, max_seconds), step=1, label="Seconds", elem_id="train-seconds"
                )
            target = gr.Radio(
                [(TARGET_LABELS[t], t) for t in TARGET_LABELS],
                value="clean",
                label="Loss against",
                elem_id="train-target",
            )
            seed = gr.Number(0, precision=0, minimum=0, label="Seed", elem_id="train-seed")
            with gr.Row():
                start = gr.Button("Train", variant="primary", elem_id="train-start")
                stop = gr.Button("Stop", elem_id="train-stop")
        with gr.Column(scale=3, min_width=300):
            status = gr.Markdown("Pick a lesson and press **Train**.", elem_id="train-status")
            curve = gr.LinePlot(
                x="seconds",
                y="PSNR (dB)",
                color="series",
                color_map={"your model": "#7c3aed", "noisy input": "#9ca3af"},
                title=f"Held-out digits, every kind of noise at {SCORE_STRENGTH:g}",
                height=240,
                elem_id="train-curve",
            )
            shown = gr.HTML(shown_html(None), elem_id="train-shown")
            download = gr.File(label="Your model (config.json + model.safetensors)", elem_id="train-download")
    return TrainPart(
        lesson, lesson_note, architecture, kinds, max_strength, target, seconds, seed, start, stop, status, curve,
        shown, download,
    )  # fmt: skip


def apply_lesson(key: str) -> list:
    """A lesson's settings: note, training noise, loss target."""
    lesson = LESSONS.get(key, LESSONS["dae"])
    return [lesson["note"], lesson["kinds"], lesson["target"]]


def curve_frame(curve: list[dict], noisy_psnr: float | None) -> pd.DataFrame:
    rows = [(point["seconds"], point["val_psnr"], "your model") for point in curve]
    if rows and noisy_psnr is not None:
        rows += [(0.0, noisy_psnr, "noisy input"), (rows[-1][0], noisy_psnr, "noisy input")]
    return pd.DataFrame(rows, columns=["seconds", "PSNR (dB)", "series"])


def shown_html(shown: dict | None) -> str:
    """The held-out digits (one per noise kind) and the visitor's: noisy above, the model's output below."""
    if shown is None:
        return '<p class="train-empty">Reconstructions of held-out digits appear here while the model trains.</p>'
    cells = []
    for i, (noisy, restored) in enumerate(zip(shown["noisy"], shown["restored"], strict=True)):
        title = SHOWN_TITLES[i] if i < len(NOISE_KINDS) else SHOWN_TITLES[-1]
        pictures = "".join(
            f'<img src="{png_data_url(np.asarray(image, dtype=np.float32))}" alt="{alt}">'
            for image, alt in ((noisy, f"{title}: input"), (restored, f"{title}: your model"))
        )
        cells.append(f"<figure><figcaption>{title}</figcaption>{pictures}</figure>")
    return f'<div class="train-shown">{"".join(cells)}</div><p class="sub">Top: the input. Bottom: your model.</p>'


def status_text(value: dict, done: bool = False) -> str:
    if not done:
        last = value["curve"][-1] if value.get("curve") else None
        psnr = f", held-out PSNR **{last['val_psnr']:.1f} dB**" if last else ""
        return f"Training… epoch {value['epoch']}, {value['seconds']:.1f} s{psnr}"
    m = value["metrics"]
    gain = m["val_psnr"] - m["noisy_psnr"]
    verdict = "better than" if gain > 0 else "worse than"
    return (
        f"**Done**: {m['epochs']} epochs in {m['seconds']:.1f} s on {m['device']}. On {m['held_out_digits']} "
        f"held-out digits under every kind of noise at {SCORE_STRENGTH:g}, your model scores "
        f"**{m['val_psnr']:.1f} dB**, {abs(gain):.1f} dB {verdict} the noisy input ({m['noisy_psnr']:.1f} dB). "
        "It now appears as a fifth "
        "panel above, on your digit: try other kinds of noise."
    )


STOPS = StopFlags()


def make_request(architecture, kinds, max_strength, target, seconds, seed) -> TrainingRequest:
    with messages():
        return check_training(architecture, kinds, max_strength, target, seconds, seed, max_seconds=MAX_TRAIN_SECONDS)


def train_stream(
    architecture, kinds, max_strength, target, seconds, seed, digit, kind, strength, noise_seed, request: gr.Request
):
    """The page's training: the status, the curve, the reconstructions as it learns; then the checkpoint, as a
    download and as the visitor's model."""
    job = make_request(architecture, kinds, max_strength, target, seconds, seed)
    if digit is not None:
        job = replace(job, digit=np.asarray(digit).tolist(), shown_noise=(kind, float(strength), int(noise_seed)))
    session = request.session_hash or ""
    STOPS.take(session)  # a stale Stop from before this training
    yield ["Starting…", gr.skip(), gr.skip(), None, gr.skip()]
    with messages():
        for kind_, value in run_training_job(job, lambda: STOPS.take(session)):
            if kind_ == "progress":
                curve = curve_frame(value["curve"], value["noisy_psnr"])
                yield [status_text(value), curve, shown_html(value["shown"]), gr.skip(), gr.skip()]
            else:
                path = save_checkpoint(value["checkpoint"])
                curve = curve_frame(value["curve"], value["metrics"]["noisy_psnr"])
                yield [status_text(value, done=True), curve, shown_html(value["shown"]), path, path]


def train_to_end(job: TrainingRequest) -> tuple[dict, str]:
    """One training to its end, no stop: its metrics and the path of its checkpoint zip (the API's train)."""
    with messages():
        for kind_, value in run_training_job(job, lambda: False):
            if kind_ == "done":
                return value["metrics"], save_checkpoint(value["checkpoint"])
    raise gr.Error("The training ended without a result; try again.")


def stop_training(request: gr.Request) -> None:
    STOPS.set(request.session_hash or "")


def section(page: Page) -> None:
    """The Train accordion; one training at a time on the whole server (Gradio queues the rest and shows their
    place). A finished model joins the comparison on view as a last panel."""
    with gr.Accordion("Train your own autoencoder", open=False, elem_id="train-section"):
        gr.Markdown(NOTE, elem_id="train-note")
        part = train_part(MAX_TRAIN_SECONDS)
    part.lesson.input(apply_lesson, part.lesson, [part.lesson_note, part.kinds, part.target], **QUIET)
    inputs = [part.architecture, part.kinds, part.max_strength, part.target, part.seconds, part.seed]
    training = part.start.click(
        train_stream,
        [*inputs, page.digit, *page.settings],
        [part.status, part.curve, part.shown, part.download, page.yours],
        api_visibility="private",
        concurrency_limit=1,
        concurrency_id="train",
    )
    training.success(page.refresh, page.current, page.outputs, **QUIET)
    part.stop.click(stop_training, None, None, **QUIET)
