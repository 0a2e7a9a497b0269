"""Denoising becomes generation: a denoiser run as a chain from pure noise draws digits of its own.

    generator = load_model("checkpoints/generator")        # a DigitGenerator, told the digit to draw
    chain = sample(generator, n=16, steps=10, seed=0)      # chain.images: [16, 1, 28, 28] in [0, 1]; chain.digits
    chain = sample(generator, n=3, digits=torch.tensor([7, 7, 7]))                  # three 7s
    chain = blind_chain(load_model("checkpoints/conv"), n=16, steps=100, seed=0)   # the blind DAE's own chain

Why a denoiser can generate: a DAE trained at noise level σ learns r(x̃) ≈ E[x | x̃],
and r(x̃) − x̃ ≈ σ² ∇ log p(x̃): it points up the density of the data (Vincent 2011;
Alain and Bengio 2014). Start from noise and step along it while the noise
shrinks, and the chain ends on a digit. `DigitGenerator` is told σ and trained at
every σ (a tiny diffusion model, Karras et al. 2022, "EDM"), and told which digit
to draw; `sample` runs its deterministic sampler with classifier-free guidance.
A blind DAE is not told σ: `blind_chain` corrupts and denoises in turn with the
corruption annealed to zero (Bengio et al. 2013).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .metrics import frechet_distance
from .models import Configured, UNet
from .noise import corrupt
from .samples import CHAIN_SAMPLES, CONFIDENT, DEFAULT_STEPS

# EDM's constants (Karras et al. 2022, table 1), for data scaled to [-1, 1]
SIGMA_DATA = 0.5
SIGMA_MIN, SIGMA_MAX, RHO = 0.002, 80.0, 7.0
P_MEAN, P_STD = -1.2, 1.2  # training draws ln σ ~ N(P_MEAN, P_STD²)
# classifier-free guidance's weight: 1.25 made 97% of 500 samples readable against 93% at 1, at a Fréchet distance
# of 140 against 134; 2 made 99% but the digits alike (282) (docs/experiments.md, 2026-12-05)
GUIDANCE = 1.25
BLIND_KIND = "salt_and_pepper"  # the blind chain's corruption, annealed from 1 to 0


def preconditioning(s: Tensor, sigma_data: float = SIGMA_DATA) -> tuple[Tensor, Tensor, Tensor]:
    """EDM's c_skip, c_out and c_in at noise levels `s` for data of spread `sigma_data` (Karras et al. 2022,
    table 1). The 2-D field's denoiser uses them too (dae.field)."""
    c_skip = sigma_data**2 / (s**2 + sigma_data**2)
    c_out = s * sigma_data / (s**2 + sigma_data**2).sqrt()
    c_in = 1 / (s**2 + sigma_data**2).sqrt()
    return c_skip, c_out, c_in


class DigitGenerator(Configured):
    """A denoiser told the noise level: D(x; σ) ≈ the clean digit under x = digit + σ·n, at every σ.

    A `UNet` with a noise-level embedding, wrapped in EDM's preconditioning (Karras et al. 2022, section 5):
    D(x; σ) = c_skip(σ)·x + c_out(σ)·F(c_in(σ)·x; ln(σ)/4), so the network's input and target have unit
    variance at every σ. Works on digits scaled to [-1, 1]; `sample` returns them in [0, 1].

    classes: 10 to be told which digit too (0: never told). In training the label is dropped (replaced by "no
    class") for a share `label_dropout` of the digits, so the one network learns both D(x; σ, digit) and
    D(x; σ), which classifier-free guidance combines (Ho and Salimans 2022; see `sample`).
    """

    def __init__(
        self,
        *,
        channels: tuple[int, ...] = (32, 64, 96),
        blocks: int = 1,
        noise_embedding: int = 64,
        classes: int = 0,
        label_dropout: float = 0.1,
    ):
        super().__init__()
        self.classes, self.label_dropout = classes, label_dropout
        self.net = UNet(channels=channels, blocks=blocks, noise_embedding=noise_embedding, classes=classes)

    def forward(self, x: Tensor, sigma: Tensor, labels: Tensor | None = None) -> Tensor:
        """The estimate of the clean digit, [N,1,28,28] in [-1, 1] space, from x at noise levels `sigma` ([N]),
        told the digits `labels` ([N]; `classes` or None for none)."""
        c_skip, c_out, c_in = preconditioning(sigma.view(-1, 1, 1, 1).to(x.dtype))
        return c_skip * x + c_out * self.net.logits(c_in * x, sigma.log() / 4, labels=labels)

    def diffusion_loss(
        self, clean: Tensor, generator: torch.Generator | None = None, labels: Tensor | None = None
    ) -> Tensor:
        """EDM's training loss on clean digits in [0, 1]: each gets a σ from the log-normal, the loss weighs every
        σ alike (the squared error of F against its unit-variance target). labels: the digits, for a model with
        classes; a share `label_dropout` of them is dropped."""
        y = clean * 2 - 1
        n = y.shape[0]
        sigma = (torch.randn(n, generator=generator) * P_STD + P_MEAN).exp().to(y.device)
        noise = torch.randn(y.shape, generator=generator).to(y.device)
        if self.classes and labels is not None:
            dropped = torch.rand(n, generator=generator) < self.label_dropout
            labels = torch.where(dropped, self.classes, labels.long()).to(y.device)
        s = sigma.view(-1, 1, 1, 1)
        x = y + s * noise
        c_skip, c_out, c_in = preconditioning(s)
        target = (y - c_skip * x) / c_out
        return (self.net.logits(c_in * x, sigma.log() / 4, labels=labels).float() - target).pow(2).mean()

    @torch.no_grad()
    def denoise(self, noisy: Tensor, strength: float) -> Tensor:
        """Digits in [0, 1] plus Gaussian noise of std `strength`, not clipped (the generator never saw clipping),
        -> the clean estimate in [0, 1]."""
        sigma = torch.full((noisy.shape[0],), 2 * max(strength, SIGMA_MIN), device=noisy.device)
        return ((self(noisy * 2 - 1, sigma) + 1) / 2).clamp(0, 1)


