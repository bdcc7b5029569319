"""Exact log-densities and entropies of the 2-D toy data sets, and any density on a grid."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from ..checks import check_batch, check_int, check_number
from ..runtime import dtype_and_device
from .grids import grid_points, grid_values

__all__ = [
    "LogProbFn",
    "double_moon_entropy",
    "double_moon_log_prob",
    "grid_integral",
    "grid_log_prob",
    "moons_in_noise_entropy",
    "moons_in_noise_log_prob",
    "two_moons_entropy",
    "two_moons_log_prob",
]

LogProbFn = Callable[[Tensor], Tensor]

# make_moons' arcs as (circle centre, start angle) of a half circle of radius 1 traversed
# counter-clockwise over an angle pi: outer (cos t, sin t) = (0, 0) + e(t); inner
# (1 - cos t, 1/2 - sin t) = (1, 1/2) + e(t + pi), with e(s) = (cos s, sin s), t in [0, pi].
_ARCS = (((0.0, 0.0), 0.0), ((1.0, 0.5), math.pi))
_CUTOFF = 45.0  # end a piece's window where its integrand is below exp(-45) of its maximum
_SKIP = 60.0  # skip pieces whose maximum is exp(-60) below the best one's (see two_moons_log_prob)


# Fewer Monte-Carlo draws than this give a standard error too large to mean anything (n = 1 none at all).
_MIN_DRAWS = 1000


def _arc_pieces(x: Tensor, start: float, noise: float) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Split ``∫_start^{start+pi} N(x; e(s), noise^2 I) ds`` (``x: (B, 2)`` relative to the centre)
    into two monotone pieces: ``(kappa, d, window, head)``, each ``(B, 2)``.

    With ``x = r e(phi)``, ``|x - e(s)|^2 = (r - 1)^2 + 2 r (1 - cos u)``, ``u = s - phi``: what is
    left is ``∫ exp(-kappa (1 - cos u)) du``, ``kappa = r / noise^2``, an incomplete von Mises
    integral peaked at ``u = 0`` with width ``1/sqrt(kappa)`` << pi (a uniform rule would waste
    nodes). Split at the peak or its antipode, each piece is ``∫_0^length exp(-kappa (1 - cos(d +
    v))) dv``, ``d + length <= pi``, largest at ``v = 0`` (log value ``head``, Gaussian included)
    and above ``exp(-_CUTOFF)`` of that for ``v < window``.
    """
    r = torch.hypot(x[:, 0], x[:, 1])
    kappa = (r / noise**2)[:, None].expand(-1, 2)
    # Start of the arc in u, wrapped to [-pi, pi): the arc is [alpha, alpha + pi].
    alpha = torch.remainder(start - torch.atan2(x[:, 1], x[:, 0]) + math.pi, 2 * math.pi) - math.pi
    inside = alpha <= 0  # the peak u = 0 lies on the arc; otherwise the antipode u = pi does
    d = torch.where(inside[:, None], 0.0, torch.stack([alpha, math.pi - alpha], 1))
    length = torch.where(
        inside[:, None], torch.stack([-alpha, alpha + math.pi], 1), torch.stack([math.pi - alpha, alpha], 1)
    )
    # cos(d + v) = cos(d) - _CUTOFF / kappa solves for the window end (kappa = 0: whole piece).
    cos_end = torch.clamp(torch.cos(d) - _CUTOFF / kappa, min=-1.0)
    window = torch.clamp(torch.minimum(length, torch.arccos(cos_end) - d), min=0.0)
    # 1 - cos d = 2 sin^2(d / 2): no cancellation near the peak.
    head = -((r - 1) ** 2)[:, None] / (2 * noise**2) - 2 * kappa * torch.sin(d / 2) ** 2
    return kappa, d, window, head


