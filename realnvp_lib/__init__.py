"""realnvp_lib: the small library behind the RealNVP notebook series (Dinh et al., 2017).

Direction convention, everywhere: ``forward`` maps data -> latent and returns ``(y, logdet)``;
``inverse`` maps latent -> data and returns ``(x, logdet)``; ``logdet`` has shape ``(B,)``.
"""

from . import (
    ablation,
    calculus,
    compute,
    data,
    density,
    learner,
    paths,
    pitfalls,
    pretrained,
    recipe,
    scores,
    snapshots,
    timing,
)
from .bijections import AffineCoupling, Bijection, alternating_mask, checkerboard_mask, half_mask
from .checkpoint import load_flow, save_flow
from .flow import PERMUTATIONS, Flow, as_flow, make_permutation, realnvp
from .learner import check_bijection, implemented, yours_or_ours
from .permutations import LULinear, Permutation, RandomPermutation, Reverse, SwapHalves
from .perturb import randomize
from .recipe import FitConfig
from .train import History, NonFiniteLossError, fit
from .validation import NonFiniteInputError

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
    "checkerboard_mask",
    "compute",
    "data",
    "density",
    "fit",
    "half_mask",
    "implemented",
    "learner",
    "load_flow",
    "make_permutation",
    "paths",
    "pitfalls",
    "pretrained",
    "randomize",
    "realnvp",
    "recipe",
    "save_flow",
    "scores",
    "snapshots",
    "timing",
    "yours_or_ours",
]
