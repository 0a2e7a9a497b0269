"""The one training loop, for every model and task, with resumable, atomic checkpoints.

    fit(ConvDAE(), Denoising(), train_images, val_images, out="checkpoints/conv", epochs=40)
    fit(DigitClassifier(), Classification(), (images, labels), (val_images, val_labels), out=...)
    fit(DigitGenerator(), Diffusion(), train_images, val_images, out="checkpoints/generator")

What is trained and how it is scored is the task's (`dae.tasks`): its loss for
a batch, its fixed validation inputs, its score. `fit` runs the steps, the
one-cycle schedule, the optional weight average, validation, checkpoints and
resume the same way for all. After every epoch the model is saved to `out`
(config.json + model.safetensors) and the full training state (optimizer,
scheduler, RNG, history) to `out + ".state.pt"`, both atomically, so
`resume=True` continues from the last completed epoch even after a kill -9.
"""

from __future__ import annotations

import io
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from .checkpoint import atomic_write_bytes, recover_interrupted_save, save_model
from .tasks import Denoising, Task, Where

Data = Tensor | tuple[Tensor, ...]  # images, or images and labels: indexed alike


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


def state_path(out: str | Path) -> Path:
    """Where `fit` keeps the resumable training state for the checkpoint folder `out`."""
    out = Path(out)
    return out.with_name(out.name + ".state.pt")


@dataclass
class Run:
    """Everything a training carries from step to step, and what `.state.pt` keeps of it."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    generator: torch.Generator
    averaged: AveragedModel | None = None
    history: list[dict] = field(default_factory=list)
    epoch: int = 0
    elapsed: float = 0.0  # seconds of training, over every epoch so far
    started: float = 0.0  # when the epoch under way started (perf_counter)
    where: Where = field(default_factory=Where)  # where the model runs, and in which precision

    @property
    def kept(self) -> nn.Module:
        """What is validated and saved: the weights' average, where there is one."""
        return self.averaged.module if self.averaged is not None else self.model

    def clock(self) -> float:
        return self.elapsed + time.perf_counter() - self.started

    def save(self, out: str | Path, described: dict) -> None:
        """The model's checkpoint, then the whole training state, both atomically."""
        save_model(self.kept, out, **described)
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "generator": self.generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "history": self.history,
            "epoch": self.epoch,
            "elapsed": self.elapsed,
            **({"averaged": self.averaged.state_dict()} if self.averaged is not None else {}),
        }
        buffer = io.BytesIO()
        torch.save(state, buffer)
        atomic_write_bytes(state_path(out), buffer.getvalue())

    def resume(self, path: Path) -> None:
        state = torch.load(path, weights_only=True)  # tensors and plain containers only, no arbitrary pickle
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        self.history, self.epoch, self.elapsed = state["history"], state["epoch"], state["elapsed"]
        if self.averaged is not None:
            self.averaged.load_state_dict(state["averaged"])


