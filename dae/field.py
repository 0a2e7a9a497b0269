"""What a denoiser learns, in 2-D: a denoiser of points, its field r(x) − x, and the samplers that follow it.

    points = torch.from_numpy(make_points("moons", 2000))
    model = train_field(points, seconds=10, seed=0)       # a FieldDenoiser, through the one training loop
    arrows = field(model, GRID, sigma=0.1)                # r(x) − x on a grid: [n, 2]
    samples = ode_sample(model, 2000, seed=0).samples     # the probability-flow ODE, Heun steps (EDM)
    better = stochastic_sample(model, 2000, seed=0).samples  # the same, with fresh noise before each step (EDM)
    stuck = langevin(model, 2000, sigma=0.05, seed=0)     # plain Langevin at one noise level

Why it teaches: a denoiser trained at noise level σ learns r(x) ≈ E[clean | x],
and r(x) − x ≈ σ² ∇ log p_σ(x), an arrow up the density of the noisy data
(Tweedie's formula; for DAEs Vincent 2011, Alain and Bengio 2014). In two
dimensions the arrows can be drawn. At a small σ they are right only near the
data; at a large σ they reach everywhere but blur it; so a sampler follows
them while σ shrinks (Song and Ermon 2019; here EDM's probability-flow ODE,
Karras et al. 2022, the sampler the Generate part runs on digits), while
Langevin dynamics at one small σ gets stuck where it starts.

`FieldDenoiser` is the generator's idea on points: an MLP told ln σ, wrapped
in EDM's preconditioning, trained at every σ of a log-normal.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from .generation import karras_sigmas, preconditioning, probability_flow
from .models import Configured

# the noise levels: the data lie in [-1, 1] (their std about 0.5), so σ from 0.005 (finer than any set's own
# spread) to 3 (six times the data's std: pure noise)
SIGMA_MIN, SIGMA_MAX, RHO = 0.005, 3.0, 7.0
P_MEAN, P_STD = -1.5, 1.5  # training draws ln σ ~ N(P_MEAN, P_STD²)
STEPS = 32  # Heun steps of the ODE sampler (63 evaluations)
# EDM's stochastic sampler: churn γ at every level, over 64 steps. After 10 s of training, over 10 sets, 2 trainings
# each and 10 draws, γ 0.2 gave samples 1.48x their floor on average (the ODE 2.15x) and the fewest draws over 2x
# (20%, the ODE 41%), of γ 0.05 to √2 − 1; with 32 steps it was worse than the ODE (docs/experiments.md, 2026-12-06)
CHURN, CHURN_STEPS = 0.2, 64
KEPT = 8  # trajectories kept for the page's animation
SAMPLES = 2000  # points each sampler draws
BATCH = 512  # points a training step: of 128, 256, 512 and 2,048, the best samples from 10 s (docs/experiments.md)
BOX, SIDE = 1.2, 17  # the field is drawn over [-BOX, BOX]², on a SIDE x SIDE grid of arrows
LEVELS = [round(float(v), 5) for v in torch.logspace(math.log10(0.01), math.log10(2.0), 24)]  # the σ slider's stops
GEOMETRY = {"levels": LEVELS, "side": SIDE, "box": BOX, "kept": KEPT}  # what the page needs to draw a snapshot
LANGEVIN_EVERY = 3  # Langevin samples at every third level of LEVELS (8 of 24): the page shows the nearest
FRESH = 4000  # fresh points of a built-in set the page scores the samples against
FLOOR_DRAWS = 4


class FieldDenoiser(Configured):
    """D(x; σ) ≈ the clean point under x = point + σ·n, for points in 2-D, at every σ.

    An MLP of `depth` hidden layers of `width` units (SiLU), told c_noise = ln(σ)/4 through `frequencies` sine
    and cosine features, inside EDM's preconditioning with the data's spread `sigma_data`:
    D(x; σ) = c_skip·x + c_out·F(c_in·x, c_noise).
    """

    def __init__(
        self, *, width: int = 128, depth: int = 3, frequencies: int = 16, features: int = 64, sigma_data: float = 0.5
    ):
        super().__init__()
        self.sigma_data = sigma_data
        # random Fourier features of the position (Tancik et al. 2020): sharp structure from few steps
        positions = torch.randn(2, features, generator=torch.Generator().manual_seed(0)) * 3
        self.register_buffer("positions", positions, persistent=False)
        # frequencies from π to 32π over c_noise = ln(σ)/4, which spans about -1.3 to 0.3
        scales = math.pi * 2.0 ** torch.linspace(0, 5, frequencies)
        self.register_buffer("scales", scales, persistent=False)
        layers: list[nn.Module] = [nn.Linear(2 + 2 * frequencies + 2 * features, width), nn.SiLU()]
        for _ in range(depth - 1):
            layers += [nn.Linear(width, width), nn.SiLU()]
        self.net = nn.Sequential(*layers, nn.Linear(width, 2))

    def raw(self, x: Tensor, sigma: Tensor) -> Tensor:
        """F(c_in·x, c_noise): the network inside the preconditioning."""
        angles = (sigma.log() / 4)[:, None] * self.scales[None, :]
        where = x @ self.positions
        return self.net(torch.cat([x, angles.sin(), angles.cos(), where.sin(), where.cos()], 1))

    def forward(self, x: Tensor, sigma: Tensor) -> Tensor:
        """The clean estimate for points x [N, 2] at noise levels sigma [N]."""
        c_skip, c_out, c_in = preconditioning(sigma[:, None], self.sigma_data)
        return c_skip * x + c_out * self.raw(c_in * x, sigma)

    def diffusion_loss(self, clean: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """EDM's loss: each point gets a σ from the log-normal; the squared error of F against its unit-variance
        target, which weighs every σ alike."""
        n = clean.shape[0]
        sigma = (torch.randn(n, generator=generator) * P_STD + P_MEAN).exp().to(clean.device)
        noisy = clean + sigma[:, None] * torch.randn(clean.shape, generator=generator).to(clean.device)
        c_skip, c_out, c_in = preconditioning(sigma[:, None], self.sigma_data)
        target = (clean - c_skip * noisy) / c_out
        return (self.raw(c_in * noisy, sigma) - target).pow(2).mean()


@dataclass
class Points:
    """The field's task for `dae.training.fit`: the model's own diffusion loss on a batch of points; scored by
    that loss on the held-out points with fixed noise (lower is better)."""

    def loss(self, model: nn.Module, batch: tuple[Tensor, ...], generator: torch.Generator, where) -> Tensor:
        with where.autocast():
            return model.diffusion_loss(batch[0].to(where.device), generator).float()

    def validation(self, val: tuple[Tensor, ...], seed: int) -> tuple[Tensor, torch.Generator]:
        return val[0], torch.Generator().manual_seed(seed + 1)

    def score(self, model: nn.Module, fixed: tuple[Tensor, torch.Generator], where) -> dict:
        points, generator = fixed
        state = generator.get_state()
        with torch.no_grad():
            loss = model.diffusion_loss(points.to(where.device), generator).item()
        generator.set_state(state)  # the same noise every epoch
        return {"val_loss": loss}

    def describe(self) -> dict:
        return {"task": "points", "p_mean": P_MEAN, "p_std": P_STD}


@dataclass
class Samples:
    samples: Tensor  # [n, 2]
    paths: Tensor  # [steps + 1, KEPT, 2]: the first samples' way from noise to data


@torch.no_grad()
def ode_sample(model: FieldDenoiser, n: int = 2000, steps: int = STEPS, seed: int = 0, churn: float = 0.0) -> Samples:
    """n points by EDM's sampler, the generator's (dae.generation.probability_flow), over `steps` levels from
    Gaussian noise of std SIGMA_MAX: the deterministic probability-flow ODE, or with `churn` > 0 the stochastic
    sampler, which adds fresh noise before every step."""
    model.eval()
    levels = karras_sigmas(steps, SIGMA_MIN, SIGMA_MAX, RHO)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=generator) * levels[0]
    paths = [x[:KEPT].clone()]
    x = probability_flow(model, x, levels, lambda state, _: paths.append(state[:KEPT].clone()), churn, generator)
    return Samples(x, torch.stack(paths))


def stochastic_sample(model: FieldDenoiser, n: int = 2000, seed: int = 0) -> Samples:
    """n points by EDM's stochastic sampler (Karras et al. 2022, Algorithm 2) at CHURN over CHURN_STEPS levels:
    what the API's /field returns."""
    return ode_sample(model, n, CHURN_STEPS, seed, churn=CHURN)


