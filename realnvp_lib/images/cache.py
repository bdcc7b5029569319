"""``trained_digits_flow``: the notebook's model trained by its recipe, cached by ``rl.checkpoint``."""

from __future__ import annotations

import warnings
from dataclasses import asdict, fields
from pathlib import Path

import torch

from ..checkpoint import load_trained, recipe_path, save_flow
from ..train import History
from .data import SPLITS, digits
from .model import ImageFlow, image_realnvp
from .train import digits_recipe, train_digits

__all__ = ["RECIPE_VERSION", "cache_file", "recipe", "trained_digits_flow"]

RECIPE_VERSION = 2  # bump when training changes in a way the configs do not show (2: trained by rl.fit)


def recipe(seed: int = 0) -> dict:
    """What the cache file stamps: the architecture, ``fit``'s config, the splits and the version."""
    return {
        "flow": image_realnvp(seed=seed).config,
        "fit": asdict(digits_recipe(seed)),
        "splits": SPLITS,
        "version": RECIPE_VERSION,
    }


def cache_file(cache_dir: str | Path, seed: int = 0) -> Path:
    """The cache file's name: it changes whenever the architecture, the recipe or the splits change."""
    return recipe_path(cache_dir, f"digits_realnvp_seed{seed}", recipe(seed))


def _history(saved: dict) -> History:
    names = {f.name for f in fields(History)} - {"snapshots"}
    return History(**{k: v for k, v in saved.items() if k in names})


def trained_digits_flow(
    seed: int = 0,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    device: str | torch.device | None = None,
    retrain: bool = False,
) -> tuple[ImageFlow, History]:
    """``image_realnvp(seed)`` trained by ``digits_recipe(seed)`` on the training split: ``(flow, history)``.

    With a ``cache_dir`` the result is saved there (``rl.save_flow`` with the recipe stamped) and
    loaded next time, history included; a corrupt or mismatched file gives a warning and is retrained
    and overwritten. An interrupted run is returned but not cached. ``device`` defaults to the CPU.
    """
    path = cache_file(cache_dir, seed) if cache_dir is not None else None
    if path is not None and path.exists() and not retrain:
        try:
            flow, saved = load_trained(path, recipe(seed))
            return flow.to(device or "cpu").eval(), _history(saved)
        except (ValueError, TypeError) as err:
            warnings.warn(f"cached digits flow unusable, retraining and overwriting it: {err}", stacklevel=2)
    flow = image_realnvp(seed=seed).to(device or "cpu")
    history = train_digits(flow, digits("train"), digits("val"), digits_recipe(seed), progress)
    if path is not None and not history.interrupted:
        try:
            saved = {k: v for k, v in asdict(history).items() if k != "snapshots"}
            save_flow(flow, path, recipe(seed), saved)
        except (OSError, ValueError) as err:  # the trained flow is worth more than its cache file
            warnings.warn(f"the trained digits flow is returned but not cached: {err}", stacklevel=2)
    return flow, history
