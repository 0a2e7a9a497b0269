"""Child processes that talk over sockets: the model process (dae.lab_process) and a live training (dae.live).

    process, connections = spawn("dae.live", count=1, env={"OMP_NUM_THREADS": "2"})   # parent
    connections = child_connections(sys.argv[1:])                                    # child, in its __main__

The child runs `python -m MODULE ARGS... FD...` with one end of each socket pair
handed over as a file descriptor (POSIX), finds `dae` from any working folder,
and leaves Ctrl+C to the web server: it stops when the parent closes on it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path

PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)  # so the child finds `dae` from any working folder


def spawn(
    module: str, *args: str, count: int = 1, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, list[Connection]]:
    """Start `python -m module args... fds...` with `count` connections to it; (the process, our ends)."""
    pairs = [socket.socketpair() for _ in range(count)]
    fds = [theirs.fileno() for _, theirs in pairs]
    path = os.pathsep.join(filter(None, [PACKAGE_PARENT, os.environ.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args, *map(str, fds)],
        pass_fds=fds,
        env={**os.environ, "PYTHONPATH": path, **(env or {})},
    )
    ours = []
    for mine, theirs in pairs:
        theirs.close()
        ours.append(Connection(mine.detach()))
    return process, ours


def child_connections(fds: Sequence[str | int]) -> list[Connection]:
    """In the child: its connections to the parent; Ctrl+C is left to the web server."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return [Connection(int(fd)) for fd in fds]
