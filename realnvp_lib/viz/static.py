"""Static pictures of a flow's paths: the depth strips (the slider's still twin) and the shorter models."""

from __future__ import annotations

import torch

from .. import paths
from ..bijections import AffineCoupling
from ..flow import Flow
from . import panels
from .figure import strip
from .frames import depth_frames, depth_lim
from .style import label_colors, subplots

__all__ = ["depth_strip", "shorter_models", "strip_depths"]


def strip_depths(flow: Flow, direction: str = "inference", count: int | None = None) -> list[int]:
    """Depth 0 and the depths right after each coupling step (a permutation only mirrors the state).

    With ``count``, about that many of them, evenly spread, always including the first and last.
    """
    ks = [0] + [k for k, (layer, _) in enumerate(paths.steps(flow, direction), 1)
                if isinstance(layer, AffineCoupling)]
    if count is None or count >= len(ks):
        return ks
    return [ks[i] for i in sorted({round(j * (len(ks) - 1) / (count - 1)) for j in range(count)})]


def depth_strip(flow: Flow, direction: str, n: int = 1000, seed: int = 0):
    """The static twin of the depth slider: points and grid at depth 0 and after every coupling."""
    frames = depth_frames(flow, direction, n, seed, depth_lim(flow, n, seed), maps=False)
    return strip(frames, strip_depths(flow, direction))


@torch.no_grad()
def shorter_models(flow: Flow, n: int = 1000, seed: int = 0, count: int = 5):
    """Top row: g_k, part-way along the generation path. Bottom: the 2018 blog's ``inverse(z, k)``."""
    z = flow.base_sample(n, seed=seed)
    colors = label_colors(paths.quadrants(z), "quadrants")
    ks = strip_depths(flow, "generation", count)
    gen = paths.path(flow, z, "generation")
    lim = depth_lim(flow, n, seed)
    fig, axes = subplots(len(ks), 2, size=2.0)
    for col, k in enumerate(ks):
        top, bottom = axes[col], axes[len(ks) + col]
        panels.scatter(top, gen[k], colors, lim, f"$g_{{{k}}}$ (full flow, step {k})", s=1.5)
        panels.scatter(bottom, paths.shorter_model_sample(flow, z, k), colors, lim,
                         f"inverse(z, {k}): {k}-layer model", s=1.5)
        for ax in (top, bottom):
            ax.set(xticks=[], yticks=[])
            ax.title.set_fontsize(7)
    return fig
