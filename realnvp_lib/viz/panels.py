"""Matplotlib panels: scatter, density maps, loss curves, warped grids and cells, Jacobian matrices."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from matplotlib.axes import Axes
from torch import Tensor

from ..instruments.grids import grid_values
from .style import DATA_LIM, SIGNED_CMAP, is_labels, label_colors

__all__ = [
    "coordinate_paths",
    "density",
    "draw_cells",
    "draw_matrix",
    "heatmap",
    "loss_curve",
    "scatter",
    "warped_grid",
]


def _np(x: Tensor | np.ndarray) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, Tensor) else np.asarray(x)


def scatter(
    ax: Axes,
    x: Tensor | np.ndarray,
    colors=None,
    lim=DATA_LIM,
    title: str = "",
    s: float = 2.0,
    alpha: float = 0.6,
):
    """Scatter ``x: (B, 2)`` on fixed limits ``((x0, x1), (y0, y1))``; returns the PathCollection.

    ``colors`` may be a ``(B,)`` array of labels (mapped to moon colours) or any matplotlib colour.
    """
    pts = _np(x)
    if is_labels(colors, len(pts)):
        colors = label_colors(colors)
    artist = ax.scatter(pts[:, 0], pts[:, 1], s=s, c=colors, alpha=alpha, linewidths=0)
    ax.set(xlim=lim[0], ylim=lim[1], title=title)
    ax.set_aspect("equal")
    return artist


@torch.no_grad()
def density(
    ax: Axes,
    log_prob: Callable[[Tensor], Tensor],
    lim=DATA_LIM,
    n: int = 200,
    title: str = "",
    log: bool = False,
    vmax: float | None = None,
):
    """Heatmap of ``exp(log_prob)`` (or ``log_prob`` itself if ``log``) on an ``n x n`` grid."""
    values = grid_values(log_prob, lim, n)
    return heatmap(ax, values if log else values.exp(), lim, vmax=vmax, title=title)


def loss_curve(
    ax: Axes,
    losses: Sequence[float],
    reference: float | None = None,
    smooth: int = 50,
    title: str = "training loss",
):
    """Per-step loss with a running mean over ``smooth`` steps, and a dashed optimum line."""
    losses = np.asarray(losses, dtype=float)
    ax.plot(losses, lw=0.5, alpha=0.4, color="grey", label="per batch")
    if len(losses) >= smooth:
        running = np.convolve(losses, np.ones(smooth) / smooth, mode="valid")
        ax.plot(np.arange(smooth - 1, len(losses)), running, lw=1.5, label=f"mean of {smooth}")
    if reference is not None:
        ax.axhline(reference, ls="--", color="k", lw=1, label=f"true entropy {reference:.3f}")
    ax.set(xlabel="step", ylabel="NLL (nats)", title=title)
    ax.legend(frameon=False)


# --- Panels for the per-layer pictures (frames, GIFs, sliders) ----------------------------------
def warped_grid(ax: Axes, lines, color: str = "0.75", lw: float = 0.6):
    """Draw ``(L, M, 2)`` polylines (``grids.grid_lines`` after a map) behind the points; returns them."""
    from matplotlib.collections import LineCollection

    artist = LineCollection(list(_np(lines)), colors=color, linewidths=lw, zorder=0)
    ax.add_collection(artist)
    return artist


def heatmap(ax: Axes, values, lim=DATA_LIM, cmap: str = "viridis", vmin=None, vmax=None, title: str = ""):
    """Show an ``(n, n)`` grid of ``values`` over ``lim`` (row i at the i-th y); returns the AxesImage."""
    artist = ax.imshow(
        _np(values),
        origin="lower",
        extent=(*lim[0], *lim[1]),
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        aspect="equal",
        interpolation="bilinear",
    )
    ax.set(xlim=lim[0], ylim=lim[1], title=title)
    return artist


# --- Panels for notebooks 04 and 05 ------------------------------------------------------------------
def coordinate_paths(
    ax: Axes, states: Sequence[Tensor], coord: int, n: int = 40, colors=None, title: str = ""
):
    """Plot coordinate ``coord`` of the first ``n`` points against the layer index ``k = 0..K``.

    ``states`` is a trajectory (``Flow.trajectory``): K+1 tensors ``(B, D)``. A flat line is a
    coordinate that the layers leave alone. ``colors`` as in ``scatter`` (labels or colours).
    """
    values = np.stack([_np(h[:n, coord]) for h in states])  # (K+1, n)
    if is_labels(colors, len(_np(states[0]))):
        colors = label_colors(np.asarray(colors)[:n])
    for i in range(values.shape[1]):
        ax.plot(values[:, i], lw=0.8, alpha=0.7, color=None if colors is None else colors[i])
    ax.set(xlabel="step k", ylabel=f"coordinate {coord} of $h_k$", title=title)
    ax.set_xticks(range(len(states)))


def draw_cells(
    ax,
    polygons: np.ndarray,
    values: np.ndarray | None = None,
    vmax: float = 1.0,
    cmap: str = SIGNED_CMAP,
    title: str = "",
):
    """Fill polygons ``(N, V, 2)`` with ``values`` on a colour scale symmetric about 0 (outlines if None)."""
    from matplotlib.collections import PolyCollection

    cells = PolyCollection(list(polygons), cmap=cmap, edgecolors="0.3", linewidths=0.3)
    if values is None:
        cells.set_facecolor("none")
    else:
        cells.set_array(np.asarray(values))
        cells.set_clim(-vmax, vmax)
    ax.add_collection(cells)
    ax.autoscale_view()
    ax.set(aspect="equal", title=title)
    return cells


def draw_matrix(
    ax,
    matrix: Tensor | np.ndarray,
    title: str = "",
    annotate: bool = True,
    vmax=None,
    labels: tuple[str, str] = ("input $x_j$", "output $y_i$"),
):
    """Heatmap of a ``(D, D)`` Jacobian, rows = outputs, exact zeros grey; entries written in if asked."""
    m = matrix.detach().double().cpu().numpy() if isinstance(matrix, Tensor) else np.asarray(matrix)
    vmax = vmax or float(np.abs(m).max())
    from matplotlib import colormaps

    cmap = colormaps[SIGNED_CMAP].with_extremes(bad="0.88")
    art = ax.imshow(np.ma.masked_equal(m, 0.0), cmap=cmap, vmin=-vmax, vmax=vmax)
    if annotate:
        for (i, j), v in np.ndenumerate(m):
            ax.text(
                j,
                i,
                "0" if v == 0 else f"{v:.2f}",
                ha="center",
                va="center",
                fontsize=6,
                color="0.45" if v == 0 else ("w" if abs(v) > 0.6 * vmax else "k"),
            )
    ticks = range(m.shape[0])
    ax.set(
        xticks=ticks,
        yticks=ticks,
        xticklabels=[f"{j + 1}" for j in ticks],
        yticklabels=[f"{i + 1}" for i in ticks],
        xlabel=labels[0],
        ylabel=labels[1],
        title=title,
    )
    return art
