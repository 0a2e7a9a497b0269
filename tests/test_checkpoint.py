"""Checkpoints: bit-exact round trips, atomic saves, clear errors, and no pickle on the loading path."""

from __future__ import annotations

import json
import pickle

import pytest
import torch

from dae import CheckpointError, ConvDAE, LinearDAE, load_model, save_model
from dae import checkpoint as checkpoint_module

SMALL = [
    lambda: LinearDAE(hidden=(64,), bottleneck=16),
    lambda: ConvDAE(channels=(8, 16, 32), blocks=1, code_channels=4),
]


@pytest.mark.parametrize("build", SMALL)
def test_round_trip_is_bit_exact(build, tmp_path, digits):
    torch.manual_seed(0)
    model = build().eval()
    save_model(model, tmp_path / "ckpt", epochs=3, note="hello")
    loaded = load_model(tmp_path / "ckpt")
    assert not loaded.training and type(loaded) is type(model) and loaded.config == model.config
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items(), strict=False):
        assert torch.equal(a, b), name
    with torch.no_grad():
        assert torch.equal(model(digits[:8]), loaded(digits[:8]))
    config = json.loads((tmp_path / "ckpt" / "config.json").read_text())
    assert config["metadata"] == {"epochs": 3, "note": "hello"}


def test_loading_never_unpickles(tmp_path, monkeypatch):
    save_model(SMALL[0](), tmp_path / "ckpt")

    def forbidden(*args, **kwargs):
        raise AssertionError("pickle used while loading a checkpoint")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    load_model(tmp_path / "ckpt")


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "ckpt"
    save_model(SMALL[1](), path)
    return path


def test_truncated_weights_are_refused_naming_the_file(saved):
    weights = saved / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="truncated or corrupted") as error:
        load_model(saved)
    assert str(weights) in str(error.value)


def test_a_flipped_byte_is_caught(saved):
    weights = saved / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF  # inside a tensor: safetensors alone would load this silently
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum"):
        load_model(saved)


def test_garbage_config_is_refused(saved):
    (saved / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_model(saved)


def test_missing_checkpoint_says_so(tmp_path):
    with pytest.raises(CheckpointError, match="config.json is missing") as error:
        load_model(tmp_path / "nowhere")
    assert "nowhere" in str(error.value)


def test_architecture_mismatch_is_refused(saved):
    config = json.loads((saved / "config.json").read_text())
    config["config"]["channels"] = [16, 32, 64]
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="do not match"):
        load_model(saved)


def test_interrupted_save_keeps_the_previous_checkpoint(saved, monkeypatch, digits):
    before = load_model(saved)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # as if the process were stopped mid-write

    monkeypatch.setattr(checkpoint_module, "save_file", crash)
    with pytest.raises(KeyboardInterrupt):
        save_model(ConvDAE(channels=(8, 16, 32), blocks=1, code_channels=4), saved)
    after = load_model(saved)
    with torch.no_grad():
        assert torch.equal(before(digits[:4]), after(digits[:4]))
    assert sorted(p.name for p in saved.parent.iterdir()) == ["ckpt"]  # no temporary folder left behind


def test_saving_over_an_existing_checkpoint_replaces_it(saved):
    replacement = ConvDAE(channels=(8, 16, 32), blocks=1, code_channels=4)
    save_model(replacement, saved, epochs=9)
    assert load_model(saved).config == replacement.config
    assert json.loads((saved / "config.json").read_text())["metadata"]["epochs"] == 9
    assert sorted(p.name for p in saved.parent.iterdir()) == ["ckpt"]
