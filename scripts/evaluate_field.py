"""Score the field lab's samples on point sets it has never seen, through the API, as a visitor would send them.

    python scripts/evaluate_field.py             # 4 sets, 10 s of training each; prints each ratio to its floor

Each set (none of them a built-in one: a spiral, a checkerboard, a pinwheel and
a mixture of four Gaussians with shares 0.35, 0.25, 0.2, 0.2) is sent as 2,000
points to /field with 10 s of training. The samples it returns (2,000 by EDM's
stochastic sampler, and 2,000 by the probability-flow ODE alone) are scored
by their energy distance to 10,000 fresh points of the same distribution,
against the floor: 2,000 fresh points against the same 10,000 (a mean over
--floors draws, as one draw alone varies by about half). For the mixture,
also the heaviest mode's share in each sampler's samples.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradio_http import PYTHON, start_server  # noqa: E402

from dae.points import energy_distance, mean_distance  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CENTRES = np.array([[-0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [0.5, -0.5]])
SHARES = np.array([0.35, 0.25, 0.2, 0.2])


def unseen(name: str, n: int, seed: int) -> np.ndarray:
    """n points of a set the page does not offer, within [-1, 1]."""
    rng = np.random.default_rng(seed)
    if name == "spiral":
        t = np.sqrt(rng.random(n)) * 3 * math.pi
        points = np.stack([t * np.cos(t), t * np.sin(t)], 1) / (3 * math.pi) * 0.9 + rng.normal(0, 0.02, (n, 2))
    elif name == "checkerboard":
        x = rng.random(n) * 1.6 - 0.8
        row = rng.integers(0, 2, n) * 2 + (np.floor((x + 0.8) / 0.4) % 2)  # every other square of a 4x4 board
        points = np.stack([x, -0.8 + 0.4 * row + rng.random(n) * 0.4], 1)
    elif name == "pinwheel":
        arm = rng.integers(0, 5, n)
        radius = rng.normal(0.5, 0.15, n)
        angle = arm * 2 * math.pi / 5 + radius * 1.2 + rng.normal(0, 0.08, n)
        points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1) * 1.3
    else:  # "mixture"
        mode = rng.choice(4, size=n, p=SHARES)
        points = CENTRES[mode] + rng.normal(0, 0.08, (n, 2))
    return np.clip(points, -1, 1).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="training budget per set")
    parser.add_argument("--floors", type=int, default=6, help="draws the floor is averaged over")
    parser.add_argument("--sets", nargs="+", default=["spiral", "checkerboard", "pinwheel", "mixture"])
    args = parser.parse_args()
    from gradio_client import Client

    server = start_server([PYTHON, "app.py"], cwd=ROOT)
    try:
        client = Client(server.url, verbose=False)
        for name in args.sets:
            fresh = unseen(name, 10_000, seed=2)
            within = mean_distance(fresh, fresh)
            points = unseen(name, 2000, seed=1).tolist()
            _, samples, metrics = client.predict(points, args.seconds, 0, api_name="/field")
            with np.load(samples) as data:
                drawn, ode = data["samples"], data["ode_samples"]
            floor = np.mean([energy_distance(unseen(name, 2000, 10 + k), fresh, within) for k in range(args.floors)])
            distance, ode_distance = (energy_distance(s, fresh, within) for s in (drawn, ode))
            line = (f"{name:<13} energy distance {distance:.5f}, floor {floor:.5f}: {distance / floor:.2f}x "
                    f"(goal at most 2x; the ODE alone {ode_distance / floor:.2f}x); "
                    f"{metrics['steps']} steps in {metrics['seconds']:.1f} s")  # fmt: skip
            if name == "mixture":
                share, ode_share = (np.mean(np.argmin(((s[:, None] - CENTRES[None]) ** 2).sum(-1), 1) == 0)
                                    for s in (drawn, ode))  # fmt: skip
                line += (f"; heaviest mode {share:.3f} of the samples (the ODE's {ode_share:.3f}), "
                         f"{SHARES[0]} of the data (goal within 0.05)")  # fmt: skip
            print(line, flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