@torch.no_grad()
def langevin(model: FieldDenoiser, n: int = 2000, sigma: float = 0.05, steps: int = 100, seed: int = 0) -> Tensor:
    """n points by plain Langevin dynamics at one noise level σ, from points spread evenly over [-1, 1]²:
    x ← x + (ε/2)·s(x) + √ε·z, with the score s(x) = (D(x; σ) − x)/σ² and ε = σ²/2 (Song and Ermon 2019 anneal
    σ instead; at one small σ the chain stays near where it starts, and modes keep their starting shares)."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=generator) * 2 - 1
    level = torch.full((n,), sigma)
    step = sigma**2 / 2
    for _ in range(steps):
        score = (model(x, level) - x) / sigma**2
        x = x + step / 2 * score + math.sqrt(step) * torch.randn(n, 2, generator=generator)
    return x


@torch.no_grad()
def field(model: FieldDenoiser, grid: Tensor, sigma: float) -> Tensor:
    """r(x) − x at the points `grid` [n, 2] for noise level σ: where the denoiser moves each point."""
    model.eval()
    return model(grid, torch.full((len(grid),), sigma)) - grid


def train_field(
    points: Tensor,
    seconds: float | None = 10.0,
    seed: int = 0,
    progress=None,
    model: FieldDenoiser | None = None,
    **options,
) -> tuple[FieldDenoiser, dict]:
    """A FieldDenoiser trained on `points` [n, 2] for `seconds` through the one training loop (`dae.training.fit`),
    with a moving average of its weights; (the model, fit's run). model: one to train (by default a new one, with
    the points' spread as its sigma_data); options: fit's (batch_size, lr, ema, epochs: with seconds None, the same
    training on any machine, ...)."""
    from .training import fit

    torch.manual_seed(seed)
    model = model or FieldDenoiser(sigma_data=float(points.std()))
    settings = {"batch_size": BATCH, "lr": 3e-3, "ema": 0.995, "weight_decay": 0.0, "epochs": 1_000_000} | options
    run = fit(model, Points(), points, points[:512], out=None, seconds=seconds, seed=seed, bf16=False,
              progress=progress, **settings)  # fmt: skip
    return model, run


GRID = torch.stack(torch.meshgrid(*[torch.linspace(-BOX, BOX, SIDE)] * 2, indexing="xy"), -1).reshape(-1, 2)


def arrows(model: FieldDenoiser) -> str:
    """r(x) − x over GRID at every σ of LEVELS, packed for the page (dae.points.pack): [levels, SIDE², 2]."""
    from .points import pack

    return pack(torch.stack([field(model, GRID, sigma) for sigma in LEVELS]).numpy())


def run_field(request, should_stop=lambda: False, every: float = 0.5):
    """A FieldRequest's training (dae.points): yield ("progress", snapshot) at most every `every` s while it trains
    (the loss curve and the field at every level of LEVELS), then ("done", result) with the samples of both
    samplers, a few ODE trajectories and the metrics (see `result`)."""
    from .live import on_a_thread

    def work(send) -> None:  # on a thread of its own, as in dae.live: this generator only hands updates on
        points = torch.tensor(request.points, dtype=torch.float32)
        model = FieldDenoiser(sigma_data=float(points.std()))
        curve, last = [], [0.0]

        def progress(info: dict) -> bool:
            if "val_loss" in info:
                curve.append([round(info["seconds"], 2), round(info["val_loss"], 5)])
                if time.perf_counter() - last[0] >= every:
                    last[0] = time.perf_counter()
                    send(("progress", {**info, **GEOMETRY, "curve": list(curve), "field": arrows(model)}))
            return should_stop()

        model, run = train_field(points, request.seconds, request.seed, progress, model=model)
        send(("done", result(model, points, request, run, curve)))

    yield from on_a_thread(work, "field")


def result(model: FieldDenoiser, points: Tensor, request, run: dict, curve: list) -> dict:
    """What a finished field training gives the page and the API: the field, the samples of the three samplers
    (EDM's stochastic one and the ODE, 2,000 each, and Langevin's at every LANGEVIN_EVERY-th level), the first ODE
    trajectories, and the metrics. The API's samples are the stochastic sampler's."""
    from .points import energy_distance, heavy_share, pack

    edm = stochastic_sample(model, SAMPLES, seed=request.seed).samples.numpy()
    ode = ode_sample(model, SAMPLES, seed=request.seed)
    ode_points = ode.samples.numpy()
    chains = {i: langevin(model, SAMPLES, LEVELS[i], seed=request.seed) for i in range(0, len(LEVELS), LANGEVIN_EVERY)}
    data = points.numpy()
    fresh, within, floor = _scored_against(request, data)
    metrics = {
        "seconds": round(run["seconds"], 2),
        "steps": run["steps"],
        "energy_distance": energy_distance(edm, fresh, within),
        "ode_energy_distance": energy_distance(ode_points, fresh, within),
        "floor": floor,
        "langevin_energy_distance": {
            str(LEVELS[i]): energy_distance(c.numpy(), fresh, within) for i, c in chains.items()
        },
        "points": len(points),
        "scored_against": "fresh points of the set" if request.set_name else "the given points",
    }
    if request.set_name == "gaussians":
        metrics.update(heavy_share_samples=heavy_share(edm), heavy_share_ode=heavy_share(ode_points),
                       heavy_share_data=heavy_share(data))  # fmt: skip
    return {
        **GEOMETRY,
        "curve": curve,
        "field": arrows(model),
        "edm": pack(edm),
        "ode": pack(ode_points),
        "paths": pack(ode.paths.numpy()),
        "langevin": {str(i): pack(c.numpy()) for i, c in chains.items()},
        "metrics": metrics,
        "samples": edm,  # for the API's .npz; the page does not get these two
        "ode_samples": ode_points,
    }


def _scored_against(request, data: np.ndarray) -> tuple[np.ndarray, float, float]:
    """What the samples are scored against: (the points, their mean distance within, the floor). The floor is the
    same distance for SAMPLES points of the data itself, a mean over FLOOR_DRAWS draws (one draw alone varies by
    half its size)."""
    from .points import energy_distance, make_points, mean_distance

    if request.set_name:  # fresh points of the same set
        fresh = make_points(request.set_name, FRESH, seed=request.seed + 1)
        draws = [make_points(request.set_name, SAMPLES, seed=request.seed + 2 + k) for k in range(FLOOR_DRAWS)]
    else:  # the visitor's own points: the samples against them, the floor from resamples of them
        fresh, rng = data, np.random.default_rng(request.seed)
        draws = [data[rng.integers(len(data), size=SAMPLES)] for _ in range(FLOOR_DRAWS)]
    within = mean_distance(fresh, fresh)
    return fresh, within, float(np.mean([energy_distance(draw, fresh, within) for draw in draws]))
