"""The training recipe: ``FitConfig`` (the notebooks' defaults, each one checked) and the lr schedule."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from .checks import check_int, check_number

__all__ = ["FitConfig", "lr_factor"]


@dataclass(frozen=True)
class FitConfig:
    """Training hyper-parameters; the defaults are the recipe the notebooks use."""

    steps: int = 2400
    batch_size: int = 512
    lr: float = 5e-3
    seed: int = 0
    # A wall-clock budget. Training stops when it is spent, and the learning-rate schedule follows
    # whichever of steps and seconds is further along, so a run cut by the clock still ends
    # annealed. The result then depends on the machine's speed; the notebooks use steps alone.
    max_seconds: float | None = None
    warmup: int = 300  # linear warm-up steps (at most an eighth of the run), then cosine decay to 0
    # A shorter memory for Adam's second moment than the usual 0.999 landed closer to the true
    # density on average over the seeds tried (benchmarks/train_quality.py).
    betas: tuple[float, float] = (0.9, 0.99)
    ema: float | None = 0.995  # Polyak averaging of the weights; None to train without it
    grad_clip: float | None = 100.0  # a rare huge gradient should nudge, not wreck, the flow
    snapshot_every: int | None = None  # keep a copy of the weights every k steps
    # Small MLPs gain nothing from a second intra-op thread and lose a lot when the other core is
    # busy, so train on one (None: torch's own setting). The caller's setting is restored.
    threads: int | None = 1
    # AdamW's decoupled weight decay (Loshchilov & Hutter, 2019): each step shrinks the weights by
    # lr * weight_decay. 0 (the 2-D recipe) trains with plain Adam; the digits recipe sets 1.0.
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        check_int("steps", self.steps)
        check_int("batch_size", self.batch_size)
        check_number("lr", self.lr)
        check_int("seed", self.seed, low=None)
        if self.max_seconds is not None:
            check_number("max_seconds (a budget in seconds, or None)", self.max_seconds, inclusive=True)
        check_int("warmup (steps)", self.warmup, low=0)
        if (
            not isinstance(self.betas, (tuple, list))
            or len(self.betas) != 2
            or not all(_real(b) and 0 <= b < 1 for b in self.betas)
        ):
            raise ValueError(
                f"betas must be a pair of numbers in [0, 1) such as (0.9, 0.99) (Adam's two "
                f"decays), got {self.betas!r}"
            )
        object.__setattr__(self, "betas", tuple(self.betas))  # frozen; a list would not hash
        if self.ema is not None and not (_real(self.ema) and 0 < self.ema < 1):
            raise ValueError(f"ema must be a decay in (0, 1) such as 0.995, or None; got {self.ema!r}")
        if self.grad_clip is not None:
            check_number("grad_clip (the largest gradient norm kept)", self.grad_clip)
        if self.snapshot_every is not None:
            check_int("snapshot_every", self.snapshot_every)
        if self.threads is not None:
            check_int("threads", self.threads)
        check_number("weight_decay", self.weight_decay, inclusive=True)


def _real(v) -> bool:
    """A real number, not a bool (NaN and inf then fail the range comparisons that follow)."""
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def lr_factor(step: int, steps: int, warmup: int) -> float:
    """Linear warm-up, then cosine decay to 0 at ``steps`` (Loshchilov & Hutter, 2017).

    The warm-up lasts ``warmup`` steps but at most an eighth of the run, so a short run with the
    default recipe still spends most of its steps learning at a useful rate.

    >>> [round(lr_factor(k, steps=80, warmup=300), 2) for k in (0, 9, 10, 45, 80)]
    [0.1, 1.0, 1.0, 0.5, 0.0]
    """
    warmup = max(1, min(warmup, steps // 8))
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