def fit(
    model: nn.Module,
    task: Task | None,
    train: Data,
    val: Data,
    *,
    out: str | Path | None,
    epochs: int = 30,
    batch_size: int = 128,
    lr: float = 2e-3,
    weight_decay: float = 1e-4,
    seed: int = 0,
    resume: bool = False,
    bf16: bool | None = None,
    device: str | torch.device = "cpu",
    seconds: float | None = None,
    ema: float = 0.0,
    metadata: dict | None = None,
    progress: Callable[[dict], bool | None] | None = None,
) -> dict:
    """Train `model` on `task` (`dae.tasks`: Denoising() by default when None); return the history (one dict per
    epoch), the seconds it took, its optimizer steps, the epoch it resumed from and the metadata saved with the
    checkpoint.

    train, val: the images, or a tuple (images, labels) for a task that reads labels; batches are made on the
    CPU, then moved to `device`. seconds: a time budget. Training stops when it is spent (the epoch under way
    is then validated and saved as it stands), and the learning-rate schedule follows the clock instead of the
    steps; `epochs` is then only an upper bound.
    progress(info) is called after every batch with {"epoch", "step", "steps", "loss"} and after every epoch
    with the task's score added ("val_psnr" or "val_accuracy"); if it returns True, training stops after that
    batch (the last completed epoch stays saved).
    out: the checkpoint folder, written after every epoch; None saves nothing (save the returned model).
    ema: the decay of an exponential moving average of the weights (and BatchNorm's statistics), 0 for none;
    with one, the average is what is validated, saved and left in `model` at the end (torch's AveragedModel).
    """
    task = Denoising() if task is None else task
    train, val = _as_tuple(train), _as_tuple(val)
    run = _start(model, train, torch.device(device), bf16, epochs, batch_size, lr, weight_decay, seed, seconds, ema)
    fixed = task.validation(val, seed)
    if out is not None:
        _remove_leftovers(Path(out))
    if resume and out is not None and state_path(out).is_file():
        run.resume(state_path(out))
    start_epoch, described = run.epoch, dict(metadata or {})
    recipe = dict(planned_epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay, seed=seed)
    recipe.update({"ema": ema} if ema else {}, **(metadata or {}))
    while run.epoch < epochs:
        loss, out_of_time = _epoch(run, task, train, batch_size, seconds, progress)
        if loss is None:  # stopped: the epoch under way is dropped, but its time was spent
            run.elapsed = run.clock()
            break
        described = _end_epoch(run, task, fixed, loss, out, recipe)
        steps = -(-len(train[0]) // batch_size)
        if (progress and progress(dict(run.history[-1], steps=steps, step=steps))) or out_of_time:
            break
    if run.averaged is not None:
        model.load_state_dict(run.kept.state_dict())  # the caller's model ends as the average that was saved
    model.eval()
    steps = run.scheduler.last_epoch  # each optimizer step stepped the schedule once (resumed with it)
    return dict(history=run.history, seconds=run.elapsed, steps=steps, resumed_from=start_epoch, metadata=described)


def _end_epoch(run: Run, task, fixed, loss: float, out: str | Path | None, recipe: dict) -> dict:
    """Score the epoch, add it to the history, save the checkpoint; return what its config.json says."""
    score = task.score(run.kept.eval(), fixed, run.where)
    run.elapsed, run.epoch = run.clock(), run.epoch + 1
    run.history.append({"epoch": run.epoch, "loss": loss, **score, "seconds": run.elapsed})
    rounded = {name: round(value, 4) for name, value in score.items()}
    described = dict(epochs=run.epoch, train_seconds=round(run.elapsed, 1), **rounded, **task.describe(), **recipe)
    if out is not None:
        run.save(out, described)
    return described


def _as_tuple(data: Data) -> tuple[Tensor, ...]:
    return tuple(data) if isinstance(data, tuple | list) else (data,)


def _start(model, train, device, bf16, epochs, batch_size, lr, weight_decay, seed, seconds, ema) -> Run:
    """The run's model on `device`, its optimizer, schedule and RNG, and where it runs."""
    torch.manual_seed(seed)  # the initial weights of anything the task or model draws first
    model = model.to(device)
    channels_last = any(isinstance(m, nn.Conv2d) for m in model.modules())
    if channels_last:  # with bf16 autocast, about twice as fast for the convs on a CPU
        model = model.to(memory_format=torch.channels_last)

    # a diffusion model's samples are much better from an average of its recent weights than from the last ones
    averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(ema), use_buffers=True) if ema else None
    # the fused AdamW: one kernel for every parameter's update (a third faster a step for the small live models)
    fused = device.type in ("cpu", "cuda")
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, fused=fused)
    generator = torch.Generator().manual_seed(seed)
    bf16 = (bf16_available() if bf16 is None else bf16) and device.type == "cpu"
    where = Where(device, bf16, channels_last)
    run = Run(model, optimizer, None, generator, averaged, started=time.perf_counter(), where=where)
    if seconds:  # the same one-cycle shape as below, over the time budget: warm up, then anneal as the clock runs
        run.scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: one_cycle(run.clock() / seconds))
    else:
        steps = epochs * -(-len(train[0]) // batch_size)
        run.scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.15)
    return run


def _epoch(run: Run, task, train, batch_size, seconds, progress) -> tuple[float | None, bool]:
    """One pass over the shuffled data: (the mean loss, or None if `progress` stopped it; whether the time budget
    ran out)."""
    run.started = time.perf_counter()
    run.model.train()
    order = torch.randperm(len(train[0]), generator=run.generator)
    steps = -(-len(order) // batch_size)
    total, count = 0.0, 0
    for step, rows in enumerate(order.split(batch_size)):
        objective = task.loss(run.model, tuple(t[rows] for t in train), run.generator, run.where)
        run.optimizer.zero_grad(set_to_none=True)
        objective.backward()
        run.optimizer.step()
        run.scheduler.step()
        if run.averaged is not None:
            run.averaged.update_parameters(run.model)
        total, count = total + objective.item() * len(rows), count + len(rows)
        if progress and progress({"epoch": run.epoch + 1, "step": step + 1, "steps": steps, "loss": objective.item()}):
            return None, False
        if seconds and run.clock() >= seconds:
            return total / count, True
    return total / count, False


def _remove_leftovers(out: Path) -> None:
    # temporary files of a save that was killed midway; the checkpoint itself is always whole
    recover_interrupted_save(out)  # first: a save killed between its renames left the checkpoint in an .old- folder
    for pattern in (f".{out.name}.tmp-*", f".{out.name}.old-*", f".{state_path(out).name}.tmp-*"):
        for leftover in out.parent.glob(pattern):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
