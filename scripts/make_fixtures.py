"""Cut the small real-MNIST samples that the tests and the app ship with, from a full dataset folder.

    python scripts/make_fixtures.py --data-dir ../shared/data

Writes tests/fixtures/MNIST/raw/ in torchvision's IDX layout: the first 256
training and 256 test digits, so `dae.load_dataset(root="tests/fixtures")`
works without the network. Also writes examples/0.png ... 9.png for the app:
the first test digit of each class after the fixture's 256. And writes
assets/mnist-train.npz for the page's live training: every training digit and
500 held-out test digits (those after the fixture's 256), as uint8.
"""

from __future__ import annotations

import argparse
import struct
from pathlib import Path

import numpy as np
from PIL import Image

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "t10k": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(path: Path) -> np.ndarray:
    data = path.read_bytes()
    dims = data[3]
    shape = struct.unpack(f">{dims}I", data[4 : 4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True, help="folder holding MNIST/raw with the four IDX files")
    parser.add_argument("--count", type=int, default=256, help="digits per split")
    parser.add_argument("--out", default="tests/fixtures", help="fixture root")
    parser.add_argument("--examples", default="examples", help="folder for the app's example digits")
    parser.add_argument("--assets", default="assets", help="folder for the live training's data file")
    parser.add_argument("--held-out", type=int, default=500, help="test digits in the live training's data file")
    args = parser.parse_args()
    source, target = Path(args.data_dir) / "MNIST" / "raw", Path(args.out) / "MNIST" / "raw"
    target.mkdir(parents=True, exist_ok=True)
    for images_name, labels_name in FILES.values():
        write_idx(target / images_name, read_idx(source / images_name)[: args.count])
        write_idx(target / labels_name, read_idx(source / labels_name)[: args.count])
    print(f"wrote {args.count} digits per split to {target}")
    images, labels = read_idx(source / FILES["t10k"][0]), read_idx(source / FILES["t10k"][1])
    Path(args.examples).mkdir(exist_ok=True)
    for digit in range(10):
        index = args.count + int(np.flatnonzero(labels[args.count :] == digit)[0])
        Image.fromarray(images[index]).save(Path(args.examples) / f"{digit}.png")
    print(f"wrote 10 example digits to {args.examples}")
    held_out = slice(args.count, args.count + args.held_out)
    Path(args.assets).mkdir(exist_ok=True)
    np.savez_compressed(
        Path(args.assets) / "mnist-train.npz",
        train_images=read_idx(source / FILES["train"][0]),
        train_labels=read_idx(source / FILES["train"][1]),
        test_images=images[held_out],
        test_labels=labels[held_out],
    )
    print(f"wrote {Path(args.assets) / 'mnist-train.npz'}")


if __name__ == "__main__":
    main()
