"""Saving and loading trained flows: ``save_flow`` writes atomically, ``load_flow`` validates."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

from .flow import Flow, realnvp

__all__ = ["save_flow", "load_flow"]


def save_flow(flow: Flow, path: str | Path) -> None:
    """Write the flow's ``realnvp`` config and weights to ``path`` (loadable with ``weights_only``).

    The file is written next to ``path`` and renamed into place, so an interrupted save never
    leaves a half-written checkpoint where a good one was.
    """
    if not isinstance(flow, Flow) or not flow.config:
        raise ValueError("save_flow needs a flow built by rl.realnvp(...) (it stores the config that "
                         "load_flow rebuilds)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        torch.save({"config": flow.config, "state_dict": flow.state_dict()}, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_flow(path: str | Path) -> Flow:
    """Rebuild a flow saved by ``save_flow`` (``torch.load(..., weights_only=True)``), in its saved dtype.

    Raises ``ValueError`` naming ``path`` if the file is unreadable, truncated or not a flow
    checkpoint, if a weight is NaN or inf, or if a mask or permutation is not what the stored
    config builds (a hand-edited or foreign file).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # truncated zip, pickle garbage, empty file, ...
        raise ValueError(f"{path} is not a readable flow checkpoint (corrupt or truncated?): "
                         f"{type(err).__name__}: {err}") from err
    if not isinstance(blob, dict) or not {"config", "state_dict"} <= set(blob):
        raise ValueError(f"{path} is not a checkpoint written by save_flow (no config/state_dict)")
    try:
        flow = realnvp(**blob["config"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path} holds a config realnvp() cannot build: {err}") from err
    state = blob["state_dict"]
    expected = flow.state_dict()
    if set(state) != set(expected):
        missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
        raise ValueError(f"{path} does not match its config: missing {missing[:3]}, unexpected {extra[:3]}")
    for name, value in state.items():
        if value.shape != expected[name].shape:
            raise ValueError(f"{path}: {name} has shape {tuple(value.shape)}, the config builds "
                             f"{tuple(expected[name].shape)}")
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise ValueError(f"{path}: {name} holds NaN or inf values; the flow cannot be used")
    dtypes = {v.dtype for v in state.values() if v.is_floating_point()}
    if len(dtypes) == 1:
        flow.to(dtypes.pop())
    # Masks and permutations are fixed by the config: a file whose buffers differ was edited or
    # comes from other code, and would silently stop being a bijection.
    for name, value in state.items():
        if name.endswith((".mask", ".perm", ".inv_perm", ".P", ".sign_s", ".l_mask")):
            if not torch.equal(value.to(expected[name].dtype), expected[name]):
                raise ValueError(f"{path}: {name} differs from what its config builds "
                                 f"({_short(value)} instead of {_short(expected[name])})")
    flow.load_state_dict(state)
    return flow


def _short(t: torch.Tensor) -> str:
    values = t.flatten()[:6].tolist()
    return f"{values}{'...' if t.numel() > 6 else ''}"

