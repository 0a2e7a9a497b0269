"""Live training (dae.live): requests, a tiny-budget training, stop, the child process, the checkpoint round trip."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import torch

from dae import NOISE_KINDS, LinearDAE
from dae.live import (
    DATA_FILE,
    TrainingJob,
    check_training,
    load_model_zip,
    load_training_data,
    run_training,
)
from dae.training import one_cycle


def test_the_training_data_ships_with_the_app():
    train, test = load_training_data()
    assert train.shape == (5000, 1, 28, 28) and test.shape == (500, 1, 28, 28)
    assert 0 <= train.min() and train.max() <= 1 and train.mean() > 0.05
    assert DATA_FILE.stat().st_size < 2_000_000  # compact: uint8, compressed
    assert (DATA_FILE.parent / "README.md").read_text().count("CC BY-SA 3.0") >= 1


@pytest.mark.parametrize(
    "params,named",
    [
        ({"architecture": "mlp"}, "linear, conv"),
        ({"kinds": ["gaussian", "fog"]}, "salt_and_pepper"),
        ({"kinds": "nonsense"}, "plain autoencoder"),
        ({"max_strength": 1.5}, "from 0 to 1"),
        ({"max_strength": "lots"}, "from 0 to 1"),
        ({"target": "dirty"}, "clean, noisy"),
        ({"seconds": 0}, "from 1 to 30"),
        ({"seconds": 3600}, "from 1 to 30"),
        ({"seconds": "soon"}, "from 1 to 30"),
        ({"seed": -1}, "whole number"),
        ({"seed": 1.5}, "whole number"),
    ],
)
def test_bad_requests_get_messages_naming_the_valid_values(params, named):
    with pytest.raises(ValueError, match=named):
        check_training(**params)


def test_a_request_is_normalised():
    request = check_training("conv", ["masking", "gaussian", "masking"], 0.5, "noisy", 5, 3.0)
    assert request.kinds == ("gaussian", "masking") and request.seed == 3 and request.seconds == 5.0
    assert check_training(kinds=[]).kinds == ()
    assert check_training(kinds="block").kinds == ("block",)


def test_one_cycle_warms_up_then_anneals_to_zero():
    assert one_cycle(0) == pytest.approx(1 / 25)
    assert one_cycle(0.15) == pytest.approx(1.0)
    assert one_cycle(1.0) == pytest.approx(0.0, abs=1e-9)
    values = [one_cycle(f / 100) for f in range(15, 101)]
    assert values == sorted(values, reverse=True)


@pytest.fixture(scope="module")
def tiny_run():
    torch.set_num_threads(1)
    digit = np.zeros((28, 28), np.float32)
    digit[6:22, 12:16] = 1.0
    request = check_training("linear", list(NOISE_KINDS), 1.0, "clean", 3, 0)
    request = type(request)(**{**request.__dict__, "digit": digit.tolist(), "shown_noise": ("masking", 0.4, 1)})
    return list(run_training(request, every=0.0))


def test_a_tiny_training_streams_progress_then_a_result(tiny_run):
    kinds = [kind for kind, _ in tiny_run]
    assert kinds[-1] == "done" and kinds.count("done") == 1 and "progress" in kinds
    progress = [value for kind, value in tiny_run if kind == "progress"]
    assert [p["epoch"] for p in progress] == sorted(p["epoch"] for p in progress)
    assert len(progress[-1]["curve"]) == progress[-1]["epoch"]
    shown = progress[-1]["shown"]
    assert len(shown["noisy"]) == len(NOISE_KINDS) + 1  # one held-out digit per kind, and the visitor's
    assert np.asarray(shown["restored"]).shape == (7, 28, 28)
    metrics = tiny_run[-1][1]["metrics"]
    assert set(metrics["val_psnr_by_kind"]) == set(NOISE_KINDS)
    assert metrics["val_psnr"] == pytest.approx(np.mean(list(metrics["val_psnr_by_kind"].values())))
    assert metrics["epochs"] >= 1 and 1.5 <= metrics["seconds"] <= 4
    # it learns: the held-out PSNR after three seconds is above the first epoch's (20 s: scripts/bench_train.py)
    assert metrics["val_psnr"] > progress[0]["curve"][0]["val_psnr"] + 0.3


def test_the_checkpoint_round_trips(tiny_run):
    result = tiny_run[-1][1]
    with zipfile.ZipFile(io.BytesIO(result["checkpoint"])) as archive:
        assert sorted(archive.namelist()) == ["config.json", "model.safetensors"]
    model = load_model_zip(result["checkpoint"])
    assert isinstance(model, LinearDAE) and model.config["bottleneck"] == 192
    restored = np.asarray(result["shown"]["restored"], dtype=np.float32)
    noisy = torch.tensor(result["shown"]["noisy"], dtype=torch.float32).unsqueeze(1)
    with torch.inference_mode():
        again = model(noisy)[:, 0].numpy()
    np.testing.assert_allclose(again, restored, atol=1e-3)  # the snapshot is rounded to 4 decimals


def test_stop_ends_the_training_early_with_the_model_so_far():
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 3

    updates = list(run_training(check_training("linear", [], 1.0, "clean", 20, 0), should_stop=stop))
    metrics = updates[-1][1]["metrics"]
    assert updates[-1][0] == "done" and metrics["seconds"] < 5 and metrics["stopped_early"]
    load_model_zip(updates[-1][1]["checkpoint"])


def test_the_training_process_trains_and_stops():
    job = TrainingJob(check_training("linear", ["gaussian"], 1.0, "clean", 30, 0))
    seen = []
    for update in job.updates(timeout=60):
        seen.append(update)
        if update[0] == "progress" and len(seen) == 1:
            job.stop_soon()
    assert seen[-1][0] == "done" and seen[-1][1]["metrics"]["seconds"] < 20
    assert job._process.poll() is not None  # the child has exited


def test_a_zip_without_a_checkpoint_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(Exception, match="config.json and model.safetensors"):
        load_model_zip(buffer.getvalue())
