"""The two models in a process of their own, so a web server starts while torch loads.

    lab = LabProcess("checkpoints")   # returns at once; the child imports torch and loads the models
    import gradio                     # ...meanwhile, on the other core
    lab.wait_ready()                  # LabError, with the reason, if the models did not load
    result = lab.compare(digit, "gaussian", 0.5, seed=0)   # a Comparison, as DenoisingLab.compare gives
    inside = lab.inspect(digit, "gaussian", 0.5, seed=0)   # an Inside, as DenoisingLab.inspect gives
    lines = lab.interpolate(digit, other)                   # as DenoisingLab.interpolate gives
    samples = lab.generate("generator", 16, seed=0)         # a Generation, as DenoisingLab.generate gives

Why: importing torch takes about 1.3 s here and importing Gradio about 2.5 s.
Both hold Python's global lock, so in one process they add up, while two
processes run them side by side on two cores (see docs/serving.md).

The child serves `slots` connections, each on its own thread, so `slots`
comparisons run at once, and one more for generations. If it dies or hangs, the call in flight fails with a
LabError and the next call starts a new child.

`start_lab` gives a LabProcess where a child can be handed sockets (Linux,
macOS) and, elsewhere (Windows), a LocalLab: the same calls, in this process.

    python -m dae.lab_process FOLDER THREADS FD...   # the child; LabProcess starts it
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from .spawn import child_connections, spawn

if TYPE_CHECKING:  # not at run time: numpy's import would delay the child's start
    import numpy as np

    from .comparison import Comparison
    from .inside import Inside

SERVED = ("compare", "inspect", "generate", "interpolate")  # the DenoisingLab methods the child runs for the web server


class LabError(RuntimeError):
    """The model process could not load the models, or it stopped."""


class LabProcess:
    """A DenoisingLab (see dae.lab) in a child process, with the same `compare`.

    slots: comparisons that can run at once; threads: torch threads in the child; timeout: seconds a
    comparison may take before the child counts as hung (it is then replaced, like a dead one).
    """

    def __init__(
        self, folder: str | os.PathLike = "checkpoints", *, slots: int = 2, threads: int = 1, timeout: float = 60
    ):
        self.folder, self.slots, self.threads, self.timeout = str(folder), max(1, slots), max(1, threads), timeout
        self._lock = threading.Lock()
        self._start()

    def _start(self) -> None:
        # one more connection than slots: generations have their own, so a comparison never waits behind one
        self._process, connections = spawn("dae.lab_process", self.folder, str(self.threads), count=self.slots + 1)
        self._free: queue.Queue[Connection] = queue.Queue()
        self._generating: queue.Queue[Connection] = queue.Queue()
        for i, connection in enumerate(connections):
            (self._free if i < self.slots else self._generating).put(connection)
        self._ready = False

    def wait_ready(self) -> None:
        """Block until the child has loaded the models; raise LabError with its reason if it could not."""
        with self._lock:
            if self._ready:
                return
            # every connection first carries the child's hello: ("ready", None) or ("error", reason)
            connections = [self._free.get() for _ in range(self.slots)] + [self._generating.get()]
            try:
                for connection in connections:
                    status, reason = connection.recv()
                    if status != "ready":
                        raise LabError(reason)
            except (EOFError, OSError):
                code = self._process.wait()
                raise LabError(f"the model process stopped while loading the models (exit code {code})") from None
            finally:
                for connection in connections[:-1]:
                    self._free.put(connection)
                self._generating.put(connections[-1])
            self._ready = True

    def compare(
        self,
        digit: np.ndarray,
        kind: str,
        strength: float,
        seed: int = 0,
        *,
        curve: bool = True,
        yours: str | None = None,
    ) -> Comparison:
        """DenoisingLab.compare, run in the child; its exceptions are raised here."""
        return self._call("compare", digit, kind, strength, seed, curve=curve, yours=yours)

    def inspect(self, digit: np.ndarray, kind: str, strength: float, seed: int = 0) -> Inside:
        """DenoisingLab.inspect, run in the child; its exceptions are raised here."""
        return self._call("inspect", digit, kind, strength, seed)

    def interpolate(self, a: np.ndarray, b: np.ndarray, models: tuple[str, ...] | None = None) -> dict:
        """DenoisingLab.interpolate, run in the child; its exceptions are raised here."""
        return self._call("interpolate", a, b, *([models] if models else []))

    def generate(self, model: str, n: int = 16, steps: int | None = None, seed: int = 0, *, yours: str | None = None):
        """DenoisingLab.generate, run in the child on a connection of its own (one generation at a time)."""
        return self._call("generate", model, n, steps, seed, yours=yours)

    def _call(self, method: str, *args, **kwargs):
        self.wait_ready()
        free = self._generating if method == "generate" else self._free  # this child's connections
        connection = free.get()
        try:
            connection.send((method, args, kwargs))
            if not connection.poll(self.timeout):
                raise TimeoutError
            status, value = connection.recv()
        except (EOFError, OSError):  # TimeoutError is an OSError too
            self._restart(free)
            message = "the model process stopped answering; a new one is starting, try again in a few seconds"
            raise LabError(message) from None
        free.put(connection)
        if status == "error":
            raise value
        return value

    def close(self) -> None:
        """Stop the child (it also stops by itself when this process exits)."""
        self._process.kill()
        self._process.wait()

    def _restart(self, dead: queue.Queue) -> None:
        with self._lock:
            if dead in (self._free, self._generating):  # not restarted yet by another request that saw it die
                self.close()
                self._start()


class LocalLab:
    """LabProcess's calls over a DenoisingLab in this process, which imports torch in `wait_ready`.

    For systems where a child cannot be handed sockets (Windows): start-up is then torch's import after Gradio's.
    """

    def __init__(self, folder: str | os.PathLike = "checkpoints", *, threads: int = 1, **_):
        self.folder, self.threads, self._lab = str(folder), max(1, threads), None
        self._lock = threading.Lock()

    def wait_ready(self) -> None:
        with self._lock:
            if self._lab is None:
                self._lab = _load(self.folder, self.threads)

    def compare(
        self,
        digit: np.ndarray,
        kind: str,
        strength: float,
        seed: int = 0,
        *,
        curve: bool = True,
        yours: str | None = None,
    ) -> Comparison:
        self.wait_ready()
        return self._lab.compare(digit, kind, strength, seed, curve=curve, yours=yours)

    def inspect(self, digit: np.ndarray, kind: str, strength: float, seed: int = 0) -> Inside:
        self.wait_ready()
        return self._lab.inspect(digit, kind, strength, seed)

    def interpolate(self, a: np.ndarray, b: np.ndarray, models: tuple[str, ...] | None = None) -> dict:
        self.wait_ready()
        return self._lab.interpolate(a, b, *([models] if models else []))

    def generate(self, model: str, n: int = 16, steps: int | None = None, seed: int = 0, *, yours: str | None = None):
        self.wait_ready()
        return self._lab.generate(model, n, steps, seed, yours=yours)

    def close(self) -> None:
        pass


def start_lab(folder: str | os.PathLike = "checkpoints", **options) -> LabProcess | LocalLab:
    """The models in their own process where the system allows it, else in this one; options as LabProcess's."""
    return LabProcess(folder, **options) if os.name == "posix" else LocalLab(folder, **options)


