"""Actnorm: a learned per-pixel affine map started from the data's statistics (Kingma & Dhariwal 2018)."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn

from .bijections import Bijection

__all__ = ["ActNorm", "data_init"]


class ActNorm(Bijection):
    """``y = (x - b) * exp(-log_s)`` per coordinate of a ``shape`` event (a ``(C, H, W)`` image, or ``(D,)``);
    ``log|det J| = -sum log_s``.

    It starts as the identity; ``initialize(x)`` sets ``b`` and ``log_s`` to the mean and log std of a
    batch, so training begins on standardized coordinates (what RealNVP's batch norm does, without
    batch statistics at test time). Both stay trainable.
    """

    def __init__(self, shape: tuple[int, int, int]) -> None:
        super().__init__()
        self.shape = tuple(shape)
        self.bias = nn.Parameter(torch.zeros(self.shape))
        self.log_scale = nn.Parameter(torch.zeros(self.shape))

    @torch.no_grad()
    def initialize(self, x: Tensor, eps: float = 1e-3) -> None:
        """Standardize the batch ``x: (B, C, H, W)``: afterwards each pixel has mean 0 and std 1 on it."""
        if x.dim() != 1 + len(self.shape) or tuple(x.shape[1:]) != self.shape or len(x) < 2:
            raise ValueError(
                f"ActNorm.initialize needs a batch (B >= 2, *{self.shape}) (a std needs two "
                f"samples), got shape {tuple(x.shape)}"
            )
        self.bias.copy_(x.mean(0))
        self.log_scale.copy_(torch.log(x.std(0) + eps))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``x: (B, C, H, W) -> (y, logdet: (B,))``."""
        logdet = -self.log_scale.sum().expand(x.shape[0])
        return (x - self.bias) * torch.exp(-self.log_scale), logdet

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        """``y -> (x, logdet: (B,))``, the exact inverse ``x = y * exp(log_s) + b``."""
        logdet = self.log_scale.sum().expand(y.shape[0])
        return y * torch.exp(self.log_scale) + self.bias, logdet

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


@torch.no_grad()
def data_init(steps: Iterable[nn.Module], x: Tensor) -> None:
    """Run ``x`` through ``steps`` in order, initializing every ``ActNorm`` met from the batch it sees."""
    for step in steps:
        if isinstance(step, ActNorm):
            step.initialize(x)
        x, _ = step(x)
