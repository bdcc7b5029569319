"""``check_bijection``: the checks a learner runs on their own layers, and what the notebook uses next."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from ..checks import check_int
from .calculus import jacobian
from .perturb import randomize

__all__ = ["NOT_YET_NOTE", "BijectionReport", "check_bijection", "implemented", "yours_or_ours"]


@dataclass
class BijectionReport:
    """What ``check_bijection`` found: ``passed``, the named ``failures`` and the printed ``lines``."""

    passed: bool = True
    failures: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def add(self, ok: bool, what: str, bug: str = "") -> bool:
        note = "" if ok or bug == NOT_YET else f"\n    likely bug: {bug}"
        self.lines.append(("✓ " if ok else "✗ ") + what + note)
        if not ok:
            self.passed = False
            self.failures.append(bug)
        return ok

    @property
    def implemented(self) -> bool:
        """False while a method of the learner's layer still raises ``NotImplementedError``."""
        return NOT_YET not in self.failures

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def __repr__(self) -> str:
        return f"BijectionReport(passed={self.passed}, failures={self.failures})"


NOT_YET = "not implemented yet"
# The one line a check cell prints while its skeleton is unfilled: the notebook must keep running.
NOT_YET_NOTE = (
    "not implemented yet — write it above, or open the solution; "
    "the notebook goes on with the library's version"
)


class _NotYet(Exception):
    """A method of the learner's layer raised ``NotImplementedError``."""


def _call(fn: Callable, *args):
    try:
        return fn(*args)
    except NotImplementedError as err:
        raise _NotYet(getattr(fn, "__name__", "the layer")) from err


SKIPPED = "  (the other checks are skipped: fix this first, their numbers would point at the wrong bug)"


def _check_arguments(dim, n: int, seed: int, tol: float, inputs: Tensor | None) -> None:
    """``ValueError`` naming the argument of ``check_bijection`` that makes no sense."""
    check_int("n", n, low=2)
    check_int("seed", seed, low=0)
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise ValueError(f"tol must be a number in (0, 1), got {tol!r}")
    if isinstance(dim, int) and not isinstance(dim, bool):
        check_int("dim", dim, low=2)  # a coupling needs two parts
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
def _preconditions(report: BijectionReport, fn: Callable, arg: Tensor, direction: str, sampled: bool) -> bool:
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


def _gradients(report: BijectionReport, layer: nn.Module, x: Tensor, seed: int) -> None:
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


def _worst(a: Tensor, b: Tensor) -> float:
    """The worst row's error: ``max_i max_j |a_ij - b_ij|`` (``max_i |a_i - b_i|`` for vectors)."""
    return (a - b).abs().reshape(len(a), -1).max(dim=1).values.max().item()


def _sorted_cols_found(y: Tensor, x: Tensor, keep: Tensor) -> bool:
    """Do the pass-through columns of ``x`` all turn up, unchanged, somewhere in ``y``?"""
    cols = torch.nonzero(keep).flatten().tolist()
    return all(any(torch.equal(y[:, k], x[:, j]) for k in range(y.shape[1])) for j in cols)


def _build(obj, seed: int) -> nn.Module:
    if isinstance(obj, nn.Module):
        return copy.deepcopy(obj)
    with torch.random.fork_rng(devices=[]):  # the same layer on every call, global RNG untouched
        torch.manual_seed(seed)
        return _call(obj)


def _infer_shape(layer: nn.Module, dim: int | tuple[int, ...] | None) -> tuple[int, ...]:
    """One sample's shape: ``(D,)`` for ``(B, D)`` layers, or an event shape such as ``(1, 8, 8)``."""
    mask = getattr(layer, "mask", None)
    for d in (
        dim,
        getattr(layer, "shape", None),
        getattr(layer, "dim", None),
        mask.numel() if isinstance(mask, Tensor) else None,
    ):
        if isinstance(d, int) and d >= 2:
            return (d,)
        if isinstance(d, tuple) and d and all(isinstance(k, int) for k in d):
            return d
    raise ValueError(
        "cannot tell the layer's dimension D: give it a .dim or a .mask, or pass dim= "
        "(or inputs=, a batch from the layer's domain)"
    )


