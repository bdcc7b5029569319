"""Trained flows shared between notebooks, cached on disk so a later notebook need not retrain."""

from __future__ import annotations

import warnings
from dataclasses import asdict
from pathlib import Path

from . import data
from .checkpoint import load_flow, recipe_path, save_flow
from .flow import Flow, realnvp
from .recipe import FitConfig
from .train import History, fit

__all__ = ["RECIPE_VERSION", "cache_path", "two_moons_flow"]

# Bump when training changes in a way the configs below do not show (2: the pooled data stream;
# 3: the weight average absorbs only weights whose loss was finite).
RECIPE_VERSION = 3


def cache_path(cache_dir: str | Path, noise: float, seed: int) -> Path:
    """File name that changes whenever the default architecture or training recipe changes."""
    fit_config = asdict(FitConfig(seed=seed))
    # weight_decay came after version 3 and is 0 here (plain Adam): stamped only when it is not,
    # so the files already trained by this very recipe keep their names.
    if fit_config["weight_decay"] == 0:
        del fit_config["weight_decay"]
    recipe = {"flow": realnvp(seed=seed).config, "fit": fit_config, "noise": noise, "version": RECIPE_VERSION}
    return recipe_path(cache_dir, f"two_moons_noise{noise}_seed{seed}", recipe)


def two_moons_flow(
    cache_dir: str | Path = "cache",
    noise: float = 0.05,
    seed: int = 0,
    progress: bool = True,
    retrain: bool = False,
) -> tuple[Flow, History | None]:
    """The default ``realnvp()`` trained by ``fit``'s defaults on fresh two-moons batches.

    Loads ``cache_dir/...pt`` if an earlier notebook saved it; otherwise trains (about 20 s
    on 2 cores), saves, and also returns the training ``History`` (``None`` when loaded).
    ``retrain=True`` ignores the cache, trains afresh and overwrites it.
    """
    path = cache_path(cache_dir, noise, seed)
    if path.exists() and not retrain:
        try:
            flow = load_flow(path)
        except ValueError as err:
            warnings.warn(f"cached flow unusable, retraining and overwriting it: {err}", stacklevel=2)
        else:
            if flow.config == realnvp(seed=seed).config:
                return flow, None
            warnings.warn(
                f"cached flow at {path} has another architecture ({flow.config}); retraining "
                "and overwriting it",
                stacklevel=2,
            )
    flow = realnvp(seed=seed)
    history = fit(flow, data.sampler("two_moons", seed=seed, noise=noise), seed=seed, progress=progress)
    try:
        save_flow(flow, path)
    except (OSError, ValueError) as err:  # a folder that cannot be written must not cost the training
        warnings.warn(f"the trained flow is returned but not cached: {err}", stacklevel=2)
    return flow, history
