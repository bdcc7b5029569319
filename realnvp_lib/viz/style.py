"""The series' look: one matplotlib style, fixed boxes, and the one mapping from labels to colours."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = [
    "DATA_LIM",
    "LATENT_LIM",
    "MOON_COLORS",
    "QUADRANT_COLORS",
    "STYLE",
    "is_labels",
    "label_colors",
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
DATA_LIM = ((-1.6, 2.6), (-1.1, 1.6))  # two moons (noise <= 0.1) fits inside
LATENT_LIM = ((-4.0, 4.0), (-4.0, 4.0))
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


def is_labels(colors, n: int) -> bool:
    """True when ``colors`` is a ``(n,)`` array of integer labels rather than matplotlib colours."""
    arr = np.asarray(colors) if colors is not None else None
    return arr is not None and arr.ndim == 1 and len(arr) == n and np.issubdtype(arr.dtype, np.integer)
