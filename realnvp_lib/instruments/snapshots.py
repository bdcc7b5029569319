"""Watching a flow learn: a short training run that keeps weight snapshots (notebook 06, training.gif)."""

from __future__ import annotations

from .. import data
from ..flow import Flow, realnvp
from ..train import History, fit

__all__ = ["learning_run"]


def learning_run(
    steps: int = 500, snapshot_every: int = 50, seed: int = 0, **flow_kw
) -> tuple[Flow, History]:
    """A smaller flow (4 couplings, 64 hidden) trained briefly on two moons, keeping weight snapshots.

    A few seconds of training (batches of 256) instead of the default flow's half minute, so that a
    notebook can afford it; the pictures of how it learns look the same. ``History.snapshots`` holds
    the weights every ``snapshot_every`` steps, for ``viz.frames.training_frames``.
    """
    flow = realnvp(**{"n_layers": 4, "hidden": 64, "seed": seed, **flow_kw})
    history = fit(
        flow,
        data.sampler("two_moons", seed=seed),
        steps=steps,
        batch_size=256,
        seed=seed,
        progress=False,
        snapshot_every=snapshot_every,
        warmup=100,
    )
    return flow, history
