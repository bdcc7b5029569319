"""Pictures of digits and of the image flow's states (notebook 07), and its static strip for ``figures/``."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor

from ..images.layers import ConvCoupling, FactorOut, InSqueezed
from ..images.logit import Logit
from ..images.model import ImageFlow, scale_of_pixel
from ..images.norm import ActNorm

__all__ = ["image_step_name", "save_steps_strip", "show_images", "state_pngs", "states"]


def show_images(images, titles: list[str] | None = None, ncols: int | None = None, size: float = 0.9,
                cmap: str = "gray_r", vlim: tuple[float, float] | None = (0.0, 1.0),
                suptitle: str | None = None) -> Figure:
    """A grid of small images (``(N, 1, H, W)``, ``(N, H, W)`` or a list of arrays), one panel each."""
    arrays = [np.asarray(torch.as_tensor(im).detach().cpu(), dtype=float) for im in images]
    arrays = [a.reshape(a.shape[-2:]) for a in arrays]  # (1, H, W) or (H, W) -> (H, W)
    ncols = ncols or len(arrays)
    nrows = -(-len(arrays) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 1.1 + 0.3 * bool(suptitle)),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k < len(arrays):
            lo, hi = vlim or (arrays[k].min(), arrays[k].max())
            ax.imshow(arrays[k], cmap=cmap, vmin=lo, vmax=hi)
            if titles:
                ax.set_title(titles[k], fontsize=7)
    if suptitle:
        fig.suptitle(suptitle, fontsize=9)
    return fig


def image_step_name(step: torch.nn.Module) -> str:
    """A short reader's name for one step of ``image_realnvp`` (``paths.step_name`` names the 2-D flow's)."""
    if isinstance(step, Logit):
        return "logit"
    if isinstance(step, ActNorm):
        return "actnorm"
    if isinstance(step, InSqueezed) and isinstance(step.layer, FactorOut):
        return "coupling on 2x4x4 (after factor-out)"
    if isinstance(step, InSqueezed):
        return "channel coupling on 4x4x4"
    if isinstance(step, ConvCoupling):
        return "checkerboard coupling on 8x8"
    return type(step).__name__


@torch.no_grad()
def states(flow: ImageFlow, v: Tensor) -> tuple[list[np.ndarray], list[str]]:
    """The inference path of one image ``v: (1, 1, 8, 8)``: K+1 arrays ``(8, 8)`` and their titles."""
    path = flow.trajectory(v)
    steps = enumerate(flow.bijections, 1)
    titles = ["h_0 = pixels v"] + [f"h_{k} after {image_step_name(s)}" for k, s in steps]
    titles[-1] = titles[-1].replace(f"h_{len(flow)}", f"z = h_{len(flow)}")
    return [h[0, 0].cpu().numpy() for h in path], titles


def _state_figure(image: np.ndarray, title: str, first: bool, fixed: np.ndarray | None) -> Figure:
    fig, ax = plt.subplots(figsize=(2.6, 2.8))
    if first:
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
    else:
        ax.imshow(image, cmap="RdBu_r", vmin=-3, vmax=3)
    if fixed is not None:  # mark the coordinates that were factored out and no longer change
        rows, cols = np.nonzero(fixed)
        ax.scatter(cols, rows, s=6, c="k", marker="x", linewidths=0.6)
    ax.set_title(title, fontsize=8)
    ax.set_axis_off()
    return fig


def state_pngs(flow: ImageFlow, v: Tensor, dpi: int = 80) -> tuple[list[bytes], list[str]]:
    """Each state of ``states(flow, v)`` rendered to PNG bytes (factored-out pixels marked with x)."""
    images, titles = states(flow, v)
    fixed_map = (scale_of_pixel(flow) == 1).numpy()
    pngs = []
    for k, (image, title) in enumerate(zip(images, titles)):
        after_split = k > 0 and isinstance(flow.bijections[k - 1], InSqueezed) \
            and isinstance(flow.bijections[k - 1].layer, FactorOut)
        fig = _state_figure(image, title, k == 0, fixed_map if after_split and fixed_map.any() else None)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        plt.close(fig)
        pngs.append(buf.getvalue())
    return pngs, titles


def save_steps_strip(flow: ImageFlow, v: Tensor, path: str | Path, dpi: int = 80) -> Path:
    """Write every state of ``v``'s inference path side by side as one PNG (the slider's static twin)."""
    images, titles = states(flow, v)
    short = {"pixels v": "pixels", "logit": "logit", "actnorm": "actnorm", "checkerboard coupling on 8x8":
             "checker 8x8", "channel coupling on 4x4x4": "channel 4x4x4",
             "coupling on 2x4x4 (after factor-out)": "2x4x4 *"}
    labels = [t.split(" ")[0] + " " + short.get(t.split(" after ")[-1].replace("h_0 = ", ""), "")
              for t in titles]
    fig = show_images(images, labels, ncols=-(-len(images) // 2), size=1.2, cmap="RdBu_r", vlim=(-3, 3),
                      suptitle="inference path of one test digit (* = on the 2 channels left after "
                               "factor-out; colours -3 blue .. 3 red)")
    fig.axes[0].images[0].set_cmap("gray_r")
    fig.axes[0].images[0].set_clim(0, 1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
