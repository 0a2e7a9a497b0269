"""Plain-HTTP helpers for timing a Gradio app without gradio_client's polling delay.

    server = start_server(["python", "app.py"])      # a subprocess on a free port; waits for it to answer
    path = upload(server.url, "digit.png")
    outputs = call(server.url, "update", [file_data(path), "gaussian", 0.5, 0, ON_VIEW])
    server.stop()

A call is Gradio's two-step protocol: POST /gradio_api/call/NAME returns an
event id, then GET /gradio_api/call/NAME/ID streams the result as server-sent events.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

# the page's "Models on view" boxes, all ticked: the last input of its updates ("update", "sketch")
ON_VIEW = ["linear", "conv", "unet"]


class CallError(RuntimeError):
    """The endpoint answered with an error event (a gr.Error message, for instance)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _request(url: str, data: bytes | None = None, headers: dict | None = None, timeout: float = 60) -> bytes:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def upload(url: str, path: str | Path | None = None, *, data: bytes | None = None, name: str = "image.png") -> str:
    """Upload a file (by path, or raw bytes) and return its server-side path."""
    if path is not None:
        data, name = Path(path).read_bytes(), Path(path).name
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    answer = _request(f"{url}/gradio_api/upload", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    return json.loads(answer)[0]


def file_data(server_path: str) -> dict:
    return {"path": server_path, "meta": {"_type": "gradio.FileData"}}


def call(url: str, name: str, data: list, timeout: float = 60, session: str | None = None) -> list:
    """Call endpoint `name` and return its outputs; raises CallError with the app's message on an error event.

    session: a session hash to reuse, as a browser tab does for all its updates. Without one, Gradio makes a new
    session for the call, which costs time in proportion to the number of components on the page.
    """
    body = {"data": data} if session is None else {"data": data, "session_hash": session}
    answer = _request(
        f"{url}/gradio_api/call/{name}",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
        timeout,
    )
    event_id = json.loads(answer)["event_id"]
    stream = _request(f"{url}/gradio_api/call/{name}/{event_id}", timeout=timeout).decode()
    event = None
    for line in stream.splitlines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event in ("complete", "error"):
            payload = json.loads(line.split(":", 1)[1]) if line[5:].strip() else None
            if event == "error":
                message = payload.get("error") if isinstance(payload, dict) else payload
                raise CallError(message if isinstance(message, str) else json.dumps(payload))
            return payload
    raise CallError(f"no result in the event stream: {stream[:200]!r}")


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    started: float  # time.perf_counter() when the process was launched

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(
    command: list[str], *, cwd: str | Path | None = None, timeout: float = 120, env: dict | None = None
) -> Server:
    """Launch a Gradio app on a free port and wait until its config answers."""
    port = free_port()
    environment = {
        **os.environ,
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        **(env or {}),
    }
    started = time.perf_counter()
    # stderr goes to a file: an unread pipe fills up under load and blocks the server
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{' '.join(command)} exited: {log.read().decode()[-2000:]}")
        try:
            _request(f"{url}/gradio_api/info", timeout=2)
            return Server(process, url, started)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.02)
    process.kill()
    raise TimeoutError(f"{' '.join(command)} did not answer within {timeout} s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


PYTHON = sys.executable
