"""Train a small denoising autoencoder live, in a time budget: what the page's Train part and `/train` run.

    request = check_training("linear", kinds=["gaussian"], max_strength=1.0, target="clean", seconds=20, seed=0)
    job = TrainingJob(request)            # a process of its own, at the lowest priority
    for kind, value in job.updates():     # ("progress", {...}) while it trains, then ("done", {...})
        ...
    job.stop()                            # early, or when the visitor leaves

    for kind, value in run_training(request):   # the same, in this process (on a GPU: see app.py)

Training goes through `dae.training.fit`, the loop the command line uses, with
a time budget. The data is the shipped `assets/mnist-train.npz`: nothing is
downloaded. The result's metrics score the model on held-out test digits
corrupted by each of the six kinds at strength 0.5, against those corrupted
digits themselves; the checkpoint is a zip of config.json and
model.safetensors that `dae.load_model` reads once unpacked (or
`load_model_zip` directly).

This module imports torch only inside its functions, so the web process can
validate requests and run jobs without loading it.

    python -m dae.live FD            # the child; TrainingJob starts it
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from .kinds import NOISE_KINDS, TARGETS, check_noise, check_seconds, check_seed
from .spawn import child_connections, spawn

ARCHITECTURES = ("linear", "conv")
MAX_SECONDS = {"cpu": 30.0, "gpu": 120.0}  # the time cap per training, by where it runs
# torch threads of a training process: two cores give 1.3 to 1.4 times the epochs of one (docs/experiments.md);
# at the lowest priority, the page's denoising still comes first (scripts/bench_train.py measures it)
THREADS = min(2, os.cpu_count() or 1)
DATA_FILE = Path(__file__).resolve().parent.parent / "assets" / "mnist-train.npz"
SCORE_STRENGTH = 0.5  # the metrics: every kind at this strength
SHOWN = 6  # held-out digits whose reconstructions are shown while training, one per noise kind
CURVE_DIGITS = 100  # held-out digits per kind scored after every epoch for the live curve (all of them at the end)


class TrainingError(RuntimeError):
    """The training could not run (bad request, the process died); the message says why."""


@dataclass(frozen=True)
class TrainingRequest:
    architecture: str = "linear"
    kinds: tuple[str, ...] = NOISE_KINDS
    max_strength: float = 1.0
    target: str = "clean"
    seconds: float = 20.0
    seed: int = 0
    # the visitor's digit, [28][28] floats, and the noise it is shown under while training (optional)
    digit: list | None = field(default=None, compare=False)
    shown_noise: tuple[str, float, int] = ("gaussian", 0.5, 0)

    def run(self, device: str = "auto", should_stop: Callable[[], bool] = lambda: False):
        """The training this request asks for (what a TrainingJob's child runs): see run_training."""
        return run_training(self, device=device, should_stop=should_stop)


def check_training(
    architecture="linear",
    kinds=NOISE_KINDS,
    max_strength=1.0,
    target="clean",
    seconds=20.0,
    seed=0,
    *,
    max_seconds: float = MAX_SECONDS["cpu"],
) -> TrainingRequest:
    """Validate a training request (the API sends anything); ValueError naming the valid values."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {', '.join(ARCHITECTURES)}; got {architecture!r}")
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list | tuple) or any(kind not in NOISE_KINDS for kind in kinds):
        raise ValueError(
            f"kinds must be a list of noise kinds from {', '.join(NOISE_KINDS)} (empty for a plain autoencoder); "
            f"got {kinds!r}"
        )
    kinds = tuple(kind for kind in NOISE_KINDS if kind in kinds)  # fixed order, no repeats
    try:
        max_strength = check_noise("gaussian", max_strength)
    except ValueError:
        raise ValueError(f"max_strength must be a number from 0 to 1; got {max_strength!r}") from None
    if kinds and max_strength == 0:
        raise ValueError("max_strength must be above 0 when there is noise to train on (or pass kinds=[])")
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}; got {target!r}")
    seconds = check_seconds(seconds, max_seconds)
    return TrainingRequest(architecture, kinds, max_strength, target, seconds, check_seed(seed))


# the small models the page trains, as their constructors' arguments: of 8 linear shapes from 256-64 to 2048-256,
# 768-192 is the smallest that ties the best in 20 s
SHAPES = {
    "linear": {"hidden": (768,), "bottleneck": 192},
    "conv": {"channels": (16, 32, 64), "blocks": (0, 1, 1), "code_channels": 16},
}


def build_model(architecture: str):
    """The small model the page trains for `architecture` (see SHAPES)."""
    from .models import ConvDAE, LinearDAE

    return (LinearDAE if architecture == "linear" else ConvDAE)(**SHAPES[architecture])


def shape_text(architecture: str) -> str:
    """The live model's shape in words, without building it: '784-768-192-768-784', '16×7×7 code'."""
    shape = SHAPES[architecture]
    if architecture == "linear":
        widths = [*shape["hidden"], shape["bottleneck"], *reversed(shape["hidden"])]
        return "-".join(map(str, [784, *widths, 784]))
    side = 28 // 2 ** (len(shape["channels"]) - 1)  # each further scale halves the resolution
    return f"{shape['code_channels']}×{side}×{side} code"


SETTINGS = {  # per architecture: batch size and peak learning rate
    "linear": {"batch_size": 256, "lr": 4e-3},
    "conv": {"batch_size": 64, "lr": 3e-3},
}


def load_training_data(path: str | os.PathLike = DATA_FILE):
    """(train images, held-out test images) as [N,1,28,28] float tensors in [0, 1], from the shipped file."""
    import numpy as np
    import torch

    if not Path(path).is_file():
        raise TrainingError(f"the training data {path} is missing; restore it with: git checkout -- assets")
    with np.load(path) as data:
        train, test = data["train_images"], data["test_images"]
    as_tensor = lambda a: torch.from_numpy(a.astype(np.float32) / 255).unsqueeze(1)  # noqa: E731
    return as_tensor(train), as_tensor(test)


def run_training(
    request: TrainingRequest,
    *,
    device: str = "auto",
    should_stop: Callable[[], bool] = lambda: False,
    every: float = 0.5,
    data_file: str | os.PathLike = DATA_FILE,
) -> Iterator[tuple[str, dict]]:
    """Train as `request` says; yield ("progress", snapshot) at most every `every` s, then ("done", result).

    A snapshot: epoch, seconds, loss, the curve so far (val_psnr on held-out digits under every kind at
    strength 0.5, per epoch), and the current reconstructions of the shown digits. The result: metrics
    (val_psnr, noisy_psnr, val_psnr_by_kind, epochs, seconds, stopped) and the checkpoint zip's bytes.
    """
    # All of it runs on a thread of its own, which hands its updates over: this generator stays a plain
    # consumer. Only that thread runs torch: once another thread had run parallel torch ops, training on two
    # OpenMP threads took twice as long a step here.
    yield from on_a_thread(lambda send: _train(request, device, should_stop, every, data_file, send), "training")


def on_a_thread(work: Callable[[Callable], None], name: str) -> Iterator[tuple[str, object]]:
    """Run work(send) on a thread of its own and yield the (kind, value) pairs it sends; an exception it raises
    is raised here, after what it sent before."""
    import queue
    import threading

    updates: queue.Queue = queue.Queue()

    def run() -> None:
        try:
            work(updates.put)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which raises it
            updates.put(("error", error))
        finally:
            updates.put(("finished", None))

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    while True:
        kind, value = updates.get()
        if kind == "finished":
            break
        if kind == "error":
            raise value
        yield kind, value
    worker.join()


def _train(request: TrainingRequest, device: str, should_stop, every: float, data_file, send) -> None:
    """run_training's work: send(("progress", snapshot)) while it trains, then send(("done", result))."""
    import torch

    from .checkpoint import save_model
    from .tasks import Denoising
    from .training import fit, pick_device

    device = pick_device(device)
    train, test = load_training_data(data_file)
    torch.manual_seed(request.seed)
    model = build_model(request.architecture)
    scored = _score_set(test)  # {kind: (clean, noisy)}: all 500 held-out digits
    shown_clean, shown_noisy = _shown_digits(request, scored)
    progress, curve = _live_progress(model, scored, shown_clean, shown_noisy, device, should_stop, every, send)
    # no augmentation: seconds of training do not overfit
    task = Denoising(kinds=request.kinds, max_strength=request.max_strength, target=request.target, augmentation=0)
    with tempfile.TemporaryDirectory() as folder:
        run = fit(
            model, task, train, test[:100],
            out=None,  # saved once, below: epochs of a fraction of a second need no checkpoint each
            epochs=100_000,  # the time budget ends it
            seconds=request.seconds, seed=request.seed, device=device,
            bf16=None,  # where the CPU has it natively: a linear step 0.77x the time of float32's here
            progress=progress,
            metadata={"trained_by": "dae-lab live training", "seconds_budget": request.seconds},
            **SETTINGS[request.architecture],
        )  # fmt: skip
        save_model(model.cpu(), Path(folder) / "model", **run["metadata"])
        checkpoint = _zip_folder(Path(folder) / "model")
    model.to(device).eval()
    by_kind = _psnr_by_kind(model, scored, device)
    noisy_by_kind = {kind: _psnr(clean, noisy) for kind, (clean, noisy) in scored.items()}
    metrics = {
        "val_psnr": _mean(by_kind),
        "noisy_psnr": _mean(noisy_by_kind),
        "val_psnr_by_kind": by_kind,
        "noisy_psnr_by_kind": noisy_by_kind,
        "epochs": len(run["history"]),
        "seconds": round(run["seconds"], 2),
        "stopped_early": run["seconds"] < request.seconds - 0.5,
        "device": str(device),
        "held_out_digits": len(test),
        **_describe(request),
    }
    shown = _snapshot(shown_clean, shown_noisy, _restore(model, shown_noisy, device))
    send(("done", {"metrics": metrics, "checkpoint": checkpoint, "curve": curve, "shown": shown}))


def _shown_digits(request: TrainingRequest, scored: dict):
    """The digits shown while training: one held-out digit per noise kind, and the visitor's, if any; (clean,
    noisy)."""
    import torch

    from .noise import corrupt

    shown_clean = torch.cat([clean[i : i + 1] for i, (clean, _) in enumerate(scored.values())])[:SHOWN]
    shown_noisy = torch.cat([noisy[i : i + 1] for i, (_, noisy) in enumerate(scored.values())])[:SHOWN]
    if request.digit is None:
        return shown_clean, shown_noisy
    kind, strength, seed = request.shown_noise
    digit = torch.tensor(request.digit, dtype=torch.float32).reshape(1, 1, 28, 28)
    noisy = corrupt(digit, kind, strength, generator=torch.Generator().manual_seed(seed))
    return torch.cat([shown_clean, digit]), torch.cat([shown_noisy, noisy])


def _live_progress(model, scored: dict, shown_clean, shown_noisy, device, should_stop, every: float, send):
    """fit's progress callback for a live training, and the curve it fills: after every epoch the held-out PSNR
    on CURVE_DIGITS digits per kind; at most every `every` s a snapshot sent out. It returns should_stop()."""
    curve_set = {kind: (c[:CURVE_DIGITS], n[:CURVE_DIGITS]) for kind, (c, n) in scored.items()}
    curve_noisy = _mean({kind: _psnr(clean, noisy) for kind, (clean, noisy) in curve_set.items()})
    curve: list[dict] = []
    last = [0.0]

    def progress(info: dict) -> bool:
        if "val_psnr" in info:  # an epoch ended: the model is in eval mode here
            by_kind = _psnr_by_kind(model, curve_set, device)
            curve.append({"epoch": info["epoch"], "seconds": info["seconds"], "val_psnr": _mean(by_kind)})
            now = time.perf_counter()
            if now - last[0] >= every:
                last[0] = now
                shown = _snapshot(shown_clean, shown_noisy, _restore(model, shown_noisy, device))
                send(("progress", {**info, "curve": list(curve), "noisy_psnr": curve_noisy, "shown": shown}))
        return should_stop()

    return progress, curve


def _restore(model, noisy, device):
    import torch

    with torch.inference_mode():
        return model(noisy.to(device)).float().cpu()


def _describe(request: TrainingRequest) -> dict:
    described = asdict(request)
    described.pop("digit")
    described.pop("shown_noise")
    described["kinds"] = list(request.kinds)
    described["seconds_budget"] = described.pop("seconds")  # "seconds" is the time it took
    return described


def _score_set(test) -> dict:
    import torch

    from .noise import corrupt

    out = {}
    for i, kind in enumerate(NOISE_KINDS):
        generator = torch.Generator().manual_seed(10_000 + i)  # fixed: every training is scored alike
        out[kind] = (test, corrupt(test, kind, SCORE_STRENGTH, generator=generator))
    return out


def _psnr(clean, restored) -> float:
    from .metrics import psnr

    return psnr(clean, restored).mean().item()


def _psnr_by_kind(model, sets: dict, device) -> dict[str, float]:
    import torch

    with torch.inference_mode():
        return {kind: _psnr(clean, model(noisy.to(device)).float().cpu()) for kind, (clean, noisy) in sets.items()}


def _mean(values: dict[str, float]) -> float:
    return sum(values.values()) / len(values)


def _snapshot(clean, noisy, restored) -> dict:
    """Images as nested lists of floats in [0, 1]: picklable and JSON-able, no torch needed to read them."""
    return {
        name: t[:, 0].clamp(0, 1).numpy().round(4).tolist()
        for name, t in {"clean": clean, "noisy": noisy, "restored": restored}.items()
    }


def _zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, file.name)
    return buffer.getvalue()


