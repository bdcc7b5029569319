"""Where and how torch computes: a module's dtype and device, and the thread count for a block of code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["dtype_and_device", "threads"]


def dtype_and_device(
    obj: object, default: torch.dtype | None = None
) -> tuple[torch.dtype, torch.device] | None:
    """The dtype and device inputs to ``obj`` should have: those of its first floating-point parameter,
    else of its first floating-point buffer (a layer with fixed weights).

    For anything that has neither (a function, a module of permutations only) the answer is
    ``(default, cpu)``, or ``None`` when no ``default`` is given.

    >>> dtype_and_device(nn.Linear(2, 2).double())
    (torch.float64, device(type='cpu'))
    >>> dtype_and_device(lambda x: x, torch.float64)
    (torch.float64, device(type='cpu'))
    """
    if isinstance(obj, nn.Module):
        for tensor in (*obj.parameters(), *obj.buffers()):
            if tensor.is_floating_point():
                return tensor.dtype, tensor.device
    return None if default is None else (default, torch.device("cpu"))


@contextmanager
def threads(n: int | None) -> Iterator[None]:
    """Run the block on ``n`` CPU threads (``None`` or 0: leave the setting alone), then restore the
    caller's count, even when the block raises.

    >>> before = torch.get_num_threads()
    >>> with threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    previous = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
