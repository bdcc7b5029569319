"""Exact toy densities against outside references: scipy quadrature, sklearn's and the blog's
samplers, scipy.stats, published reference entropies, and a deterministic grid quadrature of -∫ p log p."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import randomize
from scipy import integrate, special, stats
from sklearn.datasets import make_moons

import realnvp_lib as rl
from realnvp_lib.instruments import density

REFERENCE_H = {0.05: 0.2902, 0.1: 1.0085}  # reference values (quadrature + 1e6 MC samples)
DOUBLE_MOON_H = 1.696  # reference value, "about"
DOUBLE_MOON_BOX = ((-9.0, 9.0), (-14.0, 14.0))  # the parabolas' arms reach |x2| ~ 12 at 6 sigma


def moons_box(noise: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """The arcs' bounding box plus 12 noise widths: the density at its edge is below exp(-72)."""
    return (-1 - 12 * noise, 2 + 12 * noise), (-0.5 - 12 * noise, 1 + 12 * noise)


def grid_moments(log_prob_fn, xlim, ylim, n: int) -> tuple[float, float]:
    """``(∫ p, -∫ p log p)`` by the trapezoid rule on an ``n x n`` grid."""
    X, Y, logp = density.grid_log_prob(log_prob_fn, xlim, ylim, n)
    p = np.exp(logp)

    def trap(f: np.ndarray) -> float:
        return float(integrate.trapezoid(integrate.trapezoid(f, X[0], axis=1), Y[:, 0]))

    return trap(p), -trap(p * logp)


@pytest.fixture(scope="module", params=[0.05, 0.1])
def moons(request) -> dict:
    """Noise level with its grid mass and grid entropy (computed once per module)."""
    noise = request.param

    def fn(x):
        return density.two_moons_log_prob(x, noise)

    mass, entropy = grid_moments(fn, *moons_box(noise), 200)
    coarse = grid_moments(fn, *moons_box(noise), 160)  # spacing about noise / 2 at noise 0.05
    return {"noise": noise, "mass": mass, "grid_H": entropy, "coarse": coarse}


def quad_log_prob(point: tuple[float, float], noise: float) -> float:
    """Brute force: scipy.integrate.quad over t in sklearn's own parametrisation of each arc."""
    arcs = [lambda t: (np.cos(t), np.sin(t)), lambda t: (1 - np.cos(t), 0.5 - np.sin(t))]
    logs = []
    for arc in arcs:

        def sq(t, arc=arc):
            cx, cy = arc(t)
            return (point[0] - cx) ** 2 + (point[1] - cy) ** 2

        ts = np.linspace(0, math.pi, 20001)
        t_min = float(ts[np.argmin(sq(ts))])
        m = float(sq(t_min))  # factor out the closest approach so that far points do not underflow
        val, _ = integrate.quad(
            lambda t, sq=sq, m=m: math.exp(-(sq(t) - m) / (2 * noise**2)),
            0,
            math.pi,
            points=[t_min],
            epsabs=0,
            epsrel=1e-13,
            limit=500,
        )
        logs.append(math.log(val) - m / (2 * noise**2))
    # mixture weight 1/2, uniform t density 1/pi, isotropic Gaussian normaliser
    return float(special.logsumexp(logs)) + math.log(0.5 / math.pi / (2 * math.pi * noise**2))


POINTS = [
    (0.0, 1.0),
    (-0.7, 0.72),
    (1.0, -0.45),  # on the arcs
    (0.5, 0.25),
    (1.0, 0.0),
    (0.0, 0.5),  # between the arcs, at arc ends
    (2.0, 0.0),
    (-0.5, 0.0),
    (1.0, -0.5),  # on the rays where the quadrature switches branch
    (-1.2, -0.1),
    (2.1, 0.7),  # just past an end
    (0.0, 0.0),
    (1.0, 0.5),  # the arcs' circle centres (r = 0)
    (0.0, -0.8),
    (3.0, 3.0),
    (0.5, -4.0),
    (-6.0, 2.0),  # far away, both ends equally far
]


