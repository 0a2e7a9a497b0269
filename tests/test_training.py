"""Training: the loop learns, saves every epoch, and survives kill -9 with --resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import FIXTURES, ROOT

from dae import NOISE_KINDS, LinearDAE, load_model, read_config
from dae.metrics import psnr
from dae.tasks import Denoising, training_loss
from dae.training import fit, state_path

TRAIN = [
    sys.executable,
    str(ROOT / "scripts" / "train.py"),
    "--model",
    "linear",
    "--data-dir",
    str(FIXTURES),
    "--limit",
    "200",
    "--test-limit",
    "32",
    "--no-bf16",
    "--quiet",
    "--threads",
    "1",
]


def test_fit_learns_and_checkpoints_every_epoch(tmp_path, train_digits):
    model = LinearDAE(hidden=(128,), bottleneck=32)
    run = fit(
        model, Denoising(), train_digits[:200], train_digits[200:], out=tmp_path / "m", epochs=8, batch_size=32,
        lr=2e-3, bf16=False,
    )  # fmt: skip
    history = run["history"]
    assert [h["epoch"] for h in history] == list(range(1, 9))
    assert history[-1]["loss"] < history[0]["loss"]
    assert history[-1]["val_psnr"] > history[0]["val_psnr"] + 1
    metadata = read_config(tmp_path / "m")["metadata"]
    assert metadata["epochs"] == 8
    assert metadata["loss"] == "psnr" and metadata["noise_kinds"] == list(NOISE_KINDS)
    assert (metadata["weight_decay"], metadata["pixel_shift"]) == (1e-4, 0.0)  # fit's defaults
    assert state_path(tmp_path / "m").is_file()


def test_psnr_loss_is_the_negated_mean_psnr_plus_a_tenth_of_bce(digits):
    clean = digits[:16]
    logits = torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, clean)
    mean_psnr = psnr(clean, torch.sigmoid(logits)).mean()
    assert torch.allclose(training_loss(logits, clean, "psnr"), -mean_psnr / 10 + 0.1 * bce, atol=1e-4)
    assert torch.equal(training_loss(logits, clean, "bce"), bce)
    with pytest.raises(ValueError, match="bce, mse, psnr"):
        training_loss(logits, clean, "l1")


def run_to_end(out, epochs, *extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*TRAIN, "--out", str(out), "--epochs", str(epochs), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def saved_epoch(out) -> int:
    path = state_path(out / "linear")
    if not path.is_file():
        return 0
    return torch.load(path, weights_only=True)["epoch"]


def test_kill_9_then_resume_continues_from_the_last_completed_epoch(tmp_path):
    epochs = 12
    reference = tmp_path / "uninterrupted"
    run_to_end(reference, epochs)
    metadata = read_config(reference / "linear")["metadata"]
    recipe = {key: metadata[key] for key in ("batch_size", "lr", "weight_decay", "pixel_shift")}
    assert recipe == {"batch_size": 512, "lr": 2e-3, "weight_decay": 0.3, "pixel_shift": 0.5}  # train.py's, linear

    out = tmp_path / "killed"
    process = subprocess.Popen(
        [*TRAIN, "--out", str(out), "--epochs", str(epochs)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 120
    while saved_epoch(out) < 3 and time.time() < deadline and process.poll() is None:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    reached = saved_epoch(out)
    assert 3 <= reached < epochs, f"the kill came at epoch {reached}: too late to test anything"

    # whatever the moment of the kill, the checkpoint on disk is complete and loads
    assert read_config(out / "linear")["metadata"]["epochs"] in (reached, reached + 1)
    load_model(out / "linear")

    resumed = run_to_end(out, epochs, "--resume")
    assert f"resumed after epoch {reached}" in resumed.stdout
    history = torch.load(state_path(out / "linear"), weights_only=True)["history"]
    assert [h["epoch"] for h in history] == list(range(1, epochs + 1))
    assert not [p.name for p in out.iterdir() if ".tmp-" in p.name or ".old-" in p.name]

    # optimizer, scheduler and every RNG were restored: the result is the uninterrupted run's, bit for bit
    a, b = load_model(reference / "linear"), load_model(out / "linear")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items(), strict=False):
        assert torch.equal(x, y), name


def test_device_selection():
    from dae.training import pick_device

    assert pick_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert pick_device("auto").type == expected
    with pytest.raises(ValueError, match="use auto, cpu, cuda"):
        pick_device("gpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="not available on this machine"):
            pick_device("cuda")


def test_the_script_trains_the_classifier_the_plain_autoencoder_and_the_unet_on_the_cpu(tmp_path):
    command = [*TRAIN, "--out", str(tmp_path), "--epochs", "1", "--device", "cpu"]
    for model in ("classifier", "linear_plain", "unet"):
        command[command.index("--model") + 1] = model
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        assert "device cpu" in result.stdout
    classifier = load_model(tmp_path / "classifier")
    with torch.no_grad():
        assert classifier(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    plain = read_config(tmp_path / "linear_plain")["metadata"]
    assert plain["noise_kinds"] == [] and "val_psnr" in plain
    assert "val_accuracy" in read_config(tmp_path / "classifier")["metadata"]
    assert "test accuracy" in result.stdout or (tmp_path / "linear_plain").is_dir()
    unet = read_config(tmp_path / "unet")
    assert unet["architecture"] == "UNetDAE" and len(unet["metadata"]["noise_kinds"]) == 6  # the blind mixture


def test_a_time_budget_ends_training_and_a_noisy_target_is_recorded(train_digits):
    model = LinearDAE(hidden=(64,), bottleneck=16)
    started = time.perf_counter()
    run = fit(model, Denoising(target="noisy"), train_digits[:200], train_digits[200:], out=None, epochs=10_000,
              seconds=1.0, batch_size=32, bf16=False)  # fmt: skip
    assert 1.0 <= run["seconds"] < 2.5 and time.perf_counter() - started < 5
    assert run["metadata"]["target"] == "noisy" and run["history"]