def check_bijection(
    obj,
    dim: int | tuple[int, ...] | None = None,
    n: int = 256,
    seed: int = 0,
    verbose: bool = True,
    tol: float = 1e-6,
    inputs: Tensor | None = None,
) -> BijectionReport:
    """Check that a layer follows the bijection contract; print one ✓/✗ line per check.

    ``obj`` is a layer or a zero-argument factory (a class works) with ``forward(x) -> (y, logdet)``
    and ``inverse(y) -> (x, logdet)``, ``x, y: (B, D)``, ``logdet: (B,)``. The checks run in float64
    on a copy whose parameters are randomised (``randomize``): a zero-initialised coupling is the
    identity and would pass anything. Change of variables as in Dinh et al. (2017), eq. 3-9.
    A ``NotImplementedError`` is reported as "not implemented yet", never raised.

    Before naming any bug it checks the preconditions the other checks rely on: outputs finite, the
    input's dtype kept, the input not modified in place, the same output for the same input. A
    failed precondition is named and the remaining checks are skipped (their numbers would point
    at the wrong bug). The gradient check also compares the log-det's slope by autograd and by
    finite differences, so a log-det detached from the graph (right values, no gradient) fails.

    ``dim`` may be an event shape such as ``(1, 8, 8)`` (image layers: ``x: (B, C, H, W)``). By
    default ``x`` and ``z`` are standard-normal draws; a layer defined only on part of the space (a
    logit needs pixels in (0, 1)) is checked on ``inputs``, a batch from its domain, with ``z`` near
    its outputs.
    """
    if not (isinstance(obj, nn.Module) or callable(obj)):
        raise TypeError(f"check_bijection needs a layer (nn.Module) or a factory, got {type(obj).__name__}")
    _check_arguments(dim, n, seed, tol, inputs)
    report = BijectionReport()
    try:
        _run_checks(report, obj, dim, n, seed, tol, inputs)
    except _NotYet as err:
        report.add(False, f"{err}: {NOT_YET_NOTE}", NOT_YET)
        report.lines = [line for line in report.lines if line[0] in "✓✗"]  # no header, no tally
        if verbose:
            print(report)
        return report
    except Exception as err:  # a learner's layer may break anywhere: report it, keep the notebook going
        report.add(
            False,
            f"stopped: {type(err).__name__}: {err}",
            "the layer breaks the contract forward(x) -> (y, logdet), inverse(y) -> (x, logdet)",
        )
    checks = sum(line[0] in "✓✗" for line in report.lines)
    report.lines.append(
        f"{'passed' if report.passed else 'FAILED'}: {checks - len(report.failures)} of "
        f"{checks} checks passed"
    )
    if verbose:
        print(report)
    return report


