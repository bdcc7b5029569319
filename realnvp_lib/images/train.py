"""Training the digits flow with ``rl.fit``: its recipe, dequantization as the objective, validation."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..actnorm import data_init
from ..config import FitConfig
from ..flow import Flow
from ..train import HeldOut, History, fit
from .data import LEVELS, SPLITS, check_images
from .dequantization import Dequantized
from .metrics import PIXELS, bits_per_dim

__all__ = [
    "BATCH",
    "EPOCHS",
    "THREADS",
    "VARIATIONAL_ALPHA",
    "VARIATIONAL_EMA",
    "VARIATIONAL_EPOCHS",
    "VARIATIONAL_THREADS",
    "digits_recipe",
    "epoch_bpd",
    "steps_per_epoch",
    "train_digits",
    "variational_recipe",
]

# The recipe's constants follow the validation split: benchmarks/digits_ablation.txt (epochs, weight
# decay, the uniform flow's logit alpha) and benchmarks/variational_alpha.txt (VARIATIONAL_ALPHA,
# VARIATIONAL_EPOCHS, VARIATIONAL_EMA) keep a default unless a change beats it on validation by more
# than twice the paired standard error; the test split scores only the chosen recipe
# (benchmarks/digits_quality.txt). Weight decay keeps the flow from overfitting its few training
# images, so the best validation comes near the end.
EPOCHS = 45
BATCH = 64
# A flow trained jointly with a variational dequantizer trains longer than the uniform one (its best
# validation comes at or next to the last epoch) ...
VARIATIONAL_EPOCHS = 60
# ... and it is scored and kept as a running average of its weights: its objective is noisier (fresh
# draws from a moving r on top of the batches). Fewer epochs, or the plain best-validation weights,
# did worse on validation (benchmarks/variational_alpha.txt, "epochs and weight average"; first set on
# test, benchmarks/recipe_choices.txt). The digits recipe (the loop the learner writes in notebook 07)
# keeps the plain best-validation weights.
VARIATIONAL_EMA = 0.995
# The flow trained with a learned dequantizer is built with a smaller logit alpha,
# ``image_realnvp(alpha=VARIATIONAL_ALPHA)``: the smaller alpha, the more of the background pixels' noise
# r(u | x) puts low in their bin, where the logit stretches the bin furthest. The uniform recipe keeps
# 0.01 (a smaller alpha was within the noise on validation).
VARIATIONAL_ALPHA = 1e-4
# Threads: the uniform recipe, which notebook 07 trains while the reader waits, runs its convolutions
# on two threads, for the wall time that saves where the cores are otherwise idle, at extra CPU time
# (benchmarks/digits_threads.txt; notebook 07's first run in benchmarks/notebook_times.txt). Where
# other processes keep the cores busy, two threads cost far more wall and CPU time than one (the
# same file), so the recipe never asks for more threads than torch is set to use: with
# OMP_NUM_THREADS=1 (trainings run side by side) it trains on one. The variational recipe, trained
# by the benchmarks, stays on one thread, where its CPU time is lowest. The thread count changes only
# the order of floating-point sums (the low bits of the results), not the recipe.
THREADS = 2
VARIATIONAL_THREADS = 1


def steps_per_epoch(n: int = SPLITS["train"], batch_size: int = BATCH) -> int:
    """Full batches per pass over ``n`` images (the last, partial one is dropped): 19 for 1257 / 64."""
    return max(1, n // batch_size)


def digits_recipe(seed: int = 0, epochs: int = EPOCHS, **overrides) -> FitConfig:
    """The ``FitConfig`` that trains the digits flow: AdamW (weight decay 1.0), lr 5e-3, 20 warm-up steps
    then cosine, batches of 64, plain Adam betas, no weight average (best validation instead), on
    ``THREADS`` threads, or fewer where torch is set to fewer (``torch.get_num_threads()``)."""
    base = dict(
        steps=epochs * steps_per_epoch(),
        batch_size=BATCH,
        lr=5e-3,
        warmup=20,
        betas=(0.9, 0.999),
        ema=None,
        grad_clip=None,
        weight_decay=1.0,
        seed=seed,
        threads=min(THREADS, torch.get_num_threads()),
    )
    return FitConfig(**{**base, **overrides})


def variational_recipe(seed: int = 0, **overrides) -> FitConfig:
    """``digits_recipe`` for a flow trained jointly with a ``VariationalDequantizer``: the same settings,
    ``VARIATIONAL_EPOCHS`` epochs, a running weight average (``ema=VARIATIONAL_EMA``), which is what
    the validation scores, and ``VARIATIONAL_THREADS`` threads; the dequantizer's own optimiser group
    comes from its attributes. The flow it trains is ``image_realnvp(seed, alpha=VARIATIONAL_ALPHA)``."""
    return digits_recipe(
        seed,
        epochs=VARIATIONAL_EPOCHS,
        **{"ema": VARIATIONAL_EMA, "threads": VARIATIONAL_THREADS, **overrides},
    )


def train_digits(
    flow: Flow,
    train: Tensor,
    val: Tensor,
    config: FitConfig | None = None,
    progress: bool = True,
    dequantizer=None,
) -> History:
    """Minimise ``E_u[-log q((x + u) / 17) + log r(u | x)]`` over ``train`` (integer images) with ``rl.fit``.

    The image-specific parts are ``fit``'s strategies: the objective draws fresh dequantization noise
    for every batch (uniform, or a ``dequantizer`` trained jointly), and a ``HeldOut`` scores the
    ``val`` images (one fixed draw) after every epoch; the flow ends with the best one's weights.
    Before training every actnorm is set from 512 dequantized training images (mean 0, std 1).
    """
    if config is not None and not isinstance(config, FitConfig):
        raise TypeError(
            f"config must be an rl.FitConfig (ri.digits_recipe(...)), got {type(config).__name__}"
        )
    if not isinstance(flow, Flow):
        raise TypeError(f"train_digits trains a Flow (ri.image_realnvp(...)), got {type(flow).__name__}")
    cfg = config or digits_recipe()
    check_images(train, "train", min_images=2)  # actnorm starts from a std: one image leaves it NaN
    check_images(val, "val")
    objective = Dequantized(dequantizer, cfg.seed)
    dtype = next(flow.parameters()).dtype
    with torch.no_grad():
        data_init(flow.bijections, objective.draw(train[:512], dtype)[0])
    deq = objective.dequantizer

    def score(f: Flow) -> float:
        # threads=None: on the training's threads (fit has set them)
        return bits_per_dim(f, val, n_samples=1, seed=cfg.seed + 1, dequantizer=deq, threads=None)[0]

    every = steps_per_epoch(len(train), cfg.batch_size)
    return fit(flow, train, cfg, progress, objective=objective, validation=HeldOut(score, every))


def epoch_bpd(history: History, per_epoch: int = steps_per_epoch()) -> list[float]:
    """Mean training bits/dim of each epoch, from ``fit``'s per-step losses (nats per image)."""
    losses = history.losses
    return [
        sum(chunk) / len(chunk) / (PIXELS * math.log(2)) + math.log2(LEVELS)
        for chunk in (losses[i : i + per_epoch] for i in range(0, len(losses), per_epoch))
    ]