def karras_sigmas(steps: int, sigma_min: float = SIGMA_MIN, sigma_max: float = SIGMA_MAX, rho: float = RHO) -> Tensor:
    """EDM's noise levels (Karras et al. 2022, eq. 5): `steps` levels from sigma_max down to sigma_min, spaced
    evenly in σ^(1/ρ) so that the small levels, where detail forms, get more of the steps; then 0."""
    if steps == 1:
        return torch.tensor([sigma_max, 0.0])
    ramp = torch.linspace(0, 1, steps)
    sigmas = (sigma_max ** (1 / rho) + ramp * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return torch.cat([sigmas, torch.zeros(1)])


@dataclass
class Chain:
    """A chain from noise to digits.

    images: [n,1,28,28] in [0, 1], the samples. states: [steps + 1, kept, 1, 28, 28] in [0, 1], the chain of the
    first samples after each step (the first state is the noise it starts from), for the page's frames. levels:
    the noise level (σ, or the blind chain's strength) at each state. digits: [n] the digit each sample was asked
    to be, for a generator told the class; None otherwise."""

    images: Tensor
    states: Tensor
    levels: list[float]
    digits: Tensor | None = None


def _shown(x: Tensor, sigma: float) -> Tensor:
    # a state of the chain as a picture: scaled to unit variance (pure noise shows as grey noise), then [0, 1]
    return (0.5 + 0.5 * x / math.sqrt(1 + sigma**2)).clamp(0, 1)


def guided(model: DigitGenerator, digits: Tensor | None, guidance: float) -> Callable[[Tensor, Tensor], Tensor]:
    """The denoiser the sampler follows, D(x; σ). Told no digits: the model as it is. Told digits: classifier-free
    guidance (Ho and Salimans 2022), D = D(x; σ) + w·(D(x; σ, digit) − D(x; σ)): w = 1 is the conditional model
    alone, w > 1 pushes each sample further towards its digit, at the cost of variety; both halves run in one
    batch."""
    if digits is None or not model.classes:
        return model
    if guidance == 1:
        return lambda x, sigma: model(x, sigma, digits)
    labels = torch.cat([digits, torch.full_like(digits, model.classes)])

    def denoiser(x: Tensor, sigma: Tensor) -> Tensor:
        told, untold = model(torch.cat([x, x]), torch.cat([sigma, sigma]), labels).chunk(2)
        return untold + guidance * (told - untold)

    return denoiser


def probability_flow(
    denoise: Callable[[Tensor, Tensor], Tensor],
    x: Tensor,
    sigmas: Tensor,
    after_step: Callable[[Tensor, Tensor], None],
    churn: float = 0.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """EDM's sampler (Karras et al. 2022): Heun's method on the probability-flow ODE dx/dσ = (x − D(x; σ)) / σ
    from x at sigmas[0] down the levels `sigmas` (the last one 0); after_step(x, σ) sees each state. The
    generator's sampler and the 2-D field's (dae.field) are this one.

    churn: 0 is the deterministic ODE (Algorithm 1). γ > 0 is the stochastic sampler (Algorithm 2, S_churn at every
    level): each step first adds fresh noise that raises σ to σ(1 + γ), then follows the ODE down, so errors of an
    imperfect D are washed out instead of carried along; γ ≤ √2 − 1, where the added noise equals the noise there."""
    n = x.shape[0]
    for sigma, after in zip(sigmas[:-1], sigmas[1:], strict=True):
        if churn > 0:
            raised = sigma * (1 + churn)
            x = x + (raised**2 - sigma**2).sqrt() * torch.randn(x.shape, generator=generator).to(x.device)
            sigma = raised
        slope = (x - denoise(x, sigma.expand(n))) / sigma
        moved = x + (after - sigma) * slope
        if after > 0:  # Heun: average the slope here and at the point the Euler step reaches
            moved = x + (after - sigma) * 0.5 * (slope + (moved - denoise(moved, after.expand(n))) / after)
        x = moved
        after_step(x, after)
    return x


@torch.no_grad()
def sample(
    model: DigitGenerator,
    n: int = 16,
    steps: int = DEFAULT_STEPS["generator"],
    seed: int = 0,
    keep: int = CHAIN_SAMPLES,
    guidance: float = GUIDANCE,
    digits: Tensor | None = None,
) -> Chain:
    """n digits from pure noise: EDM's deterministic sampler (Karras et al. 2022, Algorithm 1), Heun's second-order
    method on the probability-flow ODE dx/dσ = (x − D(x; σ)) / σ, over `karras_sigmas(steps)`. Its Euler part
    alone is DDIM (Song et al. 2021); Heun's correction costs one more evaluation per step and gives cleaner digits
    in few steps. The same seed gives the same samples. The chain's states are kept for the first `keep` samples.
    A generator told the class draws the `digits` asked ([n]; by default each drawn at random from 0 to 9 with the
    seed), with classifier-free guidance of weight `guidance` (see `guided`).
    """
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    if model.classes and digits is None:
        digits = torch.randint(model.classes, (n,), generator=generator)
    denoise = guided(model, digits, guidance)
    sigmas = karras_sigmas(steps)
    x = torch.randn(n, 1, 28, 28, generator=generator) * sigmas[0]
    states = [_shown(x[:keep], sigmas[0].item())]
    x = probability_flow(denoise, x, sigmas, lambda state, after: states.append(_shown(state[:keep], after.item())))
    images = ((x + 1) / 2).clamp(0, 1)
    return Chain(images=images, states=torch.stack(states), levels=sigmas.tolist(), digits=digits)


@torch.no_grad()
def blind_chain(
    model: Callable[[Tensor], Tensor],
    n: int = 16,
    steps: int = DEFAULT_STEPS["conv"],
    seed: int = 0,
    kind: str = BLIND_KIND,
    keep: int = CHAIN_SAMPLES,
) -> Chain:
    """n digits from a blind DAE (Bengio et al. 2013): from uniform noise, corrupt with `kind` at a strength
    annealed linearly from 1 to 0 over `steps`, then denoise, again and again. The model (in eval mode) is never
    told the level, and nothing corrects it, so classes go missing: the generator's chain shows the difference.
    The chain's states are kept for the first `keep` samples."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 28, 28, generator=generator)
    strengths = torch.linspace(1, 0, steps + 1)[:-1].tolist() if steps > 1 else [1.0]
    states = [x[:keep].clone()]
    for strength in strengths:
        x = model(corrupt(x, kind, strength, generator=generator)).float()
        states.append(x[:keep].clone())
    return Chain(images=x, states=torch.stack(states), levels=[*strengths, 0.0])


@torch.no_grad()
def sample_report(
    classifier: nn.Module, samples: Tensor, reference: Tensor | None = None, digits: Tensor | None = None
) -> dict:
    """How digit-like samples [n,1,28,28] in [0, 1] are: the share the classifier reads with confidence above
    CONFIDENT, each class's share of the readings and, given `reference` (real digits), the Fréchet distance
    between the classifier's penultimate features of the samples and of the reference; given `digits` (what a
    generator was asked for), the share read with that confidence as the digit asked."""
    classifier.eval()
    probabilities = torch.softmax(classifier(samples), dim=1)
    confidence, label = probabilities.max(dim=1)
    report = {
        "confident": (confidence > CONFIDENT).float().mean().item(),
        "classes": torch.bincount(label, minlength=10).div(len(label)).tolist(),
    }
    if digits is not None:
        report["as_asked"] = ((confidence > CONFIDENT) & (label == digits)).float().mean().item()
    if reference is not None:
        report["frechet"] = frechet_distance(classifier.embedding(samples), classifier.embedding(reference))
    return report
