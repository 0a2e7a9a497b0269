"""dae-lab: draw or upload a digit, corrupt it, compare a linear, a convolutional and a U-Net denoising autoencoder.

    python app.py                      # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT to change)

The page's table of contents. Each part is one module of ui/ that lays itself
out and wires its own events (`section(page)`), over the `dae` package:

    ui/compare.py    the digit (drawn, uploaded, an example), the noise, the panels, the curve
    ui/inside.py     inside the models, for the digit on view
    ui/field.py      what a denoiser learns: its field in 2-D, trained live on points
    ui/generate.py   a denoiser run as a chain from noise draws digits
    ui/train.py      train your own autoencoder, live; it joins the comparison
    ui/api.py        the API endpoints denoise, generate, train, field and interpolate (see README.md)

What the parts share is in ui/page.py; serving plumbing (ZeroGPU, downloads,
Gradio's sessions) in server/. This process never imports torch: the models
run in a process of their own (dae.lab_process), started first.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # start offline: no telemetry, no version check
# Gradio's queue rebuilds a pandas summary of its last 10,000 events after every event (for its monitoring page);
# it showed up in py-spy profiles of the update benchmark, so summarise every 1,000 events, over the last 1,000.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from dae.lab_process import LabError, start_lab  # noqa: E402 - no torch in this process, see below
from server import zerogpu  # noqa: E402, F401 - before Gradio: ZeroGPU wants `spaces` imported before anything else

ROOT = Path(__file__).resolve().parent
CHECKPOINTS = Path(os.environ.get("DAE_CHECKPOINTS", ROOT / "checkpoints"))
# The models run in a process of their own, started first: it imports torch and loads the checkpoints on the
# other core while this one imports Gradio and builds the page (docs/serving.md). Two comparisons at a time,
# one torch thread each: a 2-core Space. Gradio's queue runs as many requests at a time as the process has slots.
CONCURRENCY = int(os.environ.get("DAE_CONCURRENCY", "2"))
LAB = start_lab(CHECKPOINTS, slots=CONCURRENCY, threads=int(os.environ.get("DAE_TORCH_THREADS", "1")))

import gradio as gr  # noqa: E402

from server.sessions import forget_finished_sessions, lazy_session_configs  # noqa: E402
from ui import api, compare, field, generate, inside, train  # noqa: E402
from ui.generate import GENERATE_CSS  # noqa: E402
from ui.page import Page  # noqa: E402

# Gradio keeps every upload and every image the API returns in its cache (three new PNGs per API call): every
# half hour, delete those older than an hour, so a long-running Space does not fill its disk.
CACHE_CLEANUP = (1800, 3600)  # (every N seconds, files older than M seconds)
CSS = (ROOT / "ui" / "page.css").read_text() + GENERATE_CSS
JS = (ROOT / "ui" / "page.js").read_text()  # the live region and ARIA mends (ui/page.js)
# Gradio 6.31's bundled semibold fonts are fragments (SourceSansPro-SemiBold.woff2: 55 glyphs, "A", "B" and some
# Cyrillic), so semibold text (titles, labels, our captions) mixed two fonts: "DAE" with a small "A". With
# weights 400 and 700 declared, the browser draws semibold text from the complete Bold faces instead.
THEME = gr.themes.Default(
    font=(gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"),
    font_mono=(gr.themes.LocalFont("IBM Plex Mono", weights=(400, 700)), "ui-monospace", "Consolas", "monospace"),
).set(  # WCAG 2.2 AA contrast (4.5:1 for text): Default's grey captions (neutral 400) and white on orange 500 fail it
    body_text_color_subdued="*neutral_500",
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800",
    color_accent="*primary_700",
)
INTRO = """<h1>dae-lab <span>· denoising autoencoders</span></h1>
<p>Draw a digit and corrupt it: a <b>linear</b>, a <b>convolutional</b> and a <b>U-Net</b> denoising autoencoder,
trained only to map noisy digits back to clean ones, try to restore it as you draw.</p>"""


def build(delete_cache: tuple[int, int] = CACHE_CLEANUP) -> gr.Blocks:
    """The page, part by part, in the order a visitor sees them."""
    with gr.Blocks(title="dae-lab: denoising autoencoders", analytics_enabled=False, delete_cache=delete_cache) as demo:
        page = Page(demo, LAB)
        gr.HTML(INTRO, elem_id="intro")
        compare.section(page)  # ui/compare.py: draw, upload or pick a digit; the noise; the panels; the curve
        inside.section(page)  # ui/inside.py: inside the models, for the digit on view
        field.section(page)  # ui/field.py: what a denoiser learns, in 2-D: its field, trained live on points
        generate.section(page)  # ui/generate.py: a denoiser draws digits from noise
        train.section(page)  # ui/train.py: train your own autoencoder; it joins the comparison
        api.section(page)  # ui/api.py: the API endpoints denoise, generate, train, field and interpolate
    return demo


lazy_session_configs()  # an API call without a session no longer builds the whole page's config (server/sessions.py)
forget_finished_sessions()  # nor is its session kept once it has answered; a closed tab's goes an hour after
demo = build()
demo.queue(default_concurrency_limit=CONCURRENCY, max_size=64)
try:
    LAB.wait_ready()  # loaded by now, as a rule: the models' process started before Gradio's import
except LabError as error:
    sys.exit(
        f"Cannot start: {error}\nRebuild the checkpoints with: python scripts/train.py --model both "
        f"--data-dir <MNIST folder> (or restore them with: git checkout -- checkpoints)"
    )


def launch(**kwargs):
    """Start the server; honours GRADIO_SERVER_NAME and GRADIO_SERVER_PORT like any Gradio app."""
    return demo.launch(css=CSS, js=JS, theme=THEME, show_error=False, **kwargs)


if __name__ == "__main__":
    launch()
