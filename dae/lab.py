"""One comparison, start to finish: corrupt a digit, run both autoencoders, score everything.

    lab = DenoisingLab.from_checkpoints("checkpoints")
    result = lab.compare(to_mnist(image), "gaussian", 0.5, seed=0)
    result.scores["conv"]["psnr"], result.better, result.curve

This is what the app (and its API) runs on every update; it lives here so
scripts and notebooks get exactly the same numbers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .baselines import median_filter
from .checkpoint import CheckpointError, load_model
from .comparison import METHODS, Comparison, winner
from .inside import Inside, look_inside, read_digits
from .live import TrainingError, load_model_zip
from .metrics import psnr, ssim
from .noise import check_noise, corrupt
from .training import bf16_available

CURVE_STRENGTHS = (0.1, 0.4, 0.7, 1.0)  # plus the current strength: five images, one batch per model
YOUR_MODELS_KEPT = 8  # live-trained models kept loaded, most recently used first
CURVE_CACHE_SIZE = 256  # curves kept, one per (digit, kind, seed): moving the slider reuses them


class DenoisingLab:
    """The two shipped models, ready to compare on single digits, and to look inside (`inspect`).

    classifier: reads each panel's digit (optional); plain: the plain autoencoder the Inside view shows
    beside the linear DAE (optional). workers: threads that share the conv model's batch in `compare`
    (1: the calling thread alone).
    """

    def __init__(
        self,
        linear: nn.Module,
        conv: nn.Module,
        *,
        classifier: nn.Module | None = None,
        plain: nn.Module | None = None,
        bf16: bool | None = None,
        workers: int = 2,
    ):
        # On CPUs with native bfloat16 the conv model runs in bf16 with channels_last where that is faster
        # (docs/serving.md); its outputs move by less than 0.01. The linear model is cheap: it stays in float32.
        self.bf16 = bf16_available() if bf16 is None else bf16
        self.linear = linear.eval()
        self.classifier = classifier.eval() if classifier is not None else None  # reads the panels' digits
        # the readings run in the same fast form as the conv model: 1.8 ms for four images against 3.1 (one thread)
        self._classifier_fast = inference_form(classifier) if classifier is not None else None
        self.plain = plain.eval() if plain is not None else None  # the linear architecture trained without noise
        self.conv = conv.eval()  # as trained: the Inside view reads its layers
        self._conv_fast = inference_form(conv)  # BatchNorm folded into the convs, channels_last: for compare
        # workers > 1 splits the conv model's batch (the curve's five images) across that many threads
        self.workers = max(1, workers)
        self._pool = ThreadPoolExecutor(self.workers - 1, thread_name_prefix="conv") if self.workers > 1 else None
        self._curves: OrderedDict[tuple, dict[str, list[float]]] = OrderedDict()
        self._yours: OrderedDict[tuple, nn.Module] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_checkpoints(cls, folder: str | Path = "checkpoints") -> DenoisingLab:
        folder = Path(folder)
        models = {name: load_model(folder / name) for name in ("linear", "conv", "classifier", "linear_plain")}
        return cls(models["linear"], models["conv"], classifier=models["classifier"], plain=models["linear_plain"])

    @torch.inference_mode()
    def compare(
        self,
        digit: np.ndarray,
        kind: str,
        strength: float,
        seed: int = 0,
        *,
        curve: bool = True,
        yours: str | None = None,
    ) -> Comparison:
        """Corrupt `digit` with (kind, strength, seed), denoise it with both models, score it.

        With curve=True, also the PSNR of the noisy input, both models and a 3x3
        median filter at every strength of CURVE_STRENGTHS plus the current one.
        Every strength uses the same seed, so the curve is one noise draw, scaled.
        yours: the path of a checkpoint zip from live training (`dae.live`): that model's
        reconstruction and scores join the result as "yours".
        """
        strength = check_noise(kind, strength)
        clean = torch.as_tensor(np.asarray(digit, dtype=np.float32)).reshape(1, 1, 28, 28)
        key = (clean.numpy().tobytes(), kind, seed)
        cached = self._cached_curve(key) if curve else None
        # A new curve rides along in the same batch as the current strength: one forward pass per model.
        strengths = [strength, *CURVE_STRENGTHS] if curve and cached is None else [strength]
        noisy = self._corrupt(clean, kind, strengths, seed)
        outputs = {"noisy": noisy, "linear": self.linear(noisy), "conv": self._run_conv(noisy)}
        if curve:
            outputs["median"] = median_filter(noisy)
        reference = clean.expand_as(noisy)
        psnrs = {name: psnr(reference, out) for name, out in outputs.items()}
        shown = ("noisy", "linear", "conv")
        if yours is not None:
            outputs["yours"] = self._your_model(yours)(noisy[:1]).float()
            psnrs["yours"] = psnr(clean, outputs["yours"])
            shown = (*shown, "yours")
        panels = torch.cat([outputs[name][:1] for name in shown])
        ssims = ssim(clean.expand_as(panels), panels)  # one call for the three panels
        scores = {name: {"psnr": psnrs[name][0].item(), "ssim": ssims[i].item()} for i, name in enumerate(shown)}
        better = winner(scores)
        readings = {}
        if self.classifier is not None:
            batch = torch.cat([clean, *(outputs[name][:1] for name in shown)])
            readings = dict(zip(["clean", *shown], self._read(batch), strict=True))
        curve_data = {}
        if curve:
            if cached is None:
                cached = {"strength": list(CURVE_STRENGTHS), **{name: psnrs[name][1:].tolist() for name in METHODS}}
                self._store_curve(key, cached)
            curve_data = _insert_point(cached, strength, {name: psnrs[name][0].item() for name in METHODS})
        return Comparison(
            clean=clean[0, 0].numpy(),
            noisy=noisy[0, 0].numpy(),
            linear=outputs["linear"][0, 0].numpy(),
            conv=outputs["conv"][0, 0].numpy(),
            scores=scores,
            better=better,
            curve=curve_data,
            readings=readings,
            yours=outputs["yours"][0, 0].numpy() if yours is not None else None,
        )

    def _your_model(self, path: str) -> nn.Module:
        """A live-trained model, loaded once per checkpoint file (the few most recent are kept)."""
        file = Path(path)
        try:
            key = (str(file), file.stat().st_mtime_ns)
            with self._lock:
                if key in self._yours:
                    self._yours.move_to_end(key)
                    return self._yours[key]
            model = load_model_zip(file.read_bytes())
        except (OSError, ValueError, TrainingError, CheckpointError) as error:
            raise ValueError(f"your trained model could not be loaded ({error}); train it again") from None
        with self._lock:
            self._yours[key] = model
            while len(self._yours) > YOUR_MODELS_KEPT:
                self._yours.popitem(last=False)
        return model

    @torch.inference_mode()
    def inspect(self, digit: np.ndarray, kind: str, strength: float, seed: int = 0) -> Inside:
        """The Inside view of `digit` under (kind, strength, seed): the same noisy input as `compare` gives."""
        strength = check_noise(kind, strength)
        clean = torch.as_tensor(np.asarray(digit, dtype=np.float32)).reshape(1, 1, 28, 28)
        noisy = self._corrupt(clean, kind, [strength], seed)
        return look_inside(
            self.linear,
            self.conv,
            noisy,
            clean,
            classifier=self.classifier,
            plain=self.plain,
            run_conv=self._conv_forward,  # the fast forms the comparison uses: the same outputs, in bf16 here
            read=self._read if self.classifier is not None else None,
            pool=self._pool,
        )

    def _read(self, images: torch.Tensor) -> list[tuple[int, float]]:
        """The classifier's readings of [N,1,28,28], in its fast form."""
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            return read_digits(self._classifier_fast, images.contiguous(memory_format=torch.channels_last))

    def _run_conv(self, noisy: torch.Tensor) -> torch.Tensor:
        if self._pool is None or len(noisy) < 2:
            return self._conv_forward(noisy)
        # The conv model is most of an update's work, and torch runs one thread per request (so that two
        # requests share two cores): with a single user one core would sit idle. Chunks on pool threads use it.
        first, *rest = noisy.tensor_split(self.workers)
        futures = [self._pool.submit(self._conv_forward, chunk) for chunk in rest if len(chunk)]
        return torch.cat([self._conv_forward(first), *(future.result() for future in futures)])

    @torch.inference_mode()  # thread-local: the pool's threads need it too
    def _conv_forward(self, noisy: torch.Tensor) -> torch.Tensor:
        noisy = noisy.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            return self._conv_fast(noisy).float().contiguous()

    @staticmethod
    def _corrupt(clean: torch.Tensor, kind: str, strengths: list[float], seed: int) -> torch.Tensor:
        # the same seed at every strength: one noise field, scaled, so a curve over strengths is smooth
        return torch.cat([corrupt(clean, kind, s, generator=torch.Generator().manual_seed(seed)) for s in strengths])

    def _cached_curve(self, key: tuple) -> dict[str, list[float]] | None:
        with self._lock:
            if key in self._curves:
                self._curves.move_to_end(key)
                return self._curves[key]
        return None

    def _store_curve(self, key: tuple, curve: dict[str, list[float]]) -> None:
        with self._lock:
            self._curves[key] = curve
            while len(self._curves) > CURVE_CACHE_SIZE:
                self._curves.popitem(last=False)


def inference_form(model: nn.Module) -> nn.Module:
    """A copy of `model` for fast inference: BatchNorm folded into the convolutions before it, channels_last.

    Same outputs within float rounding (eval mode only). torch.fx does the folding; the original is untouched.
    """
    if not any(isinstance(m, nn.Conv2d) for m in model.modules()):
        return model.eval()
    from torch.fx.experimental.optimization import fuse

    return fuse(model.eval()).to(memory_format=torch.channels_last)


def _insert_point(curve: dict[str, list[float]], strength: float, values: dict[str, float]) -> dict[str, list[float]]:
    """The curve with the current strength's values added in order (replacing a grid point at the same strength)."""
    points = {s: {name: curve[name][i] for name in METHODS} for i, s in enumerate(curve["strength"])}
    points[strength] = values
    order = sorted(points)
    return {"strength": order, **{name: [points[s][name] for s in order] for name in METHODS}}
