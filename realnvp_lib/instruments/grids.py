"""Points and polylines on a 2-D box, and a function evaluated on it: the one grid behind density maps,
integrals and warped-grid pictures."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ..checks import check_int

__all__ = ["Box", "grid_lines", "grid_points", "grid_values"]

Box = tuple[tuple[float, float], tuple[float, float]]  # ((x0, x1), (y0, y1)): a plot box, a grid's span


def _check_box(lim) -> None:
    (x0, x1), (y0, y1) = lim
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"a box ((x0, x1), (y0, y1)) needs x0 < x1 and y0 < y1, got {lim}")


def grid_points(lim: Box, n: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """``(n * n, 2)`` points of an ``n x n`` grid over ``lim = ((x0, x1), (y0, y1))``, row by row in y.

    Row ``i * n + j`` is ``(xs[j], ys[i])``: reshaped to ``(n, n)``, values are ready for ``imshow``.

    >>> grid_points(((0, 1), (0, 2)), 2).tolist()
    [[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [1.0, 2.0]]
    """
    _check_box(lim)
    n = check_int("n (grid points a side)", n)
    xs = torch.linspace(*lim[0], n, dtype=dtype)
    ys = torch.linspace(*lim[1], n, dtype=dtype)
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1).reshape(-1, 2)


def grid_values(
    fn: Callable[[Tensor], Tensor],
    lim: Box,
    n: int,
    dtype: torch.dtype = torch.float32,
    chunk: int | None = None,
    like: tuple[torch.dtype, torch.device] | None = None,
) -> Tensor:
    """``fn: (B, 2) -> (B,)`` on the ``n x n`` grid of ``grid_points(lim, n, dtype)``: a detached CPU
    tensor ``(n, n)``, row ``i`` at the ``i``-th y (ready for ``imshow(origin="lower")``).

    ``like = (dtype, device)`` moves the points there first (a flow's weights'); ``chunk`` evaluates
    that many points at a time.

    >>> grid_values(lambda p: p.sum(1), ((0, 1), (0, 2)), 2).tolist()
    [[0.0, 1.0], [2.0, 3.0]]
    """
    pts = grid_points(lim, n, dtype)
    if like is not None:
        pts = pts.to(dtype=like[0], device=like[1])
    parts = pts.split(chunk) if chunk else (pts,)
    return torch.cat([fn(p).detach().cpu() for p in parts]).reshape(n, n)


def grid_lines(lim: Box, n_lines: int = 9, n_points: int = 60) -> Tensor:
    """``(2 n_lines, n_points, 2)`` polylines: ``n_lines`` vertical then ``n_lines`` horizontal lines."""
    _check_box(lim)
    n_lines, n_points = check_int("n_lines", n_lines), check_int("n_points", n_points, low=2)
    (x0, x1), (y0, y1) = lim
    u = torch.linspace(0, 1, n_points)
    lines = []
    for v in torch.linspace(0, 1, n_lines):
        lines.append(torch.stack([torch.full_like(u, x0 + v * (x1 - x0)), y0 + u * (y1 - y0)], -1))
    for v in torch.linspace(0, 1, n_lines):
        lines.append(torch.stack([x0 + u * (x1 - x0), torch.full_like(u, y0 + v * (y1 - y0))], -1))
    return torch.stack(lines)
