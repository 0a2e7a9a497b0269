"""The one training loop: blind denoising (and the digit classifier), with resumable, atomic checkpoints.

    fit(model, train_images, val_images, out="checkpoints/conv", epochs=40)
    fit(DigitClassifier(), train_images, val_images, train_labels=..., val_labels=..., out=..., kinds=())
    fit(DigitGenerator(), train_images, val_images, out="checkpoints/generator", kinds=())

Every batch is augmented, then each image gets a random noise kind and
strength (fresh noise every batch, see `random_corruption`); the loss is
the per-image PSNR against the *clean* image (see `training_loss`), or against
the corrupted input itself with target="noisy" (a model that learns to copy
the noise). kinds=() trains a plain autoencoder: no noise at all. With labels,
the model is a classifier and the loss is cross-entropy against them. A model
with a `diffusion_loss` (the generator, `dae.generation`) draws its own noise
levels and gives its own loss, told the labels if there are any. After
every epoch the model is saved to `out` (config.json + model.safetensors) and
the full training state (optimizer, scheduler, RNG, history) to
`out + ".state.pt"`, both atomically, so `resume=True` continues from the last
completed epoch even after a kill -9.
"""

from __future__ import annotations

import io
import math
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from .augment import augment, shift_whole_pixels
from .checkpoint import atomic_write_bytes, recover_interrupted_save, save_model
from .evaluation import run_model
from .metrics import psnr
from .noise import NOISE_KINDS, random_corruption

GENERATOR_CHECK = 0.5  # a generator's val_psnr: its denoising of Gaussian noise of this σ (not clipped to [0, 1])


def bf16_available() -> bool:
    """True when this CPU runs bfloat16 matmuls natively (autocast then speeds training up)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def pick_device(name: str = "auto") -> torch.device:
    """The torch device for `name`: "auto" takes a CUDA GPU, else an Apple GPU (mps), else the CPU.

    Any other name ("cpu", "cuda", "cuda:1", "mps") is checked: a ValueError says when it is not there.
    """
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from None
    missing = (device.type == "cuda" and not torch.cuda.is_available()) or (
        device.type == "mps" and not torch.backends.mps.is_available()
    )
    if missing:
        raise ValueError(f"device {name!r} is not available on this machine; use --device auto or cpu")
    return device


def one_cycle(fraction: float, warmup: float = 0.15, start: float = 1 / 25) -> float:
    """The learning rate's factor at `fraction` of training: a linear warm-up from `start`, then a cosine to zero."""
    fraction = min(max(fraction, 0.0), 1.0)
    if fraction < warmup:
        return start + (1 - start) * fraction / warmup
    return 0.5 * (1 + math.cos(math.pi * (fraction - warmup) / (1 - warmup)))


