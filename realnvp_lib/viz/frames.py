"""``Frames``: everything one picture per state needs, precomputed once, for the GIFs and the sliders."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ..data import DATASETS, two_moons
from ..flow import Flow, as_flow
from ..instruments import trajectories
from ..instruments.grids import Box, grid_lines, grid_values
from .step_labels import step_label
from .style import DATA_GRID, LATENT_GRID

__all__ = [
    "PLANE_DATA",
    "Frames",
    "depth_frames",
    "depth_lim",
    "depth_maps",
    "fit_lim",
    "follow_lims",
    "own_lim",
    "own_lims",
    "smooth_frames",
    "square_lim",
    "start_points",
    "training_frames",
]

PLANE_DATA = ("two_moons", "double_moon", "circles", "eight_gaussians")  # 2-D, labelled by component


@dataclass
class Frames:
    """One entry per state: points ``(B, 2)``, grid polylines ``(L, M, 2)``, a title; fixed ``lim``.

    ``labels`` colour the points (``palette`` "moons" or "quadrants"); ``log_density`` (the model's
    log q, in nats) and ``logdet`` are optional ``(n, n)`` grids over ``lim`` (over ``lims[k]``
    when frames have their own boxes; row i at y_i, as ``imshow`` wants); a map of NaN is a frame
    with nothing to show there (the log-det before the first step).
    """

    name: str
    points: list[np.ndarray]
    lines: list[np.ndarray]
    titles: list[str]
    labels: np.ndarray
    palette: str
    lim: Box
    log_density: list[np.ndarray] | None = None
    logdet: list[np.ndarray] | None = None
    density_title: str = r"model log-density $\log q_k(x)$"
    lims: list[Box] | None = None  # a box per frame (then drawn with ticks) instead of the fixed ``lim``

    def __len__(self) -> int:
        return len(self.points)


def fit_lim(arrays: Sequence[np.ndarray], quantile: float = 0.005, pad: float = 0.15, step: float = 0.5):
    """One fixed box holding (all but ``quantile`` of) every array's points, padded, on a ``step`` grid."""
    pts = np.concatenate([np.asarray(a).reshape(-1, 2) for a in arrays])
    lo, hi = np.quantile(pts, quantile, axis=0), np.quantile(pts, 1 - quantile, axis=0)
    lo, hi = lo - pad * (hi - lo), hi + pad * (hi - lo)
    lo, hi = np.floor(lo / step) * step, np.ceil(hi / step) * step
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def square_lim(lim) -> tuple:
    """The square box with the centre and the longer side of ``lim`` (``aspect="equal"`` then fills it)."""
    (x0, x1), (y0, y1) = lim
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) / 2
    return (cx - half, cx + half), (cy - half, cy + half)


def own_lim(arrays: Sequence[np.ndarray], pad: float = 0.1, step: float = 0.25) -> tuple:
    """The square box of one panel: it holds (all but 1% of) the points of ``arrays``, padded."""
    return square_lim(fit_lim([np.asarray(a) for a in arrays], pad=pad, step=step))


def own_lims(points: Sequence[np.ndarray], pad: float = 0.1, step: float = 0.25) -> list[tuple]:
    """A square box per state (``own_lim`` of its own points): no smoothing between states.

    For states a step apart (the depth slider, the depth strips), where each picture should fill
    its panel; frames that move continuously use ``follow_lims``, which glides instead.
    """
    return [own_lim([p], pad=pad, step=step) for p in points]


