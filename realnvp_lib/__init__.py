"""realnvp_lib: the small library behind the RealNVP notebook series (Dinh et al., 2017).

Direction convention, everywhere: ``forward`` maps data -> latent and returns ``(y, logdet)``;
``inverse`` maps latent -> data and returns ``(x, logdet)``; ``logdet`` has shape ``(B,)``.

The **core** is this folder's top-level modules (the bijection contract, ``Flow``, ``fit``, toy data,
tensor checks, checkpoints); ``instruments/`` holds what the notebooks teach with; ``images/`` and
``viz/`` are extensions (``from realnvp_lib import images as ri, viz``). CONTRIBUTING.md maps them.
"""

from . import checkpoint, checks, config, data, runtime, train
from .bijections import AffineCoupling, Bijection
from .checkpoint import load_flow, save_flow
from .checks import NonFiniteInputError
from .config import FitConfig
from .flow import PERMUTATIONS, Flow, as_flow, realnvp
from .instruments import (
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
from .instruments.checker import check_bijection, implemented, yours_or_ours
from .instruments.perturb import randomize
from .masks import alternating_mask, checkerboard, half_mask
from .permutations import LULinear, Permutation, RandomPermutation, Reverse, SwapHalves
from .train import History, NonFiniteLossError, fit

__all__ = [
    "AffineCoupling",
    "Bijection",
    "FitConfig",
    "Flow",
    "History",
    "LULinear",
    "NonFiniteInputError",
    "NonFiniteLossError",
    "PERMUTATIONS",
    "Permutation",
    "RandomPermutation",
    "Reverse",
    "SwapHalves",
    "ablation",
    "alternating_mask",
    "as_flow",
    "calculus",
    "check_bijection",
    "checker",
    "checkerboard",
    "checkpoint",
    "checks",
    "config",
    "data",
    "density",
    "fit",
    "grids",
    "half_mask",
    "implemented",
    "load_flow",
    "perturb",
    "pitfalls",
    "pretrained",
    "randomize",
    "realnvp",
    "runtime",
    "save_flow",
    "scores",
    "snapshots",
    "timing",
    "train",
    "trajectories",
    "yours_or_ours",
]
