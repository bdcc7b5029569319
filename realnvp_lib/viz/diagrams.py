"""Diagrams drawn from the library's own objects: a coupling, a flow's steps, a learning-rate schedule."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from torch import nn

from ..bijections import AffineCoupling
from ..config import FitConfig, lr_factor
from ..flow import Flow
from .step_labels import step_label

__all__ = ["coupling_diagram", "flow_diagram", "jacobian_pattern", "net_shape", "schedule_diagram"]

COPIED, MOVED, NET, PERM = "#f2d16b", "#7fa7d9", "#d9d9d9", "#c9b3e0"  # mask colours match notebook 03


def _box(
    ax: Axes, x: float, y: float, w: float, h: float, text: str, color: str, gid: str, fontsize: float = 9
) -> FancyBboxPatch:
    """A rounded box centred at (x, y), labelled; ``gid`` names it so tests can count what was drawn."""
    patch = FancyBboxPatch(
        (x - w / 2, y - h / 2),
        w,
        h,
        boxstyle="round,pad=0.02,rounding_size=0.06",
        fc=color,
        ec="0.25",
        lw=0.8,
        gid=gid,
    )
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)
    return patch


def _arrow(ax: Axes, start, end, text: str = "", color: str = "0.3", rad: float = 0.0) -> None:
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=9,
            lw=0.9,
            color=color,
            connectionstyle=f"arc3,rad={rad}",
            shrinkA=2,
            shrinkB=2,
        )
    )
    if text:
        ax.text(
            (start[0] + end[0]) / 2,
            (start[1] + end[1]) / 2 + 0.12,
            text,
            ha="center",
            va="bottom",
            fontsize=8,
            color=color,
        )


def net_shape(net: nn.Module) -> list[int]:
    """Widths of an MLP conditioner's layers, input first: ``[2, 64, 64, 4]``; [] if it has no Linear."""
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    return [linears[0].in_features] + [m.out_features for m in linears] if linears else []


def jacobian_pattern(mask) -> np.ndarray:
    """Which entries of a coupling's Jacobian ``dy_i/dx_j`` can be non-zero, coordinates in mask order.

    Codes: 0 exactly zero, 1 identity (copied), 2 ``exp(s_i)`` (moved, on the diagonal), 3 dense
    (a moved output against a copied input: whatever the networks do).
    """
    b = np.asarray(mask, dtype=float).reshape(-1)
    b = np.concatenate([b[b == 1], b[b == 0]])
    eye = np.eye(len(b), dtype=bool)
    return np.select([eye & (b[:, None] == 1), eye, (b[:, None] == 0) & (b[None, :] == 1)], [1, 2, 3], 0)


def coupling_diagram(layer: AffineCoupling, size: float = 3.0) -> Figure:
    """One coupling as drawn from ``layer``: its mask's split, the s and t networks, exp, and its Jacobian.

    Left, the block: one box per coordinate of x (copied where the mask is 1, moved where it is 0),
    the conditioner (its layer widths read from ``layer.net``), the bounded s with ``layer.scale_bound``,
    exp(s) and + t, and one box per coordinate of y. Right, the shape of its Jacobian in mask order
    (``jacobian_pattern``): identity, zero block, diagonal exp(s), dense block.
    """
    mask = layer.mask.reshape(-1).cpu().numpy()
    d = len(mask)
    fig, (ax, axj) = plt.subplots(
        1, 2, figsize=(size * 2.9, size), width_ratios=[2.2, 1], layout="constrained"
    )
    ax.set(xlim=(-0.2, 8.4), ylim=(-2.3, d), xticks=[], yticks=[])
    ax.set_axis_off()
    rows = d - 0.5 - np.arange(d)  # coordinate j at height rows[j], the first on top
    bound = layer.scale_bound
    s_label = "$s = \\tilde s$" if bound is None else f"$s = {bound:g}\\,\\tanh(\\tilde s/{bound:g})$"
    widths = net_shape(layer.net)
    net_label = "conditioner " + ("→".join(map(str, widths)) if widths else type(layer.net).__name__)
    net = (3.3, -1.0)  # below the rows, so no arrow crosses it
    _box(
        ax,
        *net,
        2.6,
        0.8,
        net_label + "\n$b \\odot x \\mapsto (\\tilde s, t)$, " + s_label,
        NET,
        "net",
        fontsize=8,
    )
    for j, (y, copied) in enumerate(zip(rows, mask == 1)):
        _box(ax, 0.4, y, 0.7, 0.6, f"$x_{{{j + 1}}}$", COPIED if copied else MOVED, f"x:{j}")
        _box(ax, 7.7, y, 0.7, 0.6, f"$y_{{{j + 1}}}$", COPIED if copied else MOVED, f"y:{j}")
        if copied:
            _arrow(ax, (0.75, y), (7.35, y), "copied: $y_j = x_j$", "0.45")
            _arrow(ax, (0.75, y - 0.1), (net[0] - 0.9, net[1] + 0.4), color="0.6")
        else:
            _box(ax, 5.0, y, 1.1, 0.6, "$\\times\\, e^{s_j}$", "white", f"exp:{j}")
            _box(ax, 6.4, y, 0.8, 0.6, "$+\\,t_j$", "white", f"shift:{j}")
            _arrow(ax, (0.75, y), (4.45, y))
            _arrow(ax, (5.55, y), (6.0, y))
            _arrow(ax, (6.8, y), (7.35, y))
            _arrow(ax, (net[0] + 0.7, net[1] + 0.4), (5.0, y - 0.3), color="0.6")
            _arrow(ax, (net[0] + 1.1, net[1] + 0.4), (6.4, y - 0.3), color="0.6")
    ax.text(
        3.3, -2.1, "$\\log|\\det J| = \\sum_j (1 - b_j)\\, s_j$: no matrix needed", ha="center", fontsize=8
    )
    ax.set_title(f"one coupling, D = {d}: yellow copied (b = 1), blue moved (b = 0)", fontsize=9)
    pattern = jacobian_pattern(mask)
    colors = np.array([[1, 1, 1], [0.95, 0.82, 0.42], [0.5, 0.65, 0.85], [0.6, 0.6, 0.6]])
    axj.imshow(colors[pattern], gid="jacobian")
    order = np.concatenate([np.flatnonzero(mask == 1), np.flatnonzero(mask == 0)]) + 1
    for (i, j), code in np.ndenumerate(pattern):
        axj.text(j, i, ["0", "1", "$e^{s}$", "∗"][code], ha="center", va="center", fontsize=8)
    axj.set(
        xticks=range(d),
        yticks=range(d),
        xticklabels=order,
        yticklabels=order,
        xlabel="input $x_j$ (copied first)",
        ylabel="output $y_i$",
        title="its Jacobian: triangular",
    )
    return fig