@pytest.mark.parametrize("noise", [0.05, 0.1, 0.3])
def test_two_moons_matches_scipy_quad(noise):
    x = torch.tensor(POINTS, dtype=torch.float64)
    got = density.two_moons_log_prob(x, noise).numpy()
    want = np.array([quad_log_prob(p, noise) for p in POINTS])
    # A log difference of 1e-9 is a relative error of 1e-9 in the density itself.
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)


def test_two_moons_integrates_to_one(moons):
    assert abs(moons["mass"] - 1) < 1e-6
    # The grid is converged: a coarser one gives the same mass and entropy.
    assert np.allclose(moons["coarse"], (moons["mass"], moons["grid_H"]), rtol=0, atol=1e-8)


@pytest.mark.parametrize("noise", [0.05, 0.1])
def test_two_moons_matches_sklearn_histogram(noise):
    """Chi-square of 200k make_moons samples against the density's own bin probabilities."""
    n, (xlim, ylim) = 200_000, moons_box(noise)
    samples, _ = make_moons(n_samples=n, noise=noise, random_state=1)
    edges = (np.linspace(*xlim, 13), np.linspace(*ylim, 9))
    counts = np.histogram2d(samples[:, 0], samples[:, 1], bins=edges)[0]

    def bin_probs(fn) -> np.ndarray:
        # midpoint rule on 24 x 24 points per bin (spacing ~ noise / 6)
        sub = [np.linspace(e[0], e[-1], 24 * (len(e) - 1) + 1) for e in edges]
        mids = [(s[1:] + s[:-1]) / 2 for s in sub]
        X, Y = np.meshgrid(*mids, indexing="ij")
        pts = torch.as_tensor(np.column_stack([X.ravel(), Y.ravel()]))
        p = np.exp(fn(pts).numpy()).reshape(X.shape) * np.diff(sub[0])[0] * np.diff(sub[1])[0]
        return p.reshape(len(edges[0]) - 1, 24, len(edges[1]) - 1, 24).sum(axis=(1, 3))

    def chi2_pvalue(probs: np.ndarray) -> float:
        expected = n * probs.ravel()
        keep = expected > 5  # pool the nearly empty bins into one
        obs = np.append(counts.ravel()[keep], counts.ravel()[~keep].sum() + n - counts.sum())
        exp = np.append(expected[keep], n - expected[keep].sum())
        return float(stats.chisquare(obs, exp).pvalue)

    assert chi2_pvalue(bin_probs(lambda x: density.two_moons_log_prob(x, noise))) > 1e-3
    # The test has power: a 10% wrong noise level is rejected outright.
    assert chi2_pvalue(bin_probs(lambda x: density.two_moons_log_prob(x, 1.1 * noise))) < 1e-10


def test_sklearn_samples_mean_log_prob_is_minus_entropy(moons):
    samples = torch.as_tensor(make_moons(200_000, noise=moons["noise"], random_state=2)[0])
    logp = density.two_moons_log_prob(samples, moons["noise"]).numpy()
    se = logp.std() / math.sqrt(len(logp))
    assert abs(-logp.mean() - moons["grid_H"]) < 4 * se


def test_two_moons_entropy_matches_reference_and_grid(moons):
    # 10^5 draws, not the default 10^6: the standard error scales as 1 / sqrt(n), so the default's is
    # below 5e-4 when this one is below 5e-4 * sqrt(10). The bias checks stay within the reference's
    # own +-2e-3, so an estimator off by a few thousandths (a 6-node quadrature) still fails.
    n = 100_000
    H, se = density.two_moons_entropy(moons["noise"], n=n)
    assert 0 < se < 5e-4 * math.sqrt(1_000_000 / n)
    assert abs(H - REFERENCE_H[moons["noise"]]) < 2e-3
    assert abs(moons["grid_H"] - REFERENCE_H[moons["noise"]]) < 2e-3
    assert abs(H - moons["grid_H"]) < 4 * se


def test_two_moons_entropy_is_seeded():
    def run(seed):
        return density.two_moons_entropy(0.1, n=1000, seed=seed)

    assert run(3) == run(3) and run(3) != run(4)


