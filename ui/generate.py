"""The Generate part of the page: a denoiser run as a chain from pure noise draws digits of its own.

    generate.section(page)                           # the accordion, its controls and the chain, wired
    result = run_generation(lab, "generator", 16, 10, 0)    # a Generation (the API's generate uses it too)
    html = samples_html(generation)                  # the 16 samples, each with the classifier's reading
    html = chain_html(generation, step)              # the 16 chains at one step (the frames streamed to the page)

The chains run in the model process (`DenoisingLab.generate`, `dae.generation`);
this module only draws what comes back: numpy arrays, no torch.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from functools import partial

import gradio as gr
import numpy as np

from dae.samples import DEFAULT_STEPS, GENERATOR_LABELS, GENERATORS, MAX_STEPS, Generation, check_generation, grid

from .page import QUIET, Page, messages
from .panels import png_data_url, reading_text

SHOWN = 16  # samples on the page: a 4x4 grid
FRAMES = 12  # frames of the chain streamed to the page, from noise to digits
FRAME_SECONDS = 0.08  # between frames: the whole chain plays in about a second
NOTE = (
    "A denoiser's output is its best guess of the clean digit, so the step from input to output points towards "
    "more digit-like images (the *score* of the data), and taking that step again and again from pure noise while "
    "the noise shrinks draws a digit: that is how diffusion models work. The **generator** is told the noise level "
    "(σ falls on the schedule of Karras et al. 2022, with their deterministic sampler) and a digit to draw, picked "
    "at random (guided towards it, Ho and Salimans 2022); the **blind DAEs** are told neither, so their chain "
    "corrupts with salt and pepper from 1 down to 0 and denoises in turn (Bengio et al. 2013)."
)


@dataclass
class GeneratePart:
    model: gr.Radio
    steps: gr.Slider
    seed: gr.Number
    start: gr.Button
    status: gr.Markdown
    samples: gr.HTML
    step: gr.Slider
    sample: gr.Slider
    scrub: gr.HTML


def generate_part() -> GeneratePart:
    """The Generate part's components, laid out (inside the caller's container)."""
    gr.Markdown(NOTE, elem_id="generate-note")
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=280):
            model = gr.Radio(
                [(GENERATOR_LABELS[name], name) for name in GENERATORS],
                value="generator",
                label="Model",
                elem_id="generate-model",
            )
            with gr.Row():
                steps = gr.Slider(
                    1, MAX_STEPS, value=DEFAULT_STEPS["generator"], step=1, label="Steps", elem_id="generate-steps"
                )
                seed = gr.Number(0, precision=0, minimum=0, label="Seed", elem_id="generate-seed", min_width=90)
            start = gr.Button("Generate", variant="primary", elem_id="generate-start")
            status = gr.Markdown("Pick a model and press **Generate**.", elem_id="generate-status")
        with gr.Column(scale=3, min_width=300):
            samples = gr.HTML(samples_html(None), elem_id="generate-samples")
            with gr.Row():
                step = gr.Slider(0, DEFAULT_STEPS["generator"], value=0, step=1, label="Step", elem_id="generate-step")
                sample = gr.Slider(1, SHOWN, value=1, step=1, label="Sample", elem_id="generate-sample")
            scrub = gr.HTML(scrub_html(None, 0, 0), elem_id="generate-scrub")
    return GeneratePart(model, steps, seed, start, status, samples, step, sample, scrub)


def section(page: Page) -> None:
    """The Generate accordion; one generation at a time on the whole server (the model process has one connection
    for them)."""
    with gr.Accordion("Generate: a denoiser that draws digits", open=False, elem_id="generate-section"):
        part = generate_part()
    generation = gr.State(None)  # the last generation on the page, for the step slider
    part.model.input(default_steps, part.model, part.steps, **QUIET)
    part.start.click(
        partial(generate_stream, page.lab),
        [part.model, part.steps, part.seed, page.yours],
        [part.status, part.samples, generation, part.step, part.scrub],
        api_visibility="private",
        concurrency_limit=1,
        concurrency_id="generate",
        show_progress="hidden",
    )
    for slider in (part.step, part.sample):  # no model runs: each move redraws from the kept chain
        slider.input(
            lambda result, step, sample: scrub_html(result, int(sample) - 1, int(step)),
            [generation, part.step, part.sample],
            part.scrub,
            **QUIET,
        )


def run_generation(lab, model, n, steps, seed, yours=None) -> Generation:
    """A generation in the model process; every problem becomes a message for the visitor."""
    with messages():
        model, n, steps, seed = check_generation(model, n, steps, seed)
        return lab.generate(model, n, steps, seed, yours=yours)


def generate_stream(lab, model, steps, seed, yours):
    """The page's Generate: the chain's frames from noise to digits, then the samples with their readings."""
    yield ["Running the chain…", gr.skip(), gr.skip(), gr.skip(), gr.skip()]
    result = run_generation(lab, model, SHOWN, steps, seed, yours)
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


def default_steps(model: str) -> int:
    return DEFAULT_STEPS.get(model, DEFAULT_STEPS["generator"])


def _tiles(images: np.ndarray, captions: list[str], asked: list[int] | None = None) -> str:
    asked = asked or [None] * len(images)
    tiles = "".join(
        f'<figure><img src="{png_data_url(image / 255)}" alt="{_alt(i, digit, caption)}">'
        f"<figcaption>{caption}</figcaption></figure>"
        for i, (image, caption, digit) in enumerate(zip(images, captions, asked, strict=True))
    )
    return f'<div class="generate-grid">{tiles}</div>'


def _alt(index: int, digit: int | None, caption: str) -> str:
    """'Sample 3, asked for a 9, reads 8 · >99%': the caption's words without its markup."""
    said = re.sub(r"<[^>]+>", "", caption.split('<span class="flip"')[0]).strip()
    return ", ".join(filter(None, [f"Sample {index + 1}", None if digit is None else f"asked for a {digit}", said]))