def _piece_log_integrals(kappa: Tensor, d: Tensor, window: Tensor, n_nodes: int) -> Tensor:
    """``log ∫_0^window exp(-kappa (cos d - cos(d + v))) dv`` for ``(P,)`` pieces, ``-> (P,)``, by
    Gauss-Legendre (Golub & Welsch 1969): relative error ~1e-15 at 24 nodes for any ``kappa``.

    The integrand lies in ``[exp(-_CUTOFF), 1]``, so a plain weighted sum cannot underflow.
    """
    nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
    half_u = (d[:, None] + window[:, None] * d.new_tensor((nodes + 1) / 2)) / 2  # (P, n_nodes)
    drop = torch.sin(half_u) ** 2 - torch.sin(d / 2)[:, None] ** 2  # (cos d - cos u) / 2
    return torch.log(torch.exp(-2 * kappa[:, None] * drop) @ d.new_tensor(weights / 2) * window)


@torch.no_grad()
def two_moons_log_prob(x: Tensor, noise: float = 0.05, n_nodes: int = 24, chunk: int = 1 << 13) -> Tensor:
    """Exact ``log p(x)`` of scikit-learn's ``make_moons``, continuum limit, ``(B, 2) -> (B,)``.

    ``p(x) = 1/2 sum_arcs (1/pi) ∫_0^pi N(x; c_arc(t), noise^2 I) dt`` (the sklearn sampler puts
    ``t`` on an even grid; here ``t ~ U[0, pi]``), by windowed Gauss-Legendre quadrature, scaled
    so nothing underflows, ``n_nodes`` per piece (24: float64 round-off), ``chunk`` rows at a time.
    Returns the input's dtype; no gradients. On the outer arc's top ``(0, 1)`` it is close to the
    straight-ridge value ``log(1/(2 pi) / (noise sqrt(2 pi)))``; far away it is very negative:

    >>> lp = two_moons_log_prob(torch.tensor([[0.0, 1.0], [0.5, 5.0]]))
    >>> lp.dtype, [round(v, 3) for v in lp.tolist()], round(math.log(20 / (2 * math.pi) ** 1.5), 3)
    (torch.float32, [0.239, -3240.593], 0.239)
    """
    check_batch(x, 2)
    noise = check_number("noise", noise)
    n_nodes = check_int("n_nodes", n_nodes, low=2)
    const = math.log(0.5 / math.pi) - math.log(2 * math.pi * noise**2)
    out = []
    for xc in x.detach().to(torch.float64).split(chunk):
        parts = [_arc_pieces(xc - xc.new_tensor(c), s, noise) for c, s in _ARCS]
        kappa, d, window, head = (torch.cat(p, dim=1) for p in zip(*parts))  # each (B, 4)
        # The best piece's integral is >= exp(head - 1) min(pi/2, 1/kappa), so pieces _SKIP below
        # it change nothing in float64; most points sit near one arc, which halves the work.
        need = head >= head.max(dim=1, keepdim=True).values - _SKIP
        log_piece = torch.full_like(head, -math.inf)
        log_piece[need] = head[need] + _piece_log_integrals(kappa[need], d[need], window[need], n_nodes)
        out.append(torch.logsumexp(log_piece, dim=1) + const)
    return torch.cat(out).to(x.dtype) if out else x.new_zeros(0)


def _control_variate_mean(h: np.ndarray, controls: np.ndarray) -> tuple[float, float]:
    """Mean of ``h: (n,)`` with control variates ``controls: (n, k)`` of known mean zero.

    Regress ``h`` on ``[1, controls]`` and average the residual (Glasserman 2004, sec. 4.1): the
    estimate stays consistent (bias O(1/n)) and the standard error is that of the residual.
    """
    design = np.column_stack([np.ones(len(h)), controls])
    coef = np.linalg.lstsq(design, h, rcond=None)[0]
    resid = h - controls @ coef[1:]
    return float(resid.mean()), float(resid.std(ddof=design.shape[1]) / math.sqrt(len(h)))