def follow_lims(
    points: Sequence[np.ndarray], quantile: float = 0.005, pad: float = 0.12, smooth: float = 4.0
) -> list[tuple]:
    """A square box per frame that follows the points: centre and half-width smoothed over frames.

    Each frame's box holds all but ``quantile`` of its points (padded by ``pad``); a running maximum
    then a Gaussian of ``smooth`` frames over the half-widths keeps the zoom from jittering, so the
    axes glide from the data's box to the Gaussian's instead of showing both small in one box.
    """
    pts = [np.asarray(p) for p in points]
    lo = np.stack([np.quantile(p, quantile, axis=0) for p in pts])  # (T, 2)
    hi = np.stack([np.quantile(p, 1 - quantile, axis=0) for p in pts])
    centre, half = (lo + hi) / 2, (1 + 2 * pad) * (hi - lo).max(axis=1) / 2
    width = max(1, int(round(smooth)))
    padded = np.pad(half, width, mode="edge")
    half = np.array([padded[i : i + 2 * width + 1].max() for i in range(len(half))])
    kernel = np.exp(-0.5 * (np.arange(-3 * width, 3 * width + 1) / smooth) ** 2)
    kernel /= kernel.sum()

    def blur(v: np.ndarray) -> np.ndarray:
        return np.convolve(np.pad(v, 3 * width, mode="edge"), kernel, mode="valid")

    half = blur(half)
    cx, cy = blur(centre[:, 0]), blur(centre[:, 1])
    return [((float(a - h), float(a + h)), (float(b - h), float(b + h))) for a, b, h in zip(cx, cy, half)]


def start_points(
    flow: Flow,
    direction: str,
    n: int,
    seed: int = 0,
    noise: float = 0.05,
    n_lines: int = 9,
    data: str = "two_moons",
):
    """``(points, labels, grid lines)`` where a path starts: ``data`` (one of ``PLANE_DATA``,
    labelled by component), or base draws labelled by quadrant; the inference grid spans the data."""
    if direction == "inference":
        x, labels = _labelled(data, n, seed, noise)
        box = DATA_GRID if data == "two_moons" else fit_lim([x.numpy()], pad=0.0)
        return x, labels, grid_lines(box, n_lines)
    z = flow.base_sample(n, seed=seed)
    return z, trajectories.quadrants(z), grid_lines(LATENT_GRID, n_lines)


def _labelled(name: str, n: int, seed: int, noise: float) -> tuple[Tensor, Tensor]:
    if name not in PLANE_DATA:
        raise ValueError(f"data (where the inference path starts) must be one of {PLANE_DATA}, got {name!r}")
    if name == "two_moons":
        return two_moons(n, noise=noise, seed=seed, labels=True)
    return DATASETS[name](n, seed=seed, labels=True)


def _push(states: list[Tensor], lines: list[Tensor], shape) -> tuple[list[np.ndarray], list[np.ndarray]]:
    return [s.numpy() for s in states], [g.reshape(shape).numpy() for g in lines]


def depth_lim(flow: Flow, n: int = 1000, seed: int = 0, data: str = "two_moons") -> tuple:
    """A fixed box holding both paths' points at every depth (so every frame shares its axes)."""
    flow = as_flow(flow)
    starts = {d: start_points(flow, d, n, seed, data=data)[0] for d in trajectories.DIRECTIONS}
    pts = [p for d, x in starts.items() for p in trajectories.path_states(flow, x, d)]
    return fit_lim([p.numpy() for p in pts])


def depth_frames(
    flow: Flow,
    direction: str,
    n: int = 1000,
    seed: int = 0,
    lim=None,
    maps: bool = True,
    grid_n: int = 64,
    data: str = "two_moons",
    follow: bool = False,
) -> Frames:
    """The K+1 states of a path (``trajectories.path_states``), with density and log-det maps if ``maps``.

    ``flow`` is anything ``rl.as_flow`` takes (a learner's flow too); the inference path starts
    from ``n`` points of ``data``, the generation path from ``n`` base draws. ``follow=True`` gives
    every state its own square box (``own_lims``, drawn with ticks, the maps computed over it), so
    the thin data and the round Gaussian both fill the panel; otherwise all share ``lim``. State 0
    has no step before it: its log-det map is all NaN (drawn blank, with a note), not a zero map.
    """
    flow = as_flow(flow)
    x, labels, lines = start_points(flow, direction, n, seed, data=data)
    points, grid = _push(
        trajectories.path_states(flow, x, direction),
        trajectories.path_states(flow, lines.reshape(-1, 2), direction),
        lines.shape,
    )
    lim = lim or depth_lim(flow, n, seed, data)
    lims = own_lims(points) if follow else None
    boxes = lims or [lim] * len(points)
    letter, K = ("h" if direction == "inference" else "g"), len(flow)
    names = [""] + [step_label(*s) for s in trajectories.steps(flow, direction)]
    start = "x, the data" if direction == "inference" else "z ~ N(0, I)"
    titles = [
        f"{direction}: {letter}_{k} = "
        + (start if k == 0 else f"{letter}_{k - 1} after {names[k]}")
        + f" (k = {k}/{K})"
        for k in range(K + 1)
    ]
    frames = Frames(
        direction,
        points,
        grid,
        titles,
        labels.numpy(),
        "moons" if direction == "inference" else "quadrants",
        lim,
        lims=lims,
    )
    if maps:
        frames.log_density, frames.logdet = map(
            list, zip(*(depth_maps(flow, direction, k, boxes[k], grid_n) for k in range(K + 1)))
        )
    return frames


