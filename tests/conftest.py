"""Shared fixtures: the small real-MNIST sample shipped in tests/fixtures, and seeded generators."""

from __future__ import annotations

import sys
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
