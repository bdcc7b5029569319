"""scikit-learn's 8x8 digits as images: fixed train/val/test splits and uniform dequantization."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

__all__ = ["LEVELS", "SHAPE", "SPLITS", "dequantize", "digits", "split_indices"]

LEVELS = 17  # load_digits pixels are counts 0..16 (4x4 blocks of a 32x32 bitmap): 17 grey levels
SHAPE = (1, 8, 8)  # (C, H, W) of one image
SPLITS = {"train": 1257, "val": 180, "test": 360}  # 1797 images in all


def split_indices(split: str, seed: int = 0) -> np.ndarray:
    """Indices into ``load_digits`` of one split: a seeded shuffle cut 1257 / 180 / 360, disjoint."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
    order = np.random.default_rng(seed).permutation(sum(SPLITS.values()))
    start = 0
    for name, size in SPLITS.items():
        if name == split:
            return np.sort(order[start : start + size])
        start += size
    raise AssertionError("unreachable")


def digits(split: str, seed: int = 0, labels: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Integer images ``(N, 1, 8, 8)`` int64 in ``0..16`` of ``split`` ("train", "val" or "test").

    The same ``seed`` always gives the same disjoint splits (1257 / 180 / 360 images). With
    ``labels=True`` also returns the digit classes ``(N,)``.

    >>> digits("val").shape, digits("val").dtype
    (torch.Size([180, 1, 8, 8]), torch.int64)
    """
    from sklearn.datasets import load_digits  # imported here: only this function needs it

    bunch = load_digits()
    idx = split_indices(split, seed)
    x = torch.as_tensor(bunch.images[idx], dtype=torch.int64).view(-1, *SHAPE)
    return (x, torch.as_tensor(bunch.target[idx], dtype=torch.int64)) if labels else x


def dequantize(x: Tensor, generator: torch.Generator | None = None,
               dtype: torch.dtype | None = None) -> Tensor:
    """Uniform dequantization ``v = (x + u) / 17`` with ``u ~ U[0, 1)`` (Theis et al. 2016): into ``[0, 1)``.

    ``x`` is any integer tensor of levels ``0..16``; the result has ``x``'s shape and device and
    ``dtype`` (default: torch's default float). ``generator`` (a CPU one) makes ``u`` repeatable.
    """
    if x.is_floating_point():
        raise ValueError("dequantize takes the integer images (levels 0..16), got a float tensor")
    if x.numel() and (int(x.min()) < 0 or int(x.max()) >= LEVELS):
        raise ValueError(f"pixel levels must lie in 0..{LEVELS - 1}, got {int(x.min())}..{int(x.max())}")
    dtype = dtype or torch.get_default_dtype()
    u = torch.rand(x.shape, generator=generator, dtype=dtype).to(x.device)
    return (x.to(dtype) + u) / LEVELS