LOSSES = ("bce", "mse", "psnr")
TARGETS = ("clean", "noisy")  # what the loss compares the output with: a DAE, or a model that learns to copy the noise


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
    out: str | Path | None,
    epochs: int = 30,
    batch_size: int = 128,
    lr: float = 2e-3,
    weight_decay: float = 1e-4,
    seed: int = 0,
    resume: bool = False,
    max_strength: float = 1.0,
    strength_power: float = 1.0,
    clean_share: float = 0.0,
    bf16: bool | None = None,
    augmentation: float = 0.25,
    pixel_shift: float = 0.0,
    loss: str = "psnr",
    kinds: tuple[str, ...] = NOISE_KINDS,
    target: str = "clean",
    train_labels: Tensor | None = None,
    val_labels: Tensor | None = None,
    device: str | torch.device = "cpu",
    seconds: float | None = None,
    ema: float = 0.0,
    metadata: dict | None = None,
    progress: Callable[[dict], None] | None = None,
) -> dict:
    """Train `model` on clean `train_images`; return the history (one dict per epoch).

    augmentation: the share of images resampled (see `augment`), 0 or False for none; pixel_shift: the
    share of images then moved by up to one whole pixel each way (see `shift_whole_pixels`), 0 for none.
    kinds: the noise kinds drawn from, () for none; clean_share: the chance an image is left clean; target:
    "clean" (a DAE) or "noisy" (the loss against the corrupted input). device: where the model runs; batches
    are made on the CPU.
    seconds: a time budget. Training stops when it is spent (the epoch under way is then validated
    and saved as it stands), and the learning-rate schedule follows the clock instead of the steps;
    `epochs` is then only an upper bound.
    progress(info) is called after every batch with {"epoch", "step", "steps", "loss"} and after
    every epoch with {"epoch", "val_psnr", ...} added ("val_accuracy" for a classifier); if it
    returns True, training stops after that batch (the last completed epoch stays saved).
    out: the checkpoint folder, written after every epoch; None saves nothing (save the returned model).
    ema: the decay of an exponential moving average of the weights (and BatchNorm's statistics), 0 for none;
    with one, the average is what is validated, saved and left in `model` at the end (torch's AveragedModel).
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; valid targets: {', '.join(TARGETS)}")
    diffusion = hasattr(model, "diffusion_loss")  # a generator's denoiser (dae.generation), trained at every level
    classify = train_labels is not None and not diffusion  # a generator takes the labels as what it is told
    torch.manual_seed(seed)
    device = torch.device(device)
    bf16 = (bf16_available() if bf16 is None else bf16) and device.type == "cpu"
    model = model.to(device)
    channels_last = any(isinstance(m, nn.Conv2d) for m in model.modules())
    if channels_last:  # with bf16 autocast, about twice as fast for the convs on a CPU
        model = model.to(memory_format=torch.channels_last)
    # a diffusion model's samples are much better from an average of its recent weights than from the last ones
    averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(ema), use_buffers=True) if ema else None
    kept = averaged.module if averaged is not None else model  # what is validated and saved
    steps_per_epoch = -(-len(train_images) // batch_size)
    # the fused AdamW: one kernel for every parameter's update (a third faster a step for the small live models)
    fused = device.type in ("cpu", "cuda")
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, fused=fused)
    started = time.perf_counter()
    elapsed = 0.0
    if seconds:
        # the same one-cycle shape as below, over the time budget: warm up, then anneal as the clock runs out
        clock = lambda: elapsed + time.perf_counter() - started  # noqa: E731 - reads the loop's current values
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: one_cycle(clock() / seconds))
    else:
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch, pct_start=0.15
        )
    generator = torch.Generator().manual_seed(seed)
    # fixed noisy validation set: the same images and noise every epoch, so val PSNR is comparable
    val_noisy = _corrupt(val_images, kinds, max_strength, 1.0, torch.Generator().manual_seed(seed + 1))
    if diffusion:  # a generator is told the noise level: validated on unclipped Gaussian noise of σ GENERATOR_CHECK
        noise = torch.randn(val_images.shape, generator=torch.Generator().manual_seed(seed + 1))
        val_noisy = val_images + GENERATOR_CHECK * noise
    history: list[dict] = []
    start_epoch = 0
    described: dict = dict(metadata or {})  # what the checkpoint's config.json says, completed every epoch

    if out is not None:
        _remove_leftovers(Path(out))
    if resume and out is not None and state_path(out).is_file():
        state = torch.load(state_path(out), weights_only=True)  # tensors and plain containers only, no arbitrary pickle
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        history, start_epoch, elapsed = state["history"], state["epoch"], state["elapsed"]
        if averaged is not None:
            averaged.load_state_dict(state["averaged"])

    for epoch in range(start_epoch, epochs):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(len(train_images), generator=generator)
        total, count = 0.0, 0
        stopped = out_of_time = False
        for step, rows in enumerate(order.split(batch_size)):
            clean = train_images[rows]
            if augmentation:
                clean = augment(clean, generator=generator, probability=float(augmentation))
            if pixel_shift:
                clean = shift_whole_pixels(clean, generator=generator, probability=pixel_shift)
            noisy = _corrupt(clean, kinds, max_strength, strength_power, generator, clean_share)
            noisy, clean = noisy.to(device), clean.to(device)
            if channels_last:
                noisy = noisy.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                # a generator draws its own noise levels and gives its own loss (dae.generation)
                if diffusion:
                    labels = train_labels[rows] if train_labels is not None else None
                    output = model.diffusion_loss(clean, generator, labels)
                else:
                    output = model.logits(noisy)
            if diffusion:
                objective = output.float()
            elif classify:
                objective = F.cross_entropy(output.float(), train_labels[rows].to(device))
            else:
                objective = training_loss(output.float(), clean if target == "clean" else noisy, loss)
            optimizer.zero_grad(set_to_none=True)
            objective.backward()
            optimizer.step()
            scheduler.step()
            if averaged is not None:
                averaged.update_parameters(model)
            total, count = total + objective.item() * len(rows), count + len(rows)
            if progress and progress(
                {"epoch": epoch + 1, "step": step + 1, "steps": steps_per_epoch, "loss": objective.item()}
            ):
                stopped = True
                break
            if seconds and elapsed + time.perf_counter() - started >= seconds:
                out_of_time = True
                break
        if stopped:  # the epoch under way is dropped, but its time was spent
            elapsed += time.perf_counter() - started
            break

        if diffusion:
            outputs = kept.eval().denoise(val_noisy.to(device), GENERATOR_CHECK).cpu()
        else:
            outputs = run_model(kept, val_noisy.to(device)).cpu()
        if classify:
            score = {"val_accuracy": (outputs.argmax(1) == val_labels).float().mean().item()}
        else:
            score = {"val_psnr": psnr(val_images, outputs).mean().item()}
        elapsed += time.perf_counter() - started
        history.append({"epoch": epoch + 1, "loss": total / count, **score, "seconds": elapsed})
        described = dict(
            epochs=epoch + 1,
            planned_epochs=epochs,
            train_seconds=round(elapsed, 1),
            **{name: round(value, 4) for name, value in score.items()},
            noise_kinds=list(kinds),
            **({} if classify else {"loss": loss, "target": target}),
            max_strength=max_strength,
            strength_power=strength_power,
            clean_share=clean_share,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            augmentation=augmentation,
            pixel_shift=pixel_shift,
            **({"ema": ema} if ema else {}),
            seed=seed,
            **(metadata or {}),
        )
        if out is not None:
            _save(out, model, described, optimizer, scheduler, generator, history, elapsed, averaged)
        if progress and progress(dict(history[-1], steps=steps_per_epoch, step=steps_per_epoch)):
            break
        if out_of_time:
            break
    if averaged is not None:
        model.load_state_dict(kept.state_dict())  # the caller's model ends as the average that was saved
    model.eval()
    return {"history": history, "seconds": elapsed, "resumed_from": start_epoch, "metadata": described}


def _save(out, model, described, optimizer, scheduler, generator, history, elapsed, averaged=None) -> None:
    """The model's checkpoint (the weights' average, with one), then the whole training state, both atomically."""
    save_model(averaged.module if averaged is not None else model, out, **described)
    buffer = io.BytesIO()
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "generator": generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "history": history,
            "epoch": described["epochs"],
            "elapsed": elapsed,
            **({"averaged": averaged.state_dict()} if averaged is not None else {}),
        },
        buffer,
    )
    atomic_write_bytes(state_path(out), buffer.getvalue())


def _corrupt(
    clean: Tensor,
    kinds: tuple[str, ...],
    max_strength: float,
    strength_power: float,
    generator: torch.Generator,
    clean_share: float = 0.0,
) -> Tensor:
    if not kinds:  # a plain autoencoder: no noise
        return clean
    return random_corruption(
        clean,
        kinds=kinds,
        max_strength=max_strength,
        strength_power=strength_power,
        clean_share=clean_share,
        generator=generator,
    )


def _remove_leftovers(out: Path) -> None:
    # temporary files of a save that was killed midway; the checkpoint itself is always whole
    recover_interrupted_save(out)  # first: a save killed between its renames left the checkpoint in an .old- folder
    for pattern in (f".{out.name}.tmp-*", f".{out.name}.old-*", f".{state_path(out).name}.tmp-*"):
        for leftover in out.parent.glob(pattern):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
