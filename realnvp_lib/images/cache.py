"""``trained_digits_flow``: the notebook's model trained by its recipe, cached by ``cached_flow``."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch

from ..checkpoint import builder_config, cached_flow, stamped_path
from ..train import History
from .data import SPLITS, digits
from .model import ImageFlow, image_realnvp
from .train import digits_recipe, train_digits

__all__ = ["RECIPE_VERSION", "cache_path", "stamp", "trained_digits_flow"]

RECIPE_VERSION = 2  # bump when training changes in a way the configs do not show (2: trained by rl.fit)


def stamp(seed: int = 0) -> dict:
    """What the cache file stamps: the architecture, ``fit``'s config, the splits and the version."""
    return {
        "flow": builder_config("image_realnvp", seed=seed),
        "fit": asdict(digits_recipe(seed)),
        "splits": SPLITS,
        "version": RECIPE_VERSION,
    }


def cache_path(cache_dir: str | Path, seed: int = 0) -> Path:
    """The cache file's name: it changes whenever the architecture, the recipe or the splits change."""
    return stamped_path(cache_dir, f"digits_realnvp_seed{seed}", stamp(seed))


def trained_digits_flow(
    seed: int = 0,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    device: str | torch.device | None = None,
    retrain: bool = False,
) -> tuple[ImageFlow, History]:
    """``image_realnvp(seed)`` trained by ``digits_recipe(seed)`` on the training split: ``(flow, history)``.

    With a ``cache_dir`` the result is saved there (``rl.save_flow`` with the stamp) and loaded next
    time, history included; a corrupt or mismatched file gives a warning and is retrained and
    overwritten. An interrupted run is returned but not cached. ``device`` defaults to the CPU.
    """

    def train() -> tuple[ImageFlow, History]:
        flow = image_realnvp(seed=seed).to(device or "cpu")
        return flow, train_digits(flow, digits("train"), digits("val"), digits_recipe(seed), progress)

    if cache_dir is None:
        return train()
    flow, history, _ = cached_flow(cache_path(cache_dir, seed), stamp(seed), train, "digits flow", retrain)
    return flow.to(device or "cpu").eval(), history
