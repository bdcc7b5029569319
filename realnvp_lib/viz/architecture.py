"""The multi-scale architecture of an image flow, drawn from the flow object (Dinh et al. 2017, sec. 3.6).

Each coupling step is run on a random input with random weights (``rl.randomize``), and a pixel
counts as transformed when its value changes: the picture cannot drift from the code, and it draws
a learner's own flow as readily as ``image_realnvp``'s. A pixel that no later step changes is a
final latent coordinate: once that happens after a coupling stage, it has been factored out.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..flow import Flow
from ..instruments.perturb import randomize
from .step_labels import step_label

__all__ = ["ROLES", "coordinate_roles", "draw_architecture"]

ROLES = ("passed through", "transformed", "factored out (final)")
COLOURS = ListedColormap(["#f2f2f2", "#d95f02", "#7570b3"])


@torch.no_grad()
def coordinate_roles(flow: Flow, seed: int = 0) -> list[tuple[int, torch.nn.Module, np.ndarray]]:
    """``[(k, step, roles)]`` for every step that leaves some pixel unchanged (the couplings).

    ``roles: (H, W)`` int array for the flow's ``(1, H, W)`` event: 0 passed through, 1 transformed,
    2 factored out (no coupling from ``k`` on changes it). Steps that change every pixel (logit,
    actnorm: elementwise, factored-out pixels included) are left out; ``k`` indexes ``flow.bijections``.
    """
    probe = randomize(copy.deepcopy(flow), seed, std=0.5).double()
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(2, *flow.shape, generator=gen, dtype=torch.float64) * 0.8 + 0.1  # inside any logit
    moved = []
    for step in probe.bijections:
        y, _ = step(x)
        moved.append((y != x).any(0).reshape(flow.shape[-2:]).numpy())
        x = y
    couplings = [k for k, m in enumerate(moved) if not m.all()]
    rows, later, final = [], np.zeros_like(moved[0]), np.zeros_like(moved[0])
    for k in reversed(couplings):
        # Final: no coupling from k on changes it. The last coupling has no later one to tell its
        # passed-through pixels from final ones, so it inherits the previous coupling's verdict.
        later = later | moved[k]
        rows.append((k, flow.bijections[k], moved[k], ~later))
    rows = rows[::-1]
    out = []
    for i, (k, step, m, fin) in enumerate(rows):
        final = fin if i < len(rows) - 1 else (rows[i - 1][3] if i else np.zeros_like(m)) & ~m
        out.append((k, step, np.where(m, 1, np.where(final, 2, 0))))
    return out


def draw_architecture(flow: Flow, seed: int = 0, size: float = 1.45) -> Figure:
    """One panel per coupling step: which pixels it transforms, passes through, or has factored out.

    Squeezed steps are drawn in the image's own 8×8 layout (``unsqueeze`` of their 4×4×4 state),
    so a channel mask shows as a pattern of rows and the factored-out channels as fixed pixels.
    """
    rows = coordinate_roles(flow, seed)
    fig = Figure(figsize=(size * len(rows) + 0.4, size * 2.0))
    axes = fig.subplots(1, len(rows), squeeze=False)[0]
    others = len(flow) - len(rows)
    for ax, (k, step, roles) in zip(axes, rows):
        ax.imshow(roles, cmap=COLOURS, vmin=0, vmax=2)
        ax.set_xticks([])
        ax.set_yticks([])
        label = step_label(step, sep="\n")
        ax.set_title(f"step {k}\n{label}", fontsize=9)
        n_t, n_f = int((roles == 1).sum()), int((roles == 2).sum())
        ax.set_xlabel(f"{n_t} moved" + (f", {n_f} final" if n_f else ""), fontsize=9)
    fig.legend(
        handles=[Patch(color=COLOURS(i), label=r) for i, r in enumerate(ROLES)],
        loc="lower center",
        ncol=3,
        fontsize=9,
        frameon=False,
    )
    fig.suptitle(
        f"{len(rows)} couplings of a {len(flow)}-step flow; the other {others} steps (logit, "
        "actnorm) rescale every pixel one by one, factored-out ones included",
        fontsize=10,
    )
    fig.subplots_adjust(left=0.02, right=0.98, top=0.66, bottom=0.2, wspace=0.12)
    return fig
