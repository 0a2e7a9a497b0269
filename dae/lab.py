"""One comparison, start to finish: corrupt a digit, run the autoencoders, score everything.

    lab = DenoisingLab.from_checkpoints("checkpoints")
    result = lab.compare(to_mnist(image), "gaussian", 0.5, seed=0)
    result.scores["conv"]["psnr"], result.better, result.curve

This is what the app (and its API) runs on every update; it lives here so
scripts and notebooks get exactly the same numbers.
"""

from __future__ import annotations

import copy
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .baselines import median_filter
from .checkpoint import CheckpointError, load_model
from .comparison import DENOISERS, METHODS, Comparison, to_uint8, winner
from .generation import blind_chain, sample
from .inside import INTERPOLATED, CodeMapView, Inside, look_inside, readings_of
from .live import TrainingError, load_model_zip
from .metrics import psnr, ssim
from .noise import check_noise, corrupt
from .novelty import DRAWS, Novelty, load_models, measure
from .probe import CodeMap, interpolate, load_maps
from .samples import DEFAULT_STEPS, Generation, check_generation
from .training import bf16_available

CURVE_STRENGTHS = (0.1, 0.4, 0.7, 1.0)  # plus the current strength: five images, one batch per model
YOUR_MODELS_KEPT = 8  # live-trained models kept loaded, most recently used first
CURVE_CACHE_SIZE = 256  # curves kept, one per (digit, kind, seed): moving the slider reuses them
RECENT_OUTPUTS = 16  # the latest comparisons' reconstructions: the Inside view that follows continues from them