def two_moons_entropy(noise: float = 0.05, n: int = 1_000_000, seed: int = 0) -> tuple[float, float]:
    """``(H, standard error)`` in nats of the continuum two moons, ``H = -E log p(x)``.

    Monte Carlo with ``n`` draws (half per arc, ``t ~ U[0, pi]``, own seeded generator). Most of
    the spread of ``-log p`` is the Gaussian offset across the arc, ``(eps . normal)^2 / 2``, so
    ``eps . normal``, its square and the tangential square serve as control variates of known mean
    (its standard error is returned). Reference values (quadrature and 10^6
    samples): H(0.05) = 0.2902, H(0.1) = 1.0085 (+-0.0007); ``-∫ p log p`` on a fine grid gives
    0.28923 and 1.00758.
    """
    noise = check_number("noise", noise)
    n = check_int("n (Monte-Carlo draws)", n, low=_MIN_DRAWS)
    rng = np.random.default_rng(seed)
    half = (n + 1) // 2  # equal counts per arc: the mixture weights are exactly 1/2
    t = rng.uniform(0.0, math.pi, 2 * half)
    eps = rng.standard_normal((2 * half, 2))
    sign = np.repeat([1.0, -1.0], half)  # inner arc: e(t + pi) = -e(t)
    normal = sign[:, None] * np.column_stack([np.cos(t), np.sin(t)])  # outward unit normal
    centre = np.repeat([[0.0, 0.0], [1.0, 0.5]], half, axis=0)
    x = torch.from_numpy(centre + normal + noise * eps)
    h = -two_moons_log_prob(x, noise, n_nodes=16).numpy()  # 16 nodes: |error| < 1e-8 << se
    e_n = (eps * normal).sum(1)
    e_t = eps[:, 0] * normal[:, 1] - eps[:, 1] * normal[:, 0]
    return _control_variate_mean(h, np.column_stack([e_n, e_n**2 - 1, e_t**2 - 1]))


def _normal_logpdf(x: Tensor, mean: Tensor | float, std: float) -> Tensor:
    # By hand: torch.distributions.Normal would build float32 parameters from Python floats.
    return -0.5 * ((x - mean) / std) ** 2 - math.log(std * math.sqrt(2 * math.pi))


@torch.no_grad()
def double_moon_log_prob(x: Tensor) -> Tensor:
    """Closed-form ``log p(x)`` of ``data.double_moon`` (the 2018 blog's sampler), ``(B, 2)->(B,)``.

    In ``u = (5 x1, 10 x2)`` each half is ``N(u1; ±4, 4^2) N(u2; ±(0.25 (u1 ∓ 4)^2 - 20), 2^2)``;
    equal mixture, plus ``log(1 / 0.02)`` for the Jacobian of ``x = (0.2 u1, 0.1 u2)``.

    At the lower half's mode ``u = (4, -20)`` it is ``log(1/2 / (2 pi 4 2) / 0.02)``:

    >>> (
    ...     round(double_moon_log_prob(torch.tensor([[0.8, -2.0]])).item(), 5),
    ...     round(math.log(25 / (16 * math.pi)), 5),
    ... )
    (-0.69844, -0.69844)
    """
    check_batch(x, 2)
    u1, u2 = 5 * x[:, 0].to(torch.float64), 10 * x[:, 1].to(torch.float64)
    lower = _normal_logpdf(u1, 4.0, 4.0) + _normal_logpdf(u2, 0.25 * (u1 - 4) ** 2 - 20, 2.0)
    upper = _normal_logpdf(u1, -4.0, 4.0) + _normal_logpdf(u2, -0.25 * (u1 + 4) ** 2 + 20, 2.0)
    return (torch.logaddexp(lower, upper) + math.log(0.5 / 0.02)).to(x.dtype)


