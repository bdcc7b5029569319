"""Saving, loading and caching trained flows: one file format, a builder registry, one cache.

``save_flow`` writes a flow's builder name, config and weights atomically; ``load_flow`` rebuilds it
through the **builder registry**: the core registers ``realnvp``, an extension registers its own
builder on import (``register_builder``), so the core never imports an extension. ``cached_flow``
is the one cache design: a file named by a digest of what trained it (``stamped_path``), that stamp
stored inside and checked on load, a warning and a retrain on any mismatch.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from pathlib import Path

import torch

from .flow import Flow, realnvp
from .train import History

__all__ = [
    "atomic_path",
    "builder_config",
    "cached_flow",
    "check_state",
    "load_flow",
    "load_stamped",
    "read_checkpoint",
    "register_builder",
    "save_flow",
    "stamped_path",
]

# name -> (the function that builds the flow from its config, the Flow subclass it returns)
_BUILDERS: dict[str, tuple[Callable[..., Flow], type[Flow]]] = {}


def register_builder(name: str, build: Callable[..., Flow], flow_type: type[Flow] = Flow) -> None:
    """Let ``save_flow``/``load_flow`` handle flows of ``flow_type`` built by ``build(**flow.config)``.

    An extension calls this when it is imported (``realnvp_lib.images`` registers ``image_realnvp``
    for its ``ImageFlow``); the most specific registered type of a flow names its builder.
    """
    if not (isinstance(flow_type, type) and issubclass(flow_type, Flow)) or not callable(build):
        raise TypeError(
            f"register_builder needs a callable and a Flow subclass, got {build!r}, {flow_type!r}"
        )
    _BUILDERS[name] = (build, flow_type)


register_builder("realnvp", realnvp)


def _builder(name: str) -> Callable[..., Flow]:
    if name not in _BUILDERS:
        raise ValueError(
            f"unknown flow builder {name!r} (registered: {sorted(_BUILDERS)}); an extension registers "
            "its builder when it is imported, e.g. `from realnvp_lib import images` for 'image_realnvp'"
        )
    return _BUILDERS[name][0]


def _builder_name(flow: Flow) -> str:
    by_type = {flow_type: name for name, (_, flow_type) in _BUILDERS.items()}
    return next(by_type[cls] for cls in type(flow).__mro__ if cls in by_type)


def builder_config(name: str, **kwargs) -> dict:
    """The config ``name``'s builder stores for ``kwargs`` (its defaults filled in), without building.

    >>> builder_config("realnvp", n_layers=4)["n_layers"], builder_config("realnvp")["hidden"]
    (4, 64)
    """
    bound = inspect.signature(_builder(name)).bind(**kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def stamped_path(cache_dir: str | Path, stem: str, stamp: dict) -> Path:
    """``cache_dir/stem_<digest>.pt``: the name changes whenever anything in ``stamp`` (JSON) changes."""
    digest = hashlib.sha1(json.dumps(stamp, sort_keys=True).encode()).hexdigest()[:10]
    return Path(cache_dir) / f"{stem}_{digest}.pt"


def save_flow(flow: Flow, path: str | Path, stamp: dict | None = None, history: dict | None = None) -> None:
    """Write the flow's builder, config and weights to ``path`` (loadable with ``weights_only``).

    Flows built by ``rl.realnvp`` or ``images.image_realnvp`` are stored with their whole config (scale
    bound, logit alpha, ...), so ``load_flow`` rebuilds exactly this architecture. What ``load_flow``
    would refuse is refused here, before anything is written: a flow its config does not rebuild
    (a step added or replaced by hand), NaN or inf weights, a mask or permutation edited. The file
    is written next to ``path`` and renamed into place, so an interrupted save never leaves a
    half-written checkpoint where a good one was. ``stamp`` (how it was trained, plain JSON values)
    and ``history`` (a dict of plain values) are stored beside it: ``load_stamped`` checks the first.
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
    if stamp is not None:
        blob["recipe"] = json.loads(json.dumps(stamp))  # plain values only: loadable with weights_only
    if history is not None:
        blob["history"] = history
    with atomic_path(path) as tmp:
        torch.save(blob, tmp)


def load_stamped(path: str | Path, stamp: dict) -> tuple[Flow, dict]:
    """``(flow, history)`` saved at a ``stamped_path``; ``ValueError`` naming what differs from ``stamp``.

    A file written by ``cached_flow`` holds its stamp, compared whole (another architecture or
    training is refused). A file saved by hand with ``save_flow(flow, stamped_path(...))`` holds
    none: its name already carries the stamp's digest, and its config must be ``stamp["flow"]``.
    Corrupt files are refused too. ``history`` is ``{}`` when none was stored.
    """
    blob = read_checkpoint(path, {"config", "state_dict"})
    want = json.loads(json.dumps(stamp))
    if "recipe" not in blob:
        if blob["config"] != want.get("flow"):
            raise ValueError(f"{path} holds another architecture ({blob['config']}), not {want.get('flow')}")
    elif blob["recipe"] != want:
        got = blob["recipe"] if isinstance(blob["recipe"], dict) else {}
        diff = [f"{k}={got.get(k)!r} (wanted {v!r})" for k, v in want.items() if got.get(k) != v]
        raise ValueError(f"{path} was trained by another recipe or architecture: {', '.join(diff)[:400]}")
    history = blob.get("history")
    return load_flow(path), history if isinstance(history, dict) else {}


def cached_flow(
    path: str | Path, stamp: dict, train: Callable[[], tuple[Flow, History]], what: str, retrain: bool = False
) -> tuple[Flow, History, bool]:
    """``(flow, history, loaded)``: the flow saved at ``path`` with this ``stamp``, or ``train()``'s, saved.

    A file that is corrupt or stamped by another recipe gives a warning and is retrained and
    overwritten; ``retrain=True`` ignores the file. An interrupted training is returned, not saved;
    a folder that cannot be written costs a warning, never the training. ``what`` names the flow
    in the warnings. A loaded history is rebuilt from the plain values stored beside the weights.
    """
    path = Path(path)
    if path.exists() and not retrain:
        try:
            flow, saved = load_stamped(path, stamp)
        except (ValueError, TypeError) as err:
            warnings.warn(f"cached {what} unusable, retraining and overwriting it: {err}", stacklevel=3)
        else:
            names = {f.name for f in fields(History)} - {"snapshots"}
            return flow, History(**{k: v for k, v in saved.items() if k in names}), True
    flow, history = train()
    if not history.interrupted:
        try:
            save_flow(flow, path, stamp, {k: v for k, v in asdict(history).items() if k != "snapshots"})
        except (OSError, ValueError) as err:  # the trained flow is worth more than its cache file
            warnings.warn(f"the trained {what} is returned but not cached: {err}", stacklevel=3)
    return flow, history, False


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

    The stored builder (``realnvp``, or one an extension registered) rebuilds it from its stored config.

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


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    An interrupted or failed write leaves the old file as it was (the temporary one is removed),
    and a reader never sees half a file. The new file gets the permissions an ordinary ``open``
    would give it (``mkstemp`` makes it private to its owner).

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('hello', ['a.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
