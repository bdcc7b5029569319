"""Matplotlib panels for 2-D flows: scatter, density heatmap, loss curve; fixed axes and a fixed style."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor

# One look for every figure of the series, and a fixed size so outputs are reproducible.
STYLE = {
    "figure.figsize": (4.0, 3.2),
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "axes.grid": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 9,
    "image.cmap": "viridis",
}
DATA_LIM = ((-1.6, 2.6), (-1.1, 1.6))  # two moons (noise <= 0.1) fits inside
LATENT_LIM = ((-4.0, 4.0), (-4.0, 4.0))
MOON_COLORS = np.array(["#1f77b4", "#ff7f0e"])  # outer moon, inner moon


def use_style() -> None:
    """Apply the series' matplotlib style (call once in a notebook's setup cell)."""
    plt.rcParams.update(STYLE)


def subplots(ncols: int = 1, nrows: int = 1, size: float = 3.2, **kw) -> tuple[Figure, np.ndarray]:
    """``plt.subplots`` with square-ish panels of ``size`` inches and a flat array of axes."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 0.9),
                             squeeze=False, **kw)
    return fig, axes.ravel()


def _np(x: Tensor | np.ndarray) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, Tensor) else np.asarray(x)


def scatter(ax: Axes, x: Tensor | np.ndarray, colors=None, lim=DATA_LIM, title: str = "",
            s: float = 2.0, alpha: float = 0.6):
    """Scatter ``x: (B, 2)`` on fixed limits ``((x0, x1), (y0, y1))``; returns the PathCollection.

    ``colors`` may be a ``(B,)`` array of labels (mapped to moon colours) or any matplotlib colour.
    """
    pts = _np(x)
    if colors is not None and np.ndim(colors) == 1 and len(colors) == len(pts) and \
            np.issubdtype(np.asarray(colors).dtype, np.integer):
        colors = MOON_COLORS[np.asarray(colors) % len(MOON_COLORS)]
    artist = ax.scatter(pts[:, 0], pts[:, 1], s=s, c=colors, alpha=alpha, linewidths=0)
    ax.set(xlim=lim[0], ylim=lim[1], title=title)
    ax.set_aspect("equal")
    return artist


@torch.no_grad()
def density(ax: Axes, log_prob: Callable[[Tensor], Tensor], lim=DATA_LIM, n: int = 200,
            title: str = "", log: bool = False, vmax: float | None = None):
    """Heatmap of ``exp(log_prob)`` (or ``log_prob`` itself if ``log``) on an ``n x n`` grid."""
    xs = torch.linspace(*lim[0], n)
    ys = torch.linspace(*lim[1], n)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1).reshape(-1, 2)
    values = log_prob(grid).reshape(n, n)
    img = values if log else values.exp()
    artist = ax.imshow(_np(img), origin="lower", extent=(*lim[0], *lim[1]), vmax=vmax,
                       aspect="equal", interpolation="bilinear")
    ax.set(xlim=lim[0], ylim=lim[1], title=title)
    return artist


def loss_curve(ax: Axes, losses: Sequence[float], reference: float | None = None,
               smooth: int = 50, title: str = "training loss"):
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


# --- Panels for the per-layer pictures (notebook 06, animation.py, widgets.py) ---------------------
QUADRANT_COLORS = np.array(["#d62728", "#2ca02c", "#9467bd", "#e7a100"])  # z1<0,z2<0 / z1>0 / ...


def label_colors(labels, palette: str = "moons") -> np.ndarray:
    """Colours for integer ``labels``: ``"moons"`` (outer, inner) or ``"quadrants"`` of the latent plane."""
    table = MOON_COLORS if palette == "moons" else QUADRANT_COLORS
    return table[np.asarray(labels) % len(table)]


def grid_lines(ax: Axes, lines, color: str = "0.75", lw: float = 0.6):
    """Draw ``(L, M, 2)`` polylines (a warped coordinate grid) behind the points; returns the collection."""
    from matplotlib.collections import LineCollection

    artist = LineCollection(list(_np(lines)), colors=color, linewidths=lw, zorder=0)
    ax.add_collection(artist)
    return artist


def heatmap(ax: Axes, values, lim=DATA_LIM, cmap: str = "viridis", vmin=None, vmax=None, title: str = ""):
    """Show an ``(n, n)`` grid of ``values`` over ``lim`` (row i at the i-th y); returns the AxesImage."""
    artist = ax.imshow(_np(values), origin="lower", extent=(*lim[0], *lim[1]), cmap=cmap, vmin=vmin,
                       vmax=vmax, aspect="equal", interpolation="bilinear")
    ax.set(xlim=lim[0], ylim=lim[1], title=title)
    return artist


# --- Panels for notebooks 04 and 05 ------------------------------------------------------------------
def coordinate_paths(ax: Axes, states: Sequence[Tensor], coord: int, n: int = 40, colors=None,
                     title: str = ""):
    """Plot coordinate ``coord`` of the first ``n`` points against the layer index ``k = 0..K``.

    ``states`` is a trajectory (``Flow.trajectory``): K+1 tensors ``(B, D)``. A flat line is a
    coordinate that the layers leave alone. ``colors`` as in ``scatter`` (labels or colours).
    """
    values = np.stack([_np(h[:n, coord]) for h in states])  # (K+1, n)
    if colors is not None and np.ndim(colors) == 1 and np.issubdtype(np.asarray(colors).dtype, np.integer):
        colors = MOON_COLORS[np.asarray(colors)[:n] % len(MOON_COLORS)]
    for i in range(values.shape[1]):
        ax.plot(values[:, i], lw=0.8, alpha=0.7, color=None if colors is None else colors[i])
    ax.set(xlabel="layer k", ylabel=f"coordinate {coord} of $h_k$", title=title)
    ax.set_xticks(range(len(states)))
