"""Seeded noise on a module's parameters, so a zero-initialised layer is no longer the identity."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["randomize"]


def randomize(module: nn.Module, seed: int = 0, std: float = 0.3) -> nn.Module:
    """Add seeded noise to every parameter, in place, so a zero-initialised layer is no longer the identity.

    Matrices get ``std / sqrt(fan_in)``, vectors ``std``: scales ``s`` of order ``std`` for any D.

    >>> from realnvp_lib import AffineCoupling, half_mask
    >>> layer = randomize(AffineCoupling(half_mask(2), hidden=8))
    >>> bool(layer.net[-1].weight.abs().sum() > 0)
    True
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            scale = std / p.shape[-1] ** 0.5 if p.dim() == 2 else std
            p.add_(scale * torch.randn(p.shape, generator=gen, dtype=p.dtype).to(p.device))
    return module
