"""The one table of model names: what the page, the samples and the evaluation call each model and image.

    from dae.names import NAMES
    NAMES["conv"].title        # "Convolutional DAE": a panel's caption, the Inside view's labels
    NAMES["conv"].short        # "Conv": the caption on a phone
    NAMES["conv"].adjective    # "convolutional": the headline's "the convolutional autoencoder"
    NAMES["conv"].row          # "conv DAE": its row in scripts/evaluate.py's tables (docs/results.md)
    CODES                      # whose codes the probe reads and the Inside view maps, in their order

No torch here: the web process reads it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Name:
    title: str
    short: str
    adjective: str = ""
    row: str = ""


NAMES: dict[str, Name] = {
    "pixels": Name("Pixels", "Pixels", "pixel", "pixels"),  # the input itself, read as if it were a code
    "clean": Name("Clean digit", "Clean"),
    "noisy": Name("Corrupted input", "Noisy", row="noisy input"),
    "linear": Name("Linear DAE", "Linear", "linear", "linear DAE"),
    "conv": Name("Convolutional DAE", "Conv", "convolutional", "conv DAE"),
    "unet": Name("U-Net DAE", "U-Net", "U-Net", "U-Net DAE"),
    "yours": Name("Your model", "Yours", "your", "your model"),  # the one the visitor trains on the page
    "plain": Name("Plain autoencoder", "Plain", "plain", "plain linear AE"),  # checkpoints/linear_plain
    "unet_no_skips": Name("U-Net, skips zeroed", "No skips", "U-Net without skips", "U-Net, skips zeroed"),
    "generator": Name("Generator (a tiny diffusion model)", "Generator", "generator", "generator"),
}

# whose codes a linear probe reads and the Inside view maps (dae.probe): the pixels, then each autoencoder's code
CODES = ("pixels", "linear", "plain", "conv", "unet")
