"""What ``fit`` returns (``History``) and the validation strategy it can keep the best weights by."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from torch import Tensor

from .flow import Flow

__all__ = ["History", "Validation"]


@dataclass
class History:
    """What ``fit`` returns: one loss per step (mean NLL in nats) and optional weight snapshots."""

    losses: list[float] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)  # the learning rate used at each step
    seconds: float = 0.0
    stopped_by_time: bool = False
    interrupted: bool = False  # ended early by KeyboardInterrupt (the Jupyter stop button)
    snapshots: list[tuple[int, dict[str, Tensor]]] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    cpu_seconds: float = 0.0  # processor time of this process (less than seconds on a shared CPU)
    val_steps: list[int] = field(default_factory=list)  # steps done when each validation score was taken
    val_scores: list[float] = field(default_factory=list)
    best_step: int = 0  # the validated step whose weights the flow ends with (with a Validation)
    best_score: float = math.inf

    @property
    def steps(self) -> int:
        return len(self.losses)


@dataclass
class Validation:
    """A held-out score ``score(flow) -> float`` (lower is better) taken every ``every`` steps and at the
    end; ``fit`` then ends with the weights of the best score (early stopping without stopping)."""

    score: Callable[[Flow], float]
    every: int

    def __post_init__(self) -> None:
        if not callable(self.score) or not isinstance(self.every, int) or self.every < 1:
            raise ValueError(f"Validation needs a callable score and every >= 1 steps, got {self!r}")