def _run_checks(
    report: BijectionReport, obj, dim, n: int, seed: int, tol: float, inputs: Tensor | None
) -> None:
    layer = randomize(_build(obj, seed), seed).double()
    gen = torch.Generator().manual_seed(seed)
    if inputs is not None:
        x = inputs.detach().to(torch.float64, copy=True)  # a copy: a layer may write into it
        n, shape = len(x), tuple(x.shape[1:])
    else:
        shape = _infer_shape(layer, dim)
        x = torch.randn(n, *shape, generator=gen, dtype=torch.float64)
    d = shape[0] if len(shape) == 1 else shape
    report.lines.append(
        f"check_bijection: {type(layer).__name__}, D = {d}, {n} samples, float64, "
        f"parameters randomised (seed {seed})"
    )
    with torch.no_grad():
        y, ld = _call(layer.forward, x)
    want = (n, *shape)
    if not report.add(
        tuple(y.shape) == want and tuple(ld.shape) == (n,),
        f"forward shapes: y {tuple(y.shape)}, logdet {tuple(ld.shape)} (want {want}, {(n,)})",
        "log-det must be one number per sample, shape (B,): sum s over dim=1, no keepdim",
    ):
        return
    if not _preconditions(report, lambda v: _call(layer.forward, v), x, "forward", inputs is None):
        return
    noise = torch.randn(y.shape, generator=gen, dtype=torch.float64)
    z = noise if inputs is None else y + 0.1 * noise  # latent points, inside the layer's range
    moved_ok = _pass_through(report, layer, x, y)
    independent = _independence(report, layer, x, y, ld, tol, inputs is not None)
    # Only a coupling whose conditioner sees b⊙x alone has log-det sum(s): ask before naming a bug.
    sees_free = independent and inputs is None and _conditioner_sees_free(layer, x, ld, seed, tol)
    jac_ok = _logdet_vs_jacobian(
        report, layer, x[: min(n, 64)], ld[: min(n, 64)], moved_ok, independent, sees_free, tol
    )
    _gradients(report, layer, x, seed)
    with torch.no_grad():
        try:
            x_back, ld_inv = _call(layer.inverse, y)
        except _NotYet:
            report.add(False, f"inverse: {NOT_YET} (it raises NotImplementedError)", NOT_YET)
            return
        if not report.add(
            tuple(x_back.shape) == want and tuple(ld_inv.shape) == (n,),
            f"inverse shapes: x {tuple(x_back.shape)}, logdet {tuple(ld_inv.shape)}",
            "inverse must return (x (B, D), logdet (B,)) like forward",
        ):
            return
        if not _preconditions(report, layer.inverse, y.clone(), "inverse", False):
            return
        z_back = layer(layer.inverse(z)[0])[0]
    err_x, err_z = _worst(x_back, x), _worst(z_back, z)
    report.add(
        max(err_x, err_z) < tol,
        f"round trip x → y → x: worst row error {err_x:.1e}; z → x → z: {err_z:.1e}",
        "inverse cannot recompute s and t: b⊙y ≠ b⊙x (see the pass-through check)"
        if not moved_ok
        else UNMASKED_INPUT
        if sees_free
        else "inverse does not undo forward: recompute s, t from b⊙y, then x = (y − t)·exp(−s)",
    )
    total = (ld + ld_inv).abs().max().item()
    flipped = (ld - ld_inv).abs().max().item() < tol and ld.abs().max().item() > tol
    if flipped:
        bug = "inverse returns +sum(s): the sign of the inverse log-det"
    elif not moved_ok:
        bug = "the inverse recomputes s from the wrong inputs, since b⊙y ≠ b⊙x (see the pass-through check)"
    elif sees_free:
        bug = UNMASKED_INPUT
    elif not jac_ok:
        bug = "the forward log-det is off (see the log-det check), so the two cannot cancel"
    else:
        bug = "inverse log-det is not minus the forward log-det: the inverse returns −sum((1-b)⊙s)"
    report.add(total < tol, f"inverse log-det = −forward log-det: worst |sum| {total:.1e}", bug)


def _pass_through(report: BijectionReport, layer: nn.Module, x: Tensor, y: Tensor) -> bool:
    mask = getattr(layer, "mask", None)
    if not isinstance(mask, Tensor) or mask.numel() != x[0].numel():
        return True
    keep, x, y = mask.bool().flatten(), x.flatten(1), y.flatten(1)
    err = (y[:, keep] - x[:, keep]).abs().max().item()
    bug = (
        "outputs merged back in the wrong order: the pass-through coordinates come out elsewhere"
        if _sorted_cols_found(y, x, keep)
        else "t not masked: the pass-through coordinates were shifted (multiply s and t by 1-b)"
    )
    what = f"pass-through coordinates (b = 1) unchanged: max |b⊙(y − x)| = {err:.1e}"
    return report.add(err == 0, what, bug)


# The bug named when a coupling's conditioner is fed x instead of b⊙x (Dinh et al. 2017, eq. 6-7).
UNMASKED_INPUT = (
    "the conditioner sees the unmasked x: s and t must depend only on b ⊙ x (pass x * mask to the "
    "network, in forward and in inverse)"
)


