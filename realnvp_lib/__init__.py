"""realnvp_lib: the small library behind the RealNVP notebook series (Dinh et al., 2017).

Direction convention, everywhere: ``forward`` maps data -> latent and returns ``(y, logdet)``;
``inverse`` maps latent -> data and returns ``(x, logdet)``; ``logdet`` has shape ``(B,)``.
"""

from . import data, density, zoo
from .bijections import AffineCoupling, Bijection, alternating_mask, half_mask
from .flow import PERMUTATIONS, Flow, load_flow, make_permutation, realnvp, save_flow
from .permutations import LULinear, Permutation, RandomPermutation, Reverse, SwapHalves
from .train import FitConfig, History, NonFiniteLossError, fit

__all__ = [
    "AffineCoupling", "Bijection", "FitConfig", "Flow", "History", "LULinear",
    "NonFiniteLossError", "PERMUTATIONS", "Permutation", "RandomPermutation", "Reverse",
    "SwapHalves", "alternating_mask", "data", "density", "fit", "half_mask", "load_flow",
    "make_permutation", "realnvp", "save_flow", "zoo",
]
