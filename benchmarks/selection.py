"""Choosing on validation, reporting on test: the rule every digits benchmark selects by.

A benchmark that compares settings scores every setting on the **validation** split (180 digits;
the split ``ri.train_digits`` also early-stops on) with ``DRAWS`` dequantization draws per image,
and compares each setting with the default **image by image** on the same images and the same
seeded draws (a paired difference; with uniform noise the draws are identical, common random
numbers). The rule:

    keep the default unless a setting's mean validation bits/dim is lower than the default's by
    more than ``MARGIN`` = 2 standard errors of the paired difference; among the settings that
    clear that bar, take the lowest.

A table's "> 2 se?" column answers whether that setting beats the default by more than the noise
(lower by more than 2 standard errors of the paired difference): "no" also covers a setting that
is worse by more than the noise; the "- default" column says which.

Only the chosen configuration is then scored on the **test** split (360 digits), in a separate
table printed last, which no choice reads.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from realnvp_lib import images as ri

DRAWS = 32  # dequantization draws per validation image
MARGIN = 2.0  # standard errors of the paired difference a setting must beat the default by
VAL_SEED = 1000  # the validation draws' seed: not the training's early-stopping draw (seed + 1)


def val_per_image(flow, val: Tensor, dequantizer=None, draws: int = DRAWS) -> Tensor:
    """Validation bits/dim image by image, ``(N,)``: ``draws`` seeded draws per image (k = 1)."""
    return ri.bits_per_image(flow, val, n_samples=draws, seed=VAL_SEED, dequantizer=dequantizer)


def mean_se(x: Tensor) -> tuple[float, float]:
    """Mean and its standard error over images."""
    return float(x.mean()), float(x.std()) / math.sqrt(len(x))


def choose(scores: dict[str, Tensor], default: str, margin: float = MARGIN) -> tuple[str, dict]:
    """The rule above. ``scores``: name -> per-image validation bits/dim ``(N,)`` on the same images
    and draws. Returns the chosen name and ``{name: (mean, se, diff, diff_se, beats)}``, where
    ``diff`` is the paired difference setting - default and ``beats`` says ``diff < -margin * diff_se``."""
    rows = {}
    for name, s in scores.items():
        mean, se = mean_se(s)
        d, d_se = mean_se(s - scores[default])
        beats = name != default and d < -margin * d_se
        rows[name] = (mean, se, d, d_se, beats)
    winners = [n for n, r in rows.items() if r[4]]
    chosen = min(winners, key=lambda n: rows[n][0]) if winners else default
    return chosen, rows


def print_choice(group: str, chosen: str, rows: dict, default: str, extra: dict | None = None) -> None:
    """One validation table: each setting's mean ± se, its paired difference to the default ± se,
    whether that exceeds the noise, and a ``<-`` on the chosen row."""
    extra = extra or {}
    print(f"\n{group}: validation bits/dim ({DRAWS} draws per image), paired against '{default}'")
    head = f"  {'setting':<34} {'val bpd':>16}  {'- default':>17}  {'> 2 se?':>7}"
    print(head + "".join(f"  {k:>10}" for k in next(iter(extra.values()), {})))
    for name, (mean, se, d, d_se, beats) in rows.items():
        diff = f"{d:+8.4f} ± {d_se:.4f}" if name != default else f"{'(default)':>17}"
        flag = ("yes" if beats else "no") if name != default else ""
        cols = "".join(f"  {v:>10}" for v in extra.get(name, {}).values())
        mark = "  <- chosen" if name == chosen else ""
        print(f"  {name:<34} {mean:>9.4f} ± {se:.4f}  {diff:>17}  {flag:>7}{cols}{mark}", flush=True)


def test_score(flow, test: Tensor, dequantizer=None, draws: int = 64, k: int = 1) -> tuple[float, float]:
    """Test bits/dim ± se: called only for a configuration validation has already chosen."""
    n = max(1, draws // k)
    return ri.bits_per_dim(flow, test, n_samples=n, seed=0, dequantizer=dequantizer, k=k)


def select(
    groups: dict[str, dict[str, dict]], default: str, train_one, val: Tensor
) -> tuple[dict, dict[str, dict], object]:
    """Train every setting once, choose within each group by the rule, and combine the choices.

    ``groups``: group -> {setting name: overrides (a dict)}; every group holds the ``default`` name
    with overrides ``{}``, trained once and shared. ``train_one(overrides) -> (model, dequantizer,
    extra columns)``. Returns the chosen overrides (each group's choice merged), the per-setting
    extra columns, and the chosen model (trained again when the merged choice is a new combination,
    which is then printed beside the default on validation too).
    """
    trained: dict[str, tuple] = {}
    extras: dict[str, dict] = {}
    chosen_kw: dict = {}
    for group, settings in groups.items():
        scores = {}
        for name, kw in settings.items():
            if name not in trained:
                model, deq, extra = train_one(kw)
                trained[name] = (model, deq, val_per_image(model, val, deq), kw)
                extras[name] = extra
            scores[name] = trained[name][2]
        chosen, rows = choose(scores, default)
        print_choice(group, chosen, rows, default, {n: extras[n] for n in settings})
        chosen_kw.update(settings[chosen])
    for model, deq, _scores, kw in trained.values():
        if kw == chosen_kw:
            return chosen_kw, extras, (model, deq)
    model, deq, extra = train_one(chosen_kw)
    scores = {default: trained[default][2], "combined choice": val_per_image(model, val, deq)}
    _, rows = choose(scores, default)
    print_choice(
        f"the choices combined {chosen_kw}",
        "combined choice",
        rows,
        default,
        {default: extras[default], "combined choice": extra},
    )
    return chosen_kw, extras, (model, deq)


def cached(cache_dir: str | None, key: str, build, train):
    """``build() -> (model, dequantizer)`` then ``train(model, dequantizer) -> extra columns``, or the
    weights and columns a previous run saved under ``key`` in ``cache_dir`` (training is
    deterministic on one machine, so a benchmark that reuses another's run gets the same weights;
    ``None``: always train)."""
    from pathlib import Path

    model, deq = build()
    path = Path(cache_dir) / f"{key}.pt" if cache_dir else None
    if path is not None and path.exists():
        saved = torch.load(path, weights_only=False)
        model.load_state_dict(saved["model"])
        if deq is not None:
            deq.load_state_dict(saved["deq"])
        return model, deq, {**saved["extra"], "cpu s": saved["extra"]["cpu s"] + "*"}
    extra = train(model, deq)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {"model": model.state_dict(), "deq": deq.state_dict() if deq is not None else None}
        torch.save({**state, "extra": extra, "key": key}, path)
    return model, deq, extra


def _fmt(value) -> str:
    return "None" if value is None else f"{value:g}"


def cache_key(kind: str, seed: int, overrides: dict) -> str:
    """A file name for one training: the dequantization, the seed and the overrides."""
    parts = [kind, f"seed{seed}"] + [f"{k}{_fmt(v)}" for k, v in sorted(overrides.items())]
    return "_".join(parts)
