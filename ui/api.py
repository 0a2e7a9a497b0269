"""The API: five endpoints for gradio_client, each with inputs of its own (hidden on the page).

    client.predict(handle_file("7.png"), "gaussian", 0.5, 0, api_name="/denoise")
    client.predict("generator", 16, 10, 0, api_name="/generate")
    client.predict("linear", ["gaussian"], 1.0, "clean", 20, 0, api_name="/train")
    client.predict([[0.1, 0.2], ...], 10, 0, api_name="/field")
    client.predict(handle_file("7.png"), handle_file("1.png"), "conv", api_name="/interpolate")

The inputs have no choices or ranges, so every value reaches the checks,
whose messages name the valid values (README.md, "The API", shows each
endpoint's outputs). The page's own events are private or undocumented.
"""

from __future__ import annotations

import io
from functools import partial

import gradio as gr
import numpy as np

from dae.comparison import finite, looks_like_a_digit, to_uint8
from dae.inside import INTERPOLATED
from dae.kinds import NOISE_KINDS
from dae.names import NAMES
from dae.points import check_field
from dae.samples import grid
from server.downloads import save_download

from . import field as field_part
from .compare import read_upload
from .generate import default_steps, generation_metrics, run_generation, samples_npz
from .page import Page, check_params, messages
from .train import make_request, train_to_end

PANELS = ("clean", "noisy", "linear", "conv")  # denoise's first images, in this order; the U-Net's comes last


def denoise(lab, image, kind, strength, seed):
    """An image file, a noise kind, a strength in [0, 1] and a seed -> the clean, noisy, linear and conv images,
    the metrics, and the U-Net's image (last, so that clients written before it keep working). The metrics say
    each image's PSNR, SSIM and reading, and of the input: its novelty (higher: less like a digit) and whether
    it looks like a digit at all."""
    kind, strength, seed = check_params(kind, strength, seed)
    digit = read_upload(image)
    with messages():
        result = lab.compare(digit, kind, strength, seed, curve=False)
    metrics = {name: {key: finite(value) for key, value in scores.items()} for name, scores in result.scores.items()}
    metrics["clean"] = {}
    for name, (label, confidence) in result.readings.items():  # the classifier's reading of each image
        metrics[name].update(label=label, confidence=round(confidence, 4))
    metrics.update(better=result.better, kind=kind, strength=strength, seed=seed)
    metrics.update(novelty=result.novelty and result.novelty["score"], looks_like_a_digit=looks_like_a_digit(result))
    panels = (to_uint8(getattr(result, name)) for name in PANELS)
    return (*panels, metrics, to_uint8(result.unet) if result.unet is not None else None)


def generate(lab, model, n, steps, seed, yours=None):
    """A model ("generator", "conv", "linear", "yours"), n (1 to 256), steps (1 to 200), a seed -> the grid of
    samples, an .npz of them (uint8 [n, 28, 28], white on black) and the metrics."""
    result = run_generation(lab, model, n, steps, seed, yours)
    return grid(result.images), save_download(samples_npz(result), "dae-samples-", ".npz"), generation_metrics(result)


def train(architecture, kinds, max_strength, target, seconds, seed) -> tuple[dict, str]:
    """An architecture ("linear", "conv"), the noise kinds to train on ([] for none), the largest strength, the
    loss's target ("clean", "noisy"), a time budget in seconds and a seed -> the metrics and the checkpoint (a zip
    of config.json and model.safetensors that dae.load_model reads)."""
    return train_to_end(make_request(architecture, kinds, max_strength, target, seconds, seed))


def field(points, seconds, seed):
    """Points ([[x, y], ...], 50 to 10,000 pairs in [-1, 1]), a training budget in seconds (1 to 30) and a seed ->
    a picture of the learnt field over the points and the samples, the samples (an .npz: `samples`, float32
    [2000, 2], by EDM's stochastic sampler, and `ode_samples`, by the probability-flow ODE alone) and the metrics
    (seconds, steps, the samples' energy distance to the points, its floor, the ODE's, ...)."""
    with messages():
        job = check_field(points, seconds, seed)
    result = field_part.train_to_end(job)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, samples=result["samples"].astype(np.float32), ode_samples=result["ode_samples"])
    samples = save_download(buffer.getvalue(), "dae-field-", ".npz")
    return field_part.picture(job.points, result), samples, result["metrics"]


