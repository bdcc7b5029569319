"""Wall-clock cost of log-dets (notebook 02): seconds per call, and three ways to a log-det timed by ``D``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..bijections import AffineCoupling
from ..masks import half_mask
from ..runtime import threads
from .calculus import jacobian
from .perturb import randomize

__all__ = ["seconds_per_call", "time_logdet"]


def seconds_per_call(fn: Callable[[], object], repeats: int, budget: float = 0.02) -> float:
    """Best-of-``repeats`` time of one call; fast calls are looped to fill about ``budget`` seconds."""
    start = time.perf_counter()
    fn()  # warm-up, and a first estimate
    number = int(min(1000, max(1, budget / max(time.perf_counter() - start, 1e-9))))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def time_logdet(
    dims: Sequence[int], batch: int = 16, repeats: int = 3, hidden: int = 64, seed: int = 0
) -> dict[str, np.ndarray]:
    """Seconds per batch of ``batch`` samples, for each ``D`` in ``dims``, of three ways to a log-det.

    ``"slogdet"``: ``torch.linalg.slogdet`` of dense ``(batch, D, D)`` matrices, O(D^3) each;
    ``"sum_s"``: a coupling layer's ``s.sum(1)`` over ``(batch, D)``, O(D) each;
    ``"jacobian"``: building a randomised coupling's Jacobian by autograd (D backward passes), the
    price of even having the matrix. Wall-clock numbers: compare shapes, not values. Timed on one
    thread (restored afterwards), so the curves show arithmetic rather than thread hand-offs, which
    swamp small problems on a busy machine.
    """
    gen = torch.Generator().manual_seed(seed)
    out: dict[str, list[float]] = {"slogdet": [], "sum_s": [], "jacobian": []}
    with threads(1):
        for d in dims:
            mat = torch.randn(batch, d, d, generator=gen) / d**0.5 + torch.eye(d)
            s = torch.randn(batch, d, generator=gen)
            x = torch.randn(batch, d, generator=gen)
            layer = randomize(AffineCoupling(half_mask(d), hidden=hidden), seed)
            out["slogdet"].append(seconds_per_call(lambda m=mat: torch.linalg.slogdet(m), repeats))
            out["sum_s"].append(seconds_per_call(lambda v=s: v.sum(1), repeats))
            out["jacobian"].append(seconds_per_call(lambda f=layer, v=x: jacobian(f, v), repeats))
    return {"dims": np.asarray(dims), **{k: np.asarray(v) for k, v in out.items()}}
