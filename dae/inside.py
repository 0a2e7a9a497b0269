"""Inside the autoencoders, for one digit and one noise: what each keeps, where it errs, where it drifts.

    inside = look_inside(linear, conv, noisy, clean, classifier=classifier, plain=plain)
    inside.errors["conv"]          # reconstruction - clean, [28, 28] in [-1, 1]
    inside.repeats["linear"]       # [REPEATS, 28, 28]: the model applied again and again to its own output

Returns numpy arrays only (an `Inside`), so the web process that draws them
never needs torch: this module imports it only inside its functions, and an
`Inside` unpickles without it. `DenoisingLab.inspect` runs this for the app.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from torch import Tensor, nn

REPEATS = 4  # how many times repeated denoising applies each model to its own output
INTERPOLATED = ("pixels", "linear", "conv", "unet")  # the lines between two digits the page and the API draw
TOP_FILTERS = 8  # the linear model's first-layer units shown: those that respond most to the input


@dataclass
class Inside:
    """What the Inside view shows. Images are float32 [28, 28]; readings are (label, confidence) pairs."""

    noisy: np.ndarray  # the corrupted input every model saw
    # "linear", "conv", "plain", "unet": each model's reconstruction of the noisy input; "unet_no_skips": the
    # U-Net's with its skip connections zeroed (what came through its bottleneck alone)
    outputs: dict[str, np.ndarray]
    errors: dict[str, np.ndarray]  # the same names: reconstruction - clean, in [-1, 1]
    linear_code: np.ndarray  # [bottleneck]: the linear model's code
    conv_code: np.ndarray  # [code_channels, 14, 14]: the conv model's code maps
    filters: np.ndarray  # [TOP_FILTERS, 28, 28]: first-layer weights of the linear units that respond most
    filter_responses: list[float]  # each unit's response (weights . input + bias) to the noisy input
    feature_maps: np.ndarray  # [channels, 28, 28]: the conv model's first-layer maps of the noisy input
    repeats: dict[str, np.ndarray]  # "linear", "conv": [REPEATS, 28, 28], step k = model applied k + 1 times
    psnr: dict[str, float] = field(default_factory=dict)  # each of `outputs` against the clean digit
    readings: dict[str, tuple[int, float]] = field(default_factory=dict)  # clean, noisy and each of `outputs`
    repeat_readings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # per step of `repeats`
    code_maps: dict[str, CodeMapView] = field(default_factory=dict)  # "pixels", "linear", ...: where the codes lie


@dataclass
class CodeMapView:
    """One model's map of codes (dae.probe.CodeMap) with the digit on view placed on it: numpy only, for the page."""

    points: np.ndarray  # [N, 2] (float16 will do): test digits' codes on the map's plane
    labels: np.ndarray  # [N]: their classes
    clean: tuple[float, float]  # the clean digit's code on the plane
    noisy: tuple[float, float]  # its corrupted version's
    reads: tuple[int, int]  # the probe's class for the clean code and for the noisy one
    accuracy: dict[str, float]  # the probe's accuracy on test digits: "clean" and each kind at 0.5


@dataclass
class SkipEffect:
    """What a U-Net's skip connections added to its output, for one input (see `skip_effect`)."""

    gain_db: float  # PSNR with the skips minus PSNR without them
    toward: float  # total per-pixel error the skips removed (moving pixels toward the clean digit)
    away: float  # total per-pixel error they added: noise, or detail the clean digit does not have

    @property
    def away_share(self) -> float:
        """The share of the skips' changes that moved pixels away from the clean digit."""
        total = self.toward + self.away
        return self.away / total if total > 0 else 0.0


def skip_effect(inside: Inside) -> SkipEffect | None:
    """What the U-Net's skips carried here: compare its output with and without them, pixel by pixel against the
    clean digit (None when the view has no U-Net)."""
    if "unet" not in inside.outputs:
        return None
    with_skips = np.abs(inside.errors["unet"])
    without = np.abs(inside.errors["unet_no_skips"])
    gain = without - with_skips  # > 0 where the skips moved the pixel closer to the clean digit
    return SkipEffect(
        gain_db=inside.psnr["unet"] - inside.psnr["unet_no_skips"],
        toward=float(np.clip(gain, 0, None).sum()),
        away=float(np.clip(-gain, 0, None).sum()),
    )


def read_digits(classifier: nn.Module, images: Tensor) -> list[tuple[int, float]]:
    """The classifier's reading of each image in [N,1,28,28]: (label, confidence), confidence in [0, 1]."""
    import torch

    with torch.inference_mode():
        return readings_of(classifier(images))


def readings_of(logits: Tensor) -> list[tuple[int, float]]:
    """(label, confidence) for each row of the classifier's logits [N, 10]."""
    import torch

    confidence, label = torch.softmax(logits.float(), dim=1).max(dim=1)
    return [(int(a), float(b)) for a, b in zip(label, confidence, strict=True)]