def load_model_zip(data: bytes):
    """The model in a checkpoint zip from the Train part (config.json + model.safetensors)."""
    from .checkpoint import load_model

    with tempfile.TemporaryDirectory() as folder:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if not {"config.json", "model.safetensors"} <= names:
                raise TrainingError("a checkpoint zip holds config.json and model.safetensors")
            for name in ("config.json", "model.safetensors"):
                (Path(folder) / name).write_bytes(archive.read(name))
        return load_model(folder)


class TrainingJob:
    """A request's training (its `run`: a TrainingRequest's `run_training`, a field's `dae.field.run_field`) in a
    child process at the lowest priority (THREADS torch threads), so it cannot slow the page's denoising for other
    visitors much. `updates()` yields what the child sends; `stop()` ends it."""

    def __init__(self, request, *, device: str = "auto"):
        self._process, (self._connection,) = spawn("dae.live", env={"OMP_NUM_THREADS": str(THREADS)})
        self._connection.send((request, device))

    def updates(self, timeout: float = 60.0) -> Iterator[tuple[str, dict]]:
        """("progress", snapshot)... then ("done", result); TrainingError if the child fails or goes quiet."""
        try:
            while True:
                if not self._connection.poll(timeout):
                    raise TrainingError(f"the training process sent nothing for {timeout:g} s")
                kind, value = self._connection.recv()
                if kind == "error":
                    raise TrainingError(value)
                yield kind, value
                if kind == "done":
                    return
        except (EOFError, OSError):
            raise TrainingError("the training process stopped unexpectedly") from None
        finally:
            self.stop()

    def stop_soon(self) -> None:
        """Ask the child to stop after its current batch; it then scores and sends what it has ("done")."""
        try:
            self._connection.send("stop")
        except OSError:
            pass

    def stop(self) -> None:
        """Ask the child to stop; it is killed if it does not within two seconds."""
        if self._process.poll() is None:
            try:
                self._connection.send("stop")
            except OSError:
                pass
            try:
                self._process.wait(2)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._connection.close()


def _child(connection: Connection) -> None:
    os.nice(19)  # the page's denoising comes first
    import torch

    torch.set_num_threads(THREADS)
    request, device = connection.recv()
    stop = lambda: connection.poll() and connection.recv() == "stop"  # noqa: E731
    try:
        for update in request.run(device=device, should_stop=stop):
            connection.send(update)
    except (EOFError, OSError):
        return  # the web server went away
    except Exception as error:  # noqa: BLE001 - reported to the web server
        try:
            connection.send(("error", f"{type(error).__name__}: {error}"))
        except OSError:
            pass


if __name__ == "__main__":
    (connection,) = child_connections(sys.argv[1:])
    _child(connection)