def samples_html(result: Generation | None) -> str:
    """The first SHOWN samples, each with the classifier's reading."""
    if result is None:
        return '<p class="generate-empty">Generated digits appear here.</p>'
    shown = result.images[:SHOWN]
    captions = [reading_text(reading) for reading in result.readings[:SHOWN]] or [""] * len(shown)
    asked = result.digits[:SHOWN]
    for i, digit in enumerate(asked):
        if result.readings and result.readings[i][0] != digit:  # drawn, but not as the digit it was asked for
            captions[i] += f' <span class="flip" title="the generator was asked for a {digit}">asked {digit}</span>'
    return _tiles(shown, captions, asked)


def level_text(result: Generation, step: int) -> str:
    level = result.levels[step]
    return f"σ {level:.3g}" if result.model == "generator" else f"noise {level:.2f}"


def chain_html(result: Generation, step: int) -> str:
    """The chains of the first SHOWN samples at one step: a frame of the chain from noise to digits."""
    states = result.chain[step]
    return _tiles(states, [f"step {step}"] + [""] * (len(states) - 1)) + (
        f'<p class="generate-frame">Step {step} of {result.steps} · {level_text(result, step)}</p>'
    )


def frame_steps(steps: int, frames: int = FRAMES) -> list[int]:
    """The steps shown while the chain plays: from 0 (noise) to `steps` (the samples), evenly spread."""
    return sorted({round(i * steps / (frames - 1)) for i in range(frames)})


def scrub_html(result: Generation | None, sample: int, step: int) -> str:
    """One sample's chain at one step, enlarged, with the steps before and after it in a strip."""
    if result is None:
        return '<p class="generate-empty">After a generation, move the sliders to walk one sample\'s chain.</p>'
    sample = min(max(0, sample), result.chain.shape[1] - 1)
    step = min(max(0, step), result.steps)
    strip = result.chain[frame_steps(result.steps, 8), sample]
    big = png_data_url(result.chain[step, sample] / 255)
    return (
        f'<div class="generate-scrub"><img class="big" src="{big}" alt="sample {sample + 1} at step {step}">'
        f"<div><p>Sample {sample + 1}, step <b>{step}</b> of {result.steps} · {level_text(result, step)}</p>"
        f'<img class="strip" src="{png_data_url(grid(strip, columns=len(strip)) / 255)}" '
        f'alt="the chain of sample {sample + 1}, noise to digit"></div></div>'
    )


def samples_npz(result: Generation) -> bytes:
    """The samples as an .npz file: `samples`, uint8 [n, 28, 28], white digit on black like MNIST."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, samples=result.images)
    return buffer.getvalue()


def generation_metrics(result: Generation) -> dict:
    """What the API returns beside the samples."""
    readings = result.readings
    return {
        "model": result.model,
        "n": len(result.images),
        "steps": result.steps,
        "seconds": round(result.seconds, 4),
        "labels": [label for label, _ in readings],
        "digits": result.digits,  # what the generator was asked to draw; [] for a blind chain
        "confidences": [round(confidence, 4) for _, confidence in readings],
    }


GENERATE_CSS = """
.generate-grid {display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 6px; max-width: 440px}
.generate-grid figure {margin: 0; text-align: center}
.generate-grid img {width: 100%; aspect-ratio: 1; image-rendering: pixelated; border-radius: 4px; background: #000}
.generate-grid figcaption {font-size: 0.75rem; color: var(--body-text-color-subdued); line-height: 1.25;
  overflow-wrap: anywhere}  /* a narrow cell (a phone) wraps its caption instead of running into the next */
.generate-frame {font-size: 0.85rem; margin: 4px 0 0}
.generate-scrub {display: flex; gap: 12px; align-items: flex-start; flex-wrap: wrap}
.generate-scrub img {image-rendering: pixelated; background: #000; border-radius: 4px}
.generate-scrub img.big {width: 140px; height: 140px}
.generate-scrub img.strip {width: min(100%, 300px)}
.generate-scrub p {margin: 0 0 6px; font-size: 0.85rem}
.generate-empty {color: var(--body-text-color-subdued)}
/* with reduced motion the chain does not play: its frames stay hidden (their step still shows) until the digits */
@media (prefers-reduced-motion: reduce) {#generate-samples:has(.generate-frame) .generate-grid {visibility: hidden}}
"""
