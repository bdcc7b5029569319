"""The bijection contract and the affine coupling layer of RealNVP (Dinh et al., 2017, eq. 6-9).

Every bijection is an ``nn.Module`` with

* ``forward(x) -> (y, logdet)``: data -> latent direction, ``x: (B, D)`` (or an image batch
  ``(B, C, H, W)``), ``logdet: (B,)``;
* ``inverse(y) -> (x, logdet)``: latent -> data, ``logdet`` of the inverse map (= minus forward's).

``logdet`` is always log |det J| of the map that was actually applied, one number per sample.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .checks import check_batch, check_int, check_mask, check_number

__all__ = [
    "ACTIVATIONS",
    "AffineCoupling",
    "Bijection",
    "affine",
    "bounded_scale",
    "mlp",
]

ACTIVATIONS = {"relu": nn.ReLU, "silu": nn.SiLU, "tanh": nn.Tanh, "gelu": nn.GELU}


class Bijection(nn.Module):
    """Base class of every step: an invertible map of batches with a per-sample log-determinant.

    A batch is ``(B, D)`` for the 2-D flows or ``(B, C, H, W)`` for images (``ActNorm``, the images'
    ``Logit``, ``InSqueezed``, ``FactorOut``); a step that knows its event size says so in ``dim``
    (``D``) or ``shape`` (``(C, H, W)``), which ``check_bijection`` reads.
    """

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:  # pragma: no cover - interface
        """Map ``x: (B, ...)`` towards the latent space; return ``(y`` shaped like ``x, logdet: (B,))``."""
        raise NotImplementedError

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:  # pragma: no cover - interface
        """Map ``y: (B, ...)`` towards the data space; return ``(x`` shaped like ``y, logdet: (B,))``."""
        raise NotImplementedError


def mlp(d_in: int, d_out: int, hidden: int, n_hidden: int, activation: str) -> nn.Sequential:
    """A plain MLP ``d_in -> hidden (x n_hidden) -> d_out`` whose last layer starts at exactly zero."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    hidden = check_int("hidden (units per hidden layer of the conditioner)", hidden)
    n_hidden = check_int("n_hidden (hidden layers of the conditioner)", n_hidden, low=0)
    layers: list[nn.Module] = []
    width = d_in
    for _ in range(n_hidden):
        layers += [nn.Linear(width, hidden), ACTIVATIONS[activation]()]
        width = hidden
    last = nn.Linear(width, d_out)
    # Zero weights and bias: s = t = 0, so the coupling starts as the identity map and
    # training begins from the base density instead of a random warp of it.
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    return nn.Sequential(*layers, last)


def affine(x: Tensor, s: Tensor, t: Tensor, inverse: bool = False) -> Tensor:
    """The coupling formula: ``x * exp(s) + t``, or its inverse ``(x - t) * exp(-s)``; all ``(B, D)``.

    With ``s`` and ``t`` already zero where the mask is 1 this is exactly
    ``b*x + (1-b) * (x * exp(s) + t)``: the pass-through coordinates come out as ``x * 1 + 0``.

    >>> affine(torch.tensor([[1.0, 2.0]]), torch.tensor([[0.0, 0.5]]), torch.tensor([[0.0, 1.0]]))
    tensor([[1.0000, 4.2974]])
    """
    return (x - t) * torch.exp(-s) if inverse else x * torch.exp(s) + t


def bounded_scale(raw_s: Tensor, bound: float | None) -> Tensor:
    """``s = bound * tanh(raw / bound)``: close to ``raw`` when small, never beyond ``±bound``
    (``bound=None``: ``raw`` itself). Every bounded scale in the library is this one.

    >>> bounded_scale(torch.tensor([0.0, 100.0]), 3.0).tolist()
    [0.0, 3.0]
    """
    return raw_s if bound is None else bound * torch.tanh(raw_s / bound)


