"""The batches ``fit`` trains on: fresh ones from a callable, or shuffled epochs of a tensor, validated."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch import Tensor

from .checks import check_batch, check_dtype
from .flow import Flow

__all__ = ["Data", "batches"]

Data = Tensor | Callable[[int], Tensor]


def _draw(data: Callable[[int], Tensor], n: int) -> Tensor:
    """``data(n)``, with a data source that has run dry named as such (a bare ``StopIteration`` would
    end the batch generator silently, and Python turns it into a puzzling ``RuntimeError``)."""
    try:
        return data(n)
    except StopIteration as err:
        raise ValueError(
            "data(n) raised StopIteration: the data source ran out (an exhausted iterator "
            "or generator?). fit needs a callable that returns a fresh (n, D) batch on "
            "every call, such as rl.data.sampler('two_moons', seed=0), or a fixed (N, D) "
            "tensor"
        ) from err


def batches(
    data: Data, batch_size: int, seed: int, flow: Flow, check: Callable[[Tensor], None] | None = None
) -> Iterator[Tensor]:
    """Yield batches: fresh ones from a callable, or shuffled epochs of a tensor; validated up front.

    Batches are detached: a data tensor that requires grad must not collect gradients from training.
    ``check(data)``, if given, replaces the float ``(N, *event)`` checks: the data is then raw (integer
    images) and the training objective turns each batch into the flow's input (dequantization).
    """
    if check is not None:
        if not isinstance(data, Tensor):
            raise ValueError(
                f"with a training objective that prepares its batches, data must be a tensor, "
                f"got {type(data).__name__}"
            )
        check(data)
        return _tensor_batches(data.detach(), batch_size, seed)
    event = flow.event
    if callable(data) and not isinstance(data, Tensor):
        first = _draw(data, batch_size)
        check_batch(first, event, "a batch from data(n)")
        check_dtype(first, flow, "a batch from data(n)", code="data")
        second = _draw(data, batch_size)
        check_batch(second, event, "a batch from data(n)")
        if torch.equal(first, second):
            raise ValueError(
                "data(n) returned the same batch twice: training would see one fixed batch and overfit "
                "it (a fixed seed, e.g. lambda n: rl.data.two_moons(n), does this). For fresh points on "
                "every call use rl.data.sampler('two_moons', seed=0), or pass a fixed (N, D) tensor."
            )
        return _callable_batches(data, event, first.detach(), second.detach())
    check_batch(data, event, "data")
    if data.shape[0] == 0:
        raise ValueError("data is empty (0 rows): fit needs at least one training point")
    check_dtype(data, flow, "data")
    return _tensor_batches(data.detach(), batch_size, seed)


def _callable_batches(data: Callable[[int], Tensor], event, *first: Tensor) -> Iterator[Tensor]:
    yield from first
    while True:
        batch = _draw(data, first[0].shape[0])
        check_batch(batch, event, "a batch from data(n)")
        yield batch.detach()


def _tensor_batches(data: Tensor, batch_size: int, seed: int) -> Iterator[Tensor]:
    gen = torch.Generator().manual_seed(seed)
    n = data.shape[0]
    while True:
        order = torch.randperm(n, generator=gen)
        for start in range(0, n - batch_size + 1 if n >= batch_size else 1, batch_size):
            yield data[order[start : start + batch_size]]
