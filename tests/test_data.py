"""The dataset loader, on the real MNIST digits shipped in tests/fixtures."""

from __future__ import annotations

import pytest
import torch
from conftest import FIXTURES

from dae import load_dataset, split_validation


def test_loads_real_digits_as_tensors():
    images, labels = load_dataset("mnist", train=False, root=FIXTURES)
    assert images.shape == (256, 1, 28, 28) and images.dtype == torch.float32
    assert images.min() == 0 and images.max() == 1
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # the first digits of the official MNIST test set
    assert 0.1 < images.mean() < 0.15  # mostly black background, white ink


def test_root_from_environment(monkeypatch):
    monkeypatch.setenv("DAE_DATA_DIR", str(FIXTURES))
    images, _ = load_dataset("mnist", train=True)
    assert len(images) == 256


def test_missing_data_says_where_it_looked_and_how_to_fix_it(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        load_dataset("fashion", root=tmp_path)
    message = str(error.value)
    assert str(tmp_path) in message and "--download" in message and "DAE_DATA_DIR" in message


def test_unknown_dataset_lists_the_valid_ones():
    with pytest.raises(ValueError, match="mnist, fashion"):
        load_dataset("cifar", root=FIXTURES)


def test_validation_split_is_disjoint_and_seeded(digits):
    train, val = split_validation(digits, fraction=0.25, seed=3)
    assert len(train) == 192 and len(val) == 64
    again_train, _ = split_validation(digits, fraction=0.25, seed=3)
    assert torch.equal(train, again_train)
    assert not any(torch.equal(v, t) for v in val[:8] for t in train)