class AffineCoupling(Bijection):
    """Affine coupling layer (RealNVP, Dinh et al. 2017, eq. 9).

    ``y = b*x + (1-b) * (x * exp(s(b*x)) + t(b*x))`` and ``log|det J| = sum_j (1-b_j) s_j(b*x)``,
    where ``mask`` is ``b`` (1 = passed through unchanged). The scale is soft-clamped,
    ``s = bound * tanh(raw / bound)``, so one layer can stretch by at most ``exp(bound)``;
    ``scale_bound=None`` leaves it unbounded (only for demonstrating why bounding matters).
    ``forward(x, context=c)`` gives ``s`` and ``t`` a context too (a conditional coupling, as in the
    images' variational dequantizer); without one it is the plain layer.

    >>> layer = AffineCoupling([1, 0], hidden=8)
    >>> y, logdet = layer(torch.randn(5, 2))
    >>> tuple(y.shape), tuple(logdet.shape)
    ((5, 2), (5,))
    """

    def __init__(
        self,
        mask: Tensor | list[int],
        hidden: int = 64,
        n_hidden: int = 2,
        scale_bound: float | None = 3.0,
        activation: str = "relu",
        net: nn.Module | None = None,
    ) -> None:
        super().__init__()
        # A (D,) mask for (B, D) flows; an image mask (C, H, W) comes with its own conditioner ``net``
        # (a conv net, ``images.conv_net``): the equation below is the same for both.
        image = isinstance(mask, Tensor) and mask.dim() > 1
        mask = check_mask(mask.reshape(-1)).view(mask.shape) if image else check_mask(mask)
        if image and net is None:
            raise ValueError(
                f"an image mask {tuple(mask.shape)} needs a conditioner net= (e.g. images.ConvNet(mask))"
            )
        if scale_bound is not None:
            check_number("scale_bound (the largest |s|; None for an unbounded scale)", scale_bound)
        self.shape = tuple(mask.shape)
        self.dim = mask.numel()
        self.scale_bound = scale_bound
        self.register_buffer("mask", mask)
        self.net = net if net is not None else mlp(self.dim, 2 * self.dim, hidden, n_hidden, activation)

    @property
    def event(self) -> int | tuple[int, ...]:
        """One sample's shape: ``D`` for a vector mask, ``(C, H, W)`` for an image mask."""
        return self.dim if len(self.shape) == 1 else self.shape

    def bounded_scale(self, raw_s: Tensor) -> Tensor:
        """``s = bound * tanh(raw / bound)``: close to ``raw`` when small, never beyond ``±bound``."""
        return bounded_scale(raw_s, self.scale_bound)

    def scale_shift(self, x_cond: Tensor) -> tuple[Tensor, Tensor]:
        """Return ``(s, t)``, each shaped like ``x``, already zero on the pass-through coordinates."""
        raw_s, t = self.net(x_cond).chunk(2, dim=1)  # features (or channels) 0..D-1 are s, the rest t
        free = 1 - self.mask
        # Masking here, not after the sum, keeps the log-det to the coordinates that move.
        return self.bounded_scale(raw_s) * free, t * free

    def conditioner_input(self, x: Tensor, context: Tensor | None = None) -> Tensor:
        """What the conditioner reads: ``b * x``, with ``context: (B, C', ...)`` appended along dim 1.

        A context makes the coupling conditional, ``s(b*x, c)`` and ``t(b*x, c)`` (e.g. a variational
        dequantizer's ``r(u | x)``, Ho et al. 2019): still invertible in ``x`` for a fixed ``c``, and
        ``net`` must take ``D + C'`` features (or channels).
        """
        if context is None:
            return x * self.mask
        if not isinstance(context, Tensor) or context.dim() != x.dim() or len(context) != len(x):
            got = tuple(context.shape) if isinstance(context, Tensor) else type(context).__name__
            raise ValueError(
                f"context must be a tensor with x's batch size and number of dimensions "
                f"(x: {tuple(x.shape)}), got {got}"
            )
        return torch.cat([x * self.mask, context], dim=1)

    def forward(self, x: Tensor, context: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``x: (B, D) -> (y: (B, D), logdet: (B,))``, data -> latent (or ``(B, C, H, W)``)."""
        check_batch(x, self.event)
        s, t = self.scale_shift(self.conditioner_input(x, context))
        return affine(x, s, t), s.flatten(1).sum(dim=1)

    def inverse(self, y: Tensor, context: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``y: (B, D) -> (x: (B, D), logdet: (B,))``; s and t are re-evaluated, never inverted."""
        check_batch(y, self.event, "y")
        # y*b = x*b (and the context is the same): the conditioner sees the same input
        s, t = self.scale_shift(self.conditioner_input(y, context))
        return affine(y, s, t, inverse=True), -s.flatten(1).sum(dim=1)

    def extra_repr(self) -> str:
        mask = self.mask.int().tolist() if len(self.shape) == 1 else f"{self.shape} image mask"
        return f"mask={mask}, scale_bound={self.scale_bound}"
