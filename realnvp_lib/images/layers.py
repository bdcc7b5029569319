"""Image bijections on ``(B, C, H, W)``: masks, conv coupling, squeeze, factor-out (Dinh et al. 2017).

Every layer follows the library's contract: ``forward(x) -> (y, logdet: (B,))`` goes data -> latent,
``inverse(y) -> (x, logdet)`` undoes it exactly, and ``logdet`` is that map's log |det J|.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..bijections import affine
from ..validation import check_batch

__all__ = ["ConvCoupling", "FactorOut", "InSqueezed", "Squeeze", "channel_mask", "checkerboard",
           "conditioner", "squeeze", "unsqueeze"]


def checkerboard(shape: tuple[int, int, int], even: bool = True) -> Tensor:
    """``(C, H, W)`` checkerboard mask, 1 where ``(i + j)`` is even (or odd): the pixels passed through.

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


def squeeze(x: Tensor) -> Tensor:
    """``(B, C, H, W) -> (B, 4C, H/2, W/2)``: each 2x2 block becomes 4 channels (fig. 3 of the paper).

    Channel ``4c + 2i + j`` holds pixel ``(i, j)`` of every 2x2 block of input channel ``c``.
    """
    b, c, h, w = x.shape
    if h % 2 or w % 2:
        raise ValueError(f"squeeze needs an even height and width, got {h}x{w}")
    return x.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(b, 4 * c, h // 2, w // 2)


def unsqueeze(x: Tensor) -> Tensor:
    """The inverse of ``squeeze``: ``(B, 4C, H, W) -> (B, C, 2H, 2W)``."""
    b, c4, h, w = x.shape
    if c4 % 4:
        raise ValueError(f"unsqueeze needs a multiple of 4 channels, got {c4}")
    c = c4 // 4
    return x.reshape(b, c, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(b, c, 2 * h, 2 * w)


class Squeeze(nn.Module):
    """``squeeze`` as a bijection (a permutation of the pixels: log-det 0); changes the shape."""

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return squeeze(x), x.new_zeros(x.shape[0])

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        return unsqueeze(y), y.new_zeros(y.shape[0])


def conditioner(c_in: int, c_out: int, hidden: int, n_blocks: int) -> nn.Module:
    """A small ResNet: 3x3 conv in, ``n_blocks`` residual blocks, 3x3 conv out starting at zero."""
    return _ResNet(c_in, c_out, hidden, n_blocks)


class _ResNet(nn.Module):
    def __init__(self, c_in: int, c_out: int, hidden: int, n_blocks: int) -> None:
        super().__init__()
        self.inp = nn.Conv2d(c_in, hidden, 3, padding=1)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.ReLU(), nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(hidden, hidden, 1)) for _ in range(n_blocks))
        self.out = nn.Sequential(nn.ReLU(), nn.Conv2d(hidden, c_out, 3, padding=1))
        # Zero output layer: s = t = 0, so every coupling starts as the identity map.
        nn.init.zeros_(self.out[1].weight)
        nn.init.zeros_(self.out[1].bias)

    def forward(self, x: Tensor) -> Tensor:
        h = self.inp(x)
        for block in self.blocks:
            h = h + block(h)
        return self.out(h)


class ConvCoupling(nn.Module):
    """Affine coupling on images (eq. 9 of the paper) with a convolutional ``s, t`` conditioner.

    ``y = b*x + (1-b) * (x * exp(s(b*x)) + t(b*x))`` with the mask ``b: (C, H, W)`` (1 = passed
    through); ``log|det J| = sum (1-b) s``. The conditioner also sees ``b``'s first channel, so it knows
    which pixels it was given. ``s = bound * tanh(raw / bound)`` as in the 2-D coupling.
    """

    def __init__(self, mask: Tensor, hidden: int = 32, n_blocks: int = 1, scale_bound: float = 2.0) -> None:
        super().__init__()
        if mask.dim() != 3 or not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError(f"mask must be a (C, H, W) tensor of 0/1, got shape {tuple(mask.shape)}")
        if bool(mask.all()) or not bool(mask.any()):
            raise ValueError("mask must pass some pixels through and transform others")
        if not scale_bound > 0:
            raise ValueError(f"scale_bound must be positive, got {scale_bound}")
        self.shape = tuple(mask.shape)
        self.scale_bound = float(scale_bound)
        self.register_buffer("mask", mask.to(torch.get_default_dtype()))
        self.net = conditioner(self.shape[0] + 1, 2 * self.shape[0], hidden, n_blocks)

    def scale_shift(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(s, t)``, each ``(B, C, H, W)``, from the passed-through pixels; zero where ``b = 1``."""
        b = self.mask
        cond = torch.cat([x * b, b[:1].expand(x.shape[0], 1, *self.shape[1:])], dim=1)
        raw_s, t = self.net(cond).chunk(2, dim=1)
        free = 1 - b
        return self.scale_bound * torch.tanh(raw_s / self.scale_bound) * free, t * free

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``x: (B, C, H, W) -> (y, logdet: (B,))``."""
        check_batch(x, self.shape)
        s, t = self.scale_shift(x)
        return affine(x, s, t), s.flatten(1).sum(dim=1)

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        """``y -> (x, logdet: (B,))``; ``y*b = x*b``, so ``s, t`` are recomputed, never inverted."""
        check_batch(y, self.shape, "y")
        s, t = self.scale_shift(y)
        return affine(y, s, t, inverse=True), -s.flatten(1).sum(dim=1)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, scale_bound={self.scale_bound}"


class InSqueezed(nn.Module):
    """Run ``layer`` on the squeezed image and unsqueeze again: ``(B, C, H, W)`` in and out.

    Keeping every step's state in the input's shape is what lets ``flow.trajectory`` show each
    step as an image and makes ``z`` one tensor shaped like ``x``.
    """

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        y, logdet = self.layer(squeeze(x))
        return unsqueeze(y), logdet

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        x, logdet = self.layer.inverse(squeeze(y))
        return unsqueeze(x), logdet


class FactorOut(nn.Module):
    """Multi-scale factor-out (sec. 3.6): ``layer`` sees only the first ``keep`` channels.

    The other channels were factored out at an earlier scale: they are already final latent
    coordinates and pass through unchanged, in place (log-det 0 for them).
    """

    def __init__(self, layer: nn.Module, keep: int) -> None:
        super().__init__()
        if keep < 1:
            raise ValueError(f"keep must be a positive number of channels, got {keep}")
        self.layer, self.keep = layer, int(keep)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        y, logdet = self.layer(x[:, : self.keep])
        return torch.cat([y, x[:, self.keep :]], dim=1), logdet

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        x, logdet = self.layer.inverse(y[:, : self.keep])
        return torch.cat([x, y[:, self.keep :]], dim=1), logdet

    def extra_repr(self) -> str:
        return f"keep={self.keep}"