def test_two_moons_dtype_chunks_and_empty_batch():
    x64 = torch.as_tensor(make_moons(1000, noise=0.05, random_state=0)[0])
    ref = density.two_moons_log_prob(x64)
    assert ref.dtype == torch.float64 and ref.shape == (1000,)
    out32 = density.two_moons_log_prob(x64.float())
    assert out32.dtype == torch.float32
    assert (out32.double() - ref).abs().max() < 1e-3  # float32 rounding of the coordinates
    assert (density.two_moons_log_prob(x64, chunk=100) - ref).abs().max() < 1e-12
    assert density.two_moons_log_prob(torch.zeros(0, 2)).shape == (0,)


def test_double_moon_matches_scipy_stats():
    """An independent composition: scipy.stats.norm in the blog's u-space, plus the Jacobian."""
    jitter = np.random.default_rng(0).normal(0, 0.5, (500, 2))  # off the ridges too
    x = rl.data.double_moon(500, seed=5).double().numpy() + jitter
    u1, u2 = 5 * x[:, 0], 10 * x[:, 1]
    lower = stats.norm.logpdf(u1, 4, 4) + stats.norm.logpdf(u2, 0.25 * (u1 - 4) ** 2 - 20, 2)
    upper = stats.norm.logpdf(u1, -4, 4) + stats.norm.logpdf(u2, -0.25 * (u1 + 4) ** 2 + 20, 2)
    want = special.logsumexp([lower, upper], axis=0, b=0.5) - math.log(0.2 * 0.1)
    got = density.double_moon_log_prob(torch.as_tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_double_moon_integrates_to_one_and_entropy():
    mass, grid_H = grid_moments(density.double_moon_log_prob, *DOUBLE_MOON_BOX, 500)
    assert abs(mass - 1) < 1e-6
    H, se = density.double_moon_entropy()
    assert 0 < se < 5e-4
    assert abs(H - grid_H) < 4 * se
    assert abs(H - DOUBLE_MOON_H) < 0.01
    # The blog's own sampler: its mean log-likelihood is -H.
    logp = density.double_moon_log_prob(rl.data.double_moon(200_000, seed=7).double()).numpy()
    assert abs(-logp.mean() - grid_H) < 4 * logp.std() / math.sqrt(len(logp))


def test_grid_log_prob_orientation_and_flow_dtype():
    X, Y, logp = density.grid_log_prob(lambda x: x[:, 0] + 10 * x[:, 1], (0, 1), (2, 4), n=3)
    np.testing.assert_allclose(X[0], [0, 0.5, 1])
    np.testing.assert_allclose(Y[:, 0], [2, 3, 4])
    np.testing.assert_allclose(logp, X + 10 * Y)  # logp[i, j] belongs to (xs[j], ys[i])
    # A float32 flow gets float32 points; its density, whatever the random weights, has mass 1.
    flow = randomize(rl.realnvp(dim=2, n_layers=4, hidden=16), std=0.2)
    assert abs(density.grid_integral(flow.log_prob, (-8, 8), (-8, 8), n=300) - 1) < 2e-3


@pytest.mark.parametrize(
    "bad",
    [
        torch.zeros(5, 3),
        torch.zeros(5),
        torch.zeros(2, 5, 2),
        torch.tensor([[0.0, float("nan")]]),
        torch.tensor([[float("inf"), 0.0]]),
        torch.zeros(4, 2, dtype=torch.long),
        np.zeros((4, 2)),
    ],
)
def test_bad_points_raise(bad):
    with pytest.raises(ValueError):
        density.two_moons_log_prob(bad)
    with pytest.raises(ValueError):
        density.double_moon_log_prob(bad)


@pytest.mark.parametrize("noise", [0.0, -0.1, float("nan"), float("inf")])
def test_bad_noise_raises(noise):
    with pytest.raises(ValueError, match="noise"):
        density.two_moons_log_prob(torch.zeros(3, 2), noise)
    with pytest.raises(ValueError, match="noise"):
        density.two_moons_entropy(noise, n=10)
