"""Bits per dimension with the 17-level discrete bound, and baselines a flow must beat (Theis et al. 2016).

For integer images ``x`` and uniform dequantization ``v = (x + u) / 17``, any density ``q`` on
``[0, 1)^64`` gives a discrete model ``P(x) = integral of q over x's bin``, and by Jensen's inequality
``-log2 P(x) <= E_u[-log q(v)] / ln 2 + 64 log2 17``. Divided by 64 pixels this is the bits/dim below.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .. import runtime
from ..checks import check_int, check_number
from .data import LEVELS, SHAPE, check_images, check_pixels, dequantize
from .dequantization import UniformDequantizer
from .logit import Logit

__all__ = ["LogitGaussian", "PixelHistogram", "Uniform", "baselines", "bits_per_dim", "bits_per_image"]

PIXELS = math.prod(SHAPE)


@torch.no_grad()
def bits_per_dim(
    model,
    x: Tensor,
    n_samples: int = 4,
    seed: int = 0,
    batch_size: int = 512,
    threads: int | None = 1,
    dequantizer=None,
    k: int = 1,
) -> tuple[float, float]:
    """``(bpd, se)`` of ``model`` on integer images ``x: (N, 1, 8, 8)`` (levels 0..16).

    Each of ``n_samples`` seeded estimates of ``log P(x)`` uses ``k`` draws ``u_j ~ r(u | x)`` from
    ``dequantizer`` (default uniform, ``log r = 0``):
    ``log P(x) >= log (1/k) sum_j q(v_j) / r(u_j | x) - 64 ln 17`` with ``v_j = (x + u_j) / 17``,
    a bound that tightens as ``k`` grows (importance weighting; Burda et al. 2016, Ho et al. 2019)
    and is Jensen's bound at ``k = 1``. ``bpd = -mean log P / (64 ln 2)``; ``se`` is the standard
    error over images. ``model`` is any object with ``log_prob(v) -> (B,)`` in nats; ``log q = 0``
    scores ``log2 17``. It runs on ``threads`` intra-op threads (the caller's setting is restored).
    """
    nll = _nll(model, x, n_samples, seed, batch_size, threads, dequantizer, k)
    # Written so that nll = 0 gives exactly log2(17): the mean first, then one scale and one shift.
    bpd = float(nll.mean()) / (PIXELS * math.log(2)) + math.log2(LEVELS)
    se = float(nll.std()) / (math.sqrt(len(nll)) * PIXELS * math.log(2)) if len(nll) > 1 else math.nan
    return bpd, se


@torch.no_grad()
def bits_per_image(
    model,
    x: Tensor,
    n_samples: int = 4,
    seed: int = 0,
    batch_size: int = 512,
    threads: int | None = 1,
    dequantizer=None,
    k: int = 1,
) -> Tensor:
    """``bits_per_dim``'s estimate image by image, ``(N,)`` float64: for paired comparisons of two
    models on the same test images (the same ``seed`` gives the same uniform draws)."""
    nll = _nll(model, x, n_samples, seed, batch_size, threads, dequantizer, k)
    return nll / (PIXELS * math.log(2)) + math.log2(LEVELS)


def _nll(
    model, x: Tensor, n_samples: int, seed: int, batch_size: int, threads: int | None, dequantizer, k: int
) -> Tensor:
    """``-log P(x) + 64 ln 17``'s estimate per image, ``(N,)`` float64 (see ``bits_per_dim``)."""
    n_samples, batch_size, k = (
        check_int(n, v) for n, v in (("n_samples", n_samples), ("batch_size", batch_size), ("k", k))
    )
    if threads is not None:
        check_int("threads", threads)
    seed = check_int("seed", seed, low=None)
    if not callable(getattr(model, "log_prob", None)):
        raise TypeError(f"model must have a log_prob(v) -> (B,) method, got {type(model).__name__}")
    if dequantizer is not None and not callable(getattr(dequantizer, "sample", None)):
        raise TypeError(
            f"dequantizer must have sample(x, generator, dtype) -> (v, log_r), got "
            f"{type(dequantizer).__name__}"
        )
    check_images(x, "x")
    dtype, device = runtime.dtype_and_device(model, torch.float64)  # its weights', else CPU float64
    was_training = getattr(model, "training", False)
    if was_training:
        model.eval()
    gen = torch.Generator().manual_seed(seed)
    nll = torch.zeros(x.shape[0], dtype=torch.float64)
    try:
        with runtime.threads(threads):
            for _ in range(n_samples):
                weights = torch.stack(
                    [_log_weights(model, x, gen, dtype, device, batch_size, dequantizer) for _ in range(k)]
                )  # (k, N)
                nll -= (torch.logsumexp(weights, 0) - math.log(k)) / n_samples
    finally:
        if was_training:
            model.train()
    return nll


def _log_weights(
    model, x: Tensor, gen: torch.Generator, dtype, device, batch_size: int, dequantizer
) -> Tensor:
    """``log q(v) - log r(u | x)`` for one draw per image: ``(N,)`` float64 on the CPU."""
    v, log_r = (dequantizer or UniformDequantizer()).sample(x, gen, dtype)
    v = v.to(device)
    parts = [model.log_prob(v[i : i + batch_size]) for i in range(0, len(v), batch_size)]
    return torch.cat(parts).to("cpu", torch.float64) - log_r.to("cpu", torch.float64)


class Uniform:
    """The uniform density on ``[0, 1)^64``: ``log q = 0``, exactly ``log2 17 = 4.087`` bits/dim."""

    def log_prob(self, v: Tensor) -> Tensor:
        check_pixels(v, "v")
        return v.new_zeros(v.shape[0])


class PixelHistogram:
    """Independent pixels, each a histogram over the 17 levels (add-``smoothing`` counts from ``x``).

    As a density on ``[0, 1)`` a level of probability ``p`` is a bin of width 1/17 and height ``17 p``.
    """

    def __init__(self, x: Tensor, smoothing: float = 1.0) -> None:
        check_images(x, "x")
        # 0 would give a level never seen in x probability 0: an infinite bits/dim
        check_number("smoothing (a count added to every level)", smoothing)
        counts = nn.functional.one_hot(x.flatten(1), LEVELS).sum(0).double() + smoothing  # (64, 17)
        self.log_p = (counts / counts.sum(1, keepdim=True)).log()

    def log_prob(self, v: Tensor) -> Tensor:
        check_pixels(v, "v")
        level = (v.flatten(1) * LEVELS).floor().long().clamp(0, LEVELS - 1)
        log_p = self.log_p.to(v.device).gather(1, level.T).T  # (B, 64)
        return (log_p + math.log(LEVELS)).sum(1).to(v.dtype)


class LogitGaussian:
    """A full-covariance Gaussian fitted to ``logit`` of dequantized training images, as a density on ``v``.

    ``log q(v) = log N(logit(v); mu, Sigma) + log|det d logit / d v|``, the same change of variables
    as the flow's first step. ``draws`` dequantization draws per image go into the fit.
    """

    def __init__(self, x: Tensor, alpha: float = 0.05, draws: int = 8, seed: int = 0) -> None:
        check_images(x, "x", min_images=2)  # a covariance needs two images at least
        draws = check_int("draws", draws)
        self.logit = Logit(alpha)
        gen = torch.Generator().manual_seed(seed)
        y = torch.cat([self.logit(dequantize(x, gen, torch.float64))[0].flatten(1) for _ in range(draws)])
        mu = y.mean(0)
        cov = torch.cov(y.T) + 1e-6 * torch.eye(y.shape[1], dtype=y.dtype)
        self.normal = torch.distributions.MultivariateNormal(mu, covariance_matrix=cov)

    def log_prob(self, v: Tensor) -> Tensor:
        check_pixels(v, "v")
        y, logdet = self.logit(v.double())
        return (self.normal.log_prob(y.flatten(1)) + logdet).to(v.dtype)


def baselines(
    train: Tensor, test: Tensor, alpha: float = 0.05, n_samples: int = 4, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """``{name: (bpd, se)}`` on ``test`` of the three baselines, fitted on ``train``."""
    models = {
        "uniform": Uniform(),
        "pixel histogram": PixelHistogram(train),
        "Gaussian in logit space": LogitGaussian(train, alpha, seed=seed),
    }
    return {name: bits_per_dim(m, test, n_samples, seed) for name, m in models.items()}