@torch.no_grad()
def _conditioner_sees_free(layer: nn.Module, x: Tensor, ld: Tensor, seed: int, tol: float) -> bool:
    """Does the log-det move when only the transformed coordinates (b = 0) of ``x: (B, ...)`` move?

    In a coupling ``s`` is a function of ``b⊙x`` alone, so its log-det ``sum((1-b)⊙s)`` cannot:
    if it does, the conditioner was fed the unmasked ``x``. ``False`` for a layer without a mask.
    """
    mask = getattr(layer, "mask", None)
    if not isinstance(mask, Tensor) or mask.numel() != x[0].numel():
        return False
    gen = torch.Generator().manual_seed(seed + 1)
    nudge = torch.randn(x.shape, generator=gen, dtype=x.dtype) * (1 - mask.to(x.dtype).reshape(x.shape[1:]))
    moved = _worst(layer(x + nudge)[1], ld)
    return moved > tol * 1e-3


@torch.no_grad()
def _independence(
    report: BijectionReport, layer: nn.Module, x: Tensor, y: Tensor, ld: Tensor, tol: float, in_domain: bool
) -> bool:
    bumped = x.clone()
    if in_domain:  # another sample of the given batch: still inside the layer's domain
        bumped[0] = x[1]
    else:
        bumped[0] += 1.0
    y2, ld2 = layer(bumped)
    moved = max(_worst(y2[1:], y[1:]), _worst(ld2[1:], ld[1:]))
    return report.add(
        moved < tol * 1e-3,
        f"samples independent: changing sample 1 moved the other {len(x) - 1} by {moved:.1e}",
        "batch statistics leak between samples (a mean/std over dim=0, or BatchNorm training)",
    )


def _logdet_vs_jacobian(
    report: BijectionReport,
    layer: nn.Module,
    x: Tensor,
    ld: Tensor,
    moved_ok: bool,
    independent: bool,
    sees_free: bool,
    tol: float,
) -> bool:
    shape = x.shape[1:]  # the Jacobian of the flattened map, (B, D, D) with D = prod(shape)
    ref = torch.linalg.slogdet(
        jacobian(lambda v: layer(v.view(-1, *shape))[0].flatten(1), x.flatten(1))
    ).logabsdet
    err = _worst(ld, ref)
    if not independent:
        bug = "batch statistics leak between samples: each sample's Jacobian depends on the others"
    elif not moved_ok:
        bug = "the map is not a coupling (see the pass-through check), so its log-det is not sum(s)"
    elif sees_free:
        bug = UNMASKED_INPUT
    elif _worst(ld, -ref) < tol and ref.abs().max().item() > tol:
        bug = "forward log-det has the wrong sign: forward returns +sum(s), the inverse −sum(s)"
    elif getattr(layer, "mask", None) is not None:
        bug = "log-det sums s over the pass-through coordinates too (mask s with 1-b)"
    else:
        bug = "log-det is not log|det J| of the map that was applied"
    what = f"log-det vs slogdet of the autograd Jacobian (float64): worst error {err:.1e}"
    return report.add(err < tol, what, bug)


def implemented(fn: Callable, *args, **kwargs) -> bool:
    """Run ``fn(*args, **kwargs)`` (a learner's function, on a small input); ``False`` if it raises
    ``NotImplementedError``, printing the one "not implemented yet" line. Any other error is the
    learner's bug and propagates, so the cell stops where it happened."""
    try:
        fn(*args, **kwargs)
    except NotImplementedError:
        print(f"{getattr(fn, '__name__', 'it')}: {NOT_YET_NOTE}")
        return False
    return True


def yours_or_ours(yours, ours, done: bool | BijectionReport, name: str | None = None):
    """``yours`` (the learner's class or function) once it is implemented, else ``ours``; says which.

    ``done`` is the check cell's verdict: a ``BijectionReport`` or the result of ``implemented``.
    An implemented piece that failed its check is an error, not a silent fallback: the cells below
    would otherwise run the library's code while the learner believes they run theirs.
    """
    mine = getattr(yours, "__name__", type(yours).__name__)
    theirs = name or getattr(ours, "__name__", type(ours).__name__)
    if isinstance(done, BijectionReport):
        if done.implemented and not done.passed:
            raise ValueError(f"your {mine} failed its check ({'; '.join(done.failures)}): fix it above")
        done = done.implemented
    if done:
        print(f"→ the cells below use your {mine}")
        return yours
    print(f"→ the cells below use the library's {theirs} ({mine} is not implemented yet)")
    return ours
