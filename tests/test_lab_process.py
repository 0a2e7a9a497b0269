"""The models' own process: same results as the lab in this process, reasons when it cannot load, a new child
when one dies, and a web process that never imports torch."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

import numpy as np
import pytest
from conftest import ROOT

from dae.lab import DenoisingLab
from dae.lab_process import LabError, LabProcess, LocalLab, start_lab


@pytest.fixture(scope="module")
def lab_process():
    lab = LabProcess(ROOT / "checkpoints")
    yield lab
    lab.close()


def test_the_child_gives_what_the_lab_gives_in_this_process(lab_process, digits):
    here = DenoisingLab.from_checkpoints(ROOT / "checkpoints")
    for i, kind in enumerate(("gaussian", "salt_and_pepper", "block")):
        digit = digits[20 + i, 0].numpy()
        there, local = lab_process.compare(digit, kind, 0.35, seed=5), here.compare(digit, kind, 0.35, seed=5)
        assert np.array_equal(there.noisy, local.noisy) and np.array_equal(there.linear, local.linear)
        assert np.allclose(there.conv, local.conv, atol=2e-3)  # bf16: thread counts may differ in the last bits
        assert there.better == local.better or abs(there.scores["conv"]["psnr"] - there.scores["linear"]["psnr"]) < 0.1
        assert there.curve["strength"] == local.curve["strength"]


def test_two_requests_at_once_each_get_their_own_answer(lab_process, digits):
    answers = {}

    def ask(i):
        answers[i] = lab_process.compare(digits[i, 0].numpy(), "masking", 0.3, seed=i, curve=False)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, answer in answers.items():
        assert np.array_equal(answer.clean, digits[i, 0].numpy())
    assert len(answers) == 6


def test_errors_in_the_child_are_raised_here(lab_process, digits):
    with pytest.raises(ValueError, match="valid kinds"):
        lab_process.compare(digits[0, 0].numpy(), "snow", 0.3)
    assert lab_process.compare(digits[0, 0].numpy(), "gaussian", 0.3).noisy.shape == (28, 28)  # still serving


def test_a_folder_without_checkpoints_gives_the_reason(tmp_path):
    lab = LabProcess(tmp_path / "nowhere")
    with pytest.raises(LabError, match="nowhere"):
        lab.wait_ready()
    lab.close()


def test_a_dead_child_is_replaced_by_a_new_one(digits):
    lab = LabProcess(ROOT / "checkpoints")
    digit = digits[2, 0].numpy()
    before = lab.compare(digit, "gaussian", 0.5, seed=1)
    first = lab._process
    first.kill()
    first.wait()
    with pytest.raises(LabError, match="stopped"):
        lab.compare(digit, "gaussian", 0.5, seed=1)
    after = lab.compare(digit, "gaussian", 0.5, seed=1)  # a new child, loaded on demand
    assert lab._process is not first and lab._process.poll() is None
    assert np.array_equal(after.linear, before.linear)
    lab.close()


def test_the_web_process_never_imports_torch():
    # the point of the split: this process imports Gradio while the child imports torch
    code = "import sys, app; print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_hung_child_is_replaced_too(digits):
    lab = LabProcess(ROOT / "checkpoints", timeout=2)
    digit = digits[3, 0].numpy()
    lab.compare(digit, "masking", 0.2)
    hung = lab._process
    hung.send_signal(signal.SIGSTOP)  # alive, but never answers
    with pytest.raises(LabError, match="stopped"):
        lab.compare(digit, "masking", 0.2)
    assert hung.poll() is not None  # killed, not left behind
    assert lab.compare(digit, "masking", 0.2).noisy.shape == (28, 28)
    lab.close()


def test_where_a_child_cannot_be_handed_sockets_the_lab_runs_here(lab_process, digits):
    # Windows: LocalLab, the same calls in this process (tested here by hand, as os.name is "posix")
    started = start_lab(ROOT / "checkpoints")
    assert isinstance(started, LabProcess)
    started.close()
    local = LocalLab(ROOT / "checkpoints")
    digit = digits[7, 0].numpy()
    here, there = local.compare(digit, "speckle", 0.6, seed=9), lab_process.compare(digit, "speckle", 0.6, seed=9)
    assert np.array_equal(here.linear, there.linear) and np.allclose(here.conv, there.conv, atol=2e-3)
    with pytest.raises(LabError, match="nowhere"):
        LocalLab(ROOT / "nowhere").wait_ready()
