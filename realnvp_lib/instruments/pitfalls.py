"""The bug gallery (notebook 03): coupling layers with one real bug each, checks that must fail, scales."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from ..bijections import AffineCoupling, affine
from ..flow import run_steps

__all__ = ["BuggyCoupling", "coupling_scales", "expect_failure", "unchecked_trajectory"]


class BuggyCoupling(AffineCoupling):
    """An ``AffineCoupling`` with one deliberate bug from real code, for notebook 03's gallery.

    * ``"unmasked_logdet"``: the log-det sums ``s`` over every coordinate, moved or not;
    * ``"sign_flip"``: ``inverse`` returns ``+sum(s)``, the forward direction's sign;
    * ``"split_merge"``: coordinates are split where the mask says (e.g. interleaved) but merged
      back contiguously, passed-through ones first, in both directions;
    * ``"unmasked_shift"``: ``t`` is not multiplied by ``(1 - b)``, so the pass-through coordinates
      are shifted too (invisible at zero init, where ``t = 0``);
    * ``"batch_stats"``: the conditioner's input is standardised with the batch's mean and std (a
      BatchNorm in training mode), so each sample's output depends on the rest of the batch;
    * ``"unmasked_conditioner"``: the conditioner is fed ``x`` instead of ``b⊙x``, in both directions,
      so ``s`` depends on the coordinates it scales: the Jacobian is no longer triangular, the
      log-det is not ``sum(s)``, and the inverse cannot recompute ``s`` from ``y``.

    At zero initialisation (``s = t = 0``) only ``split_merge`` differs from the correct layer;
    randomise the weights (``rl.randomize``) to see the others.
    """

    BUGS = (
        "unmasked_logdet",
        "sign_flip",
        "split_merge",
        "unmasked_shift",
        "batch_stats",
        "unmasked_conditioner",
    )

    def __init__(self, mask: Tensor | list[int], bug: str, **kwargs) -> None:
        if bug not in self.BUGS:
            raise ValueError(f"bug must be one of {self.BUGS}, got {bug!r}")
        super().__init__(mask, **kwargs)
        self.bug = bug

    def _merge_contiguous(self, v: Tensor) -> Tensor:
        keep = self.mask.bool()
        return torch.cat([v[:, keep], v[:, ~keep]], dim=1)

    def scale_shift(self, x_cond: Tensor) -> tuple[Tensor, Tensor]:
        if self.bug == "batch_stats":
            x_cond = (x_cond - x_cond.mean(0)) / (x_cond.std(0) + 1e-5) * self.mask
        s, t = super().scale_shift(x_cond)
        if self.bug == "unmasked_shift":
            t = self.net(x_cond).chunk(2, dim=1)[1]  # forgot to multiply t by (1 - b)
        return s, t

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if self.bug == "unmasked_conditioner":
            s, t = self.scale_shift(x)  # forgot x * self.mask
            return affine(x, s, t), s.sum(1)
        y, logdet = super().forward(x)
        if self.bug == "unmasked_logdet":
            raw_s = self.net(x * self.mask).chunk(2, dim=1)[0]
            logdet = self.bounded_scale(raw_s).sum(1)  # forgot to multiply by (1 - b)
        if self.bug == "split_merge":
            y = self._merge_contiguous(y)
        return y, logdet

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        if self.bug == "unmasked_conditioner":
            s, t = self.scale_shift(y)  # forgot y * self.mask: y's free part is not x's
            return affine(y, s, t, inverse=True), -s.sum(1)
        x, logdet = super().inverse(y)
        if self.bug == "sign_flip":
            logdet = -logdet
        if self.bug == "split_merge":
            x = self._merge_contiguous(x)
        return x, logdet


@contextmanager
def expect_failure(kind: type[BaseException] = AssertionError) -> Iterator[None]:
    """Run a check that must fail: print what it caught, and raise if it did not fail.

    >>> with expect_failure():
    ...     assert 1 + 1 == 3, "arithmetic"
    caught AssertionError: arithmetic
    """
    try:
        yield
    except kind as err:
        print(f"caught {type(err).__name__}: {err}")
    else:
        raise AssertionError(f"expected this check to raise {kind.__name__}, but it passed")


@torch.no_grad()
def _unchecked_path(flow: nn.Module, x: Tensor) -> tuple[list[Tensor], list[Tensor]]:
    """The states ``[x, h_1, ..., h_K]`` and every coupling's ``s: (B, D)``, by ``flow.run_steps``
    with each coupling and permutation applied by hand: their input checks would refuse an inf."""
    states, scales = [x], []

    def unchecked(layer: nn.Module, h: Tensor) -> tuple[Tensor, Tensor]:
        if isinstance(layer, AffineCoupling):
            s, t = layer.scale_shift(h * layer.mask)
            scales.append(s)
            return affine(h, s, t), s.sum(1)  # s is zero where the mask passes through
        if hasattr(layer, "perm"):
            return h[:, layer.perm], h.new_zeros(h.shape[0])
        return layer(h)

    run_steps(flow.bijections, x, states=states, apply=unchecked)
    return states, scales


def unchecked_trajectory(flow: nn.Module, x: Tensor) -> list[Tensor]:
    """The inference path ``[x, h_1, ..., h_K]`` (K+1 tensors ``(B, D)``) without the input checks.

    Unlike ``Flow.trajectory``, a state that has overflowed to inf (the way an unbounded flow
    dies) is returned instead of refused, so the growth can be printed.
    """
    return _unchecked_path(flow, x)[0]


def coupling_scales(flow: nn.Module, x: Tensor) -> list[Tensor]:
    """The scales ``s: (B, D)`` of every coupling along the unchecked inference path of ``x``."""
    return _unchecked_path(flow, x)[1]
