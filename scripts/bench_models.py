"""Images per second of the shipped conv and U-Net DAEs, each as a plain module, folded and fused; one thread,
float32.

    python scripts/bench_models.py                # batch 5 (one app update) and 256, 3 s per measurement
    python scripts/bench_models.py --seconds 5 --batches 1 5 256

Both models are measured in the same run, alternating, on one torch thread in
float32, each in three forms: as a plain module; folded
(`dae.lab.inference_form`: BatchNorm folded into the convolutions,
channels_last); and fused (`dae.lab.fused_form`: the folded form traced by
TorchScript with oneDNN Graph fusion), which is how the app runs them (in bf16
where the CPU has it; here float32). FLOPs per image come from torch's FLOP
counter (a multiply-add counts as two). The wider conv DAE the app shipped
until 2026-11-30 was measured against its successor here until 2026-12-06
(docs/serving.md); it is no longer in the code.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from dae import count_parameters, load_model  # noqa: E402
from dae.lab import fused_form, inference_form  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, nargs="+", default=[5, 256], help="batch sizes")
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the medians are compared")
    parser.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "conv"), help="the shipped conv DAE")
    parser.add_argument("--unet", default=str(ROOT / "checkpoints" / "unet"), help="the shipped U-Net DAE")
    args = parser.parse_args()
    torch.set_num_threads(1)

    shipped = load_model(args.checkpoint).eval()
    unet = load_model(args.unet).eval()
    batches = tuple(args.batches)
    forms = {}
    for name, model in (("conv", shipped), ("unet", unet)):
        print(
            f"{name:<5} {type(model).__name__:<8} {count_parameters(model):>9,} parameters, "
            f"{flops_per_image(model) / 1e6:6.1f} MFLOP per image"
        )
        forms[f"{name}, plain module"] = (model, False)
        forms[f"{name}, folded"] = (inference_form(model), True)
        forms[f"{name}, fused"] = (fused_form(model, batches=batches), True)
    rates = {(form, batch): [] for form in forms for batch in args.batches}
    for _ in range(args.rounds):
        for batch in args.batches:
            for form, (model, channels_last) in forms.items():
                rates[form, batch].append(images_per_second(model, batch, args.seconds, channels_last))
    median = {key: statistics.median(values) for key, values in rates.items()}
    for batch in args.batches:
        print(f"\nbatch {batch} (images/s, medians of {args.rounds}):")
        for form in forms:
            print(f"  {form:<20} {median[form, batch]:8.0f}")
        for name in ("conv", "unet"):
            gain = median[f"{name}, fused", batch] / median[f"{name}, plain module", batch]
            print(f"  {name} fused / plain module: {gain:.2f}x")
        print(f"  U-Net fused / conv fused: {median['unet, fused', batch] / median['conv, fused', batch]:.2f}x")


if __name__ == "__main__":
    main()
