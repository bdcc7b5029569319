"""Held-out scores of a trained flow: test NLL and its gap to the true density, with standard errors."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from ..flow import Flow
from .density import LogProbFn

__all__ = ["Heldout", "heldout"]


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

    >>> from realnvp_lib import realnvp
    >>> flow = realnvp(dim=2, n_layers=2, hidden=8)  # untrained: the identity, so q = N(0, I)
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
