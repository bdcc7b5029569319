"""Measured ablations: train one flow per permutation and depth, score each, tabulate (notebook 04)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from ..bijections import AffineCoupling
from ..flow import PERMUTATIONS, Flow, realnvp
from ..permutations import Permutation
from ..train import fit
from .density import LogProbFn
from .scores import Heldout, heldout

__all__ = ["Run", "coupling_inputs", "permutation_ablation", "runs_table"]


# --- which coordinates does each coupling see? ------------------------------------------------


def coupling_inputs(flow: Flow) -> tuple[list[list[int] | None], list[int] | None]:
    """Follow the *data* coordinates through the fixed permutations of ``flow``.

    Returns ``(inputs, order)``: for each coupling, the sorted original coordinates it conditions
    on (its pass-through half), and the original coordinate found at each position of ``z``.
    After a learned linear map (``LULinear``) coordinates are mixed, so entries become ``None``.

    >>> inputs, order = coupling_inputs(realnvp(dim=3, n_layers=3, hidden=4, permutation="reverse"))
    >>> inputs, order
    ([[0], [2], [0]], [0, 1, 2])
    """
    order: Tensor | None = torch.arange(flow.dim)
    inputs: list[list[int] | None] = []
    for layer in flow.bijections:
        if isinstance(layer, AffineCoupling):
            inputs.append(None if order is None else sorted(order[layer.mask.bool()].tolist()))
        elif isinstance(layer, Permutation):
            order = None if order is None else order[layer.perm]
        else:
            order = None
    return inputs, None if order is None else order.tolist()


# --- the ablation runner -----------------------------------------------------------------------


@dataclass
class Run:
    """One trained configuration of an ablation: its settings, cost and held-out scores."""

    permutation: str
    n_layers: int
    steps: int
    seconds: float
    score: Heldout
    flow: Flow


def permutation_ablation(
    make_data: Callable[[], Tensor | Callable[[int], Tensor]],
    x_test: Tensor,
    true_log_prob: LogProbFn | None,
    steps: dict[int, int],
    permutations: Sequence[str] = PERMUTATIONS,
    hidden: int = 64,
    seed: int = 0,
    **fit_options,
) -> list[Run]:
    """Train ``realnvp(permutation=p, n_layers=L)`` for every ``p`` and every ``L`` in ``steps``.

    ``steps[L]`` fixes the step count per layer count (fixed steps keep the results independent of
    the machine; choose them to give each run a similar wall-clock budget). Every run uses the same
    ``seed`` for weights and for a fresh ``make_data()`` stream, so only the permutation differs.
    Returns the runs in order: layer counts outer, permutations inner.
    """
    runs = []
    for n_layers, n_steps in steps.items():
        for perm in permutations:
            flow = realnvp(dim=x_test.shape[1], n_layers=n_layers, hidden=hidden, permutation=perm, seed=seed)
            hist = fit(flow, make_data(), steps=n_steps, seed=seed, progress=False, **fit_options)
            runs.append(
                Run(perm, n_layers, hist.steps, hist.seconds, heldout(flow, x_test, true_log_prob), flow)
            )
    return runs


def runs_table(runs: Sequence[Run], entropy: float | None = None) -> str:
    """A plain-text table of ``runs``: permutation, layers, steps, seconds, test NLL, gap +- s.e.

    With ``entropy`` also the naive ``NLL - H`` column, whose noise is the test set's (``nll_se``).
    """
    head = f"{'permutation':<12}{'layers':>7}{'steps':>7}{'seconds':>9}{'test NLL':>10}{'gap':>15}"
    head += f"{'NLL - H':>10}" if entropy is not None else ""
    lines = [head, "-" * len(head)]
    for r in runs:
        s = r.score
        line = (
            f"{r.permutation:<12}{r.n_layers:>7}{r.steps:>7}{r.seconds:>9.1f}{s.nll:>10.3f}"
            f"{s.gap:>8.3f} ± {s.gap_se:.3f}"
        )
        lines.append(line + (f"{s.nll - entropy:>10.3f}" if entropy is not None else ""))
    return "\n".join(lines)
