"""The field lab's package side: point sets, the energy distance, the 2-D denoiser, its training and samplers."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from dae.field import CHURN, FieldDenoiser, Points, field, langevin, ode_sample, stochastic_sample, train_field
from dae.generation import karras_sigmas, probability_flow
from dae.points import (
    HEAVY_SHARE,
    SETS,
    check_field,
    check_points,
    energy_distance,
    heavy_share,
    make_points,
    mean_distance,
    pack,
    unpack,
)
from dae.training import fit


def test_energy_distance_on_known_cases():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 2))
    assert energy_distance(a, a) == pytest.approx(0, abs=1e-12)
    # two point masses d apart: 2d − 0 − 0
    assert energy_distance(np.zeros((5, 2)), np.full((7, 2), [3.0, 4.0])) == pytest.approx(10.0)
    # symmetric, unchanged by moving both sets alike, and growing with the gap between them
    b = rng.normal(size=(400, 2)) + [0.5, 0]
    assert energy_distance(a, b) == pytest.approx(energy_distance(b, a))
    assert energy_distance(a + 7, b + 7) == pytest.approx(energy_distance(a, b))
    far = rng.normal(size=(400, 2)) + [1.5, 0]
    assert 0 < energy_distance(a, b) < energy_distance(a, far)
    # two samples of one distribution: about E|X − X'| (1/n + 1/m), the floor (a V-statistic's diagonal)
    x, y = rng.normal(size=(500, 2)), rng.normal(size=(1500, 2))
    expected = mean_distance(y, y) * (1 / 500 + 1 / 1500)
    floors = [energy_distance(rng.normal(size=(500, 2)), y) for _ in range(8)]
    assert np.mean(floors) == pytest.approx(expected, rel=0.5)
    assert energy_distance(x, y, within_b=mean_distance(y, y)) == pytest.approx(energy_distance(x, y))


@pytest.mark.parametrize("name", SETS)
def test_every_built_in_set_is_seeded_and_inside_the_square(name):
    points = make_points(name, 1000, seed=3)
    assert points.shape == (1000, 2) and points.dtype == np.float32
    assert np.abs(points).max() <= 1
    assert np.array_equal(points, make_points(name, 1000, seed=3))
    assert not np.array_equal(points, make_points(name, 1000, seed=4))


def test_the_mixture_has_one_mode_three_times_heavier():
    assert heavy_share(make_points("gaussians", 20_000, seed=0)) == pytest.approx(HEAVY_SHARE, abs=0.01)


@pytest.mark.parametrize(
    "points, message",
    [
        ([[0, 0]] * 10, "from 50 to 10,000"),
        ([[0, 0, 0]] * 60, "list of [x, y] pairs"),
        ([[0, 2]] * 60, "from -1 to 1"),
        ("nonsense", "list of [x, y] pairs"),
        ([[0, float("nan")]] * 60, "list of [x, y] pairs"),
    ],
)
def test_bad_points_are_refused_with_what_is_valid(points, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check_points(points)


def test_a_field_request_checks_its_budget_seed_and_set():
    points = make_points("moons", 100).tolist()
    assert check_field(points, 5, 0).seconds == 5.0
    for seconds in (0, 31, "soon"):
        with pytest.raises(ValueError, match="seconds must be from 1 to 30"):
            check_field(points, seconds, 0)
    with pytest.raises(ValueError, match="seed must be a whole number"):
        check_field(points, 5, -1)
    with pytest.raises(ValueError, match="the sets are moons"):
        check_field(points, 5, 0, "stars")


def test_packed_numbers_come_back_to_a_thousandth():
    values = np.array([[0.1234, -1.5], [31.9, 0.0], [99.0, -99.0]])
    back = unpack(pack(values))
    assert np.allclose(back[:4], values.flatten()[:4], atol=5e-4)
    assert np.allclose(back[4:], [32.767, -32.767])  # beyond ±32: clipped, not wrapped around


def test_the_one_training_loop_trains_the_field_model():
    points = torch.from_numpy(make_points("moons", 512, seed=0))
    torch.manual_seed(0)
    model = FieldDenoiser(width=32, depth=2)
    run = fit(model, Points(), points, points[:128], out=None, epochs=30, batch_size=128, lr=3e-3, bf16=False)
    history = run["history"]
    assert len(history) == 30 and history[-1]["val_loss"] < history[0]["val_loss"]
    assert run["steps"] == 30 * 4  # 512 points in batches of 128
    assert run["metadata"]["task"] == "points"


@pytest.fixture(scope="module")
def ring_model() -> FieldDenoiser:
    """A denoiser trained for 150 epochs (600 steps, about 3 s) on one ring of radius 0.6: steps, not seconds, so a
    busy machine trains it as far."""
    angle = torch.rand(2000, generator=torch.Generator().manual_seed(0)) * 2 * math.pi
    ring = 0.6 * torch.stack([angle.cos(), angle.sin()], 1)
    model, _ = train_field(ring, seconds=None, seed=0, epochs=150)
    return model


def test_the_field_points_inward_outside_a_ring_and_outward_inside_it(ring_model):
    angle = torch.linspace(0, 2 * math.pi, 33)[:-1]
    directions = torch.stack([angle.cos(), angle.sin()], 1)
    for radius, sign in ((1.0, -1), (0.3, 1)):
        arrows = field(ring_model, radius * directions, sigma=0.1)
        radial = (arrows * directions).sum(1)  # the arrow's component along the way out from the centre
        assert (sign * radial > 0).float().mean() >= 0.9, (radius, radial)


def test_the_samplers_draw_near_the_ring_and_repeat_with_their_seed(ring_model):
    samples = ode_sample(ring_model, 500, seed=1)
    again = ode_sample(ring_model, 500, seed=1)
    assert samples.samples.shape == (500, 2) and torch.equal(samples.samples, again.samples)
    assert samples.paths.shape[1:] == (8, 2)
    radius = samples.samples.norm(dim=1)
    assert ((radius - 0.6).abs() < 0.1).float().mean() > 0.9  # on the ring, not in the noise they start from
    stuck = langevin(ring_model, 300, sigma=0.05, steps=50, seed=0)
    assert stuck.shape == (300, 2) and torch.isfinite(stuck).all()
    edm = stochastic_sample(ring_model, 500, seed=1).samples
    assert torch.equal(edm, stochastic_sample(ring_model, 500, seed=1).samples)
    assert not torch.allclose(edm, samples.samples)  # its own noise, not the ODE's path
    assert ((edm.norm(dim=1) - 0.6).abs() < 0.1).float().mean() > 0.9


@pytest.mark.parametrize("churn", [0.0, CHURN, math.sqrt(2) - 1])
def test_edm_sampler_with_the_exact_denoiser_of_gaussian_data_draws_that_gaussian(churn):
    # data N(0, s²): the best denoiser is D(x; σ) = x·s²/(s² + σ²), so either sampler must end with std s
    s = 0.3
    exact = lambda x, sigma: x * s**2 / (s**2 + sigma[:, None] ** 2)  # noqa: E731
    levels = karras_sigmas(64, 0.005, 3.0, 7.0)
    generator = torch.Generator().manual_seed(0)
    start = torch.randn(20_000, 2, generator=generator) * levels[0]
    drawn = probability_flow(exact, start, levels, lambda *_: None, churn, generator)
    assert drawn.std(0).sub(s).abs().max() < 0.02 and drawn.mean(0).abs().max() < 0.02
