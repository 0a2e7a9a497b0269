"""Load-test the app's `denoise` API over plain HTTP: concurrent clients, good and bad inputs mixed.

    python scripts/bench_load.py                         # starts app.py itself; 8 clients x 50 requests
    python scripts/bench_load.py --url http://127.0.0.1:7860 --clients 4 --requests 20

One request in five is bad on purpose (an empty file, text named .png, a
truncated PNG, an unknown noise kind, a strength of 2): each must come back as
the app's clear error message. Anything else that fails is an unexpected
error. Prints errors, p50/p95 latency and requests per second.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gradio_http import PYTHON, CallError, call, file_data, percentile, start_server, upload  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def truncated_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(ROOT / "examples" / "3.png").resize((200, 200)).save(buffer, format="PNG")
    return buffer.getvalue()[:300]


# name -> (file bytes or None for a good example, kind, strength, words the error must contain)
BAD_CASES = {
    "empty file": (b"", "gaussian", 0.5, "empty"),
    "text named .png": (b"not an image\n" * 20, "gaussian", 0.5, "not an image"),
    "truncated png": (truncated_png(), "gaussian", 0.5, "damaged or incomplete"),
    "unknown kind": (None, "blur", 0.5, "valid kinds"),
    "strength 2": (None, "gaussian", 2.0, "[0, 1]"),
}
KINDS = ["gaussian", "masking", "salt_and_pepper", "speckle", "poisson", "block"]


def run(url: str, clients: int, requests: int, bad_share: float, seed: int) -> dict:
    examples = [upload(url, path) for path in sorted((ROOT / "examples").glob("*.png"))]
    bad_files = {
        name: upload(url, data=case[0], name="bad.png") for name, case in BAD_CASES.items() if case[0] is not None
    }
    results: list[tuple[str, float, str | None]] = []  # (good|bad, ms, unexpected error or None)
    lock = threading.Lock()

    def client(number: int) -> None:
        rng = random.Random(seed + number)
        session = f"load-{number}"  # each client keeps its session, as a gradio_client.Client does
        for _ in range(requests):
            if rng.random() < bad_share:
                name = rng.choice(list(BAD_CASES))
                _, kind, strength, expected = BAD_CASES[name]
                path = bad_files.get(name) or rng.choice(examples)
                tick = time.perf_counter()
                try:
                    call(url, "denoise", [file_data(path), kind, strength, 0], session=session)
                    problem = f"{name}: accepted"
                except CallError as error:
                    problem = None if expected in str(error) else f"{name}: unclear message {error}"
                except Exception as error:  # noqa: BLE001 - anything else is unexpected
                    problem = f"{name}: {type(error).__name__}: {error}"
                label = "bad"
            else:
                data = [
                    file_data(rng.choice(examples)),
                    rng.choice(KINDS),
                    round(rng.random(), 2),
                    rng.randrange(10**6),
                ]
                tick = time.perf_counter()
                try:
                    outputs = call(url, "denoise", data, session=session)
                    ok = len(outputs) == 6 and "unet" in outputs[4] and outputs[5] is not None  # images, metrics, U-Net
                    problem = None if ok else f"odd answer {outputs!r:.200}"
                except Exception as error:  # noqa: BLE001
                    problem = f"good input failed: {type(error).__name__}: {error}"
                label = "good"
            with lock:
                results.append((label, (time.perf_counter() - tick) * 1000, problem))

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    good = [ms for label, ms, _ in results if label == "good"]
    return {
        "requests": len(results),
        "good": len(good),
        "bad": len(results) - len(good),
        "unexpected": [problem for _, _, problem in results if problem],
        "p50": percentile(good, 50),
        "p95": percentile(good, 95),
        "wall": wall,
        "per_second": len(results) / wall,
        "good_per_second": len(good) / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=None, help="a running app (default: start app.py on a free port)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=50, help="requests per client")
    parser.add_argument("--bad-share", type=float, default=0.2, help="share of deliberately bad requests")
    parser.add_argument("--seed", type=int, default=0, help="seed of the request mix")
    args = parser.parse_args()
    server = None if args.url else start_server([PYTHON, "app.py"], cwd=ROOT)
    try:
        report = run(args.url or server.url, args.clients, args.requests, args.bad_share, args.seed)
    finally:
        if server:
            server.stop()
    print(
        f"{report['requests']} requests ({report['good']} good, {report['bad']} bad on purpose) "
        f"from {args.clients} clients in {report['wall']:.1f} s"
    )
    print(f"unexpected errors: {len(report['unexpected'])}")
    for problem in report["unexpected"][:10]:
        print(f"  {problem}")
    print(f"good requests: p50 {report['p50']:.1f} ms, p95 {report['p95']:.1f} ms")
    print(
        f"throughput: {report['per_second']:.1f} requests/s in all, {report['good_per_second']:.1f} good requests/s "
        f"(goal: at least 50)"
    )
    sys.exit(1 if report["unexpected"] else 0)


if __name__ == "__main__":
    main()
