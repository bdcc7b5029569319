"""Input validation, its one home: clear ``ValueError``s in the caller's terms, not silent broadcasting."""

from __future__ import annotations

import math
import numbers

import torch
from torch import Tensor

from .runtime import dtype_and_device

__all__ = ["NonFiniteInputError", "check_batch", "check_dtype", "check_int", "check_mask", "check_number"]


def check_int(name: str, value, low: int | None = 1) -> int:
    """Return ``value`` as an ``int``, raising ``ValueError`` unless it is an integer ``>= low``
    (any integer with ``low=None``, e.g. a seed for ``torch.manual_seed``).

    ``bool`` is refused (``True`` is not a count); numpy integers are accepted.

    >>> check_int("n", 3)
    3
    >>> check_int("n", 0)
    Traceback (most recent call last):
    ...
    ValueError: n must be a positive integer, got 0
    >>> check_int("seed", -1, low=0)
    Traceback (most recent call last):
    ...
    ValueError: seed must be an integer >= 0, got -1
    >>> check_int("seed", 2.0, low=None)
    Traceback (most recent call last):
    ...
    ValueError: seed must be an integer, got 2.0
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and (low is None or value >= low):
        return int(value)
    want = "an integer" if low is None else "a positive integer" if low == 1 else f"an integer >= {low}"
    raise ValueError(f"{name} must be {want}, got {value!r}")


def check_number(name: str, value, low: float = 0.0, inclusive: bool = False) -> float:
    """Return ``value`` as a ``float``, raising ``ValueError`` unless it is a finite real ``> low``
    (``>= low`` with ``inclusive=True``).

    >>> check_number("noise", 0.05)
    0.05
    >>> check_number("noise", float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: noise must be a finite positive number, got nan
    >>> check_number("weight_decay", -1.0, inclusive=True)
    Traceback (most recent call last):
    ...
    ValueError: weight_decay must be a finite number >= 0, got -1.0
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok and (value >= low if inclusive else value > low):
        return float(value)
    bound = f"{low:g}"
    want = (
        "a finite positive number"
        if (low == 0 and not inclusive)
        else (f"a finite number {'>=' if inclusive else '>'} {bound}")
    )
    raise ValueError(f"{name} must be {want}, got {value!r}")


class NonFiniteInputError(ValueError):
    """A batch holds NaN or inf; a ``ValueError`` that ``fit`` can tell apart from a shape error."""


def check_batch(x: Tensor, dim: int | tuple[int, ...], name: str = "x") -> None:
    """Raise ``ValueError`` unless ``x`` is a finite float tensor of shape ``(B, dim)``.

    ``dim`` may also be an event shape such as ``(1, 8, 8)``: then ``x`` must be ``(B, 1, 8, 8)``.

    >>> check_batch(torch.zeros(4, 3), 3)
    >>> check_batch(torch.zeros(4), 3)
    Traceback (most recent call last):
    ...
    ValueError: x must have shape (B, 3), got a 1-D tensor of shape (4,)
    """
    event = (dim,) if isinstance(dim, int) else tuple(dim)
    want = "(B, " + ", ".join(map(str, event)) + ")"
    if not isinstance(x, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape {want}, got {type(x).__name__}")
    if x.dim() != 1 + len(event):
        raise ValueError(f"{name} must have shape {want}, got a {x.dim()}-D tensor of shape {tuple(x.shape)}")
    if tuple(x.shape[1:]) != event:
        got = f"D={x.shape[1]}" if len(event) == 1 else f"shape {tuple(x.shape[1:])} per sample"
        raise ValueError(f"{name} must have shape {want}, got {got} (shape {tuple(x.shape)})")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    # NaNs would otherwise surface layers later as a mysterious non-finite loss. A sum is finite
    # when every entry is (it can also overflow, hence the entry-wise recount): one reduction read
    # as a Python float, a third of the cost of isfinite(x).all(), on every layer of every step.
    if not math.isfinite(float(x.detach().sum())):
        bad = int((~torch.isfinite(x)).any(dim=1).sum())
        if bad:
            raise NonFiniteInputError(f"{name} contains NaN or inf values (in {bad} of {x.shape[0]} rows)")


def check_dtype(x: Tensor, flow, name: str = "x", code: str | None = None) -> None:
    """Raise ``ValueError`` unless ``x``'s dtype is that of ``flow``'s weights (any, if it has none).

    A float64 batch into float32 weights would fail deep inside the first linear layer; this names
    both dtypes and both ways out (``code``: how the caller spells ``x``, by default ``name``).

    >>> check_dtype(torch.zeros(2, 2, dtype=torch.float64), torch.nn.Linear(2, 2))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: x is torch.float64 but the flow's weights are torch.float32: use x.to(torch.float32) or ...
    """
    weights = dtype_and_device(flow)
    if weights is not None and x.dtype != weights[0]:
        raise ValueError(
            f"{name} is {x.dtype} but the flow's weights are {weights[0]}: use "
            f"{code or name}.to({weights[0]}) or flow.to({x.dtype})"
        )


def check_mask(mask: Tensor | list[int] | tuple[int, ...]) -> Tensor:
    """Return ``mask`` as a float ``(D,)`` tensor of 0/1, raising ``ValueError`` if it is not one.

    >>> check_mask([1, 0, 1]).tolist()
    [1.0, 0.0, 1.0]
    >>> check_mask([1, 1])
    Traceback (most recent call last):
    ...
    ValueError: mask is all ones: every coordinate would pass through unchanged
    """
    m = torch.as_tensor(mask)
    if m.dim() != 1:
        raise ValueError(f"mask must be a 1-D tensor of 0/1, got shape {tuple(m.shape)}")
    if m.numel() < 2:
        raise ValueError(f"mask must have length D >= 2, got {m.numel()}")
    if not bool(((m == 0) | (m == 1)).all()):
        raise ValueError(f"mask must contain only 0 and 1, got values {sorted(set(m.tolist()))}")
    if bool((m == 1).all()):
        raise ValueError("mask is all ones: every coordinate would pass through unchanged")
    if bool((m == 0).all()):
        raise ValueError("mask is all zeros: the conditioner would see nothing")
    return m.to(torch.get_default_dtype())