def double_moon_entropy(n: int = 1_000_000, seed: int = 0) -> tuple[float, float]:
    """``(H, standard error)`` in nats of ``data.double_moon``'s density, by Monte Carlo.

    Each half alone has ``-log p = const + (z1^2 + z2^2) / 2`` in its own standard normals, so
    ``z1^2 - 1`` and ``z2^2 - 1`` are control variates; what remains is the halves' small overlap.
    The reference value is about 1.696 nats; this and ``-∫ p log p`` on a grid give 1.6908.
    """
    n = check_int("n (Monte-Carlo draws)", n, low=_MIN_DRAWS)
    rng = np.random.default_rng(seed)
    half = (n + 1) // 2
    z = rng.standard_normal((2 * half, 2))
    sign = np.repeat([1.0, -1.0], half)
    u1 = 4 * sign + 4 * z[:, 0]
    u2 = sign * (0.25 * (u1 - 4 * sign) ** 2 - 20) + 2 * z[:, 1]
    x = torch.from_numpy(np.column_stack([0.2 * u1, 0.1 * u2]))
    h = -double_moon_log_prob(x).numpy()
    return _control_variate_mean(h, z**2 - 1)


@torch.no_grad()
def grid_log_prob(
    log_prob_fn: LogProbFn,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    n: int = 200,
    chunk: int = 1 << 16,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate ``log_prob_fn: (B, 2) -> (B,)`` on an ``n x n`` grid over ``xlim x ylim``.

    Returns numpy ``(X, Y, logp)``, each ``(n, n)``, ``X, Y = meshgrid(xs, ys)`` (``logp[i, j]``
    is at ``(xs[j], ys[i])``, ready for ``pcolormesh``). A bound method of an ``nn.Module`` (e.g.
    ``flow.log_prob``) gets points in its parameters' dtype and device; anything else float64.

    >>> X, Y, lp = grid_log_prob(double_moon_log_prob, (-3, 3), (-3, 3), n=5)
    >>> X.shape, lp.shape, float(X[0, 1]), float(Y[1, 0])
    ((5, 5), (5, 5), -1.5, -1.5)
    """
    owner = getattr(log_prob_fn, "__self__", None)
    dtype, device = dtype_and_device(owner, torch.float64)
    pts = grid_points((xlim, ylim), n, torch.float64)
    X, Y = (pts[:, i].reshape(n, n).numpy() for i in (0, 1))
    logp = grid_values(log_prob_fn, (xlim, ylim), n, torch.float64, chunk, like=(dtype, device))
    return X, Y, logp.to(torch.float64).numpy()


def grid_integral(
    log_prob_fn: LogProbFn, xlim: tuple[float, float], ylim: tuple[float, float], n: int = 400
) -> float:
    """Trapezoid rule for ``∫∫ exp(log_prob_fn) dx dy`` over the box, on an ``n x n`` grid.

    For a smooth density that is negligible at the box's edges this converges faster than any
    power of the spacing (Trefethen & Weideman 2014), so ``n`` need only resolve the finest scale.

    >>> round(grid_integral(two_moons_log_prob, (-1.6, 2.6), (-1.1, 1.6), n=200), 6)
    1.0
    """
    X, Y, logp = grid_log_prob(log_prob_fn, xlim, ylim, n)
    return float(np.trapezoid(np.trapezoid(np.exp(logp), X[0], axis=1), Y[:, 0]))


@torch.no_grad()
def moons_in_noise_log_prob(x: Tensor, where: Sequence[int] = (0, 2), noise: float = 0.05) -> Tensor:
    """Exact ``log p(x)``, ``(B, D) -> (B,)``: two moons at ``where`` times standard normals elsewhere."""
    rest = [j for j in range(x.shape[1]) if j not in list(where)]
    gauss = -0.5 * (x[:, rest].double() ** 2 + math.log(2 * math.pi)).sum(1)
    return (two_moons_log_prob(x[:, list(where)], noise).double() + gauss).to(x.dtype)


def moons_in_noise_entropy(dim: int = 5, noise: float = 0.05, moons_entropy: float | None = None) -> float:
    """``H = H(two moons) + (dim - 2) * log(2 pi e) / 2`` nats (independent parts add)."""
    if moons_entropy is None:
        moons_entropy = two_moons_entropy(noise)[0]
    return moons_entropy + (dim - 2) * 0.5 * math.log(2 * math.pi * math.e)
