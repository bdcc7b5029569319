"""Pictures of digits and of the image flow's states (notebook 07): image grids, slider frames, a strip."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from torch import Tensor

from ..images.layers import FactorOut, InSqueezed
from ..images.model import ImageFlow, scale_of_pixel
from .encode import palette_pngs
from .figure import canvas_rgb
from .step_labels import step_label
from .style import SIGNED_CMAP, STATE_RANGE

__all__ = ["show_images", "state_pngs", "states", "steps_strip"]

TITLE_INCH_PER_CHAR = 0.08  # an average 9-pt DejaVu Sans character (0.07 in) and some room


def show_images(
    images,
    titles: list[str] | None = None,
    ncols: int | None = None,
    size: float = 0.9,
    cmap: str = "gray_r",
    vlim: tuple[float, float] | None = (0.0, 1.0),
    suptitle: str | None = None,
) -> Figure:
    """A grid of small images (``(N, 1, H, W)``, ``(N, H, W)`` or a list of arrays), one panel each.

    Titles are set at 9 pt; panels widen past ``size`` inches where the longest title needs it, so
    neighbouring titles never run into each other.
    """
    arrays = [np.asarray(torch.as_tensor(im).detach().cpu(), dtype=float) for im in images]
    arrays = [a.reshape(a.shape[-2:]) for a in arrays]  # (1, H, W) or (H, W) -> (H, W)
    if titles:
        longest = max(len(line) for title in titles for line in title.split("\n"))
        size = max(size, TITLE_INCH_PER_CHAR * longest + 0.15)
    ncols = ncols or len(arrays)
    nrows = -(-len(arrays) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * nrows * 1.1 + 0.3 * bool(suptitle)), squeeze=False
    )
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k < len(arrays):
            lo, hi = vlim or (arrays[k].min(), arrays[k].max())
            ax.imshow(arrays[k], cmap=cmap, vmin=lo, vmax=hi)
            if titles:
                ax.set_title(titles[k], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle, fontsize=9)
    return fig


@torch.no_grad()
def states(flow: ImageFlow, v: Tensor) -> tuple[list[np.ndarray], list[str]]:
    """The inference path of one image ``v: (1, 1, 8, 8)``: K+1 arrays ``(8, 8)`` and their titles."""
    path = flow.trajectory(v)
    steps = enumerate(flow.bijections, 1)
    titles = ["h_0 = pixels v"] + [f"h_{k} after {step_label(s)}" for k, s in steps]
    titles[-1] = titles[-1].replace(f"h_{len(flow)}", f"z = h_{len(flow)}")
    return [h[0, 0].cpu().numpy() for h in path], titles


def state_pngs(flow: ImageFlow, v: Tensor, dpi: int = 80) -> tuple[list[bytes], list[str]]:
    """Each state of ``states(flow, v)`` as a slider frame (palette PNG, 608 px wide at 80 dpi).

    Left, the input digit; right, the state h_k on one colour scale for every k (factored-out pixels,
    which no later step changes, marked with x). One figure, its artists updated per state, encoded
    by ``viz.encode`` like every other slider frame.
    """
    images, titles = states(flow, v)
    fixed = (scale_of_pixel(flow) == 1).numpy()
    split = [
        k > 0
        and isinstance(flow.bijections[k - 1], InSqueezed)
        and isinstance(flow.bijections[k - 1].layer, FactorOut)
        for k in range(len(images))
    ]
    split = [any(split[: k + 1]) and fixed.any() for k in range(len(images))]  # marked from then on
    fig = Figure(figsize=(7.6, 3.4), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    left.imshow(images[0], cmap="gray_r", vmin=0, vmax=1)
    left.set_title("the input: pixels v", fontsize=10)
    shown = right.imshow(images[0], cmap=SIGNED_CMAP, vmin=-STATE_RANGE, vmax=STATE_RANGE)
    rows, cols = np.nonzero(fixed)
    marks = right.scatter(cols, rows, s=14, c="k", marker="x", linewidths=0.8)
    fig.colorbar(shown, ax=right, shrink=0.9).set_label("value of h_k (red > 0 > blue)", fontsize=9)
    for ax in (left, right):
        ax.set_axis_off()
    title = fig.suptitle("", fontsize=11)
    rgb = []
    for image, text, marked in zip(images, titles, split):
        shown.set_data(image)
        marks.set_visible(marked)
        right.set_title("h_k, factored-out pixels marked x" if marked else "h_k", fontsize=10)
        title.set_text(text)
        fig.canvas.draw()
        rgb.append(canvas_rgb(fig))
    return palette_pngs(rgb), titles


def steps_strip(flow: ImageFlow, v: Tensor) -> Figure:
    """Every state of ``v``'s inference path side by side: the static twin of ``state_pngs``' slider.

    ``tools/make_figures.py`` writes it as ``figures/digits_steps.png``, beside ``static.depth_strip``'s.
    """
    images, _ = states(flow, v)
    names = ["pixels v"] + [step_label(step, sep="\n") for step in flow.bijections]  # a coupling in two lines
    labels = [f"h_{k} {name}" for k, name in enumerate(names)]
    fig = show_images(
        images,
        labels,
        ncols=5,
        size=1.9,  # room for the colourbar, which takes its width from the panels
        cmap=SIGNED_CMAP,
        vlim=(-STATE_RANGE, STATE_RANGE),
        suptitle="inference path of one test digit (2x4x4: the 2 channels left after "
        f"factor-out; colours {-STATE_RANGE:g} blue .. {STATE_RANGE:g} red)",
    )
    fig.axes[0].images[0].set_cmap("gray_r")
    fig.axes[0].images[0].set_clim(0, 1)
    fig.colorbar(fig.axes[1].images[0], ax=fig.axes, shrink=0.7, pad=0.02).set_label(
        "value of h_k (pixels v: grey, 0 to 1)", fontsize=9
    )
    return fig
