"""What ``check_bijection`` verifies before naming any bug, and the gradient check (log-det included)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

if TYPE_CHECKING:
    from .learner import BijectionReport

__all__ = ["check_arguments", "gradients", "preconditions"]

SKIPPED = "  (the other checks are skipped: fix this first, their numbers would point at the wrong bug)"


def check_arguments(dim, n: int, seed: int, tol: float, inputs: Tensor | None) -> None:
    """``ValueError`` naming the argument of ``check_bijection`` that makes no sense."""
    for name, value, low in (("n", n, 2), ("seed", seed, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise ValueError(f"tol must be a number in (0, 1), got {tol!r}")
    if isinstance(dim, int) and not isinstance(dim, bool) and dim < 2:
        raise ValueError(f"dim must be >= 2 (a coupling needs two parts), got {dim}")
    if inputs is not None and not (
        isinstance(inputs, Tensor)
        and inputs.dim() >= 2
        and len(inputs) >= 2
        and inputs.is_floating_point()
        and bool(torch.isfinite(inputs).all())
    ):
        raise ValueError(
            "inputs must be a finite float batch (B, ...) with B >= 2 samples from the layer's "
            f"domain, got {type(inputs).__name__} {tuple(getattr(inputs, 'shape', ()))}"
        )


def _bad_rows(out: Tensor, ld: Tensor) -> int:
    return int((~(torch.isfinite(out.flatten(1)).all(1) & torch.isfinite(ld))).sum())


@torch.no_grad()
def preconditions(report: BijectionReport, fn: Callable, arg: Tensor, direction: str, sampled: bool) -> bool:
    """Run ``fn(arg)`` twice (``arg: (B, ...)``) and add a ✗ line for each precondition it breaks.

    Finite outputs, the input's dtype kept, the input left untouched, the same output for the same
    input: until these hold, every later check fails for reasons that have nothing to do with the
    coupling's algebra, and the bug it would name (masking, batch statistics) would be the wrong one.
    Adds nothing when all hold; returns whether they do. ``sampled``: ``arg`` was standard-normal noise.
    """
    saved = arg.clone()
    out, ld = fn(arg)
    name, result = ("x", "y") if direction == "forward" else ("y", "x")
    if not torch.equal(arg, saved):
        report.add(
            False,
            f"{direction} changed its input {name} in place "
            f"(max change {(arg - saved).abs().nan_to_num(float('inf')).max().item():.1e})",
            f"{direction} modifies its input in place ({name} *= ..., {name}[:, j] = ..., "
            f"{name}.add_()): the caller's tensor is corrupted; build a new tensor instead "
            f"({name} * ..., torch.cat, torch.where)",
        )
    elif out.dtype != arg.dtype or ld.dtype != arg.dtype:
        report.add(
            False,
            f"{direction} returns {result} {out.dtype} and logdet {ld.dtype} for a {arg.dtype} input",
            f"{direction} changes the dtype: a tensor made without dtype={name}.dtype "
            f"(torch.zeros(n), torch.tensor(...)) or a .float() inside the layer; use "
            f"{name}.new_zeros(...) or dtype={name}.dtype",
        )
    elif bad := _bad_rows(out, ld):
        hint = (
            "; if the layer is defined only on part of the space (a logit needs (0, 1)), pass "
            "inputs=, a batch from its domain"
            if sampled and direction == "forward"
            else ""
        )
        report.add(
            False,
            f"{direction} output finite: NaN or inf in {bad} of {len(arg)} samples",
            "NaN or inf out of the layer: an unbounded exp(s) (bound s), a log or sqrt of a "
            f"negative number, or a division by zero{hint}",
        )
    else:
        out2, ld2 = fn(saved.clone())
        moved = max((out2 - out).abs().max().item(), (ld2 - ld).abs().max().item())
        if moved > 1e-12 * (1 + out.abs().max().item()):
            report.add(
                False,
                f"{direction} repeatable: the same input twice gave outputs {moved:.1e} apart",
                "the layer is random or keeps state between calls (dropout, noise, a running "
                "statistic, a counter): a bijection must be a fixed function of its input",
            )
        else:
            return True
    report.lines.append(SKIPPED)
    return False


def _logdet_slope(
    layer: nn.Module, params: list[nn.Parameter], x: Tensor, seed: int, eps: float = 1e-6
) -> tuple[float, float]:
    """Slope of ``sum(logdet(x))`` along a random parameter direction: (autograd, finite differences)."""
    gen = torch.Generator().manual_seed(seed)
    dirs = [torch.randn(p.shape, generator=gen, dtype=p.dtype) for p in params]
    ld = layer(x)[1].sum()
    auto = 0.0
    if ld.requires_grad:
        grads = torch.autograd.grad(ld, params, allow_unused=True)
        auto = sum(float((g * d).sum()) for g, d in zip(grads, dirs) if g is not None)
    saved = [p.detach().clone() for p in params]
    sums = []
    with torch.no_grad():
        for sign in (1, -1):
            for p, s, d in zip(params, saved, dirs):
                p.copy_(s + sign * eps * d)
            sums.append(layer(x)[1].sum().item())
        for p, s in zip(params, saved):
            p.copy_(s)
    return auto, (sums[0] - sums[1]) / (2 * eps)


def gradients(report: BijectionReport, layer: nn.Module, x: Tensor, seed: int) -> None:
    """Gradients of ``-log q`` finite and reaching every parameter, and the log-det part of the graph.

    A log-det computed off the graph (``.detach()``, ``.item()``, under ``no_grad``) has the right
    values, so every other check passes, yet the scale never learns the volume term. Its slope along
    a random parameter direction is compared by autograd and by finite differences (float64).
    """
    params = [(name, p) for name, p in layer.named_parameters() if p.requires_grad]
    if not params:
        report.add(True, "gradients: the layer has no parameters (nothing to train)")
        return
    layer.zero_grad(set_to_none=True)
    y, ld = layer(x)
    (0.5 * y.pow(2).flatten(1).sum(1) - ld).mean().backward()  # the training loss's shape: -log q
    missing = [name for name, p in params if p.grad is None or not p.grad.abs().sum() > 0]
    broken = [name for name, p in params if p.grad is not None and not torch.isfinite(p.grad).all()]
    layer.zero_grad(set_to_none=True)
    what = f"gradients: finite, reaching {len(params) - len(missing)} of {len(params)} parameter tensors"
    if missing or broken:
        report.add(
            False,
            what,
            f"gradients not finite in {broken} (an unbounded exp(s)? bound s)"
            if broken
            else f"no gradient reaches {missing}: built but never used in forward, or detached",
        )
        return
    auto, numeric = _logdet_slope(layer, [p for _, p in params], x[:64], seed)
    # A loose tolerance: a ReLU kink crossed by the finite difference moves it a little, a detached
    # log-det (autograd slope 0, or a part of it missing) moves it by its whole size.
    if abs(auto - numeric) > 0.25 * abs(numeric) + 1e-6:
        report.add(
            False,
            f"{what}, but the log-det's slope along a random direction is {auto:.2e} by "
            f"autograd and {numeric:.2e} by finite differences",
            "the log-det is detached from the graph (.detach(), .item(), .data, torch.no_grad or "
            "a numpy round trip): its values are right but no gradient flows through it, so the "
            "scale s never learns the volume term of the loss",
        )
        return
    report.add(True, what)
