"""Shared fixtures: the small real-MNIST sample shipped in tests/fixtures, and seeded generators."""

from __future__ import annotations

import base64
import io
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

from dae import load_dataset  # noqa: E402


@pytest.fixture(scope="session")
def digits() -> torch.Tensor:
    """256 real MNIST test digits, [256,1,28,28] in [0,1]."""
    images, _ = load_dataset("mnist", train=False, root=FIXTURES)
    return images


@pytest.fixture(scope="session")
def train_digits() -> torch.Tensor:
    """256 real MNIST training digits."""
    images, _ = load_dataset("mnist", train=True, root=FIXTURES)
    return images


@pytest.fixture(scope="session")
def train_labels() -> torch.Tensor:
    """The labels of `train_digits`."""
    _, labels = load_dataset("mnist", train=True, root=FIXTURES)
    return labels


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="session")
def app_module():
    """The app, imported once (it loads the shipped checkpoints)."""
    import app

    return app


@pytest.fixture(scope="session")
def server_url(app_module) -> str:
    """The app, launched once for the whole test session on a free local port."""
    app_module.launch(prevent_thread_lock=True, quiet=True)
    yield app_module.demo.local_url.rstrip("/")
    app_module.demo.close()


@pytest.fixture(scope="session")
def client(server_url):
    """A gradio_client Client of the launched app."""
    from gradio_client import Client

    return Client(server_url, verbose=False)


def api_parameters(client, endpoint: str) -> list[str]:
    """The parameter names an API endpoint ("/denoise", ...) declares, in order."""
    info = client.view_api(print_info=False, return_format="dict")
    return [p["parameter_name"] for p in info["named_endpoints"][endpoint]["parameters"]]


def digit_png(tmp_path, image: torch.Tensor, name: str = "digit.png") -> str:
    """Save a [1,28,28] or [28,28] digit as a PNG file and return its path."""
    from PIL import Image

    pixels = (image.squeeze().numpy() * 255).round().astype("uint8")
    path = tmp_path / name
    Image.fromarray(pixels).save(path)
    return str(path)


class PageReader(HTMLParser):
    """What the comparison's HTML says through its data- attributes: each panel by name (its data- values, its
    image's src and its text), the headline's text and its winner. Markup and classes are not read."""

    def __init__(self, html: str):
        super().__init__()
        self.panels: dict[str, dict[str, str]] = {}
        self.headline, self.winner = "", None
        self._panel, self._in_headline = None, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-name" in attrs:
            self._panel = attrs["data-name"]
            self.panels[self._panel] = {k.removeprefix("data-"): v for k, v in attrs.items() if k.startswith("data-")}
            self.panels[self._panel]["text"] = ""
        elif tag == "img" and self._panel is not None:
            self.panels[self._panel].setdefault("image", attrs.get("src", ""))
        elif attrs.get("id") == "headline":
            self._in_headline, self.winner = True, attrs.get("data-winner")

    def handle_endtag(self, tag):
        if tag == "figure":
            self._panel = None
        elif tag == "p":
            self._in_headline = False

    def handle_data(self, data):
        if self._panel is not None:
            self.panels[self._panel]["text"] += data
        elif self._in_headline:
            self.headline += data


def shown_panels(page_html: str) -> dict:
    """The panel images the page shows, by name, decoded from their inline PNGs."""
    import numpy as np
    from PIL import Image

    panels = PageReader(page_html).panels
    return {
        name: np.asarray(Image.open(io.BytesIO(base64.b64decode(said["image"].split(",", 1)[1]))))
        for name, said in panels.items()
        if said.get("image", "").startswith("data:image/png;base64,")
    }


def shown_metrics(page_html: str) -> dict[str, dict[str, float]]:
    """The PSNR and SSIM each panel states (data-psnr, data-ssim: the values it shows)."""
    return {
        name: {"psnr": float(said["psnr"]), "ssim": float(said["ssim"])}
        for name, said in PageReader(page_html).panels.items()
        if "psnr" in said
    }


def starred(page_html: str) -> list[str]:
    """The panels with the star (data-best)."""
    return [name for name, said in PageReader(page_html).panels.items() if said.get("best") == "true"]


def headline_text(page_html: str) -> str:
    return PageReader(page_html).headline


# a star drawn on the page, as a polyline in the 280x280 canvas's pixels: a drawing that is not a digit
STAR = [(140, 30), (175, 120), (260, 120), (190, 175), (215, 260), (140, 210), (65, 260), (90, 175), (20, 120),
        (105, 120), (140, 30)]  # fmt: skip


def page_drawing(strokes: list[list[tuple[int, int]]], width: int = 14):
    """Strokes (polylines in pixels) drawn in black on a white 280x280 page: a PIL image."""
    from PIL import Image, ImageDraw

    page = Image.new("L", (280, 280), 255)
    pen = ImageDraw.Draw(page)
    for line in strokes:
        pen.line(line, fill=0, width=width, joint="curve")
    return page
