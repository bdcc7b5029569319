"""RealNVP on images: scikit-learn's 8x8 digits, dequantized, with the paper's multi-scale architecture.

``from realnvp_lib import images as ri``; ``ri.digits``, ``ri.image_realnvp``, ``ri.trained_digits_flow``
and ``ri.bits_per_dim`` are the entry points (Dinh et al. 2017; Theis et al. 2016).
"""

from . import cache, data, layers, logit, metrics, model, norm, train
from .cache import trained_digits_flow
from .data import LEVELS, SHAPE, dequantize, digits
from .layers import (
                     ConvCoupling,
                     FactorOut,
                     InSqueezed,
                     Squeeze,
                     channel_mask,
                     checkerboard,
                     squeeze,
                     unsqueeze,
)
from .logit import Logit
from .metrics import LogitGaussian, PixelHistogram, Uniform, baselines, bits_per_dim
from .model import ImageFlow, image_realnvp, scale_of_pixel
from .norm import ActNorm
from .train import DigitsHistory, TrainConfig, train_digits

__all__ = [
    "LEVELS", "SHAPE", "ActNorm", "ConvCoupling", "DigitsHistory", "FactorOut", "ImageFlow", "InSqueezed",
    "Logit", "LogitGaussian", "PixelHistogram", "Squeeze", "TrainConfig", "Uniform", "baselines",
    "bits_per_dim", "cache", "channel_mask", "checkerboard", "data", "dequantize", "digits", "image_realnvp",
    "layers", "logit", "metrics", "model", "norm", "scale_of_pixel", "squeeze", "train",
    "train_digits", "trained_digits_flow", "unsqueeze",
]
