"""Held-out scores of trained flows (test NLL, gap to the true entropy) and small measured ablations."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from . import data
from .bijections import AffineCoupling
from .density import two_moons_entropy, two_moons_log_prob
from .flow import PERMUTATIONS, Flow, realnvp
from .permutations import Permutation
from .train import fit

LogProbFn = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class Heldout:
    """Scores on a test set ``x ~ p``, in nats: ``nll = -mean log q(x)``; ``gap = mean(log p - log q)``.

    ``gap`` estimates ``KL(p || q) = NLL - H(p)``: the exact ``log p`` of the *same* points cancels
    their sampling noise, so ``gap_se`` is far smaller than ``nll_se``. ``gap`` is ``nan`` when no
    exact density was given.
    """

    nll: float
    nll_se: float
    gap: float = math.nan
    gap_se: float = math.nan


@torch.no_grad()
def heldout(flow: Flow, x: Tensor, true_log_prob: LogProbFn | None = None) -> Heldout:
    """Score ``flow`` on test points ``x: (N, D)``; ``true_log_prob`` (e.g. the exact density) adds the gap.

    >>> flow = realnvp(dim=2, n_layers=2, hidden=8)      # untrained: the identity, so q = N(0, I)
    >>> x = torch.zeros(4, 2)
    >>> round(heldout(flow, x, flow.log_prob).gap, 6), round(heldout(flow, x).nll, 4)
    (0.0, 1.8379)
    """
    log_q = flow.log_prob(x).double()
    n = log_q.numel()
    nll, nll_se = -float(log_q.mean()), float(log_q.std()) / math.sqrt(n)
    if true_log_prob is None:
        return Heldout(nll, nll_se)
    diff = true_log_prob(x).double() - log_q
    return Heldout(nll, nll_se, float(diff.mean()), float(diff.std()) / math.sqrt(n))


# --- a higher-dimensional test set: two moons hidden among Gaussian noise coordinates ---------

def moons_in_noise(n: int, dim: int = 5, where: Sequence[int] = (0, 2), noise: float = 0.05,
                   seed: data.Seed = 0) -> Tensor:
    """``(n, dim)`` float32: two-moons coordinates ``(m_x, m_y)`` at positions ``where``, N(0, 1) elsewhere.

    Its exact density factorises (``moons_in_noise_log_prob``), so the gap to the true entropy is
    known in any dimension. Works with ``data.sampler(moons_in_noise, seed=..., dim=...)``.

    >>> moons_in_noise(3, dim=4, where=(1, 3)).shape
    torch.Size([3, 4])
    """
    rng = data._rng(seed)
    moon = data.two_moons(n, noise=noise, seed=rng)
    x = torch.as_tensor(rng.standard_normal((n, dim)), dtype=torch.float32)
    x[:, list(where)] = moon
    return x


@torch.no_grad()
def moons_in_noise_log_prob(x: Tensor, where: Sequence[int] = (0, 2), noise: float = 0.05) -> Tensor:
    """Exact ``log p(x)``, ``(B, D) -> (B,)``: two moons at ``where`` times standard normals elsewhere."""
    rest = [j for j in range(x.shape[1]) if j not in list(where)]
    gauss = -0.5 * (x[:, rest].double() ** 2 + math.log(2 * math.pi)).sum(1)
    return (two_moons_log_prob(x[:, list(where)], noise).double() + gauss).to(x.dtype)


def moons_in_noise_entropy(dim: int = 5, noise: float = 0.05, moons_entropy: float | None = None) -> float:
    """``H = H(two moons) + (dim - 2) * log(2 pi e) / 2`` nats (independent parts add)."""
    if moons_entropy is None:
        moons_entropy = two_moons_entropy(noise)[0]
    return moons_entropy + (dim - 2) * 0.5 * math.log(2 * math.pi * math.e)


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


def permutation_ablation(make_data: Callable[[], Tensor | Callable[[int], Tensor]], x_test: Tensor,
                         true_log_prob: LogProbFn | None, steps: dict[int, int],
                         permutations: Sequence[str] = PERMUTATIONS, hidden: int = 64,
                         seed: int = 0, **fit_options) -> list[Run]:
    """Train ``realnvp(permutation=p, n_layers=L)`` for every ``p`` and every ``L`` in ``steps``.

    ``steps[L]`` fixes the step count per layer count (fixed steps keep the results independent of
    the machine; choose them to give each run a similar wall-clock budget). Every run uses the same
    ``seed`` for weights and for a fresh ``make_data()`` stream, so only the permutation differs.
    Returns the runs in order: layer counts outer, permutations inner.
    """
    runs = []
    for n_layers, n_steps in steps.items():
        for perm in permutations:
            flow = realnvp(dim=x_test.shape[1], n_layers=n_layers, hidden=hidden,
                           permutation=perm, seed=seed)
            hist = fit(flow, make_data(), steps=n_steps, seed=seed, progress=False, **fit_options)
            runs.append(Run(perm, n_layers, hist.steps, hist.seconds,
                            heldout(flow, x_test, true_log_prob), flow))
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
        line = (f"{r.permutation:<12}{r.n_layers:>7}{r.steps:>7}{r.seconds:>9.1f}{s.nll:>10.3f}"
                f"{s.gap:>8.3f} ± {s.gap_se:.3f}")
        lines.append(line + (f"{s.nll - entropy:>10.3f}" if entropy is not None else ""))
    return "\n".join(lines)


def runs_array(runs: Sequence[Run], field: str = "gap") -> np.ndarray:
    """``(n_layer_counts, n_permutations)`` array of one ``Heldout`` field, in ``runs`` order."""
    layers = list(dict.fromkeys(r.n_layers for r in runs))
    values = np.array([getattr(r.score, field) for r in runs])
    return values.reshape(len(layers), -1)
