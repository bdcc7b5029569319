"""Calculus of maps, no drawing: autograd Jacobians, monotone inverses, polygon and cell areas."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from ..runtime import dtype_and_device

__all__ = ["Cells", "area_ratios", "invert_monotone", "jacobian", "polygon_area"]

Map = Callable[[Tensor], Tensor | tuple[Tensor, Tensor]]


def _output(fn: Map, x: Tensor) -> Tensor:
    out = fn(x)
    return out[0] if isinstance(out, tuple) else out


def jacobian(fn: Map, x: Tensor) -> Tensor:
    """Per-sample Jacobians ``(B, D_out, D_in)`` of a row-wise map, by autograd.

    ``fn`` maps ``(B, D_in) -> (B, D_out)`` (or ``-> (y, logdet)``, as every bijection does) and
    treats rows independently, so the Jacobian of the batch sum is every row's Jacobian at once.

    >>> a = torch.tensor([[2.0, 1.0], [0.0, 3.0]])
    >>> jacobian(lambda x: x @ a.T, torch.zeros(4, 2)).shape
    torch.Size([4, 2, 2])
    """
    jac = torch.autograd.functional.jacobian(lambda v: _output(fn, v).sum(0), x, vectorize=True)
    return jac.permute(1, 0, 2)


_CHUNK = 1 << 14  # rows per bisection chunk


def invert_monotone(
    f: Callable[[Tensor], Tensor], y: Tensor, lo: float = -50.0, hi: float = 50.0, iters: int = 64
) -> Tensor:
    """Solve ``f(x) = y`` for an increasing, elementwise ``f`` by bisection on ``[lo, hi]``.

    >>> invert_monotone(lambda x: x**3, torch.tensor([8.0, -1.0], dtype=torch.float64)).tolist()
    [2.0, -1.0]
    """
    if y.numel() > _CHUNK:  # many tiny ops: below torch's parallel grain they skip thread hand-offs
        parts = y.reshape(-1).split(_CHUNK)
        return torch.cat([invert_monotone(f, part, lo, hi, iters) for part in parts]).view_as(y)
    lo_t, hi_t = torch.full_like(y, lo), torch.full_like(y, hi)
    if bool((f(lo_t) > y).any() | (f(hi_t) < y).any()):
        raise ValueError(f"some y lie outside [f({lo}), f({hi})]: widen the bracket")
    for _ in range(iters):
        mid = (lo_t + hi_t) / 2
        below = f(mid) < y
        lo_t, hi_t = torch.where(below, mid, lo_t), torch.where(below, hi_t, mid)
    return (lo_t + hi_t) / 2


def polygon_area(vertices: np.ndarray) -> np.ndarray:
    """Signed shoelace area of polygons ``(..., V, 2)`` (positive when counter-clockwise).

    >>> float(polygon_area(np.array([[0, 0], [2, 0], [2, 1], [0, 1]])))
    2.0
    """
    x, y = vertices[..., 0], vertices[..., 1]
    return 0.5 * (x * np.roll(y, -1, axis=-1) - np.roll(x, -1, axis=-1) * y).sum(-1)


class Cells(NamedTuple):
    """An ``n x n`` grid of small cells before and after a 2-D map (``area_ratios``'s result)."""

    centres: np.ndarray  # (n*n, 2)
    before: np.ndarray  # (n*n, V, 2) cell boundaries, counter-clockwise
    after: np.ndarray  # (n*n, V, 2) the same boundary points pushed through the map
    ratio: np.ndarray  # (n*n,) area after / area before


def area_ratios(fn: Map, xlim: Sequence[float], ylim: Sequence[float], n: int = 16, subdiv: int = 8) -> Cells:
    """Push the boundary of each cell of an ``n x n`` grid through ``fn`` and measure its new area.

    Each edge carries ``subdiv`` points so that curved images of the edges are followed. As the cells
    shrink, ``ratio`` tends to ``|det J|`` at the cell's centre. Float64 unless ``fn`` is a module.

    >>> cells = area_ratios(lambda x: 3 * x, (0, 1), (0, 1), n=2)
    >>> cells.ratio.round(6).tolist()
    [9.0, 9.0, 9.0, 9.0]
    """
    xs, ys = np.linspace(*xlim, n + 1), np.linspace(*ylim, n + 1)
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    u = np.linspace(0, 1, subdiv, endpoint=False)
    zero, one = np.zeros_like(u), np.ones_like(u)
    square = np.concatenate([np.stack(p, 1) for p in ((u, zero), (one, u), (1 - u, one), (zero, 1 - u))])
    x0, y0 = np.meshgrid(xs[:-1], ys[:-1])
    corners = np.stack([x0.ravel(), y0.ravel()], 1)
    before = corners[:, None, :] + square[None] * np.array([dx, dy])
    dtype = dtype_and_device(fn, torch.float64)[0]
    with torch.no_grad():
        after = _output(fn, torch.as_tensor(before.reshape(-1, 2), dtype=dtype))
    after = after.double().numpy().reshape(before.shape)
    ratio = np.abs(polygon_area(after)) / np.abs(polygon_area(before))
    return Cells(corners + np.array([dx, dy]) / 2, before, after, ratio)
