"""MNIST and Fashion-MNIST as in-memory tensors, through torchvision.datasets.

    images, labels = load_dataset("mnist", train=False)  # [N,1,28,28] float in [0,1], [N] int64
    train, val = split_validation(images, fraction=0.1)

The root folder comes from the `root` argument, else the DAE_DATA_DIR
environment variable, else ./data. Nothing is downloaded unless you pass
`download=True` (or `--download` to the scripts).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import Tensor

DATASETS = ("mnist", "fashion")
DEFAULT_ROOT = "data"


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The folder datasets live in: `root`, else $DAE_DATA_DIR, else ./data."""
    return Path(root if root is not None else os.environ.get("DAE_DATA_DIR", DEFAULT_ROOT))


def load_dataset(
    name: str = "mnist",
    *,
    train: bool = True,
    root: str | os.PathLike | None = None,
    download: bool = False,
) -> tuple[Tensor, Tensor]:
    """Load a whole split as tensors: images [N,1,28,28] float32 in [0,1] and labels [N].

    Raises FileNotFoundError saying where it looked and how to get the data.
    """
    from torchvision import datasets  # imported here: the app and the package's other parts do not need it

    classes = {"mnist": datasets.MNIST, "fashion": datasets.FashionMNIST}
    if name not in classes:
        raise ValueError(f"unknown dataset {name!r}; valid datasets: {', '.join(DATASETS)}")
    folder = data_root(root)
    try:
        dataset = classes[name](str(folder), train=train, download=download)
    except RuntimeError as error:
        if download:
            raise
        raw = folder / classes[name].__name__ / "raw"
        raise FileNotFoundError(
            f"{name} ({'train' if train else 'test'} split) not found in {raw.resolve()} ({error}). "
            f"Download it with --download (download=True in Python), or point --data-dir "
            f"(or the DAE_DATA_DIR environment variable) at a folder holding {classes[name].__name__}/raw."
        ) from None
    images = dataset.data.unsqueeze(1).float().div_(255)
    return images, dataset.targets.clone()


def split_validation(images: Tensor, *, fraction: float = 0.1, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Split off a seeded random `fraction` of `images` for validation: (train, validation)."""
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    cut = max(1, round(len(images) * fraction))
    return images[order[cut:]], images[order[:cut]]
