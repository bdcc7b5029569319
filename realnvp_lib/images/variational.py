"""Variational dequantization (Ho et al. 2019, Flow++ sec. 3.1): a small conditional flow r(u | x).

``u = sigmoid(g_K(... g_1(mu(x) + sigma(x) n)))`` with ``n ~ N(0, I)``: a conditional Gaussian, ``K``
checkerboard couplings (``bijections.AffineCoupling``, the library's coupling, given a CNN context
of ``x`` as well as the copied half), and a sigmoid into ``[0, 1)``. Trained jointly with the image flow
on ``E_r[log q((x + u) / 17) - log r(u | x)]``, it puts its noise where the flow's density is high
inside each bin, so the bound on ``log P(x)`` is tighter than uniform noise's.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ..bijections import AffineCoupling
from ..checks import check_int, check_number
from ..masks import checkerboard
from .data import LEVELS, SHAPE, check_images, to_pixels

__all__ = ["VariationalDequantizer"]


def _zero_last(net: nn.Sequential) -> nn.Sequential:
    nn.init.zeros_(net[-1].weight)  # starts as the identity / as N(0, 1): training begins from uniform-like
    nn.init.zeros_(net[-1].bias)
    return net


class VariationalDequantizer(nn.Module):
    """``r(u | x)`` for integer images ``x: (B, 1, 8, 8)``; ``sample`` returns ``(v, log r(u | x): (B,))``.

    ``hidden`` channels in the context CNN, ``n_couplings`` conditional checkerboard couplings with
    ``coupling_hidden`` channels each, scales bounded by ``scale_bound`` (``s = b tanh(raw / b)``).

    ``weight_decay`` and ``lr_scale`` are how ``r`` asks to be optimised when it is trained jointly
    with a flow: its own parameter group, no weight decay, twice the flow's learning rate (same
    schedule). The flow's weight decay (1.0 in ``digits_recipe``) regularises a flow that overfits
    its training images; on ``r`` it only pulls the noise back towards its ``sigmoid(N(0, 1))`` start.
    Its own group scored better than the flow's (benchmarks/recipe_choices.txt).
    """

    weight_decay: float = 0.0
    lr_scale: float = 2.0

    def __init__(
        self,
        hidden: int = 32,
        n_couplings: int = 4,
        coupling_hidden: int = 16,
        scale_bound: float = 2.0,
        seed: int = 0,
    ) -> None:
        hidden = check_int("hidden", hidden)
        n_couplings = check_int("n_couplings", n_couplings, low=0)
        coupling_hidden = check_int("coupling_hidden", coupling_hidden)
        scale_bound = check_number("scale_bound", scale_bound)
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.context = nn.Sequential(
                nn.Conv2d(1, hidden, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(hidden, hidden, 3, padding=1),
                nn.ReLU(),
            )
            self.gaussian = _zero_last(nn.Sequential(nn.Conv2d(hidden, 2, 1)))
            # The core's coupling, its conditioner reading (b * e, context of x): alternating
            # checkerboard parities; K = 0 leaves r a conditional logit-normal.
            self.couplings = nn.ModuleList(
                AffineCoupling(
                    checkerboard(SHAPE, k % 2 == 0),
                    scale_bound=scale_bound,
                    net=_zero_last(
                        nn.Sequential(
                            nn.Conv2d(1 + hidden, coupling_hidden, 3, padding=1),
                            nn.ReLU(),
                            nn.Conv2d(coupling_hidden, 2, 3, padding=1),
                        )
                    ),
                )
                for k in range(n_couplings)
            )
        self.scale_bound = scale_bound

    def sample(
        self, x: Tensor, generator: torch.Generator | None = None, dtype: torch.dtype | None = None
    ) -> tuple[Tensor, Tensor]:
        """``x: (B, 1, 8, 8)`` integer -> ``(v = (x + u) / 17: (B, 1, 8, 8), log r(u | x): (B,))``."""
        check_images(x, "x")
        dtype = dtype or next(self.parameters()).dtype
        device = next(self.parameters()).device
        n = torch.randn(x.shape, generator=generator, dtype=dtype).to(device)
        ctx = self.context(x.to(device, dtype) / (LEVELS - 1) - 0.5)
        mu, log_sigma = self.gaussian(ctx).chunk(2, dim=1)
        e = mu + log_sigma.exp() * n
        # log N(n; 0, I) - sum log sigma: the density of e, then each map's log-det subtracted.
        log_r = -0.5 * (
            n.pow(2).flatten(1).sum(1) + n[0].numel() * math.log(2 * math.pi)
        ) - log_sigma.flatten(1).sum(1)
        for coupling in self.couplings:
            e, logdet = coupling(e, context=ctx)
            log_r = log_r - logdet
        u = torch.sigmoid(e)
        log_r = log_r - (F.logsigmoid(e) + F.logsigmoid(-e)).flatten(1).sum(1)  # d sigmoid = s (1 - s)
        v = to_pixels(x.to(device), u)
        return v, log_r
