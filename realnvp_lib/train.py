"""Maximum-likelihood training: ``FitConfig`` (the notebooks' defaults) and a seeded ``fit``."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch
from torch import Tensor
from tqdm.auto import tqdm

from .checks import NonFiniteInputError, check_batch
from .flow import Flow


class NonFiniteLossError(FloatingPointError):
    """Raised by ``fit`` when the loss becomes NaN or inf; the message names the step."""


@dataclass(frozen=True)
class FitConfig:
    """Training hyper-parameters; the defaults are the configuration the notebooks use."""

    steps: int = 2400
    batch_size: int = 512
    lr: float = 5e-3
    seed: int = 0
    # A wall-clock budget. Training stops when it is spent, and the learning-rate schedule follows
    # whichever of steps and seconds is further along, so a run cut by the clock still ends
    # annealed. The result then depends on the machine's speed; the notebooks use steps alone.
    max_seconds: float | None = None
    warmup: int = 300  # linear warm-up steps (at most an eighth of the run), then cosine decay to 0
    # A shorter memory for Adam's second moment than the usual 0.999: at the same cost it landed
    # closer to the true density on average over the seeds tried (benchmarks/train_quality.py).
    betas: tuple[float, float] = (0.9, 0.99)
    ema: float | None = 0.995  # Polyak averaging of the weights; None to train without it
    grad_clip: float | None = 100.0  # a rare huge gradient should nudge, not wreck, the flow
    snapshot_every: int | None = None  # keep a copy of the weights every k steps
    # These MLPs are too small to share between cores: two intra-op threads are no faster on an
    # idle machine and 10-40x slower when anything else runs, so train on one (None: torch's own).
    threads: int | None = 1


@dataclass
class History:
    """What ``fit`` returns: one loss per step (mean NLL in nats) and optional weight snapshots."""

    losses: list[float] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)  # the learning rate used at each step
    seconds: float = 0.0
    stopped_by_time: bool = False
    snapshots: list[tuple[int, dict[str, Tensor]]] = field(default_factory=list)
    config: dict = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return len(self.losses)


def _batches(data: Tensor | Callable[[int], Tensor], batch_size: int, seed: int, dim: int):
    """Yield ``(batch_size, D)`` batches: fresh from a callable, or shuffled epochs of a tensor."""
    if callable(data) and not isinstance(data, Tensor):
        while True:
            batch = data(batch_size)
            check_batch(batch, dim, "a batch from data(n)")
            yield batch
    check_batch(data, dim, "data")
    gen = torch.Generator().manual_seed(seed)
    n = data.shape[0]
    while True:
        order = torch.randperm(n, generator=gen)
        for start in range(0, n - batch_size + 1 if n >= batch_size else 1, batch_size):
            yield data[order[start : start + batch_size]]


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


def fit(
    flow: Flow,
    data: Tensor | Callable[[int], Tensor],
    steps: int = FitConfig.steps,
    batch_size: int = FitConfig.batch_size,
    lr: float = FitConfig.lr,
    seed: int = FitConfig.seed,
    max_seconds: float | None = FitConfig.max_seconds,
    progress: bool = True,
    **options,
) -> History:
    """Train ``flow`` by minimising the mean negative log-likelihood ``-log p(x)`` with Adam.

    ``data`` is an ``(N, D)`` tensor (shuffled minibatches) or a callable ``n -> (n, D)`` tensor
    that returns fresh samples (see ``data.sampler``). Other ``FitConfig`` fields (``warmup``, ``betas``,
    ``ema``, ``grad_clip``, ``snapshot_every``, ``threads``) are accepted as keywords. Stops after ``steps``
    or ``max_seconds`` of wall clock, whichever first; raises ``NonFiniteLossError`` naming the
    step if the loss becomes NaN or inf. Returns a ``History``.
    """
    cfg = FitConfig(steps=steps, batch_size=batch_size, lr=lr, seed=seed,
                    max_seconds=max_seconds, **options)
    if cfg.steps < 1 or cfg.batch_size < 1 or not cfg.lr > 0:
        raise ValueError(f"steps, batch_size and lr must be positive, got {cfg}")
    if cfg.max_seconds is not None and cfg.max_seconds < 0:
        raise ValueError(f"max_seconds must be >= 0 or None, got {cfg.max_seconds}")
    previous = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        return _train(flow, data, cfg, progress)
    finally:  # the caller's setting comes back even if training stops with an error
        torch.set_num_threads(previous)


def _train(flow: Flow, data: Tensor | Callable[[int], Tensor], cfg: FitConfig, progress: bool) -> History:
    """The optimisation loop of ``fit``, under an already validated ``cfg``."""
    params = [p for p in flow.parameters() if p.requires_grad]
    # fused=True runs Adam as one kernel over all parameters instead of ~10 small ops per
    # tensor: on CPU it is several times faster than the default and gives the same updates.
    opt = torch.optim.Adam(params, lr=cfg.lr, betas=cfg.betas, fused=True)
    ema = copy.deepcopy(flow).requires_grad_(False) if cfg.ema else None
    ema_params, flow_params = (list(ema.parameters()), list(flow.parameters())) if ema else ([], [])
    history = History(config=asdict(cfg))
    batches = _batches(data, cfg.batch_size, cfg.seed, flow.dim)
    flow.train()
    start = time.perf_counter()
    bar = tqdm(range(cfg.steps), desc="training", disable=not progress, mininterval=0.5)
    for step in bar:
        at = step
        if cfg.max_seconds is not None:  # the schedule runs on steps or seconds, whichever is ahead
            spent = (time.perf_counter() - start) / max(cfg.max_seconds, 1e-9)
            at = max(step, int(min(spent, 1.0) * cfg.steps))
        lr = cfg.lr * lr_factor(at, cfg.steps, cfg.warmup)
        for group in opt.param_groups:
            group["lr"] = lr
        batch = next(batches)
        try:
            loss = -flow.log_prob(batch).mean()
        except NonFiniteInputError:  # a layer's output overflowed and the next layer refused it
            loss = batch.new_tensor(math.inf)
        value = loss.item()
        if not math.isfinite(value):
            bar.close()
            raise NonFiniteLossError(
                f"loss became {value} at step {step} of {cfg.steps} (last finite loss: "
                f"{history.losses[-1] if history.losses else 'none'}); lower lr, or bound the "
                "coupling scale (scale_bound)")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip:
            _clip_grad_norm(params, cfg.grad_clip)
        opt.step()
        if ema is not None:
            # e <- e + (1 - decay)(p - e) in one call. The decay ramps up from 0 so the average
            # forgets the untrained start quickly (TensorFlow's ExponentialMovingAverage rule).
            decay = min(cfg.ema, (1 + step) / (10 + step))
            with torch.no_grad():
                torch._foreach_lerp_(ema_params, flow_params, 1 - decay)
        history.losses.append(value)
        history.lrs.append(lr)
        if cfg.snapshot_every and step % cfg.snapshot_every == 0:
            history.snapshots.append((step, _state(ema or flow)))
        if step % 50 == 0:
            bar.set_postfix(nll=f"{value:.3f}")
        if cfg.max_seconds is not None and time.perf_counter() - start > cfg.max_seconds:
            history.stopped_by_time = True
            break
    bar.close()
    if ema is not None:
        flow.load_state_dict(ema.state_dict())
    if cfg.snapshot_every:
        history.snapshots.append((history.steps, _state(flow)))
    history.seconds = time.perf_counter() - start
    flow.eval()
    return history


def _clip_grad_norm(params: list[torch.Tensor], max_norm: float) -> None:
    """Scale the gradients down to total 2-norm ``max_norm`` if they exceed it (in place).

    Same result as ``torch.nn.utils.clip_grad_norm_``, which rescales every gradient on every
    step (by a factor of 1 when under the limit): here that pass runs only on the rare steps that
    need it, a few percent of a training step for these small flows.
    """
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    if norm > max_norm:
        torch._foreach_mul_(grads, max_norm / (float(norm) + 1e-6))


def _state(module: torch.nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}
