"""RealNVP on images: scikit-learn's 8x8 digits, dequantized, with the paper's multi-scale architecture.

``from realnvp_lib import images as ri``; ``ri.digits``, ``ri.image_realnvp``, ``ri.trained_digits_flow``
and ``ri.bits_per_dim`` are the entry points (Dinh et al. 2017; Theis et al. 2016). Only what is
specific to images lives here: the data, dequantization, the logit, squeeze and factor-out, bits/dim;
the coupling, masks, actnorm, training loop and checkpoints are the core's (re-exported for 07).
"""

from ..actnorm import ActNorm
from ..masks import channel_mask, checkerboard
from . import cache, data, dequantization, layers, logit, metrics, model, train, variational
from .cache import trained_digits_flow
from .data import LEVELS, SHAPE, dequantize, digits
from .dequantization import Dequantized, UniformDequantizer
from .layers import ConvNet, FactorOut, InSqueezed, conv_coupling, squeeze, unsqueeze
from .logit import Logit
from .metrics import LogitGaussian, PixelHistogram, Uniform, baselines, bits_per_dim, bits_per_image
from .model import ImageFlow, image_realnvp, scale_of_pixel
from .train import (
    VARIATIONAL_ALPHA,
    digits_recipe,
    epoch_bpd,
    steps_per_epoch,
    train_digits,
    variational_recipe,
)
from .variational import VariationalDequantizer

__all__ = [
    "LEVELS",
    "SHAPE",
    "VARIATIONAL_ALPHA",
    "ActNorm",
    "ConvNet",
    "Dequantized",
    "FactorOut",
    "ImageFlow",
    "InSqueezed",
    "Logit",
    "LogitGaussian",
    "PixelHistogram",
    "Uniform",
    "UniformDequantizer",
    "VariationalDequantizer",
    "baselines",
    "bits_per_dim",
    "bits_per_image",
    "cache",
    "channel_mask",
    "checkerboard",
    "conv_coupling",
    "data",
    "dequantization",
    "dequantize",
    "digits",
    "digits_recipe",
    "epoch_bpd",
    "image_realnvp",
    "layers",
    "logit",
    "metrics",
    "model",
    "scale_of_pixel",
    "squeeze",
    "steps_per_epoch",
    "train",
    "train_digits",
    "variational_recipe",
    "trained_digits_flow",
    "unsqueeze",
    "variational",
]
