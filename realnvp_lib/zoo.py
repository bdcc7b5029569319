"""Trained flows shared between notebooks, cached on disk so a later notebook need not retrain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from . import data
from .flow import Flow, load_flow, realnvp, save_flow
from .train import FitConfig, History, fit

# Bump when training changes in a way the configs below do not show (2: the pooled data stream).
RECIPE_VERSION = 2


def cache_path(cache_dir: str | Path, noise: float, seed: int) -> Path:
    """File name that changes whenever the default architecture or training recipe changes."""
    recipe = {"flow": realnvp(seed=seed).config, "fit": asdict(FitConfig(seed=seed)), "noise": noise,
              "version": RECIPE_VERSION}
    digest = hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:10]
    return Path(cache_dir) / f"two_moons_noise{noise}_seed{seed}_{digest}.pt"


def two_moons_flow(cache_dir: str | Path = "cache", noise: float = 0.05, seed: int = 0,
                   progress: bool = True, retrain: bool = False) -> tuple[Flow, History | None]:
    """The default ``realnvp()`` trained by ``fit``'s defaults on fresh two-moons batches.

    Loads ``cache_dir/...pt`` if an earlier notebook saved it; otherwise trains (about 20 s
    on 2 cores), saves, and also returns the training ``History`` (``None`` when loaded).
    ``retrain=True`` ignores the cache, trains afresh and overwrites it (notebook 05 shows the loss).
    """
    path = cache_path(cache_dir, noise, seed)
    if path.exists() and not retrain:
        return load_flow(path), None
    flow = realnvp(seed=seed)
    history = fit(flow, data.sampler("two_moons", seed=seed, noise=noise), seed=seed,
                  progress=progress)
    save_flow(flow, path)
    return flow, history
