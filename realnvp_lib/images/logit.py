"""The logit pre-processing of RealNVP as a bijection, its log-det counted (Dinh et al. 2017, sec. 4.1)."""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional as F

from ..bijections import Bijection
from .data import check_pixels

__all__ = ["Logit"]


class Logit(Bijection):
    """``y = logit(a + (1 - 2a) v)``: pixels ``v`` in ``[0, 1)`` -> the real line, any shape ``(B, ...)``.

    ``a`` (``alpha``) keeps ``v = 0`` finite. ``log|det J| = sum_i [log(1 - 2a) - log p_i - log(1 - p_i)]``
    with ``p = a + (1 - 2a) v``; the inverse is ``v = (sigmoid(y) - a) / (1 - 2a)``.

    >>> y, ld = Logit(0.05)(torch.full((2, 1, 2, 2), 0.5))
    >>> y.abs().max().item(), tuple(ld.shape)
    (0.0, (2,))
    """

    def __init__(self, alpha: float = 0.05) -> None:
        super().__init__()
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 0.5:
            raise ValueError(f"alpha must be a number in (0, 0.5), got {alpha!r}")
        self.alpha = float(alpha)

    def forward(self, v: Tensor) -> tuple[Tensor, Tensor]:
        """``v: (B, ...)`` in ``[0, 1)`` -> ``(y, logdet: (B,))``, data -> latent."""
        # The map is defined wherever p is in (0, 1): a little beyond [0, 1], so that it inverts its
        # own inverse; the density's [0, 1) is checked where pixels are scored (ImageFlow.log_prob).
        edge = self.alpha / (1 - 2 * self.alpha)
        check_pixels(v, "v", -edge, 1 + edge)
        p = self.alpha + (1 - 2 * self.alpha) * v
        y = torch.log(p) - torch.log1p(-p)
        return y, -self._inverse_logdet(y)

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        """``y: (B, ...)`` -> ``(v, logdet: (B,))``; ``logdet`` of the inverse map, minus forward's."""
        return (torch.sigmoid(y) - self.alpha) / (1 - 2 * self.alpha), self._inverse_logdet(y)

    def _inverse_logdet(self, y: Tensor) -> Tensor:
        # dv/dy = p (1 - p) / (1 - 2a) with p = sigmoid(y); log p(1 - p) = -softplus(-y) - softplus(y)
        # stays accurate for large |y|, where computing p first would round to 0 or 1.
        per_pixel = -F.softplus(-y) - F.softplus(y) - math.log1p(-2 * self.alpha)
        return per_pixel.flatten(1).sum(dim=1)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"
