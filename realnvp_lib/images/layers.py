"""Image bijections on ``(B, C, H, W)``: the conv conditioner, squeeze, factor-out (Dinh et al. 2017).

Every layer follows the library's contract: ``forward(x) -> (y, logdet: (B,))`` goes data -> latent,
``inverse(y) -> (x, logdet)`` undoes it exactly, and ``logdet`` is that map's log |det J|.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..bijections import AffineCoupling, Bijection
from ..checks import check_int
from ..masks import channel_mask, checkerboard

__all__ = [
    "ConvNet",
    "FactorOut",
    "InSqueezed",
    "channel_mask",
    "checkerboard",
    "conv_coupling",
    "squeeze",
    "unsqueeze",
]


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


class ConvNet(nn.Module):
    """The conditioner of an image coupling: a small ResNet that also sees where the mask is.

    ``x_cond: (B, C, H, W) -> (B, 2C, H, W)`` (``s`` then ``t``): a 3x3 conv in (from the ``C``
    channels plus the mask's first channel, so it knows which pixels it was given), ``n_blocks``
    residual blocks, a 3x3 conv out that starts at zero (every coupling starts as the identity).
    """

    def __init__(self, mask: Tensor, hidden: int = 48, n_blocks: int = 1) -> None:
        super().__init__()
        c_in = mask.shape[0]
        self.inp = nn.Conv2d(c_in + 1, hidden, 3, padding=1)
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.ReLU(), nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU(), nn.Conv2d(hidden, hidden, 1)
            )
            for _ in range(n_blocks)
        )
        self.out = nn.Sequential(nn.ReLU(), nn.Conv2d(hidden, 2 * c_in, 3, padding=1))
        nn.init.zeros_(self.out[1].weight)
        nn.init.zeros_(self.out[1].bias)
        self.register_buffer("mask", mask[:1].to(torch.get_default_dtype()).clone())

    def forward(self, x_cond: Tensor) -> Tensor:
        h = self.inp(torch.cat([x_cond, self.mask.expand(x_cond.shape[0], *self.mask.shape)], dim=1))
        for block in self.blocks:
            h = h + block(h)
        return self.out(h)


def conv_coupling(
    mask: Tensor, hidden: int = 48, n_blocks: int = 1, scale_bound: float = 2.0
) -> AffineCoupling:
    """The library's one ``AffineCoupling`` (eq. 9) with an image mask ``(C, H, W)`` and a ``ConvNet``.

    ``y = b*x + (1-b) * (x * exp(s(b*x)) + t(b*x))``, ``log|det J| = sum (1-b) s`` over the pixels.
    """
    if not isinstance(mask, Tensor) or mask.dim() != 3:
        raise ValueError(f"mask must be a (C, H, W) tensor of 0/1, got {getattr(mask, 'shape', mask)!r}")
    return AffineCoupling(mask, scale_bound=scale_bound, net=ConvNet(mask, hidden, n_blocks))


class InSqueezed(Bijection):
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


class FactorOut(Bijection):
    """Multi-scale factor-out (sec. 3.6): ``layer`` sees only the first ``keep`` channels.

    The other channels were factored out at an earlier scale: they are already final latent
    coordinates and pass through unchanged, in place (log-det 0 for them).
    """

    def __init__(self, layer: nn.Module, keep: int) -> None:
        super().__init__()
        self.layer, self.keep = layer, check_int("keep (the channels the layer sees)", keep)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        y, logdet = self.layer(x[:, : self.keep])
        return torch.cat([y, x[:, self.keep :]], dim=1), logdet

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        x, logdet = self.layer.inverse(y[:, : self.keep])
        return torch.cat([x, y[:, self.keep :]], dim=1), logdet

    def extra_repr(self) -> str:
        return f"keep={self.keep}"