def repeat_denoising(
    model: Callable[[Tensor], Tensor], noisy: Tensor, steps: int = REPEATS, first: Tensor | None = None
) -> Tensor:
    """[steps, 1, 28, 28]: model(noisy), model(model(noisy)), ...; a good denoiser settles, a weak one drifts.

    first: model(noisy), if it is already known: the chain continues from it.
    """
    import torch

    if steps <= 0:
        return noisy[:0]
    out, image = ([], noisy) if first is None else ([first], first)
    for _ in range(steps - len(out)):
        image = model(image).float()
        out.append(image)
    return torch.cat(out)


def look_inside(
    linear: nn.Module,
    conv: nn.Module,
    noisy: Tensor,
    clean: Tensor,
    *,
    classifier: nn.Module | None = None,
    plain: nn.Module | None = None,
    unet: nn.Module | None = None,
    repeats: int = REPEATS,
    top_filters: int = TOP_FILTERS,
    run_conv: Callable[[Tensor], Tensor] | None = None,
    run_unet: Callable[[Tensor], Tensor] | None = None,
    encode_conv: Callable[[Tensor], Tensor] | None = None,
    read: Callable[[Tensor], list[tuple[int, float]]] | None = None,
    pool: Executor | None = None,
    first: dict[str, Tensor] | None = None,
) -> Inside:
    """Everything the Inside view shows for one noisy digit [1,1,28,28] and its clean original.

    linear must be a LinearDAE (its first layer is read as 28x28 filters) and conv a ConvDAE (its encoder's
    first block gives the feature maps). plain: the same linear architecture trained without noise. unet: a
    UNetDAE, run as it is and with its skips zeroed.
    run_conv, run_unet, encode_conv and read: faster equivalents of conv(x), unet(x), conv.encode(x) and
    read_digits(classifier, x), if the caller has them;
    pool: a thread pool on which the conv model's repeated denoising runs while this thread does the rest.
    first: "linear", "conv" and "unet" -> each model's output for `noisy`, if the caller has them (a comparison
    of the same input): the repeated denoising continues from them.
    """
    import torch

    run_conv, encode_conv = run_conv or conv, encode_conv or conv.encode
    if read is None and classifier is not None:
        read = lambda images: read_digits(classifier, images)  # noqa: E731
    # the conv model's chain is the longest part: on a second thread, when there is one; conv_steps() gives it
    first = first or {}
    conv_chain = (run_conv, noisy, repeats, first.get("conv"))
    if pool is not None:
        conv_steps = pool.submit(_repeat_in_inference, *conv_chain).result
    else:
        conv_steps = lambda: repeat_denoising(*conv_chain)  # noqa: E731
    with torch.inference_mode():
        others = {}  # the models shown beside the linear one, computed on this thread
        if plain is not None:
            others["plain"] = plain(noisy).float()
        if unet is not None:
            others["unet"] = first["unet"] if "unet" in first else (run_unet or unet)(noisy).float()
            others["unet_no_skips"] = unet.without_skips(noisy).float()
        return _look_inside(
            linear, conv, noisy, clean, others, repeats, top_filters, encode_conv, read, first.get("linear"), conv_steps
        )


def _repeat_in_inference(model, noisy, steps, first):
    import torch

    with torch.inference_mode():  # thread-local: a pool's thread needs its own
        return repeat_denoising(model, noisy, steps, first)


def _look_inside(
    linear, conv, noisy, clean, others, repeats, top_filters, encode_conv, read, linear_first, conv_steps
) -> Inside:
    import torch

    from .metrics import psnr

    # repeated denoising; its first step is each model's output
    steps = {"linear": repeat_denoising(linear, noisy, repeats, linear_first)}
    first_layer = linear.net[0]  # Linear(784, hidden): each row is a 28x28 filter
    responses = first_layer(noisy.flatten(1))[0]
    top = responses.argsort(descending=True)[:top_filters]
    inside = Inside(
        noisy=noisy[0, 0].float().numpy(),
        outputs={},
        errors={},
        linear_code=linear.encode(noisy)[0].float().numpy(),
        conv_code=encode_conv(noisy)[0].float().numpy(),
        filters=first_layer.weight[top].view(-1, 28, 28).float().numpy(),
        filter_responses=responses[top].tolist(),
        feature_maps=conv.encoder[0](noisy)[0].float().numpy(),
        repeats={},
    )
    # the readings of everything but the conv model's chain, while that chain may still run on the pool
    first_names = ["clean", "noisy", *others]
    first_batch = torch.cat([clean, noisy, *others.values(), steps["linear"]])
    first_readings = read(first_batch) if read is not None else []
    steps["conv"] = conv_steps()
    outputs = {"linear": steps["linear"][:1], "conv": steps["conv"][:1], **others}
    inside.outputs = {name: out[0, 0].numpy() for name, out in outputs.items()}
    inside.errors = {name: (out - clean)[0, 0].numpy() for name, out in outputs.items()}
    inside.repeats = {name: chain[:, 0].numpy() for name, chain in steps.items()}
    inside.psnr = {name: psnr(clean, out).item() for name, out in outputs.items()}
    if read is not None:
        conv_readings = read(steps["conv"])
        linear_readings = first_readings[len(first_names) :]
        inside.readings = dict(zip(first_names, first_readings, strict=False))
        inside.readings.update(linear=linear_readings[0], conv=conv_readings[0])
        inside.repeat_readings = {"linear": linear_readings, "conv": conv_readings}
    return inside
