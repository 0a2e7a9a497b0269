"""Files handed to visitors: their trained models (which the lab also loads) and generated samples.

    path = save_download(data, "dae-samples-", ".npz")     # a complete file, ready for gr.File

Each file stays for KEEP_SECONDS: files of the same kind older than that go
when the next one is saved, so a long-running server does not fill its disk.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

TRAINED = Path(tempfile.gettempdir()) / "dae-lab-trained"  # the visitors' trained models, and generated samples
KEEP_SECONDS = 3600  # a trained model stays usable (and downloadable) for an hour after training


def save_download(data: bytes, prefix: str, suffix: str, folder: Path = TRAINED) -> str:
    """`data` as a file Gradio can offer for download (and the lab can load): its path.

    Files of the same prefix older than KEEP_SECONDS go first. The file is complete before its path is handed out.
    """
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob(f"{prefix}*{suffix}"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    handle = tempfile.NamedTemporaryFile(prefix=prefix, suffix=suffix, dir=folder, delete=False)
    with handle:
        handle.write(data)
    return handle.name


def save_checkpoint(data: bytes, folder: Path = TRAINED) -> str:
    """The checkpoint zip of a live training, as a file (see save_download)."""
    return save_download(data, "dae-your-model-", ".zip", folder)