def _load(folder: str, threads: int):
    """The DenoisingLab for `folder`, with torch on `threads` threads; LabError if the checkpoints do not load."""
    import torch

    from .checkpoint import CheckpointError
    from .lab import DenoisingLab

    torch.set_num_threads(threads)
    try:
        return DenoisingLab.from_checkpoints(folder)
    except CheckpointError as error:
        raise LabError(str(error)) from None


def _serve(folder: str, threads: int, connections: list[Connection]) -> None:
    try:
        lab, hello = _load(folder, threads), ("ready", None)
    except LabError as error:
        lab, hello = None, ("error", str(error))
    try:
        for connection in connections:
            connection.send(hello)
    except OSError:
        return  # the web server stopped while we were loading
    if lab is None:
        return
    workers = [threading.Thread(target=_answer, args=(lab, connection)) for connection in connections]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def _answer(lab, connection: Connection) -> None:
    while True:
        try:
            method, args, kwargs = connection.recv()
        except (EOFError, OSError):
            return  # the web server has closed the connection: it stopped
        try:
            if method not in SERVED:
                raise ValueError(f"the model process serves {', '.join(SERVED)}, not {method!r}")
            reply = ("ok", getattr(lab, method)(*args, **kwargs))
        except Exception as error:  # noqa: BLE001 - handed to the caller, which raises it
            reply = ("error", error)
        try:
            connection.send(reply)
        except OSError:
            return  # the web server stopped while we worked


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), child_connections(sys.argv[3:]))
