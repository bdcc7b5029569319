"""Toy data sets as ``(n, D)`` float32 tensors, fixed per seed, and samplers of fresh batches."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from sklearn.datasets import make_circles, make_moons
from torch import Tensor

from .checks import check_int, check_number

__all__ = ["DATASETS", "circles", "double_moon", "eight_gaussians", "moons_in_noise", "sampler", "two_moons"]

Seed = int | np.random.RandomState | None


def _rng(seed: Seed) -> np.random.RandomState:
    return seed if isinstance(seed, np.random.RandomState) else np.random.RandomState(seed)


def _out(x: np.ndarray, y: np.ndarray, labels: bool) -> Tensor | tuple[Tensor, Tensor]:
    xt = torch.as_tensor(x, dtype=torch.float32)
    return (xt, torch.as_tensor(y, dtype=torch.long)) if labels else xt


def two_moons(n: int, noise: float = 0.05, seed: Seed = 0, labels: bool = False):
    """``n`` points of scikit-learn's ``make_moons`` (shuffled), ``(n, 2)`` float32.

    The points are FIXED per seed: ``two_moons(512)`` returns the same 512 points on every call.
    For fresh points on every call (what training wants), use ``sampler("two_moons", seed=...)``.

    Outer moon ``(cos t, sin t)``, inner moon ``(1 - cos t, 1/2 - sin t)``, ``t ~ U[0, pi]``
    (evenly spaced in sklearn), plus ``N(0, noise^2 I)``. With ``labels=True`` also return
    ``(n,)`` moon labels (0 outer, 1 inner).

    >>> two_moons(4, seed=0).shape
    torch.Size([4, 2])
    """
    n = check_int("n", n)
    check_number("noise", noise)
    x, y = make_moons(n_samples=n, noise=noise, random_state=_rng(seed))
    return _out(x, y, labels)


def double_moon(n: int, seed: Seed = 0, labels: bool = False):
    """The 2018 blog's double-moon sampler, ``(n, 2)`` float32.

    Half the points (label 0): ``u1 ~ N(4, 4^2)``, ``u2 ~ N(0.25 (u1 - 4)^2 - 20, 2^2)``;
    the other half (label 1): ``u1 ~ N(-4, 4^2)``, ``u2 ~ N(-0.25 (u1 + 4)^2 + 20, 2^2)``;
    then ``x = (0.2 u1, 0.1 u2)``. Its exact density is ``density.double_moon_log_prob``.

    >>> double_moon(6, seed=1, labels=True)[1].tolist()
    [0, 0, 0, 1, 1, 1]
    """
    n = check_int("n", n)
    rng = _rng(seed)
    n0 = n // 2
    u1 = np.concatenate([rng.normal(4, 4, n0), rng.normal(-4, 4, n - n0)])
    centre = np.where(np.arange(n) < n0, 0.25 * (u1 - 4) ** 2 - 20, -0.25 * (u1 + 4) ** 2 + 20)
    u2 = rng.normal(centre, 2)
    x = np.stack([0.2 * u1, 0.1 * u2], axis=1)
    return _out(x, (np.arange(n) >= n0).astype(int), labels)


def circles(n: int, noise: float = 0.05, factor: float = 0.5, seed: Seed = 0, labels: bool = False):
    """Two concentric circles (sklearn ``make_circles``), ``(n, 2)`` float32: a shape no single
    coupling can bend into a Gaussian."""
    n = check_int("n", n)
    check_number("noise", noise)
    check_number("factor", factor)
    x, y = make_circles(n_samples=n, noise=noise, factor=factor, random_state=_rng(seed))
    return _out(x, y, labels)


def eight_gaussians(n: int, radius: float = 2.0, std: float = 0.1, seed: Seed = 0, labels: bool = False):
    """An equal mixture of 8 isotropic Gaussians on a circle, ``(n, 2)`` float32: a multimodal test."""
    n = check_int("n", n)
    check_number("radius", radius)
    check_number("std", std)
    rng = _rng(seed)
    k = rng.randint(0, 8, n)
    angle = k * np.pi / 4
    x = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1) + std * rng.randn(n, 2)
    return _out(x, k, labels)


def moons_in_noise(
    n: int, dim: int = 5, where: Sequence[int] = (0, 2), noise: float = 0.05, seed: Seed = 0
) -> Tensor:
    """``(n, dim)`` float32: two-moons coordinates ``(m_x, m_y)`` at positions ``where``, N(0, 1) elsewhere.

    Its exact density factorises (``density.moons_in_noise_log_prob``), so the gap to the true
    entropy is known in any dimension. Works with ``sampler(moons_in_noise, seed=..., dim=...)``.

    >>> moons_in_noise(3, dim=4, where=(1, 3)).shape
    torch.Size([3, 4])
    """
    dim = check_int("dim", dim, low=2)
    if len(set(where)) != 2 or not all(0 <= j < dim for j in where):
        raise ValueError(f"where must name 2 distinct coordinates in 0..{dim - 1}, got {tuple(where)}")
    rng = _rng(seed)
    moon = two_moons(n, noise=noise, seed=rng)
    x = torch.as_tensor(rng.standard_normal((n, dim)), dtype=torch.float32)
    x[:, list(where)] = moon
    return x


def _check_draw(x, name) -> Tensor:
    if not isinstance(x, Tensor) or x.dim() != 2:
        what = f"a {x.dim()}-D tensor" if isinstance(x, Tensor) else type(x).__name__
        raise TypeError(
            f"sampler needs a function returning one (n, D) tensor; "
            f"{getattr(name, '__name__', name)} returned {what}"
        )
    return x


DATASETS: dict[str, Callable[..., Tensor]] = {
    "two_moons": two_moons,
    "double_moon": double_moon,
    "circles": circles,
    "eight_gaussians": eight_gaussians,
    "moons_in_noise": moons_in_noise,
}


def sampler(
    name: str | Callable[..., Tensor], seed: int = 0, pool: int = 65_536, **kwargs
) -> Callable[[int], Tensor]:
    """A callable ``n -> (n, D)`` that returns *fresh* points on every call, reproducibly.

    It owns its random state (nothing global), so ``fit(flow, sampler("two_moons"))`` trains on
    an endless stream and the same seed gives the same stream. Points are drawn ``pool`` at a
    time and handed out in order, never twice: sklearn has a fixed cost per call, which every batch
    would otherwise pay (benchmarks/recipe_choices.txt).

    >>> draw = sampler("two_moons", seed=3)
    >>> a, b = draw(5), draw(5)
    >>> bool((a != b).any()), torch.equal(a, sampler("two_moons", seed=3)(5))
    (True, True)
    """
    if isinstance(name, str) and name not in DATASETS:
        raise ValueError(
            f"unknown data set {name!r}: choose one of {sorted(DATASETS)}, or pass a "
            "function f(n, seed=rng, **kwargs) -> (n, D) tensor"
        )
    if not isinstance(name, str) and not callable(name):
        raise TypeError(
            f"sampler takes a data set's name (one of {sorted(DATASETS)}) or a function "
            f"f(n, seed=rng, **kwargs) -> (n, D) tensor, got {type(name).__name__}"
        )
    seed = check_int("seed", seed, low=0)
    pool = check_int("pool", pool)
    fn = DATASETS[name] if isinstance(name, str) else name
    # A tiny draw with its own random state, so bad keywords fail here, not at training's first batch.
    try:
        _check_draw(fn(2, seed=np.random.RandomState(0), **kwargs), name)
    except TypeError as err:
        called = f"{getattr(fn, '__name__', fn)}(n, seed=rng, **{kwargs})"
        raise TypeError(f"sampler calls {called}: {err}") from err
    rng = np.random.RandomState(seed)
    unused: Tensor | None = None

    def draw(n: int) -> Tensor:
        nonlocal unused
        n = check_int("n", n)
        if unused is None or unused.shape[0] < n:
            fresh = _check_draw(fn(max(n, pool), seed=rng, **kwargs), name)
            # Shuffled, so any slice is an i.i.d. sample even from a sampler that lists its
            # classes in order (double_moon puts all of moon 0 first).
            fresh = fresh[torch.from_numpy(rng.permutation(fresh.shape[0]))]
            unused = fresh if unused is None else torch.cat([unused, fresh])
        batch, unused = unused[:n], unused[n:]
        return batch

    return draw
