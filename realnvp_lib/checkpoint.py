"""Saving and loading trained flows: ``save_flow`` writes atomically, ``load_flow`` validates."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from .files import atomic_path
from .flow import Flow, realnvp

__all__ = [
    "check_state",
    "load_flow",
    "load_trained",
    "read_checkpoint",
    "recipe_path",
    "save_flow",
    "write_atomically",
]


def _builder(name: str):
    """The function that rebuilds a flow from its config: ``realnvp`` or the images' ``image_realnvp``."""
    if name == "image_realnvp":
        from .images.model import image_realnvp  # imported here: realnvp_lib.images imports this module

        return image_realnvp
    if name == "realnvp":
        return realnvp
    raise ValueError(f"unknown flow builder {name!r} (this library builds 'realnvp' and 'image_realnvp')")


def _builder_name(flow: Flow) -> str:
    from .images.model import ImageFlow

    return "image_realnvp" if isinstance(flow, ImageFlow) else "realnvp"


def recipe_path(cache_dir: str | Path, stem: str, recipe: dict) -> Path:
    """``cache_dir/stem_<digest>.pt``: the name changes whenever anything in ``recipe`` (JSON) changes."""
    digest = hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:10]
    return Path(cache_dir) / f"{stem}_{digest}.pt"


def save_flow(flow: Flow, path: str | Path, recipe: dict | None = None, history: dict | None = None) -> None:
    """Write the flow's builder, config and weights to ``path`` (loadable with ``weights_only``).

    Flows built by ``rl.realnvp`` or ``images.image_realnvp`` are stored with their whole config (scale
    bound, logit alpha, ...), so ``load_flow`` rebuilds exactly this architecture. What ``load_flow``
    would refuse is refused here, before anything is written: a flow its config does not rebuild
    (a step added or replaced by hand), NaN or inf weights, a mask or permutation edited. The file
    is written next to ``path`` and renamed into place, so an interrupted save never leaves a
    half-written checkpoint where a good one was. ``recipe`` (how it was trained, plain JSON values)
    and ``history`` (a dict of plain values) are stored beside it: ``load_trained`` checks the first.
    """
    if not isinstance(flow, Flow) or not flow.config:
        raise ValueError(
            "save_flow needs a flow built by rl.realnvp(...) or images.image_realnvp(...) "
            "(it stores the config that load_flow rebuilds)"
        )
    name = _builder_name(flow)
    state = {k: v.detach().cpu() for k, v in flow.state_dict().items()}
    try:
        expected = _builder(name)(**flow.config).state_dict()
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"save_flow refuses this flow: its config does not rebuild it ({err}), so "
            "load_flow could not load it"
        ) from err
    check_state(state, expected, f"save_flow refuses this flow (nothing written to {path})")
    blob = {"builder": name, "config": flow.config, "state_dict": state}
    if recipe is not None:
        blob["recipe"] = json.loads(json.dumps(recipe))  # plain values only: loadable with weights_only
    if history is not None:
        blob["history"] = history
    write_atomically(blob, path)


def load_trained(path: str | Path, recipe: dict) -> tuple[Flow, dict]:
    """``(flow, history)`` saved by ``save_flow(..., recipe, history)``; ``ValueError`` naming the entries
    of the stored recipe that differ from ``recipe`` (another architecture or training), or if corrupt."""
    blob = read_checkpoint(path, {"config", "state_dict", "recipe"})
    want = json.loads(json.dumps(recipe))
    if blob["recipe"] != want:
        got = blob["recipe"] if isinstance(blob["recipe"], dict) else {}
        diff = [f"{k}={got.get(k)!r} (wanted {v!r})" for k, v in want.items() if got.get(k) != v]
        raise ValueError(f"{path} was trained by another recipe or architecture: {', '.join(diff)[:400]}")
    history = blob.get("history")
    return load_flow(path), history if isinstance(history, dict) else {}


def write_atomically(blob: dict, path: str | Path) -> None:
    """``torch.save(blob, path)`` through a temporary file beside it, renamed into place."""
    with atomic_path(path) as tmp:
        torch.save(blob, tmp)


def read_checkpoint(path: str | Path, keys: set[str]) -> dict:
    """``torch.load(path, weights_only=True)`` as a dict holding ``keys``; ``ValueError`` naming the path."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # truncated zip, pickle garbage, empty file, ...
        raise ValueError(
            f"{path} is not a readable flow checkpoint (corrupt or truncated?): {type(err).__name__}: {err}"
        ) from err
    if not isinstance(blob, dict) or not keys <= set(blob):
        raise ValueError(f"{path} is not a checkpoint of this kind (it lacks {sorted(keys)})")
    return blob


def check_state(state, expected: dict[str, torch.Tensor], path: str | Path) -> None:
    """Refuse a loaded ``state`` unless it has ``expected``'s names and shapes, finite values, and
    the very masks and permutations the architecture builds (a file whose fixed buffers differ was
    edited or comes from other code, and would silently stop being a bijection)."""
    if not isinstance(state, dict) or set(state) != set(expected):
        names = set(state) if isinstance(state, dict) else set()
        missing, extra = sorted(set(expected) - names), sorted(names - set(expected))
        raise ValueError(f"{path} does not match its config: missing {missing[:3]}, unexpected {extra[:3]}")
    for name, value in state.items():
        if not isinstance(value, torch.Tensor) or value.shape != expected[name].shape:
            shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            raise ValueError(
                f"{path}: {name} has shape {shape}, the config builds {tuple(expected[name].shape)}"
            )
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise ValueError(f"{path}: {name} holds NaN or inf values; the flow cannot be used")
        if name.endswith(FIXED) and not torch.equal(value.to(expected[name].dtype), expected[name]):
            raise ValueError(
                f"{path}: {name} differs from what its config builds "
                f"({_short(value)} instead of {_short(expected[name])})"
            )


# Buffers that the architecture fixes: masks, permutations, LU's permutation and signs.
FIXED = (".mask", ".perm", ".inv_perm", ".P", ".sign_s", ".l_mask")


def load_flow(path: str | Path) -> Flow:
    """Rebuild a flow saved by ``save_flow`` (``torch.load(..., weights_only=True)``), in its saved dtype.

    The stored builder (``realnvp`` or ``image_realnvp``) rebuilds it from its stored config.

    Raises ``ValueError`` naming ``path`` if the file is unreadable, truncated or not a flow
    checkpoint, if a weight is NaN or inf, or if a mask or permutation is not what the stored
    config builds (a hand-edited or foreign file).
    """
    blob = read_checkpoint(path, {"config", "state_dict"})
    builder = blob.get("builder", "realnvp")  # files written before image flows could be saved
    try:
        flow = _builder(builder)(**blob["config"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path} holds a config {builder}() cannot build: {err}") from err
    state = blob["state_dict"]
    check_state(state, flow.state_dict(), path)
    dtypes = {v.dtype for v in state.values() if v.is_floating_point()}
    if len(dtypes) == 1:
        flow.to(dtypes.pop())
    flow.load_state_dict(state)
    return flow


def _short(t: torch.Tensor) -> str:
    values = t.flatten()[:6].tolist()
    return f"{values}{'...' if t.numel() > 6 else ''}"
