"""The one mask module: which coordinates a coupling passes through (1) and which it transforms (0).

Vector masks ``(D,)`` for ``(B, D)`` flows and image masks ``(C, H, W)`` for ``(B, C, H, W)`` ones
(Dinh et al. 2017, sec. 3.4 and fig. 3): the checkerboard and the channel-wise partition.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["alternating_mask", "channel_mask", "checkerboard", "half_mask"]


def half_mask(dim: int, first: bool = True) -> Tensor:
    """``(D,)`` mask with the first ``D // 2`` coordinates passed through (or the rest, if not ``first``).

    >>> half_mask(5).tolist()
    [1.0, 1.0, 0.0, 0.0, 0.0]
    """
    m = torch.zeros(dim)
    m[: dim // 2] = 1
    return m if first else 1 - m


def alternating_mask(dim: int, even: bool = True) -> Tensor:
    """``(D,)`` mask passing through every other coordinate (0, 2, 4, ... if ``even``).

    >>> alternating_mask(5).tolist()
    [1.0, 0.0, 1.0, 0.0, 1.0]
    """
    m = (torch.arange(dim) % 2 == 0).to(torch.get_default_dtype())
    return m if even else 1 - m


def checkerboard(shape: tuple[int, int, int], even: bool = True) -> Tensor:
    """``(C, H, W)`` checkerboard mask, 1 where ``(i + j)`` is even (or odd): the pixels passed through
    (Dinh et al. 2017, fig. 3). ``.flatten()`` makes it a ``(C*H*W,)`` mask for a flow on vectors.

    >>> checkerboard((1, 2, 3))[0].tolist()
    [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    c, h, w = shape
    i, j = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    m = ((i + j) % 2 == (0 if even else 1)).to(torch.get_default_dtype())
    return m.expand(c, h, w).clone()


def channel_mask(shape: tuple[int, int, int], first: bool = True) -> Tensor:
    """``(C, H, W)`` channel-wise mask: the first ``C // 2`` channels pass through (or the others).

    >>> channel_mask((4, 1, 1)).flatten().tolist()
    [1.0, 1.0, 0.0, 0.0]
    """
    c, h, w = shape
    if c < 2:
        raise ValueError(f"a channel-wise mask needs at least 2 channels, got shape {shape}")
    m = torch.zeros(c, h, w)
    m[: c // 2] = 1
    return m if first else 1 - m
