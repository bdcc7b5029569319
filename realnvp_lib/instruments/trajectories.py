"""Intermediate states of a 2-D flow: the inference and generation paths, in-layer motion, per-depth maps.

With ``f_1 .. f_K`` the flow's bijections (forward = data -> latent):

* inference path ``h_k = f_k(... f_1(x))``, k = 0..K: data becoming Gaussian;
* generation path ``g_k = f_{K-k+1}^-1(... f_K^-1(z))``, k = 0..K: Gaussian becoming data;
* the 2018 blog's ``inverse(z, k)`` = ``f_1^-1(... f_k^-1(z))``: a sample of the *shorter* flow
  ``f_k o ... o f_1``, not a point half-way along either path (``shorter_model_sample``).

Step k of a path is the map that produced state k from state k-1: ``f_k`` on the inference path,
``f_{K-k+1}^-1`` on the generation path. Everything here computes; nothing draws.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..bijections import AffineCoupling, Bijection, affine
from ..checks import check_int
from ..flow import Flow, run_steps

__all__ = [
    "DIRECTIONS",
    "apply_step",
    "depth_log_prob",
    "partial_step",
    "path_states",
    "quadrants",
    "shorter_model_sample",
    "smooth_path",
    "step_logdet",
    "steps",
]

DIRECTIONS = ("inference", "generation")


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")


def _check_depth(flow: Flow, k: int) -> None:
    try:
        ok = check_int("depth k", k, low=0) <= len(flow)
    except ValueError:
        ok = False
    if not ok:  # one message for both ways of missing 0..K, naming this flow's K
        raise ValueError(
            f"depth k must be an integer in 0..{len(flow)} (this flow has K = {len(flow)} steps), got {k!r}"
        )


def steps(flow: Flow, direction: str) -> list[tuple[Bijection, bool]]:
    """The K steps of a path in order, as ``(layer, inverted)``: step k is ``layer`` or its inverse."""
    _check_direction(direction)
    if direction == "inference":
        return [(layer, False) for layer in flow.bijections]
    return [(layer, True) for layer in reversed(flow.bijections)]


def path_states(flow: Flow, x: Tensor, direction: str) -> list[Tensor]:
    """The K+1 states of a path, ``h_k`` (``flow.trajectory``) or ``g_k`` (``flow.inverse_trajectory``)."""
    _check_direction(direction)
    return flow.trajectory(x) if direction == "inference" else flow.inverse_trajectory(x)


def apply_step(layer: Bijection, inverted: bool, x: Tensor) -> tuple[Tensor, Tensor]:
    """Apply one step, ``(y, log|det J|)`` of the map actually applied."""
    return layer.inverse(x) if inverted else layer(x)


@torch.no_grad()
def shorter_model_sample(flow: Flow, z: Tensor, k: int) -> Tensor:
    """The 2018 blog's ``inverse(z, k)``: undo only the first k layers, ``f_1^-1(... f_k^-1(z))``.

    That is a sample of the flow ``f_k o ... o f_1`` (k layers, then the Gaussian), a different,
    shorter model; for 0 < k < K it is neither ``h_k`` nor ``g_k``. ``k = K`` gives ``flow.sample``.
    """
    _check_depth(flow, k)
    return run_steps(list(reversed(flow.bijections[:k])), z, inverse=True)[0]


def partial_step(layer: Bijection, inverted: bool, x: Tensor, alpha: float) -> Tensor:
    """The point a fraction ``alpha`` in [0, 1] of the way through one step; ``alpha=1`` is the step.

    A coupling moves its transformed coordinates along ``y = x * exp(alpha s) + alpha t`` (and the
    inverse along ``x = (y - alpha t) * exp(-alpha s)``): every intermediate map is itself an
    invertible coupling with log-det ``alpha * sum(s)``, so area changes smoothly. Any other layer
    (a permutation, an LU map) is blended, ``(1 - w) x + w step(x)`` with ``w = (1 - cos(pi alpha))/2``.
    A 2-D swap is a mirror image in the diagonal: no path of invertible maps reaches it from the
    identity, so the blend turns the plane over around the diagonal, like a page (flat half-way).
    """
    if isinstance(layer, AffineCoupling):
        s, t = layer.scale_shift(x * layer.mask)
        return affine(x, alpha * s, alpha * t, inverse=inverted)
    w = (1 - math.cos(math.pi * alpha)) / 2
    return (1 - w) * x + w * apply_step(layer, inverted, x)[0]


@torch.no_grad()
def smooth_path(
    flow: Flow, x: Tensor, direction: str, coupling_frames: int = 8, mix_frames: int = 4
) -> tuple[list[Tensor], list[float]]:
    """States moving continuously along a path, and their depths (k - 1 + alpha).

    Each coupling step contributes ``coupling_frames`` states (alpha = 1/n .. 1), any other step
    ``mix_frames`` (1 shows it instantly); the integer depths are exactly the states of ``Flow.trajectory``
    (inference) or ``Flow.inverse_trajectory`` (generation).
    """
    states, depths = [x], [0.0]
    for k, (layer, inverted) in enumerate(steps(flow, direction), start=1):
        n = coupling_frames if isinstance(layer, AffineCoupling) else mix_frames
        start = states[-1]
        for i in range(1, n):
            states.append(partial_step(layer, inverted, start, i / n))
            depths.append(k - 1 + i / n)
        states.append(apply_step(layer, inverted, start)[0])
        depths.append(float(k))
    return states, depths


def depth_log_prob(flow: Flow, k: int, direction: str = "inference"):
    """``log p_k``: the model's log-density of state k of a path, as a function ``(B, 2) -> (B,)``.

    The state at inference depth j has density ``N(f_K(... f_{j+1}(h))) |det|`` (pull the Gaussian
    back through the layers still to come); generation state k sits at inference depth K - k.
    """
    _check_direction(direction)
    _check_depth(flow, k)
    depth = k if direction == "inference" else len(flow) - k
    rest = list(flow.bijections)[depth:]

    @torch.no_grad()
    def log_prob(h: Tensor) -> Tensor:
        z, logdet = run_steps(rest, h)
        return flow.base_log_prob(z) + logdet

    return log_prob


def step_logdet(flow: Flow, k: int, direction: str = "inference"):
    """``log|det J|`` of step k (the map that produced state k), as a function of state k.

    Evaluated where the points *arrived*: positive means the step stretched the area around
    here (so the density dropped), negative means it squeezed it. Zero for k = 0.
    """
    maps = steps(flow, direction)
    _check_depth(flow, k)

    @torch.no_grad()
    def logdet(y: Tensor) -> Tensor:
        if k == 0:
            return y.new_zeros(y.shape[0])
        layer, inverted = maps[k - 1]
        return -apply_step(layer, not inverted, y)[1]  # log|det| of a map = -(that of its inverse)

    return logdet


def quadrants(z: Tensor) -> Tensor:
    """Latent quadrant of each point, 0..3 (``(z1 > 0) + 2 (z2 > 0)``), to colour the generation path."""
    return (z[:, 0] > 0).long() + 2 * (z[:, 1] > 0).long()
