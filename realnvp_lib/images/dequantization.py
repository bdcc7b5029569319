"""Dequantizers r(u | x) for integer images, and the training objective that uses them (Ho et al. 2019).

A dequantizer turns integer images ``x: (B, 1, 8, 8)`` (levels 0..16) into pixels ``v = (x + u) / 17``
in ``[0, 1)`` with noise ``u`` in ``[0, 1)^64`` drawn from ``r(u | x)``, and returns ``log r(u | x): (B,)``.
For any such ``r``, ``log P(x) >= E_r[log q(v) - log r(u | x)] - 64 log 17`` (Jensen; Theis et al.
2016 for uniform ``r``, where ``log r = 0``); a learned ``r`` makes the bound tighter (Flow++).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..flow import Flow
from .data import check_images, dequantize

__all__ = ["Dequantized", "UniformDequantizer"]


class UniformDequantizer:
    """``u ~ U[0, 1)^64``: ``log r(u | x) = 0`` (Theis et al. 2016)."""

    def sample(
        self, x: Tensor, generator: torch.Generator | None = None, dtype: torch.dtype | None = None
    ) -> tuple[Tensor, Tensor]:
        """``x: (B, 1, 8, 8)`` integer -> ``(v: (B, 1, 8, 8)`` in [0, 1), ``log_r: (B,))``."""
        v = dequantize(x, generator, dtype)
        return v, v.new_zeros(v.shape[0])


class Dequantized(nn.Module):
    """``fit``'s objective for integer images: ``-(log q(v) - log r(u | x))`` in nats, ``(B,)``.

    Fresh noise from ``dequantizer`` (seeded by ``seed``) for every batch. A dequantizer that is an
    ``nn.Module`` (``VariationalDequantizer``) is a submodule here, so ``fit`` trains it jointly with
    the flow and keeps its weights with the flow's best-validation ones.
    """

    def __init__(self, dequantizer=None, seed: int = 0) -> None:
        super().__init__()
        self.dequantizer = dequantizer or UniformDequantizer()
        self.generator = torch.Generator().manual_seed(seed)

    @property
    def weight_decay(self) -> float | None:
        """The dequantizer's own weight decay for ``fit`` (``None``: the recipe's)."""
        return getattr(self.dequantizer, "weight_decay", None)

    @property
    def lr_scale(self) -> float:
        """The dequantizer's learning rate as a multiple of the flow's, for ``fit``."""
        return getattr(self.dequantizer, "lr_scale", 1.0)

    def check(self, data: Tensor) -> None:
        """The raw training data must be integer images of levels 0..16, two at least (actnorm's std)."""
        check_images(data, "train", min_images=2)

    def draw(self, x: Tensor, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
        """``(v, log_r)`` for the integer images ``x``, from this objective's generator."""
        return self.dequantizer.sample(x, self.generator, dtype)

    def forward(self, flow: Flow, x: Tensor) -> Tensor:
        dtype = next(flow.parameters()).dtype
        v, log_r = self.draw(x, dtype)
        return log_r - flow.log_prob(v.to(x.device))
