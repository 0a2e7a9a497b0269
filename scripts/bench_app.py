"""Time the app's full update over plain HTTP, against a no-op Gradio endpoint in the same run.

    python scripts/bench_app.py                  # 200 updates; prints p50/p95 and the ratios

A full update is what the page does after a stroke or an upload: decode the
image, `to_mnist`, corrupt it, run both models on the current strength and on
every strength of the curve, score PSNR/SSIM and build the plot's data; each
request uses a new seed, so nothing comes from a cache. A slider release does
the same with only the strength changed, so the curve comes from its cache.
The API's denoise is called as an API client calls it over plain HTTP (POST
/gradio_api/call/denoise, then the event stream, no session), against a no-op
that takes the same image file and returns it as a PNG. Start-up is timed from
launching the process to its first answer, for the app and for a bare Gradio app,
alternating, --starts times each; the medians are compared.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gradio_http import ON_VIEW, PYTHON, call, file_data, percentile, start_server, upload  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# "noop": text in, text out, the floor under the page's updates. "noop_image": what the API's no-op is, an image file
# in (as the denoise endpoint takes it) and the same image out, as a PNG, like one of denoise's outputs.
BARE_APP = """
import io
import gradio as gr
from PIL import Image
with gr.Blocks(analytics_enabled=False) as demo:
    box, out = gr.Textbox(), gr.Textbox()
    box.submit(lambda text: text, box, out, api_name="noop")
    image_in, image_out, button = gr.File(type="binary"), gr.Image(format="png"), gr.Button()
    button.click(lambda data: Image.open(io.BytesIO(data)), image_in, image_out, api_name="noop_image")
demo.queue().launch()
"""


def time_calls(url: str, name: str, make_data, count: int, browser: bool = True) -> list[float]:
    """Milliseconds per call. browser: one session per server, like one browser tab making update after update
    (the same for the no-op app); False: no session, as an API client calls over plain HTTP."""
    times, session = [], f"bench-{name}" if browser else None
    for i in range(count):
        data = make_data(i)
        tick = time.perf_counter()
        call(url, name, data, session=session)
        times.append((time.perf_counter() - tick) * 1000)
    return times


def first_answer(command: list[str], name: str, make_data, cwd: Path) -> tuple[float, object]:
    """Seconds from launching `command` to the first answer of endpoint `name`; returns (seconds, server)."""
    server = start_server(command, cwd=cwd)
    while True:
        try:
            call(server.url, name, make_data(server.url))
            return time.perf_counter() - server.started, server
        except Exception:  # noqa: BLE001 - not ready yet
            time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    parser.add_argument("--image", default=str(ROOT / "examples" / "7.png"), help="the digit to send")
    parser.add_argument("--kind", default="gaussian", help="noise kind of every request")
    parser.add_argument("--starts", type=int, default=3, help="start-ups timed per app (the medians are compared)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        bare_file = Path(folder) / "bare_app.py"
        bare_file.write_text(BARE_APP)
        uploaded = {}

        def update_data(url: str) -> list:
            uploaded.setdefault(url, upload(url, args.image))
            return [file_data(uploaded[url]), args.kind, 0.5, 0, ON_VIEW]

        # start-up varies by a few tenths of a second from run to run (mostly importing torch): alternate the
        # two apps, --starts times each, and compare the medians; the last two servers stay up for the timing
        bare_starts, app_starts, bare, app = [], [], None, None
        for _ in range(args.starts):
            for server in (bare, app):
                if server:
                    server.stop()
            seconds, bare = first_answer([PYTHON, str(bare_file)], "noop", lambda url: ["hello"], Path(folder))
            bare_starts.append(seconds)
            uploaded.clear()
            seconds, app = first_answer([PYTHON, "app.py"], "update", update_data, ROOT)
            app_starts.append(seconds)
        try:
            path = uploaded[app.url]
            bare_path = upload(bare.url, args.image)
            noop = lambda i: ["hello"]  # noqa: E731
            noop_image = lambda i: [file_data(bare_path)]  # noqa: E731
            api = lambda i: [file_data(path), args.kind, 0.5, i + 1]  # noqa: E731 - the API's denoise, new seeds
            update = lambda i: [file_data(path), args.kind, 0.5, i + 1, ON_VIEW]  # noqa: E731 - a new seed every time
            time_calls(bare.url, "noop", noop, args.warmup)
            time_calls(app.url, "update", update, args.warmup)
            time_calls(bare.url, "noop_image", noop_image, args.warmup, browser=False)
            time_calls(app.url, "denoise", api, args.warmup, browser=False)
            # interleave the two in blocks so both see the same machine state
            # a slider release: same digit, kind and seed, new strength, so the curve comes from the cache
            slider = lambda i: [file_data(path), args.kind, round(0.05 + 0.9 * (i % 91) / 90, 3), 0, ON_VIEW]  # noqa: E731
            noop_times, update_times, slider_times, noop_image_times, api_times = [], [], [], [], []
            for block in range(10):
                share = args.requests // 10
                noop_times += time_calls(bare.url, "noop", noop, share)
                offset = block * share
                update_times += time_calls(app.url, "update", lambda i, offset=offset: update(offset + i), share)
                slider_times += time_calls(app.url, "update", lambda i, offset=offset: slider(offset + i), share)
                noop_image_times += time_calls(bare.url, "noop_image", noop_image, share, browser=False)
                api_times += time_calls(
                    app.url, "denoise", lambda i, offset=offset: api(offset + i), share, browser=False
                )
        finally:
            app.stop()
            bare.stop()

    def line(name: str, times: list[float]) -> str:
        return (
            f"{name:<22} p50 {percentile(times, 50):6.1f} ms   p95 {percentile(times, 95):6.1f} ms   (n={len(times)})"
        )

    print(line("no-op endpoint", noop_times))
    print(line("full update", update_times))
    print(line("slider release", slider_times))
    print(line("API no-op (image)", noop_image_times))
    print(line("API denoise", api_times))
    pairs = (
        ("full update", update_times, noop_times),
        ("slider release", slider_times, noop_times),
        ("API denoise", api_times, noop_image_times),
    )
    for name, times, floor in pairs:
        ratio = percentile(times, 50) / percentile(floor, 50)
        beyond = percentile(times, 50) - percentile(floor, 50)
        print(f"{name + ' / no-op p50':<30} {ratio:.2f}x   (goal: at most 3x); {beyond:.1f} ms more than the no-op")
    app_start, bare_start = statistics.median(app_starts), statistics.median(bare_starts)
    print(
        f"{'start to first answer':<22} app {app_start:.2f} s, bare Gradio {bare_start:.2f} s (medians of "
        f"{args.starts}; app {', '.join(f'{s:.2f}' for s in app_starts)}; bare "
        f"{', '.join(f'{s:.2f}' for s in bare_starts)}): {app_start / bare_start:.2f}x (goal: at most 1.5x)"
    )


if __name__ == "__main__":
    main()