@torch.no_grad()
def depth_maps(flow: Flow, direction: str, k: int, lim, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``log q_k`` and the log-det of step k, each ``(n, n)`` over ``lim`` (row i at the i-th y).

    At k = 0 there is no step yet: the log-det map is NaN (drawn blank, with a note), not zeros.
    """
    log_q = grid_values(trajectories.depth_log_prob(flow, k, direction), lim, n).numpy()
    if k == 0:
        return log_q, np.full((n, n), np.nan)
    return log_q, grid_values(trajectories.step_logdet(flow, k, direction), lim, n).numpy()


def smooth_frames(
    flow: Flow,
    direction: str,
    n: int = 1000,
    seed: int = 0,
    lim=None,
    coupling_frames: int = 8,
    mix_frames: int = 4,
    follow: bool = False,
    n_lines: int = 9,
    data: str = "two_moons",
) -> Frames:
    """States moving continuously inside every step (``trajectories.smooth_path``); points and grid only.

    ``follow=True`` gives every frame its own box (``follow_lims``), drawn with ticks.
    """
    flow = as_flow(flow)
    x, labels, lines = start_points(flow, direction, n, seed, n_lines=n_lines, data=data)
    pts, depths = trajectories.smooth_path(flow, x, direction, coupling_frames, mix_frames)
    grid = trajectories.smooth_path(flow, lines.reshape(-1, 2), direction, coupling_frames, mix_frames)[0]
    points, grid = _push(pts, grid, lines.shape)
    names = [""] + [f": {step_label(*s)}" for s in trajectories.steps(flow, direction)]
    titles = [f"{direction}: depth {d:.2f} of {len(flow)}{names[math.ceil(d)]}" for d in depths]
    return Frames(
        f"{direction}, moving inside each step",
        points,
        grid,
        titles,
        labels.numpy(),
        "moons" if direction == "inference" else "quadrants",
        lim or depth_lim(flow, n, seed, data),
        lims=follow_lims(points) if follow else None,
    )


def training_frames(
    flow: Flow,
    snapshots: Sequence[tuple[int, dict]],
    n: int = 1000,
    seed: int = 0,
    lim=None,
    grid_n: int = 64,
) -> Frames:
    """One frame per ``fit`` snapshot: samples from the same base draws, the warped latent grid, log q(x).

    ``flow`` gives the architecture (its weights are not changed); ``snapshots`` come from
    ``fit(..., snapshot_every=...)`` as ``(step, state_dict)``.
    """
    model = copy.deepcopy(flow)
    z, labels, lines = start_points(flow, "generation", n, seed)
    points, grid, log_density, titles = [], [], [], []
    lim = lim or fit_lim([two_moons(n, seed=seed).numpy()], pad=0.3)
    for step, state in snapshots:
        model.load_state_dict(state)
        with torch.no_grad():
            points.append(model.inverse(z)[0].numpy())
            grid.append(model.inverse(lines.reshape(-1, 2))[0].reshape(lines.shape).numpy())
        log_density.append(grid_values(torch.no_grad()(model.log_prob), lim, grid_n).numpy())
        titles.append(f"samples after {step} training steps")
    return Frames(
        "training",
        points,
        grid,
        titles,
        labels.numpy(),
        "quadrants",
        lim,
        log_density=log_density,
        density_title=r"model log-density $\log q(x)$",
    )
