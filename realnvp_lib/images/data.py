"""scikit-learn's 8x8 digits as images: fixed train/val/test splits and uniform dequantization."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ..checks import check_int

__all__ = [
    "LEVELS",
    "SHAPE",
    "SPLITS",
    "check_images",
    "check_pixels",
    "dequantize",
    "digits",
    "split_indices",
    "to_pixels",
]

LEVELS = 17  # load_digits pixels are counts 0..16 (4x4 blocks of a 32x32 bitmap): 17 grey levels
SHAPE = (1, 8, 8)  # (C, H, W) of one image
SPLITS = {"train": 1257, "val": 180, "test": 360}  # 1797 images in all


def split_indices(split: str, seed: int = 0) -> np.ndarray:
    """Indices into ``load_digits`` of one split: a seeded shuffle cut 1257 / 180 / 360, disjoint."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
    seed = check_int("seed", seed, low=0)  # numpy's default_rng takes no negative seed
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


def dequantize(
    x: Tensor, generator: torch.Generator | None = None, dtype: torch.dtype | None = None
) -> Tensor:
    """Uniform dequantization ``v = (x + u) / 17`` with ``u ~ U[0, 1)`` (Theis et al. 2016): into ``[0, 1)``.

    ``x`` is any integer tensor of levels ``0..16``; the result has ``x``'s shape and device and
    ``dtype`` (default: torch's default float). ``generator`` (a CPU one) makes ``u`` repeatable.
    """
    _check_levels(x, "dequantize's x")
    dtype = dtype or torch.get_default_dtype()
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point dtype, got {dtype}")
    return to_pixels(x, torch.rand(x.shape, generator=generator, dtype=dtype).to(x.device))


def to_pixels(x: Tensor, u: Tensor) -> Tensor:
    """``v = (x + u) / 17`` in ``u``'s dtype, kept inside ``[0, 1)``: the one place noise meets levels.

    ``x``: integer levels ``0..16``, ``u``: noise in ``[0, 1)`` of the same shape (uniform, or a
    variational dequantizer's). ``(16 + u) / 17`` rounds to exactly 1.0 for ``u`` close to 1 in
    float32: the clamp keeps ``v`` below 1, in the logit's domain.
    """
    return ((x.to(u.dtype) + u) / LEVELS).clamp(max=1 - torch.finfo(u.dtype).eps / 2)


def _where(bad: Tensor) -> str:
    """``bad: (N, ...)`` bool -> 'k pixels in m of N images (first: image i)'."""
    per_image = bad.flatten(1).sum(1)
    images = torch.nonzero(per_image).flatten()
    return (
        f"{int(per_image.sum())} pixels in {len(images)} of {len(bad)} images (first: image {int(images[0])})"
    )


def _check_levels(x, name: str) -> None:
    if not isinstance(x, Tensor):
        raise ValueError(f"{name} must be a tensor of integer levels 0..{LEVELS - 1}, got {type(x).__name__}")
    if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
        raise ValueError(
            f"{name} must hold integer levels 0..{LEVELS - 1} (the images from ri.digits), got "
            f"{x.dtype}; for pixels in [0, 1) use ri.dequantize(x) on the integer images"
        )
    bad = (x < 0) | (x >= LEVELS)
    if x.dim() >= 1 and len(x) and bool(bad.any()):
        where = _where(bad) if x.dim() >= 2 else f"{int(bad.sum())} of {x.numel()} values"
        raise ValueError(
            f"{name}: pixel levels must lie in 0..{LEVELS - 1}; {where} are outside, "
            f"range {int(x.min())}..{int(x.max())}"
        )


def check_images(x, name: str = "x", min_images: int = 1) -> None:
    """``ValueError`` unless ``x`` is ``(N >= min_images, 1, 8, 8)`` integer images of levels ``0..16``."""
    _check_levels(x, name)
    if x.dim() != 4 or tuple(x.shape[1:]) != SHAPE:
        raise ValueError(f"{name} must be integer images of shape (N, 1, 8, 8), got shape {tuple(x.shape)}")
    if len(x) < min_images:
        raise ValueError(f"{name} holds {len(x)} images; at least {min_images} are needed")


def check_pixels(v: Tensor, name: str = "v", low: float = 0.0, high: float = 1.0) -> None:
    """``ValueError`` unless every pixel of ``v: (B, ...)`` lies in [low, high] (the density's: [0, 1)).

    The logit would turn a pixel outside into NaN (or score it as if it were inside): the message
    says which images and how many pixels, so integer levels or unscaled pixels are spotted at once.
    """
    bad = ~((v >= low) & (v <= high))  # NaN is bad too
    if v.dim() >= 1 and len(v) and bool(bad.any()):
        where = _where(bad) if v.dim() >= 2 else f"{int(bad.sum())} of {v.numel()} values"
        finite = v[torch.isfinite(v)]
        span = f"{finite.min().item():.4g}..{finite.max().item():.4g}" if finite.numel() else "none finite"
        inside = (
            "[0, 1) (dequantized images v = (x + u) / 17)"
            if (low, high) == (0.0, 1.0)
            else f"the logit's domain ({low:.4g}, {high:.4g})"
        )
        raise ValueError(
            f"{name}: pixels must lie in {inside}; {where} are outside, range {span}. "
            "Integer levels 0..16? use ri.dequantize(x)"
        )