def flow_diagram(flow: Flow, size: float = 0.62) -> Figure:
    """The steps of ``flow`` as a row of boxes, both directions drawn: inference above, generation below.

    One box per step of ``flow.bijections`` (a coupling shows its mask: ■ copied, □ moved), the states
    ``h_0 = x .. h_K = z`` between them, and the log-det each direction adds up.
    """
    steps = list(flow.bijections)
    k = len(steps)
    fig, ax = plt.subplots(figsize=(max(5.0, size * (k + 2)), 2.6), layout="constrained")
    ax.set(xlim=(-0.7, k + 0.7), ylim=(-1.25, 1.3))
    ax.set_axis_off()
    for i, step in enumerate(steps):
        coupling = isinstance(step, AffineCoupling)
        mask = "".join("■" if b else "□" for b in step.mask.reshape(-1).tolist()) if coupling else ""
        label = f"$f_{{{i + 1}}}$\n{step_label(step)}" + (f"\n{mask}" if 0 < len(mask) <= 8 else "")
        _box(ax, i + 0.5, 0, 0.8, 0.95, label, MOVED if coupling else PERM, f"step:{i}", fontsize=7)
    for i in range(k + 1):
        ax.text(i, 0.6, "$x$" if i == 0 else ("$z$" if i == k else f"$h_{{{i}}}$"), ha="center", fontsize=8)
    _arrow(
        ax,
        (0, 0.95),
        (k, 0.95),
        "inference (forward): $x \\to z$, $\\log q(x) = \\log\\mathcal{N}(z) + \\sum_k \\log|\\det J_{f_k}|$",
        "C0",
    )
    _arrow(ax, (k, -0.7), (0, -0.7), "", "C3")
    ax.text(
        k / 2,
        -1.15,
        "generation (inverse): $z \\sim \\mathcal{N}(0, I) \\to x$, steps "
        f"$f_{{{k}}}^{{-1}}, \\dots, f_1^{{-1}}$",
        ha="center",
        fontsize=8,
        color="C3",
    )
    n_couplings = sum(isinstance(s, AffineCoupling) for s in steps)
    ax.set_title(
        f"a flow of K = {k} steps: {n_couplings} couplings (blue) and {k - n_couplings} other steps (purple)",
        fontsize=9,
    )
    return fig


def schedule_diagram(config: FitConfig | None = None, steps: int | None = None) -> Figure:
    """The learning rate ``config.lr * lr_factor(n)`` at every step of a run, as ``rl.fit`` sets it.

    ``steps`` defaults to ``config.steps``; the warm-up's end and the half-way point of the decay are marked.
    """
    config = config or FitConfig()
    steps = steps or config.steps
    lrs = np.array([config.lr * lr_factor(n, steps, config.warmup) for n in range(steps)])
    warm = max(1, min(config.warmup, steps // 8))
    fig, ax = plt.subplots(figsize=(4.8, 2.8), layout="constrained")
    ax.plot(np.arange(1, steps + 1), lrs, lw=1.5, gid="schedule")
    ax.axvline(warm, color="0.5", ls=":", lw=0.8)
    ax.annotate(
        f"warm-up ends: step {warm}",
        (warm, config.lr),
        xytext=(warm + 0.06 * steps, 0.95 * config.lr),
        fontsize=8,
        arrowprops=dict(arrowstyle="-", color="0.5", lw=0.6),
    )
    ax.set(
        xlabel="training step",
        ylabel="learning rate",
        ylim=(0, 1.08 * config.lr),
        title=f"the schedule of {steps} steps: warm-up to\n{config.lr:g}, then cosine decay to 0",
    )
    return fig
