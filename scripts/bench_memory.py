"""Does the app's memory grow with visitors? RSS of its processes after many plain-HTTP API calls.

    python scripts/bench_memory.py               # 3,000 denoise calls; RSS after 300 and after 3,000
    python scripts/bench_memory.py --calls 1000 --every 100

Each call is what an API client does over plain HTTP (upload the image, POST
/gradio_api/call/denoise, read the event stream), so each is a new session.
The resident memory of the app's process and its children (the models'
process) is read from /proc after the first --warm calls and then every
--every calls; the growth after the warm-up, per 1,000 calls, is the figure
(goal: at most 10 MB). Linux only.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gradio_http import PYTHON, call, file_data, start_server, upload  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and all its descendants, in MB (from /proc)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) / 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=3000, help="denoise calls in all")
    parser.add_argument("--warm", type=int, default=300, help="calls before the first reading")
    parser.add_argument("--every", type=int, default=300, help="calls between readings")
    parser.add_argument("--image", default=str(ROOT / "examples" / "7.png"), help="the image every call sends")
    args = parser.parse_args()
    server = start_server([PYTHON, "app.py"], cwd=ROOT)
    try:
        readings, started = [], time.perf_counter()
        for n in range(1, args.calls + 1):
            image = file_data(upload(server.url, args.image))
            call(server.url, "denoise", [image, "gaussian", 0.5, n])  # a new seed: nothing comes from a cache
            if n >= args.warm and (n - args.warm) % args.every == 0:
                readings.append((n, rss_mb(server.process.pid)))
                took = time.perf_counter() - started
                print(f"after {n:>5} calls: {readings[-1][1]:7.1f} MB ({took:.0f} s)", flush=True)
        (first, low), (last, high) = readings[0], readings[-1]
        growth = (high - low) / (last - first) * 1000
        print(f"growth after the first {first} calls: {growth:.1f} MB per 1,000 calls (goal: at most 10 MB)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
