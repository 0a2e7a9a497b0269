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


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)
