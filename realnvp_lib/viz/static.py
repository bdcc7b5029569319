"""Static pictures of a flow's paths: the depth strips (the slider's still twin) and the shorter models."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from ..bijections import AffineCoupling
from ..flow import Flow
from ..instruments import trajectories
from . import panels
from .figure import NO_MAP, PANEL_TITLES
from .frames import depth_frames, depth_maps, own_lim
from .style import LOGDET_COLORBAR, SIGNED_CMAP, label_colors, log_q_limits, logdet_bound

__all__ = ["ROWS", "depth_strip", "shorter_models", "strip_depths"]

ROWS = ("points", "density", "logdet")
ROW_LABELS = {"points": "points on the grid", "density": "$\\log q_k$", "logdet": PANEL_TITLES["logdet"]}


def strip_depths(flow: Flow, direction: str = "inference", count: int | None = None) -> list[int]:
    """Depth 0 and the depths right after each coupling step (a permutation only mirrors the state).

    With ``count``, about that many of them, evenly spread, always including the first and last.
    """
    ks = [0] + [
        k
        for k, (layer, _) in enumerate(trajectories.steps(flow, direction), 1)
        if isinstance(layer, AffineCoupling)
    ]
    if count is None or count >= len(ks):
        return ks
    return [ks[i] for i in sorted({round(j * (len(ks) - 1) / (count - 1)) for j in range(count)})]


def _couplings_before(flow: Flow, direction: str, k: int) -> int:
    return sum(isinstance(layer, AffineCoupling) for layer, _ in trajectories.steps(flow, direction)[:k])


def depth_strip(
    flow: Flow,
    direction: str,
    n: int = 1000,
    seed: int = 0,
    count: int = 6,
    size: float = 3.2,
    grid_n: int = 80,
    rows=ROWS,
) -> Figure:
    """The static twin of the depth slider: ``count`` depths side by side, one row per panel.

    Rows: the points on the pushed coordinate grid; ``log q_k``, the model's log-density of state k
    (one colour scale for the row); ``log|det J|`` of step k where its points landed (red: the step
    stretched area there, blue: squeezed). Each depth has its own square box, shared by its column,
    so the data and the Gaussian both fill their panels. ``size`` inches per panel (at 80 dpi the
    panels come out at least 200 px square, labels at 9 pt).
    """
    # The slider's own states, boxes and maps (``follow=True``), at the depths of the strip only.
    frames = depth_frames(flow, direction, n, seed, maps=False, follow=True)
    ks = strip_depths(flow, direction, count)
    lims = [frames.lims[k] for k in ks]
    maps = [depth_maps(flow, direction, k, lim, grid_n) for k, lim in zip(ks, lims)]
    fig, axes = plt.subplots(
        len(rows),
        len(ks),
        figsize=(size * len(ks) + 1.0, size * len(rows) + 0.4),
        squeeze=False,
        layout="constrained",
    )
    letter = "h" if direction == "inference" else "g"
    fig.suptitle(f"{direction} path: state ${letter}_k$ after k of the K = {len(flow)} steps")
    colors = label_colors(frames.labels, frames.palette)
    vmin, vmax = log_q_limits([log_q for log_q, _ in maps])  # one scale a row, as in the slider
    bound = logdet_bound([logdet for _, logdet in maps], [frames.points[k] for k in ks], lims)
    art = {}
    for col, (k, lim, (log_q, logdet)) in enumerate(zip(ks, lims, maps)):
        for row, name in enumerate(rows):
            ax = axes[row, col]
            if name == "points":
                panels.warped_grid(ax, frames.lines[k])
                panels.scatter(
                    ax,
                    frames.points[k],
                    colors,
                    lim,
                    s=2.0,
                    alpha=0.8,
                    title=f"k = {k} ({_couplings_before(flow, direction, k)} couplings)",
                )
            elif name == "density":
                art[name] = panels.heatmap(ax, log_q, lim, vmin=vmin, vmax=vmax)
            else:
                art[name] = panels.heatmap(ax, logdet, lim, SIGNED_CMAP, -bound, bound)
                ax.scatter(*frames.points[k].T, s=0.3, c="k", alpha=0.2, linewidths=0)
                if k == 0:
                    ax.text(0.5, 0.93, NO_MAP, transform=ax.transAxes, ha="center", va="top", fontsize=9)
            ax.tick_params(labelsize=9, length=2)
        axes[-1, col].set_xlabel("coordinate 1")
    for row, name in enumerate(rows):
        axes[row, 0].set_ylabel(ROW_LABELS[name] + "\ncoordinate 2")
        if name in art:
            label = "log-density (nats)" if name == "density" else LOGDET_COLORBAR
            fig.colorbar(art[name], ax=axes[row, :], shrink=0.9, pad=0.01, label=label)
    return fig


@torch.no_grad()
def shorter_models(flow: Flow, n: int = 1000, seed: int = 0, count: int = 5, size: float = 3.0) -> Figure:
    """Top row: g_k, part-way along the generation path. Bottom: ``inverse(z, k)`` (first k steps undone)."""
    z = flow.base_sample(n, seed=seed)
    colors = label_colors(trajectories.quadrants(z), "quadrants")
    ks = strip_depths(flow, "generation", count)
    gen = flow.inverse_trajectory(z)
    short = [trajectories.shorter_model_sample(flow, z, k) for k in ks]
    fig, axes = plt.subplots(
        2, len(ks), figsize=(size * len(ks), 2 * size + 0.3), squeeze=False, layout="constrained"
    )
    for col, k in enumerate(ks):
        lim = own_lim([gen[k].numpy(), short[col].numpy()])
        panels.scatter(axes[0, col], gen[k], colors, lim, f"$g_{{{k}}}$", s=1.5)
        panels.scatter(axes[1, col], short[col], colors, lim, f"inverse(z, {k})", s=1.5)
        for ax in axes[:, col]:
            ax.tick_params(labelsize=9, length=2)
    axes[0, 0].set_ylabel(f"generation path of\nthe full flow ({len(flow)} steps)")
    axes[1, 0].set_ylabel("inverse(z, k), undoing the first\nk steps: a k-step model's sample")
    fig.suptitle("same z, colour = its quadrant; each column has its own box")
    return fig
