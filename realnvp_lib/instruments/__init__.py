"""What the notebooks teach *with*: exact densities, grids, calculus and timing, a flow's trajectories
and snapshots, scores and ablations, the learner's checker and the bug gallery, the pretrained cache.

Each module imports the core (``realnvp_lib``'s top-level modules) and never ``images`` or ``viz``.
"""

from . import (
    ablation,
    calculus,
    checker,
    density,
    grids,
    perturb,
    pitfalls,
    pretrained,
    scores,
    snapshots,
    timing,
    trajectories,
)

__all__ = [
    "ablation",
    "calculus",
    "checker",
    "density",
    "grids",
    "perturb",
    "pitfalls",
    "pretrained",
    "scores",
    "snapshots",
    "timing",
    "trajectories",
]
