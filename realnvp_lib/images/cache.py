"""``trained_digits_flow``: the notebook's model trained by its recipe, cached on disk, validated on load."""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import asdict, fields
from pathlib import Path

import torch

from ..checkpoint import check_state, read_checkpoint, write_atomically
from . import model
from .data import SPLITS, digits
from .model import ImageFlow, image_realnvp
from .train import DigitsHistory, TrainConfig, train_digits

__all__ = ["RECIPE_VERSION", "cache_file", "load_trained", "save_trained", "trained_digits_flow"]

RECIPE_VERSION = 1  # bump when training changes in a way the configs do not show


def _recipe(seed: int) -> dict:
    return {"flow": image_realnvp(seed=seed).config, "train": asdict(TrainConfig(seed=seed)),
            "splits": SPLITS, "version": RECIPE_VERSION}


def cache_file(cache_dir: str | Path, seed: int = 0) -> Path:
    """The cache file's name: it changes whenever the architecture, the recipe or the splits change."""
    digest = hashlib.sha1(json.dumps(_recipe(seed), sort_keys=True).encode()).hexdigest()[:10]
    return Path(cache_dir) / f"digits_realnvp_seed{seed}_{digest}.pt"


def save_trained(flow: ImageFlow, history: DigitsHistory, path: str | Path) -> None:
    """Write recipe, weights and history to ``path`` atomically (a temporary file renamed into place).

    The recipe stored is the one this flow was built and trained with (its own config, the
    history's ``TrainConfig``), so a flow of another recipe (another logit alpha or scale bound)
    is refused on load instead of being rebuilt as the default one. A state ``load_trained``
    would refuse (NaN weights, a flow its config does not rebuild) is refused here, before writing.
    """
    if not isinstance(flow, ImageFlow) or not flow.config:
        raise ValueError(f"save_trained needs a flow built by image_realnvp(...), got {type(flow).__name__}")
    state = {k: v.detach().cpu() for k, v in flow.state_dict().items()}
    try:
        expected = model.image_realnvp(**flow.config).state_dict()
    except (TypeError, ValueError) as err:
        raise ValueError(f"save_trained refuses this flow: its config does not rebuild it ({err})") from err
    check_state(state, expected, f"save_trained refuses this flow (nothing written to {path})")
    recipe = {**_recipe(flow.config["seed"]), "flow": flow.config,
              "train": history.config or asdict(TrainConfig(seed=flow.config["seed"]))}
    write_atomically({"recipe": recipe, "state_dict": state, "history": history.as_dict()}, path)


def load_trained(path: str | Path, seed: int = 0,
                 device: str | torch.device | None = None) -> tuple[ImageFlow, DigitsHistory]:
    """Load what ``save_trained`` wrote; ``ValueError`` if the file is corrupt or from another recipe."""
    blob = read_checkpoint(path, {"recipe", "state_dict", "history"})
    if blob["recipe"] != _recipe(seed):
        raise ValueError(f"{path} was trained by another recipe or architecture: "
                         f"{_diff(blob['recipe'], seed)}")
    flow = model.image_realnvp(**blob["recipe"]["flow"])  # the architecture the file says it holds
    state = blob["state_dict"]
    check_state(state, flow.state_dict(), path)
    try:
        history = DigitsHistory(**{f.name: blob["history"][f.name] for f in fields(DigitsHistory)})
    except (KeyError, TypeError) as err:
        raise ValueError(f"{path}: its training history is unreadable ({err})") from err
    flow.load_state_dict(state)
    return flow.to(device or "cpu").eval(), history


def trained_digits_flow(seed: int = 0, cache_dir: str | Path | None = None, progress: bool = True,
                        device: str | torch.device | None = None,
                        retrain: bool = False) -> tuple[ImageFlow, DigitsHistory]:
    """``image_realnvp(seed)`` trained by ``TrainConfig(seed=seed)`` on the training split: ``(flow, hist)``.

    With a ``cache_dir`` the result is saved there and loaded next time (the history too); a corrupt
    or mismatched cache file gives a warning and is retrained and overwritten. An interrupted run is
    returned but not cached. ``device`` defaults to the CPU; the same code runs on CUDA.
    """
    path = cache_file(cache_dir, seed) if cache_dir is not None else None
    if path is not None and path.exists() and not retrain:
        try:
            return load_trained(path, seed, device)
        except ValueError as err:
            warnings.warn(f"cached digits flow unusable, retraining and overwriting it: {err}", stacklevel=2)
    flow = image_realnvp(seed=seed).to(device or "cpu")
    history = train_digits(flow, digits("train"), digits("val"), TrainConfig(seed=seed), progress)
    if path is not None and not history.interrupted:
        try:
            save_trained(flow, history, path)
        except (OSError, ValueError) as err:  # the trained flow is worth more than its cache file
            warnings.warn(f"the trained digits flow is returned but not cached: {err}", stacklevel=2)
    return flow, history


def _diff(recipe, seed: int) -> str:
    """The stored recipe's entries that differ from the default one, in words."""
    want = _recipe(seed)
    if not isinstance(recipe, dict):
        return "its recipe is unreadable"
    parts = []
    for key in want:
        got, ref = recipe.get(key), want[key]
        if isinstance(got, dict) and isinstance(ref, dict):
            parts += [f"{key}.{k}={got.get(k)!r} (default {ref.get(k)!r})"
                      for k in ref if got.get(k) != ref.get(k)]
        elif got != ref:
            parts.append(f"{key}={got!r} (default {ref!r})")
    return ", ".join(parts) or "its recipe has other entries"
