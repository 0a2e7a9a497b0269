"""Blind denoising training with resumable, atomic checkpoints.

    fit(model, train_images, val_images, out="checkpoints/conv", epochs=40)

Every batch is augmented, then each image gets a random noise kind and
strength (fresh noise every batch, see `random_corruption`); the loss is
the per-image PSNR against the *clean* image (see `training_loss`). After
every epoch the model is saved to `out` (config.json + model.safetensors) and
the full training state (optimizer, scheduler, RNG, history) to
`out + ".state.pt"`, both atomically, so `resume=True` continues from the last
completed epoch even after a kill -9.
"""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .augment import augment, shift_whole_pixels
from .checkpoint import atomic_write_bytes, recover_interrupted_save, save_model
from .evaluation import run_model
from .metrics import psnr
from .noise import NOISE_KINDS, random_corruption


def bf16_available() -> bool:
    """True when this CPU runs bfloat16 matmuls natively (autocast then speeds training up)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


LOSSES = ("bce", "mse", "psnr")


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


def state_path(out: str | Path) -> Path:
    """Where `fit` keeps the resumable training state for the checkpoint folder `out`."""
    out = Path(out)
    return out.with_name(out.name + ".state.pt")


def fit(
    model: nn.Module,
    train_images: Tensor,
    val_images: Tensor,
    *,
    out: str | Path,
    epochs: int = 30,
    batch_size: int = 128,
    lr: float = 2e-3,
    weight_decay: float = 1e-4,
    seed: int = 0,
    resume: bool = False,
    max_strength: float = 1.0,
    strength_power: float = 1.0,
    bf16: bool | None = None,
    augmentation: bool = True,
    pixel_shift: float = 0.0,
    loss: str = "psnr",
    kinds: tuple[str, ...] = NOISE_KINDS,
    metadata: dict | None = None,
    progress: Callable[[dict], None] | None = None,
) -> dict:
    """Train `model` on clean `train_images`; return the history (one dict per epoch).

    augmentation: resample a quarter of the images (see `augment`); pixel_shift: the share of
    images then moved by up to one whole pixel each way (see `shift_whole_pixels`), 0 for none.
    progress(info) is called after every batch with {"epoch", "step", "steps", "loss"}
    and after every epoch with {"epoch", "val_psnr", ...} added.
    """
    torch.manual_seed(seed)
    bf16 = bf16_available() if bf16 is None else bf16
    channels_last = any(isinstance(m, nn.Conv2d) for m in model.modules())
    if channels_last:  # with bf16 autocast, about twice as fast for the convs on a CPU
        model = model.to(memory_format=torch.channels_last)
    steps_per_epoch = -(-len(train_images) // batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch, pct_start=0.15
    )
    generator = torch.Generator().manual_seed(seed)
    # fixed noisy validation set: the same images and noise every epoch, so val PSNR is comparable
    val_noisy = random_corruption(
        val_images, max_strength=max_strength, generator=torch.Generator().manual_seed(seed + 1)
    )
    history: list[dict] = []
    start_epoch, elapsed = 0, 0.0

    _remove_leftovers(Path(out))
    if resume and state_path(out).is_file():
        state = torch.load(state_path(out), weights_only=True)  # tensors and plain containers only, no arbitrary pickle
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        history, start_epoch, elapsed = state["history"], state["epoch"], state["elapsed"]

    for epoch in range(start_epoch, epochs):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(len(train_images), generator=generator)
        total, count = 0.0, 0
        for step, rows in enumerate(order.split(batch_size)):
            clean = train_images[rows]
            if augmentation:
                clean = augment(clean, generator=generator)
            if pixel_shift:
                clean = shift_whole_pixels(clean, generator=generator, probability=pixel_shift)
            noisy = random_corruption(
                clean, kinds=kinds, max_strength=max_strength, strength_power=strength_power, generator=generator
            )
            if channels_last:
                noisy = noisy.contiguous(memory_format=torch.channels_last)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model.logits(noisy)
            objective = training_loss(logits.float(), clean, loss)
            optimizer.zero_grad(set_to_none=True)
            objective.backward()
            optimizer.step()
            scheduler.step()
            total, count = total + objective.item() * len(rows), count + len(rows)
            if progress:
                progress({"epoch": epoch + 1, "step": step + 1, "steps": steps_per_epoch, "loss": objective.item()})

        val_psnr = psnr(val_images, run_model(model, val_noisy)).mean().item()
        elapsed += time.perf_counter() - started
        history.append({"epoch": epoch + 1, "loss": total / count, "val_psnr": val_psnr, "seconds": elapsed})
        save_model(
            model,
            out,
            epochs=epoch + 1,
            planned_epochs=epochs,
            train_seconds=round(elapsed, 1),
            val_psnr=round(val_psnr, 3),
            noise_kinds=list(kinds),
            loss=loss,
            max_strength=max_strength,
            strength_power=strength_power,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            augmentation=augmentation,
            pixel_shift=pixel_shift,
            seed=seed,
            **(metadata or {}),
        )
        buffer = io.BytesIO()
        torch.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "generator": generator.get_state(),
                "torch_rng": torch.get_rng_state(),
                "history": history,
                "epoch": epoch + 1,
                "elapsed": elapsed,
            },
            buffer,
        )
        atomic_write_bytes(state_path(out), buffer.getvalue())
        if progress:
            progress(dict(history[-1], steps=steps_per_epoch, step=steps_per_epoch))
    model.eval()
    return {"history": history, "seconds": elapsed, "resumed_from": start_epoch}


def _remove_leftovers(out: Path) -> None:
    # temporary files of a save that was killed midway; the checkpoint itself is always whole
    recover_interrupted_save(out)  # first: a save killed between its renames left the checkpoint in an .old- folder
    for pattern in (f".{out.name}.tmp-*", f".{out.name}.old-*", f".{state_path(out).name}.tmp-*"):
        for leftover in out.parent.glob(pattern):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
