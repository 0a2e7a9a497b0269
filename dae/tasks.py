"""What a training optimises and how it is scored: one small object per task, so `fit` never asks what it trains.

    fit(ConvDAE(), Denoising(), train_images, val_images, out="checkpoints/conv")
    fit(ConvDAE(), Denoising(kinds=(), target="clean"), ...)                # a plain autoencoder: no noise
    fit(DigitClassifier(), Classification(clean_share=0.5), (images, labels), (val_images, val_labels), ...)
    fit(DigitGenerator(classes=10), Diffusion(), (images, labels), val_images, ...)

A task has three calls: `loss(model, batch, generator, where)` for one batch
(a tuple of tensors: images, and labels where the task has them; `where`
moves a tensor to where the model runs and gives the precision of its
forward pass), `validation(val, seed)` once, to fix
the validation inputs (the same noise every epoch, so scores are comparable),
and `score(model, fixed)` after every epoch: {"val_psnr": dB} or
{"val_accuracy": share}. `describe()` is what the checkpoint's config.json
records of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .augment import augment, shift_whole_pixels
from .evaluation import run_model
from .kinds import TARGETS
from .metrics import psnr
from .noise import NOISE_KINDS, random_corruption

LOSSES = ("bce", "mse", "psnr")
GENERATOR_CHECK = 0.5  # a generator's val_psnr: its denoising of Gaussian noise of this σ (not clipped to [0, 1])


@dataclass
class Where:
    """Where a model runs: `place` moves a tensor there (channels_last for a conv model's images), `autocast()`
    is the precision of its forward pass: bf16 autocast where asked (CPUs only), else as it is."""

    device: torch.device = torch.device("cpu")
    bf16: bool = False
    channels_last: bool = False

    def place(self, x: Tensor) -> Tensor:
        x = x.to(self.device)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last and x.dim() == 4 else x

    def autocast(self) -> torch.autocast:
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16)


class Task(Protocol):
    """What `fit` asks of a task (see the module's docstring)."""

    def loss(self, model: nn.Module, batch: tuple[Tensor, ...], generator: torch.Generator, where: Where) -> Tensor: ...

    def validation(self, val: tuple[Tensor, ...], seed: int) -> tuple: ...

    def score(self, model: nn.Module, fixed: tuple, where: Where) -> dict[str, float]: ...

    def describe(self) -> dict: ...


def training_loss(logits: Tensor, clean: Tensor, kind: str = "psnr") -> Tensor:
    """The training objective for a batch of logits against the clean images.

    bce: binary cross-entropy, never stalls at an all-black output. mse: plain
    squared error of the sigmoid. psnr: the mean per-image PSNR, negated, which
    is exactly what the evaluation averages; it weighs every image alike, so the
    easy digits are not ignored for the hopeless ones. BCE is added at a tenth
    of the weight to keep the early gradient alive.
    """
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(logits, clean)
    if kind == "mse":
        return F.mse_loss(torch.sigmoid(logits), clean)
    if kind == "psnr":
        mse = (torch.sigmoid(logits) - clean).pow(2).flatten(1).mean(1)
        return torch.log10(mse + 1e-6).mean() + 0.1 * F.binary_cross_entropy_with_logits(logits, clean)
    raise ValueError(f"unknown loss {kind!r}; valid losses: {', '.join(LOSSES)}")


@dataclass
class Images:
    """What every image task does to a batch first: augment the clean digits (the share `augmentation` resampled,
    see `augment`; the share `pixel_shift` then moved by up to one whole pixel, see `shift_whole_pixels`)."""

    augmentation: float = 0.25
    pixel_shift: float = 0.0

    def augmented(self, clean: Tensor, generator: torch.Generator) -> Tensor:
        if self.augmentation:
            clean = augment(clean, generator=generator, probability=float(self.augmentation))
        if self.pixel_shift:
            clean = shift_whole_pixels(clean, generator=generator, probability=self.pixel_shift)
        return clean

    def describe(self) -> dict:
        return {"augmentation": self.augmentation, "pixel_shift": self.pixel_shift}


@dataclass
class Corrupted(Images):
    """Images corrupted at random (`random_corruption`): a random kind from `kinds` and strength per image, fresh
    every batch; kinds=() for none at all; clean_share: the chance an image is left clean."""

    kinds: tuple[str, ...] = NOISE_KINDS
    max_strength: float = 1.0
    strength_power: float = 1.0
    clean_share: float = 0.0

    def corrupted(self, clean: Tensor, generator: torch.Generator, strength_power: float | None = None) -> Tensor:
        if not self.kinds:
            return clean
        power = self.strength_power if strength_power is None else strength_power
        return random_corruption(
            clean, kinds=self.kinds, max_strength=self.max_strength, strength_power=power,
            clean_share=self.clean_share, generator=generator,
        )  # fmt: skip

    def fixed_inputs(self, images: Tensor, seed: int) -> Tensor:
        # validation: the strengths drawn evenly up to max_strength, every image corrupted
        noisy = Corrupted(kinds=self.kinds, max_strength=self.max_strength)
        return noisy.corrupted(images, torch.Generator().manual_seed(seed + 1), strength_power=1.0)

    def describe(self) -> dict:
        noise = {"max_strength": self.max_strength, "strength_power": self.strength_power}
        return {"noise_kinds": list(self.kinds), **noise, "clean_share": self.clean_share, **super().describe()}


@dataclass
class Denoising(Corrupted):
    """A blind DAE: the loss (`training_loss`) of its output against the clean digit, or with target="noisy"
    against the corrupted input itself (a model that learns to copy the noise).

    code_match: the weight of a second term that pulls the corrupted input's code (`model.encode`) toward the
    clean digit's, held fixed (`code_distance`): a code the noise moves less (0: none, the shipped recipe).
    """

    target: str = "clean"
    loss_kind: str = "psnr"
    code_match: float = 0.0

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(f"unknown target {self.target!r}; valid targets: {', '.join(TARGETS)}")

    def loss(self, model: nn.Module, batch: tuple[Tensor, ...], generator: torch.Generator, where: Where) -> Tensor:
        clean = self.augmented(batch[0], generator)
        noisy = self.corrupted(clean, generator)
        noisy, clean = where.place(noisy), where.place(clean)
        with where.autocast():
            logits = model.logits(noisy)
            codes = (model.encode(noisy), model.encode(clean).detach()) if self.code_match else None
        loss = training_loss(logits.float(), clean if self.target == "clean" else noisy, self.loss_kind)
        return loss + self.code_match * code_distance(*codes) if codes else loss

    def validation(self, val: tuple[Tensor, ...], seed: int) -> tuple[Tensor, Tensor]:
        return val[0], self.fixed_inputs(val[0], seed)

    def score(self, model: nn.Module, fixed: tuple[Tensor, Tensor], where: Where) -> dict:
        clean, noisy = fixed
        return {"val_psnr": psnr(clean, run_model(model, where.place(noisy)).cpu()).mean().item()}

    def describe(self) -> dict:
        described = {**super().describe(), "loss": self.loss_kind, "target": self.target}
        return {**described, "code_match": self.code_match} if self.code_match else described


def code_distance(noisy: Tensor, clean: Tensor) -> Tensor:
    """Mean squared distance between two batches of codes, over the clean codes' variance: no unit of scale."""
    noisy, clean = noisy.float().flatten(1), clean.float().flatten(1)
    return (noisy - clean).pow(2).mean() / clean.var(0).mean().clamp_min(1e-8)


@dataclass
class Classification(Corrupted):
    """A digit classifier: cross-entropy against the labels, on augmented and corrupted digits."""

    def loss(self, model: nn.Module, batch: tuple[Tensor, ...], generator: torch.Generator, where: Where) -> Tensor:
        images, labels = batch
        noisy = self.corrupted(self.augmented(images, generator), generator)
        with where.autocast():
            logits = model.logits(where.place(noisy))
        return F.cross_entropy(logits.float(), where.place(labels))

    def validation(self, val: tuple[Tensor, ...], seed: int) -> tuple[Tensor, Tensor]:
        return self.fixed_inputs(val[0], seed), val[1]

    def score(self, model: nn.Module, fixed: tuple[Tensor, Tensor], where: Where) -> dict:
        noisy, labels = fixed
        outputs = run_model(model, where.place(noisy)).cpu()
        return {"val_accuracy": (outputs.argmax(1) == labels).float().mean().item()}


@dataclass
class Diffusion(Images):
    """A denoiser told the noise level (the generator, `dae.generation`): the model gives its own loss
    (`diffusion_loss`), drawing the levels itself, told the labels when the batch has them; scored on its
    denoising of unclipped Gaussian noise of σ GENERATOR_CHECK."""

    augmentation: float = 0.0
    check: float = GENERATOR_CHECK

    def loss(self, model: nn.Module, batch: tuple[Tensor, ...], generator: torch.Generator, where: Where) -> Tensor:
        clean = self.augmented(batch[0], generator).to(where.device)
        labels = batch[1] if len(batch) > 1 else None
        with where.autocast():
            loss = model.diffusion_loss(clean, generator, labels)
        return loss.float()

    def validation(self, val: tuple[Tensor, ...], seed: int) -> tuple[Tensor, Tensor]:
        noise = torch.randn(val[0].shape, generator=torch.Generator().manual_seed(seed + 1))
        return val[0], val[0] + self.check * noise

    def score(self, model: nn.Module, fixed: tuple[Tensor, Tensor], where: Where) -> dict:
        clean, noisy = fixed
        return {"val_psnr": psnr(clean, model.eval().denoise(noisy.to(where.device), self.check).cpu()).mean().item()}
