"""Trained flows shared between notebooks, cached on disk (``rl.checkpoint.cached_flow``) so a later
notebook need not retrain."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from .. import data
from ..checkpoint import builder_config, cached_flow, stamped_path
from ..config import FitConfig
from ..flow import Flow, realnvp
from ..train import History, fit

__all__ = ["RECIPE_VERSION", "cache_path", "stamp", "two_moons_flow"]

# Bump when training changes in a way the configs below do not show (2: the pooled data stream;
# 3: the weight average absorbs only weights whose loss was finite).
RECIPE_VERSION = 3


def stamp(noise: float, seed: int) -> dict:
    """What trained the default flow: its config, ``fit``'s config, the data's noise, the version."""
    fit_config = asdict(FitConfig(seed=seed))
    # weight_decay came after version 3 and is 0 here (plain Adam): stamped only when it is not,
    # so the files already trained by this very recipe keep their names.
    if fit_config["weight_decay"] == 0:
        del fit_config["weight_decay"]
    return {
        "flow": builder_config("realnvp", seed=seed),
        "fit": fit_config,
        "noise": noise,
        "version": RECIPE_VERSION,
    }


def cache_path(cache_dir: str | Path, noise: float, seed: int) -> Path:
    """File name that changes whenever the default architecture or training recipe changes."""
    return stamped_path(cache_dir, f"two_moons_noise{noise}_seed{seed}", stamp(noise, seed))


def two_moons_flow(
    cache_dir: str | Path = "cache",
    noise: float = 0.05,
    seed: int = 0,
    progress: bool = True,
    retrain: bool = False,
) -> tuple[Flow, History | None]:
    """The default ``realnvp()`` trained by ``fit``'s defaults on fresh two-moons batches.

    Loads ``cache_path(cache_dir, noise, seed)`` if an earlier notebook saved it there (with
    ``rl.save_flow``, or by this function); otherwise trains, saves, and also returns the training
    ``History`` (``None`` when loaded). ``retrain=True`` ignores the cache, trains afresh and
    overwrites it.
    """

    def train() -> tuple[Flow, History]:
        flow = realnvp(seed=seed)
        return flow, fit(
            flow, data.sampler("two_moons", seed=seed, noise=noise), seed=seed, progress=progress
        )

    path = cache_path(cache_dir, noise, seed)
    flow, history, loaded = cached_flow(path, stamp(noise, seed), train, "two-moons flow", retrain)
    return flow, None if loaded else history
