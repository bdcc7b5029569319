"""The series' look: one matplotlib style, the fixed plot boxes, the colour scales, and label colours."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = [
    "DATA_GRID",
    "DATA_LIM",
    "LATENT_GRID",
    "LATENT_LIM",
    "LOGDET_COLORBAR",
    "LOG_Q_RANGE",
    "MOON_COLORS",
    "QUADRANT_COLORS",
    "SIGNED_CMAP",
    "STATE_RANGE",
    "STYLE",
    "is_labels",
    "label_colors",
    "log_q_limits",
    "logdet_bound",
    "subplots",
    "use_style",
]

# One look for every figure of the series, and a fixed size so outputs are reproducible.
STYLE = {
    "figure.figsize": (4.0, 3.2),
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "axes.grid": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 9,
    "legend.fontsize": 8,
    "image.cmap": "viridis",
}
# Plot boxes ((x0, x1), (y0, y1)): the axes of a fixed picture, and the coordinate grid drawn in it
# (inside the axes, so its outer lines are not hidden under the frame).
DATA_LIM = ((-1.6, 2.6), (-1.1, 1.6))  # two moons (noise <= 0.1) fits inside
LATENT_LIM = ((-4.0, 4.0), (-4.0, 4.0))
DATA_GRID = ((-1.5, 2.5), (-1.0, 1.5))  # where the inference path's grid lines start (two moons)
LATENT_GRID = ((-3.0, 3.0), (-3.0, 3.0))  # where the generation path's grid lines start

# Colour scales. A signed quantity (a log-det, a Jacobian entry, a latent value) is red above 0 and
# blue below, on a scale symmetric about 0; a log-density is viridis over its top LOG_Q_RANGE nats.
SIGNED_CMAP = "RdBu_r"
LOGDET_COLORBAR = "red: stretched, blue: squeezed"
LOG_Q_RANGE = 8.0  # nats shown below the highest log q: one colour scale for every frame of a picture
STATE_RANGE = 3.0  # an image flow's state h_k is drawn on -3..3: a standard normal latent stays inside
MOON_COLORS = np.array(["#1f77b4", "#ff7f0e"])  # outer moon, inner moon
QUADRANT_COLORS = np.array(["#d62728", "#2ca02c", "#9467bd", "#e7a100"])  # z1<0,z2<0 / z1>0 / ...


def use_style() -> None:
    """Apply the series' matplotlib style (call once in a notebook's setup cell)."""
    plt.rcParams.update(STYLE)


def subplots(ncols: int = 1, nrows: int = 1, size: float = 3.2, **kw) -> tuple[Figure, np.ndarray]:
    """``plt.subplots`` with square-ish panels of ``size`` inches and a flat array of axes."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 0.9), squeeze=False, **kw)
    return fig, axes.ravel()


def label_colors(labels, palette: str = "moons") -> np.ndarray:
    """Colours for integer ``labels``: ``"moons"`` (outer, inner) or ``"quadrants"`` of the latent plane.

    >>> label_colors([0, 1, 2]).tolist()
    ['#1f77b4', '#ff7f0e', '#1f77b4']
    """
    if palette not in ("moons", "quadrants"):
        raise ValueError(f"palette must be 'moons' or 'quadrants', got {palette!r}")
    table = MOON_COLORS if palette == "moons" else QUADRANT_COLORS
    return table[np.asarray(labels) % len(table)]


def log_q_limits(maps) -> tuple[float, float]:
    """``(vmin, vmax)`` of the log-density scale shared by ``maps`` (arrays of log q in nats).

    The top is the highest finite value of all of them, the bottom ``LOG_Q_RANGE`` nats below it.

    >>> log_q_limits([np.array([-3.0, -1.0]), np.array([-20.0, -np.inf])])
    (-9.0, -1.0)
    """
    top = max(float(np.max(m[np.isfinite(m)], initial=-np.inf)) for m in map(np.asarray, maps))
    return top - LOG_Q_RANGE, top


def logdet_bound(maps, points, boxes) -> float:
    """Half-width of the log-det scale shared by ``maps`` (``SIGNED_CMAP`` from ``-bound`` to ``bound``).

    ``maps[k]: (n, n)`` over ``boxes[k]`` (row i at the i-th y) is read where ``points[k]: (B, 2)``
    lie: the scale fits where the probability mass is, not the far field the grid also covers. The
    99th percentile of ``|log det|`` there, at least 0.1; 1.0 when no map has a finite value (before
    the first step there is no log-det, only NaN).

    >>> logdet_bound([np.full((2, 2), -0.5)], [np.zeros((3, 2))], [((-1, 1), (-1, 1))])
    0.5
    """
    cells = []
    for ld, pts, (xs, ys) in zip(maps, points, boxes):
        ld, pts = np.asarray(ld), np.asarray(pts)
        n = ld.shape[0]
        i = np.clip(((pts[:, 1] - ys[0]) / (ys[1] - ys[0]) * (n - 1)).round().astype(int), 0, n - 1)
        j = np.clip(((pts[:, 0] - xs[0]) / (xs[1] - xs[0]) * (n - 1)).round().astype(int), 0, n - 1)
        cells.append(np.abs(ld[i, j]))
    cells = np.concatenate(cells)
    cells = cells[np.isfinite(cells)]
    return max(0.1, float(np.quantile(cells, 0.99))) if len(cells) else 1.0


def is_labels(colors, n: int) -> bool:
    """True when ``colors`` is a ``(n,)`` array of integer labels rather than matplotlib colours."""
    arr = np.asarray(colors) if colors is not None else None
    return arr is not None and arr.ndim == 1 and len(arr) == n and np.issubdtype(arr.dtype, np.integer)
