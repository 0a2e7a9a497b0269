"""Where a live training runs: on a ZeroGPU Space, the GPU it lends; everywhere else, a process of its own.

    for kind, value in run_training_job(request, should_stop):   # ("progress", ...)..., ("done", ...)
        ...

ZeroGPU (a free Hugging Face Space) wants `spaces` imported before anything
touches CUDA, and its decorated function defined when the app starts; this
module is imported by app.py first. Elsewhere `spaces.GPU` does nothing, and
the training runs in a child process on one core at the lowest priority (a
local CUDA GPU is used there too), so the page's denoising stays fast for
everyone (dae.live).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

try:
    import spaces
except ImportError:  # a plain local install without it: the same no-op
    spaces = None

from dae.live import MAX_SECONDS, TrainingJob, TrainingRequest, run_training

ON_ZEROGPU = spaces is not None and bool(os.environ.get("SPACES_ZERO_GPU"))
MAX_TRAIN_SECONDS = MAX_SECONDS["gpu" if ON_ZEROGPU else "cpu"]


def _gpu_duration(request: TrainingRequest, should_stop=None) -> int:
    return int(request.seconds) + 30  # the budget, plus loading torch, the data and the final scoring


def train_on_gpu(request: TrainingRequest, should_stop=None):
    # should_stop is not passed: ZeroGPU runs this in a forked worker, which a flag set later would not reach
    yield from run_training(request, device="cuda")


if spaces is not None:
    train_on_gpu = spaces.GPU(duration=_gpu_duration)(train_on_gpu)


def run_training_job(request: TrainingRequest, should_stop: Callable[[], bool]) -> Iterator[tuple[str, dict]]:
    """Updates from one training, wherever it runs; TrainingError when it fails."""
    if ON_ZEROGPU:
        yield from train_on_gpu(request)
        return
    yield from run_in_process(request, should_stop)


def run_in_process(request, should_stop: Callable[[], bool] = lambda: False) -> Iterator[tuple[str, dict]]:
    """A request's training (a TrainingRequest, a field's FieldRequest) in a child process at the lowest priority
    (dae.live's TrainingJob): ("progress", ...)..., ("done", ...); TrainingError when it fails."""
    job = TrainingJob(request)
    try:
        for update in job.updates():
            if should_stop():
                job.stop_soon()
            yield update
    finally:
        job.stop()  # also when the visitor leaves: Gradio closes this generator