def interpolate(lab, image_a, image_b, model):
    """Two image files and a model ("pixels", "linear", "conv", "unet") -> the 8 frames along the straight line
    from the first digit to the second in that model's code, decoded ("pixels": a cross-fade), as an .npz
    (`frames`, uint8 [8, 28, 28], white on black), and the classifier's reading of each frame."""
    if model not in INTERPOLATED:
        raise gr.Error(f"Unknown model {model!r}: use one of {', '.join(INTERPOLATED)}.")
    a, b = read_upload(image_a), read_upload(image_b)
    with messages():
        frames, readings = lab.interpolate(a, b, (model,))[model]
    buffer = io.BytesIO()
    np.savez_compressed(buffer, frames=frames)
    readings = [{"label": label, "confidence": round(confidence, 4)} for label, confidence in readings]
    return save_download(buffer.getvalue(), "dae-interpolation-", ".npz"), {"model": model, "readings": readings}


def section(page: Page) -> None:
    """The five endpoints, each triggered by a hidden button; generate and train share their queues with the
    page's (one at a time on the server)."""
    with gr.Group(visible=False):
        denoise_inputs = [
            gr.File(label="image", type="binary"),
            gr.Textbox(value="gaussian", label="kind"),
            gr.Number(value=0.5, label="strength"),
            gr.Number(value=0, label="seed"),
        ]
        denoise_outputs = [gr.Image(label=NAMES[name].title, format="png") for name in PANELS]
        denoise_outputs += [gr.JSON(label="metrics"), gr.Image(label=NAMES["unet"].title, format="png")]
        denoise_button = gr.Button()
        generate_inputs = [
            gr.Textbox(value="generator", label="model"),
            gr.Number(value=16, label="n"),
            gr.Number(value=default_steps("generator"), label="steps"),
            gr.Number(value=0, label="seed"),
        ]
        generate_outputs = [gr.Image(label="grid", format="png"), gr.File(label="samples"), gr.JSON(label="metrics")]
        generate_button = gr.Button()
        train_inputs = [
            gr.Textbox(value="linear", label="architecture"),
            gr.JSON(value=list(NOISE_KINDS), label="kinds"),
            gr.Number(value=1.0, label="max_strength"),
            gr.Textbox(value="clean", label="target"),
            gr.Number(value=20, label="seconds"),
            gr.Number(value=0, label="seed"),
        ]
        train_outputs = [gr.JSON(label="metrics"), gr.File(label="checkpoint")]
        train_button = gr.Button()
        field_inputs = [gr.JSON(value=[], label="points"), gr.Number(value=10, label="seconds"),
                        gr.Number(value=0, label="seed")]  # fmt: skip
        field_outputs = [gr.Image(label="picture", format="png"), gr.File(label="samples"), gr.JSON(label="metrics")]
        field_button = gr.Button()
        interpolate_inputs = [gr.File(label="image_a", type="binary"), gr.File(label="image_b", type="binary"),
                              gr.Textbox(value="conv", label="model")]  # fmt: skip
        interpolate_outputs = [gr.File(label="frames"), gr.JSON(label="readings")]
        interpolate_button = gr.Button()
    # a partial's own docstring is functools'; the API's page shows each endpoint's
    described = lambda fn: {"api_name": fn.__name__, "api_description": fn.__doc__}  # noqa: E731
    denoise_button.click(partial(denoise, page.lab), denoise_inputs, denoise_outputs, **described(denoise))
    generate_button.click(partial(generate, page.lab), [*generate_inputs, page.yours], generate_outputs,
                          **described(generate), concurrency_limit=1, concurrency_id="generate")  # fmt: skip
    train_button.click(train, train_inputs, train_outputs, **described(train), concurrency_limit=1,
                       concurrency_id="train")  # fmt: skip
    field_button.click(field, field_inputs, field_outputs, **described(field), concurrency_limit=1,
                       concurrency_id="field")  # fmt: skip
    interpolate_button.click(partial(interpolate, page.lab), interpolate_inputs, interpolate_outputs,
                             **described(interpolate))  # fmt: skip
