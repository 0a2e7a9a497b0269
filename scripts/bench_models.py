"""Images per second of the shipped conv DAE against the one shipped before it, and of the U-Net DAE; one thread,
float32.

    python scripts/bench_models.py                # batch 5 (one app update) and 256, 3 s per measurement
    python scripts/bench_models.py --seconds 5 --batches 1 5 256

Both models are measured in the same run, alternating, on one torch thread in
float32, each in three forms: as a plain module (how the app ran the previous
model); folded (`dae.lab.inference_form`: BatchNorm folded into the
convolutions, channels_last); and fused (`dae.lab.fused_form`: the folded form
traced by TorchScript with oneDNN Graph fusion), which is how the app runs the
shipped one (in bf16 where the CPU has it; here float32). FLOPs per image come
from torch's FLOP counter (a multiply-add counts as two). The previous model
(`WideConvDAE`) is built with random weights: its speed does not depend on them.
The shipped U-Net DAE is measured in the same three forms, in the same rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from dae import count_parameters, load_model  # noqa: E402
from dae.lab import fused_form, inference_form  # noqa: E402
from dae.models import WideConvDAE  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def flops_per_image(model: torch.nn.Module) -> float:
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(torch.rand(1, 1, 28, 28))
    return counter.get_total_flops()


def images_per_second(model: torch.nn.Module, batch: int, seconds: float, channels_last: bool) -> float:
    x = torch.rand(batch, 1, 28, 28)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        for _ in range(3):
            model(x)
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            model(x)
            count += 1
    return count * batch / (time.perf_counter() - start)


def user_digits(previous: torch.nn.Module, shipped: torch.nn.Module) -> None:
    """PSNR of both models on digits as the page gets them: drawn with a pen, and photographed on paper."""
    sys.path.insert(0, str(ROOT / "tests"))
    from paper import INKS, LIGHTS, PAPERS, paper_photo
    from PIL import Image, ImageDraw

    from dae import corrupt, load_dataset, open_image, psnr, to_mnist
    from dae.evaluation import PROTOCOL

    sources, _ = load_dataset("mnist", train=False, root=ROOT / "tests" / "fixtures")
    photos = []
    for k, (paper, ink, light) in enumerate((p, i, li) for p in PAPERS for i in INKS for li in LIGHTS):
        data = paper_photo(sources[k, 0].numpy(), paper=paper, ink=ink, light=light, seed=k)
        photos.append(to_mnist(open_image(data)))
    drawings = []
    for k in range(12):  # MNIST digits traced with a round pen of the canvas's width, as a mouse would draw them
        canvas = Image.new("L", (280, 280), 0)
        pen = ImageDraw.Draw(canvas)
        for y, x in zip(*np.nonzero(sources[40 + k, 0].numpy() > 0.5), strict=True):
            pen.ellipse((x * 10 - 6, y * 10 - 6, x * 10 + 16, y * 10 + 16), fill=255)
        drawings.append(to_mnist(canvas))
    for name, digits in (("photos of paper", photos), ("drawn digits", drawings)):
        clean = torch.tensor(np.stack(digits)).unsqueeze(1)
        scores = {"previous": [], "shipped": []}
        for i, (kind, strength) in enumerate(PROTOCOL):
            noisy = corrupt(clean, kind, strength, generator=torch.Generator().manual_seed(i))
            with torch.inference_mode():
                for label, model in (("previous", previous), ("shipped", shipped)):
                    scores[label].append(psnr(clean, model(noisy)).mean().item())
        means = {label: sum(values) / len(values) for label, values in scores.items()}
        print(
            f"{name} ({len(digits)}), mean PSNR over the 7 bar settings: previous {means['previous']:.2f} dB, "
            f"shipped {means['shipped']:.2f} dB ({means['shipped'] - means['previous']:+.2f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, nargs="+", default=[5, 256], help="batch sizes")
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the medians are compared")
    parser.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "conv"), help="the shipped conv DAE")
    parser.add_argument("--unet", default=str(ROOT / "checkpoints" / "unet"), help="the shipped U-Net DAE")
    parser.add_argument(
        "--previous",
        default=None,
        help="the previous conv checkpoint (from git: checkpoints/conv at 6be0a17); with it, also compare their PSNR "
        "on drawn digits and photos of digits on paper (made by tests/paper.py)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)

    shipped = load_model(args.checkpoint).eval()
    previous = load_model(args.previous).eval() if args.previous else WideConvDAE().eval()
    unet = load_model(args.unet).eval()
    if args.previous:
        user_digits(previous, shipped)
    batches = tuple(args.batches)
    forms = {
        "previous, plain module": (previous, False),
        "previous, folded": (inference_form(previous), True),
        "previous, fused": (fused_form(previous, batches=batches), True),
        "shipped, plain module": (shipped, False),
        "shipped, folded": (inference_form(shipped), True),
        "shipped, fused": (fused_form(shipped, batches=batches), True),
        "unet, plain module": (unet, False),
        "unet, folded": (inference_form(unet), True),
        "unet, fused": (fused_form(unet, batches=batches), True),
    }
    for name, model in (("previous", previous), ("shipped", shipped), ("unet", unet)):
        print(
            f"{name:<9} {type(model).__name__:<12} {count_parameters(model):>9,} parameters, "
            f"{flops_per_image(model) / 1e6:6.1f} MFLOP per image"
        )
    rates = {(form, batch): [] for form in forms for batch in args.batches}
    for _ in range(args.rounds):
        for batch in args.batches:
            for form, (model, channels_last) in forms.items():
                rates[form, batch].append(images_per_second(model, batch, args.seconds, channels_last))
    median = {key: statistics.median(values) for key, values in rates.items()}
    for batch in args.batches:
        print(f"\nbatch {batch} (images/s, medians of {args.rounds}):")
        for form in forms:
            print(f"  {form:<24} {median[form, batch]:8.0f}")
        as_run = median["shipped, fused", batch] / median["previous, plain module", batch]
        print(f"  shipped as the app runs it / previous as the app ran it: {as_run:.2f}x (goal: at least 3x)")
        for form in ("plain module", "folded", "fused"):
            alike = median[f"shipped, {form}", batch] / median[f"previous, {form}", batch]
            print(f"  both {form}: {alike:.2f}x")
        unet_over_conv = median["unet, fused", batch] / median["shipped, fused", batch]
        print(f"  U-Net fused / shipped conv fused: {unet_over_conv:.2f}x")


if __name__ == "__main__":
    main()