class Recent:
    """A thread-safe dict that keeps the `size` most recently used entries."""

    def __init__(self, size: int):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class DenoisingLab:
    """The shipped models, ready to compare on single digits, and to look inside (`inspect`).

    unet: the U-Net DAE, a third panel beside the linear and conv ones (optional);
    classifier: reads each panel's digit (optional); plain: the plain autoencoder the Inside view shows
    beside the linear DAE (optional); generator: the DigitGenerator that `generate` runs (optional); novelty: the
    fitted score that says when an input is not a digit (dae.novelty; optional), with novelty_models, the score's DAE
    and its classifiers (dae.novelty.load_models); code_maps:
    "pixels", "linear", "plain", "conv", "unet" -> the maps of their codes and their probes (dae.probe; optional).
    workers: 2 runs the longest model, the U-Net (else the conv), and the reading of its output on a second
    thread while the calling thread runs the rest; 1 runs everything on the calling thread. fused: run the
    conv models and the classifier as `fused_form`s (TorchScript with oneDNN Graph fusion), about twice as
    fast here.
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
        fused: bool = True,
        generator: nn.Module | None = None,
        unet: nn.Module | None = None,
        novelty: Novelty | None = None,
        novelty_models: tuple[nn.Module, list[nn.Module]] | None = None,
        code_maps: dict[str, CodeMap] | None = None,
    ):
        # On CPUs with native bfloat16 the models run in bf16 (and the conv models with channels_last) where that is
        # faster (docs/serving.md); their outputs move by less than 0.01. The linear model's weights in bf16 are
        # half the memory to read: 0.5 ms less per update, its outputs within 0.005 of float32's.
        self.bf16 = bf16_available() if bf16 is None else bf16
        self._dtype = torch.bfloat16 if self.bf16 else torch.float32  # of the fast forms' weights and inputs
        self.linear = linear.eval()  # as trained: the Inside view and the blind chain run it
        self.classifier = classifier.eval() if classifier is not None else None  # reads the panels' digits
        # the fast forms: BatchNorm folded into the convs, channels_last, bf16 where native, and fused (fused_form);
        # each is warmed up at the batch sizes it gets: compare's and inspect's
        form = fused_form if fused else lambda model, dtype, batches: inference_form(model, dtype=dtype)
        fast = partial(form, dtype=self._dtype)
        self._classifier_fast = fast(classifier, batches=(1, 3, 4, 7)) if classifier is not None else None
        self.plain = plain.eval() if plain is not None else None  # the linear architecture trained without noise
        self.generator = generator.eval() if generator is not None else None  # draws digits (dae.generation)
        self._linear_fast = fast(linear, batches=(1, 1 + len(CURVE_STRENGTHS)))
        self.conv = conv.eval()  # as trained: the Inside view reads its layers
        self._conv_fast = fast(conv, batches=(1, 1 + len(CURVE_STRENGTHS)))
        self._conv_encoder_fast = fast(conv.encoder, batches=(1,))  # its code, for inspect
        self.unet = unet.eval() if unet is not None else None  # as trained: inspect zeroes its skips
        self._unet_fast = fast(unet, batches=(1, 1 + len(CURVE_STRENGTHS))) if unet is not None else None
        # torch runs one thread per request (so that two requests share two cores); with a single visitor the
        # second core would sit idle, so the longest model (`_pooled`) runs there meanwhile
        self.workers = min(max(1, workers), 2)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="second") if self.workers > 1 else None
        self._pooled = "unet" if unet is not None else "conv"  # the longest forward pass: the one on the pool
        self._curves = Recent(CURVE_CACHE_SIZE)  # (digit, kind, seed) -> the curve's points
        self._yours = Recent(YOUR_MODELS_KEPT)  # (checkpoint path, mtime) -> the visitor's model
        self._outputs = Recent(RECENT_OUTPUTS)  # (digit, kind, strength, seed) -> {model: its reconstruction}
        self.novelty = novelty if novelty_models is not None else None
        if novelty_models is not None:  # measured on every new drawing: in their fast forms, 3.7 ms here, eager 6.1
            denoiser, classifiers = novelty_models
            fast_classifiers = [self._fed(fast(one, batches=(1,))) for one in classifiers]
            self._novelty_models = (self._fed(fast(denoiser, batches=(DRAWS,))), fast_classifiers)
        self._measured = Recent(CURVE_CACHE_SIZE)  # digit -> (the distance the DAE moves it, the energy): dae.novelty
        self.code_maps = code_maps or {}
        # whose codes the interpolations decode: None is the line in pixels
        self._coders = {"pixels": None, "linear": linear, "conv": conv, "unet": self.unet}
        # the maps' encoders: the fast forms where there are some; the U-Net's bottleneck alone with its BatchNorms
        # folded (2.4 ms an image here, 3.2 as trained; fused, 1.6 ms but 0.8 s more at start: docs/serving.md)
        self._encoders = {"pixels": lambda x: x, "linear": self.linear.encode, "conv": self._conv_encode}
        if plain is not None:
            self._encoders["plain"] = self.plain.encode
        if unet is not None:
            bottleneck = inference_form(_Bottleneck(self.unet), dtype=self._dtype)
            self._encoders["unet"] = lambda x: bottleneck(self._fast_input(x)).float()
        self._placed = Recent(CURVE_CACHE_SIZE)  # digit -> its clean code's place on each map
        # each map's digits as the page draws them: 5 KB each in every Inside view, where float32 and int64 took 16
        self._clouds = {
            name: (one.points.astype(np.float16), one.labels.astype(np.uint8)) for name, one in self.code_maps.items()
        }
        self._walks = Recent(RECENT_OUTPUTS)  # (digit, other digit, models) -> the paths between them

    @classmethod
    def from_checkpoints(cls, folder: str | Path = "checkpoints") -> DenoisingLab:
        folder = Path(folder)
        names = ("linear", "conv", "classifier", "linear_plain", "generator", "unet")
        models = {name: load_model(folder / name) for name in names}
        scored = (folder / "novelty.json").exists() and (folder / "novelty").is_dir()
        novelty = Novelty.load(folder / "novelty.json") if scored else None
        code_maps = load_maps(folder / "code_maps.npz") if (folder / "code_maps.npz").exists() else None
        return cls(
            models["linear"],
            models["conv"],
            classifier=models["classifier"],
            plain=models["linear_plain"],
            generator=models["generator"],
            unet=models["unet"],
            novelty=novelty,
            novelty_models=load_models(folder / "novelty") if scored else None,
            code_maps=code_maps,
        )

    @torch.inference_mode()
    def generate(self, model: str, n: int = 16, steps: int | None = None, seed: int = 0, *, yours: str | None = None):
        """n digits of `model`'s own (see dae.generation): "generator" runs the generator's sampler, "conv", "linear"
        and "yours" (the path of a live-trained checkpoint zip) the blind chain. A `Generation` of numpy arrays."""
        steps = DEFAULT_STEPS.get(model, 1) if steps is None else steps
        model, n, steps, seed = check_generation(model, n, steps, seed)
        started = time.perf_counter()
        if model == "generator":
            if self.generator is None:
                raise ValueError("this lab has no generator; train one with: python scripts/train.py --model generator")
            chain = sample(self.generator, n, steps, seed)
        else:
            if model == "yours" and yours is None:
                raise ValueError("there is no model of yours yet: train one first (Train your own autoencoder)")
            denoiser = {"conv": self._conv_forward, "linear": self.linear}.get(model) or self._your_model(yours)
            chain = blind_chain(denoiser, n, steps, seed)
        seconds = time.perf_counter() - started
        return Generation(
            model=model,
            images=to_uint8(chain.images[:, 0].float().numpy()),
            chain=to_uint8(chain.states[:, :, 0].float().numpy()),
            levels=chain.levels,
            seconds=seconds,
            readings=self._read(chain.images.float()),
            digits=[] if chain.digits is None else chain.digits.tolist(),
        )

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
        """Corrupt `digit` with (kind, strength, seed), denoise it with each model, score it.

        With curve=True, also the PSNR of the noisy input, each model and a 3x3
        median filter at every strength of CURVE_STRENGTHS plus the current one.
        Every strength uses the same seed, so the curve is one noise draw, scaled.
        yours: the path of a checkpoint zip from live training (`dae.live`): that model's
        reconstruction and scores join the result as "yours".
        """
        strength = check_noise(kind, strength)
        clean = torch.as_tensor(np.asarray(digit, dtype=np.float32)).reshape(1, 1, 28, 28)
        digit_key = clean.numpy().tobytes()
        key = (digit_key, kind, seed)
        cached = self._curves.get(key) if curve else None
        # A new curve rides along in the same batch as the current strength: one forward pass per model.
        strengths = [strength, *CURVE_STRENGTHS] if curve and cached is None else [strength]
        noisy = self._corrupt(clean, kind, strengths, seed)
        outputs, shown, readings = self._denoise_and_read(clean, noisy, yours, median=curve)
        # the Inside view, computed next for the same input when open, starts from these
        kept = {name: outputs[name][:1].clone() for name in DENOISERS if name in outputs}
        self._outputs.put((digit_key, kind, strength, seed), kept)
        psnrs = {name: psnr(clean.expand_as(out), out) for name, out in outputs.items()}
        panels = torch.cat([outputs[name][:1] for name in shown])
        ssims = ssim(clean.expand_as(panels), panels)  # one call for all panels
        scores = {name: {"psnr": psnrs[name][0].item(), "ssim": ssims[i].item()} for i, name in enumerate(shown)}
        better = winner(scores)
        curve_data = {}
        if curve:
            methods = [name for name in METHODS if name in psnrs]
            if cached is None:
                cached = {"strength": list(CURVE_STRENGTHS), **{name: psnrs[name][1:].tolist() for name in methods}}
                self._curves.put(key, cached)
            curve_data = _insert_point(cached, strength, {name: psnrs[name][0].item() for name in methods})
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
            unet=outputs["unet"][0, 0].numpy() if "unet" in outputs else None,
            novelty=self._novelty(clean, digit_key),
        )

    def _novelty(self, clean: torch.Tensor, key: bytes) -> dict | None:
        """The novelty reading of the clean input (dae.novelty), measured once per digit: moving a slider does not
        measure it again."""
        if self.novelty is None:
            return None
        measured = self._measured.get(key)
        if measured is None:
            moved, doubt = measure(*self._novelty_models, clean)
            measured = (float(moved[0]), float(doubt[0]))
            self._measured.put(key, measured)
        return self.novelty.reading(*measured)

    def _denoise_and_read(self, clean, noisy, yours: str | None, median: bool) -> tuple[dict, tuple, dict]:
        """Every model's output for `noisy` (and the median filter's, with `median`), the names of the panels in
        their order, and the classifier's reading of the clean digit and of each panel's first image."""
        # the models' forward passes, by name; the longest (the U-Net when there is one) runs on the pool's thread,
        # with the reading of its output, while this thread runs the others
        runs = {"linear": self._linear_forward, "conv": self._conv_forward}
        if self.unet is not None:
            runs["unet"] = self._unet_forward
        away = self._pooled if self._pool is not None else None
        pooled = self._pool.submit(self._run_and_read, runs[away], noisy) if away else None
        outputs = {"noisy": noisy, **{name: run(noisy) for name, run in runs.items() if name != away}}
        if median:
            outputs["median"] = median_filter(noisy)
        shown = ("noisy", *runs)
        if yours is not None:
            outputs["yours"] = self._your_model(yours)(noisy[:1]).float()
            shown = (*shown, "yours")
        readings = {}
        if self.classifier is not None:
            first = ["clean", *(name for name in shown if name != away)]
            batch = torch.cat([clean, *(outputs[name][:1] for name in first[1:])])
            logits = self._logits(batch)
            readings = dict(zip(first, readings_of(logits), strict=True))
        if pooled is not None:
            outputs[away], away_reading = pooled.result()
            if away_reading is not None:
                readings[away] = away_reading
                readings = {name: readings[name] for name in ["clean", *shown]}  # in the panels' order
        return outputs, shown, readings

    def _your_model(self, path: str) -> nn.Module:
        """A live-trained model, loaded once per checkpoint file (the few most recent are kept)."""
        file = Path(path)
        try:
            key = (str(file), file.stat().st_mtime_ns)
            model = self._yours.get(key)
            if model is not None:
                return model
            model = load_model_zip(file.read_bytes())
        except (OSError, ValueError, TrainingError, CheckpointError) as error:
            raise ValueError(f"your trained model could not be loaded ({error}); train it again") from None
        self._yours.put(key, model)
        return model

    @torch.inference_mode()
    def inspect(self, digit: np.ndarray, kind: str, strength: float, seed: int = 0) -> Inside:
        """The Inside view of `digit` under (kind, strength, seed): the same noisy input as `compare` gives."""
        strength = check_noise(kind, strength)
        clean = torch.as_tensor(np.asarray(digit, dtype=np.float32)).reshape(1, 1, 28, 28)
        noisy = self._corrupt(clean, kind, [strength], seed)
        done = self._outputs.get((clean.numpy().tobytes(), kind, strength, seed))
        inside = look_inside(
            self.linear,
            self.conv,
            noisy,
            clean,
            classifier=self.classifier,
            plain=self.plain,
            unet=self.unet,
            # the fast forms the comparison uses: the same outputs, in bf16 here
            run_conv=self._conv_forward,
            run_unet=self._unet_forward if self.unet is not None else None,
            encode_conv=self._conv_encode,
            read=self._read if self.classifier is not None else None,
            pool=self._pool,
            first=done,  # the models' outputs, when the comparison of this input is recent: not computed again
        )
        inside.code_maps = self._place_on_maps(clean, noisy)
        return inside

    def _place_on_maps(self, clean: torch.Tensor, noisy: torch.Tensor) -> dict[str, CodeMapView]:
        """The clean digit and its noisy version on each model's map of codes (dae.probe). The clean digit's places
        are kept per digit, so a new noise costs the noisy codes only."""
        key = clean.numpy().tobytes()
        if (at_clean := self._placed.get(key)) is None:
            at_clean = self._places(clean)
            self._placed.put(key, at_clean)
        at_noisy = self._places(noisy)
        return {
            name: CodeMapView(*self._clouds[name], at_clean[name][0], at_noisy[name][0],
                              (at_clean[name][1], at_noisy[name][1]), one.accuracy)
            for name, one in self.code_maps.items() if name in at_noisy
        }  # fmt: skip

    def _places(self, image: torch.Tensor) -> dict[str, tuple[tuple[float, float], int]]:
        """Where the code of `image` [1,1,28,28] lies on each model's map, and its probe's class for it."""
        places = {}
        for name, one in self.code_maps.items():
            if self._encoders.get(name) is not None:
                code = self._encoders[name](image).flatten(1).float()
                places[name] = (tuple(one.place(code)[0]), int(one.probe.predict(code)[0]))
        return places

    def _can_code(self, name: str) -> bool:
        """Whether this lab has `name`'s codes: "pixels" always, a model when it was given one."""
        return name == "pixels" or self._coders.get(name) is not None

    @torch.inference_mode()
    def interpolate(self, a: np.ndarray, b: np.ndarray, models: tuple[str, ...] = INTERPOLATED) -> dict:
        """The straight line from digit `a` to digit `b` (each [28, 28] in [0, 1]) in each of `models`' codes and
        in pixels ("pixels"), decoded (dae.probe.interpolate): name -> (uint8 frames [FRAMES, 28, 28], readings)."""
        unknown = [name for name in models if name not in INTERPOLATED]
        if unknown:
            raise ValueError(f"cannot interpolate in {unknown[0]!r}; valid models: {', '.join(INTERPOLATED)}")
        a, b = (np.asarray(x, dtype=np.float32).reshape(1, 1, 28, 28) for x in (a, b))
        key = (a.tobytes(), b.tobytes(), tuple(models))
        if (walked := self._walks.get(key)) is not None:  # the same two digits: a new noise does not change it
            return walked
        a, b = torch.from_numpy(a), torch.from_numpy(b)
        shown = [name for name in models if self._can_code(name)]
        # the U-Net's path, the longest, on the second thread when there is one
        pooled = self._pool.submit(interpolate, self.unet, a, b) if self._pool and "unet" in shown else None
        frames = {name: pooled.result() if name == "unet" and pooled else interpolate(self._coders[name], a, b)
                  for name in shown}  # fmt: skip
        readings = self._read(torch.cat(list(frames.values()))) if frames else []
        walked = {name: (to_uint8(x[:, 0].numpy()), readings[i * len(x) : (i + 1) * len(x)])
                  for i, (name, x) in enumerate(frames.items())}  # fmt: skip
        self._walks.put(key, walked)
        return walked

    def _read(self, images: torch.Tensor) -> list[tuple[int, float]]:
        """The classifier's readings of [N,1,28,28], in its fast form (none without a classifier)."""
        if self._classifier_fast is None:
            return []
        return readings_of(self._logits(images))

    def _logits(self, images: torch.Tensor) -> torch.Tensor:
        """The classifier's calibrated logits of [N,1,28,28], in its fast form."""
        return self._classifier_fast(self._fast_input(images))

    @torch.inference_mode()  # thread-local: the pool's thread needs it too
    def _run_and_read(self, run, noisy: torch.Tensor) -> tuple[torch.Tensor, tuple[int, float] | None]:
        """A model's outputs for `noisy` (run: its forward pass), and the classifier's reading of the first (None
        without a classifier)."""
        out = run(noisy)
        return out, next(iter(self._read(out[:1])), None)

    @torch.inference_mode()  # thread-local: the pool's threads need it too
    def _conv_forward(self, noisy: torch.Tensor) -> torch.Tensor:
        return self._conv_fast(self._fast_input(noisy)).float().contiguous()

    def _linear_forward(self, noisy: torch.Tensor) -> torch.Tensor:
        return self._linear_fast(self._fast_input(noisy)).float().contiguous()

    def _unet_forward(self, noisy: torch.Tensor) -> torch.Tensor:
        return self._unet_fast(self._fast_input(noisy)).float().contiguous()

    def _conv_encode(self, noisy: torch.Tensor) -> torch.Tensor:
        return self._conv_encoder_fast(self._fast_input(noisy)).float().contiguous()

    def _fast_input(self, images: torch.Tensor) -> torch.Tensor:
        return images.to(self._dtype).contiguous(memory_format=torch.channels_last)

    def _fed(self, form: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
        """A fast form called as its model is: float32 images [N,1,28,28] in, float32 out."""
        return lambda images: form(self._fast_input(images)).float()

    @staticmethod
    def _corrupt(clean: torch.Tensor, kind: str, strengths: list[float], seed: int) -> torch.Tensor:
        # the same seed at every strength: one noise field, scaled, so a curve over strengths is smooth
        return torch.cat([corrupt(clean, kind, s, generator=torch.Generator().manual_seed(seed)) for s in strengths])


class _Bottleneck(nn.Module):
    """A U-Net's encoder alone, as a module to trace: its forward is `unet.encode`."""

    def __init__(self, unet: nn.Module):
        super().__init__()
        self.unet = unet

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.unet.encode(x)


def inference_form(model: nn.Module, *, dtype: torch.dtype = torch.float32) -> nn.Module:
    """A copy of `model` for fast inference: BatchNorm folded into the convolutions before it, channels_last.

    Same outputs within float rounding (eval mode only). torch.fx does the folding; the original is untouched.
    dtype=torch.bfloat16 stores the weights in bf16, to be fed bf16 inputs: the same outputs as bf16 autocast
    (identical here), without casting every weight on every call (0.2 to 0.4 ms less per call at batch 1 to 5).
    """
    if not any(isinstance(m, nn.Conv2d) for m in model.modules()):
        return copy.deepcopy(model).eval().to(dtype)  # nothing to fold: the weights in `dtype`
    from torch.fx.experimental.optimization import fuse

    return fuse(model.eval()).to(dtype=dtype, memory_format=torch.channels_last)


# the largest difference from the eager form a fused model may show on its warm-up inputs, as a share of the
# outputs' largest magnitude (bf16 rounding here: 0.01 for the conv DAE's outputs, 0.008 for its code)
FUSED_TOLERANCE = 0.05


def fused_form(model: nn.Module, *, dtype: torch.dtype = torch.float32, batches: tuple[int, ...] = (1,)) -> nn.Module:
    """`inference_form(model, dtype=dtype)`, traced and frozen by TorchScript with oneDNN Graph fusion.

    Each convolution runs as one kernel with the activation and the residual addition after it: about twice
    as fast at batch 1 to 5 here (docs/serving.md), outputs within bf16 rounding of the eager form. It is
    warmed up at each of `batches` [N, 1, 28, 28] (the first two calls at a new batch size compile it, 20 to
    100 ms), and checked there against the eager form. Where this torch has no TorchScript, or the fused
    outputs differ by more than FUSED_TOLERANCE of their scale, the eager inference form is returned.
    Sets two process-wide TorchScript options: oneDNN fusion on, and 8 static shapes per graph.
    """
    form = inference_form(model, dtype=dtype)
    generator = torch.Generator().manual_seed(0)
    examples = [
        torch.rand(n, 1, 28, 28, generator=generator).to(dtype).contiguous(memory_format=torch.channels_last)
        for n in batches
    ]
    try:
        with warnings.catch_warnings(), torch.no_grad():
            # TorchScript is deprecated (torch 2.14 warns on every call here) but works; the fallback is below
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.jit.enable_onednn_fusion(True)
            torch.jit.set_fusion_strategy([("STATIC", 8)])  # oneDNN Graph fuses static shapes only
            scripted = torch.jit.freeze(torch.jit.trace(form, examples[0]))
            for example in examples:
                for _ in range(3):  # profile, compile, run: the last call runs the fused graph
                    fused = scripted(example)
                eager = form(example).float()
                if (fused.float() - eager).abs().max() > FUSED_TOLERANCE * max(1.0, eager.abs().max().item()):
                    return form  # a fusion that changes the answers is no speed-up
        return scripted
    except Exception:  # noqa: BLE001 - any failure here leaves the eager form, which gives the same outputs
        return form


def _insert_point(curve: dict[str, list[float]], strength: float, values: dict[str, float]) -> dict[str, list[float]]:
    """The curve with the current strength's values added in order (replacing a grid point at the same strength)."""
    points = {s: {name: curve[name][i] for name in values} for i, s in enumerate(curve["strength"])}
    points[strength] = values
    order = sorted(points)
    return {"strength": order, **{name: [points[s][name] for s in order] for name in values}}
