"""Checkpoint I/O in the Hugging Face layout: a folder with config.json and model.safetensors.

    save_model(model, "checkpoints/conv", epochs=30, dataset="mnist")
    model = load_model("checkpoints/conv")   # eval mode, no pickle involved

config.json holds the class name, its constructor arguments, any training
metadata and the SHA-256 of the weights file, so a flipped byte is caught, not
loaded. Saving is atomic: the folder is written under a temporary name and
renamed into place, so an interrupted save leaves the previous checkpoint (or
nothing), never half a checkpoint. A save stopped between moving the old
folder aside and moving the new one in is undone on the next load.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from .generation import DigitGenerator
from .models import MODELS as DENOISERS

MODELS = {**DENOISERS, "DigitGenerator": DigitGenerator}  # every architecture a checkpoint can hold

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, damaged or does not match its architecture."""


def save_model(model: nn.Module, path: str | os.PathLike, **metadata) -> Path:
    """Write `model` to the folder `path` atomically; extra keywords go into config.json."""
    path = Path(path)
    name = type(model).__name__
    if name not in MODELS:
        raise TypeError(f"can only save {', '.join(MODELS)}, got {name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; a checkpoint is meant to be shared
        weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        save_file(weights, staging / WEIGHTS_NAME)
        (staging / WEIGHTS_NAME).chmod(0o644)
        config = {
            "architecture": name,
            "config": model.config,
            "sha256": _sha256(staging / WEIGHTS_NAME),
            "metadata": metadata,
        }
        _write_synced(staging / CONFIG_NAME, json.dumps(config, indent=2, default=str).encode())
        _fsync(staging / WEIGHTS_NAME)
        _swap_into_place(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return path


def load_model(path: str | os.PathLike) -> nn.Module:
    """Rebuild the model saved at `path` and return it in eval mode.

    Raises CheckpointError naming the path and what is wrong with it.
    """
    config = read_config(path)
    path = Path(path)
    weights_file = path / WEIGHTS_NAME
    if not weights_file.is_file():
        raise CheckpointError(f"{weights_file}: weights file is missing")
    if _sha256(weights_file) != config.get("sha256"):
        raise CheckpointError(
            f"{weights_file}: checksum does not match config.json (the file is truncated or corrupted)"
        )
    try:
        weights = load_file(weights_file)
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"{weights_file}: not a readable safetensors file ({error})") from None
    architecture = config.get("architecture")
    if architecture not in MODELS:
        raise CheckpointError(
            f"{path / CONFIG_NAME}: unknown architecture {architecture!r}; known: {', '.join(MODELS)}"
        )
    try:
        model = MODELS[architecture](**config.get("config", {}))
        model.load_state_dict(weights, strict=True)
    except (TypeError, RuntimeError) as error:
        raise CheckpointError(f"{path}: weights do not match the {architecture} in config.json ({error})") from None
    return model.eval()


def read_config(path: str | os.PathLike) -> dict:
    """The parsed config.json of the checkpoint at `path` (architecture, sizes, metadata)."""
    recover_interrupted_save(path)
    config_file = Path(path) / CONFIG_NAME
    if not config_file.is_file():
        raise CheckpointError(f"{config_file}: no checkpoint here (config.json is missing)")
    try:
        config = json.loads(config_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{config_file}: config.json is not valid JSON ({error})") from None
    if not isinstance(config, dict):
        raise CheckpointError(f"{config_file}: config.json should hold an object")
    return config


def recover_interrupted_save(path: str | os.PathLike) -> None:
    """Put back the previous checkpoint if a save stopped between its two renames (see `_swap_into_place`)."""
    path = Path(path)
    if path.exists():
        return
    for old in sorted(path.parent.glob(f".{path.name}.old-*")):
        if (old / path.name / CONFIG_NAME).is_file():
            os.replace(old / path.name, path)
            shutil.rmtree(old, ignore_errors=True)
            return


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write a single file atomically: temporary file, fsync, rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _swap_into_place(staging: Path, path: Path) -> None:
    # a folder cannot be os.replace()d over a non-empty one, so move the old one aside first
    if path.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
        os.replace(path, old / path.name)
        os.replace(staging, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, path)


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_synced(file: Path, data: bytes) -> None:
    with open(file, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync(file: Path) -> None:
    with open(file, "rb") as handle:
        os.fsync(handle.fileno())
