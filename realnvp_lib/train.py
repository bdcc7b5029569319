"""Maximum-likelihood training: ``FitConfig`` (the notebooks' recipe) and a seeded, interruptible ``fit``."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace

import torch
from torch import Tensor
from tqdm.std import tqdm

from .flow import Flow
from .validation import NonFiniteInputError, check_batch

__all__ = ["FitConfig", "History", "NonFiniteLossError", "fit", "lr_factor"]

Data = Tensor | Callable[[int], Tensor]


class NonFiniteLossError(FloatingPointError):
    """Raised by ``fit`` when the loss becomes NaN or inf; the message names the step.

    The flow is left usable: at its last finite weights (the running average, if one is kept), in
    eval mode. ``history`` holds the steps done before the failure.
    """

    def __init__(self, message: str, history: History | None = None) -> None:
        super().__init__(message)
        self.history = history


@dataclass(frozen=True)
class FitConfig:
    """Training hyper-parameters; the defaults are the recipe the notebooks use."""

    steps: int = 2400
    batch_size: int = 512
    lr: float = 5e-3
    seed: int = 0
    # A wall-clock budget. Training stops when it is spent, and the learning-rate schedule follows
    # whichever of steps and seconds is further along, so a run cut by the clock still ends
    # annealed. The result then depends on the machine's speed; the notebooks use steps alone.
    max_seconds: float | None = None
    warmup: int = 300  # linear warm-up steps (at most an eighth of the run), then cosine decay to 0
    # A shorter memory for Adam's second moment than the usual 0.999 landed closer to the true
    # density on average over the seeds tried (benchmarks/train_quality.py).
    betas: tuple[float, float] = (0.9, 0.99)
    ema: float | None = 0.995  # Polyak averaging of the weights; None to train without it
    grad_clip: float | None = 100.0  # a rare huge gradient should nudge, not wreck, the flow
    snapshot_every: int | None = None  # keep a copy of the weights every k steps
    # Small MLPs gain nothing from a second intra-op thread and lose a lot when the other core is
    # busy, so train on one (None: torch's own setting). The caller's setting is restored.
    threads: int | None = 1

    def __post_init__(self) -> None:
        _positive_int("steps", self.steps)
        _positive_int("batch_size", self.batch_size)
        _positive_number("lr", self.lr)
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
        if self.max_seconds is not None and not (_is_number(self.max_seconds) and self.max_seconds >= 0):
            raise ValueError(f"max_seconds must be a finite number of seconds >= 0, or None; got "
                             f"{self.max_seconds!r}")
        if not isinstance(self.warmup, int) or self.warmup < 0:
            raise ValueError(f"warmup must be an integer number of steps >= 0, got {self.warmup!r}")
        if len(self.betas) != 2 or not all(_is_number(b) and 0 <= b < 1 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}")
        if self.ema is not None and not (_is_number(self.ema) and 0 < self.ema < 1):
            raise ValueError(f"ema must be a decay in (0, 1) such as 0.995, or None; got {self.ema!r}")
        if self.grad_clip is not None:
            _positive_number("grad_clip (the largest gradient norm kept)", self.grad_clip)
        if self.snapshot_every is not None:
            _positive_int("snapshot_every", self.snapshot_every)
        if self.threads is not None:
            _positive_int("threads", self.threads)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _positive_number(name: str, v) -> None:
    if not (_is_number(v) and v > 0):
        raise ValueError(f"{name} must be a finite positive number, got {v!r}")


def _positive_int(name: str, v) -> None:
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise ValueError(f"{name} must be a positive integer, got {v!r}")


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

    @property
    def steps(self) -> int:
        return len(self.losses)


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


def fit(flow: Flow, data: Data, config: FitConfig | None = None, progress: bool = True,
        **overrides) -> History:
    """Train ``flow`` by minimising the mean negative log-likelihood ``-log q(x)`` with Adam.

    ``data`` is an ``(N, D)`` tensor (shuffled minibatches) or a callable ``n -> (n, D)`` tensor of
    fresh samples (``rl.data.sampler``). ``config`` is a ``FitConfig`` (default: the notebooks'
    recipe); keywords override its fields, e.g. ``fit(flow, data, steps=500, lr=1e-3)``.

    * A NaN/inf loss raises ``NonFiniteLossError`` naming the step; the flow keeps its last finite
      weights (the running average if one is kept), in eval mode.
    * A ``KeyboardInterrupt`` (the stop button) ends training early and keeps what was learned: the
      returned ``History`` has ``interrupted=True``.

    Returns a ``History``; the flow is left in eval mode holding the averaged weights.
    """
    if not isinstance(flow, Flow):
        raise TypeError(f"fit trains an rl.Flow (e.g. rl.realnvp(...)), got {type(flow).__name__}")
    unknown = set(overrides) - {f.name for f in fields(FitConfig)}
    if unknown:
        raise TypeError(f"fit got unknown option(s) {sorted(unknown)}; FitConfig has "
                        f"{[f.name for f in fields(FitConfig)]}")
    cfg = replace(config or FitConfig(), **overrides)
    batches = _batches(data, cfg.batch_size, cfg.seed, flow)
    previous = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        return _train(flow, batches, cfg, progress)
    finally:  # the caller's setting comes back even if training stops with an error
        torch.set_num_threads(previous)


def _batches(data: Data, batch_size: int, seed: int, flow: Flow):
    """Yield batches: fresh ones from a callable, or shuffled epochs of a tensor; validated up front."""
    event = flow.event
    if callable(data) and not isinstance(data, Tensor):
        first = data(batch_size)
        check_batch(first, event, "a batch from data(n)")
        second = data(batch_size)
        check_batch(second, event, "a batch from data(n)")
        if torch.equal(first, second):
            raise ValueError(
                "data(n) returned the same batch twice: training would see one fixed batch and overfit "
                "it (a fixed seed, e.g. lambda n: rl.data.two_moons(n), does this). For fresh points on "
                "every call use rl.data.sampler('two_moons', seed=0), or pass a fixed (N, D) tensor.")
        return _callable_batches(data, event, first, second)
    check_batch(data, event, "data")
    if data.shape[0] == 0:
        raise ValueError("data is empty (0 rows): fit needs at least one training point")
    ref = next(flow.parameters(), None)
    if ref is not None and data.dtype != ref.dtype:
        raise ValueError(f"data is {data.dtype} but the flow's weights are {ref.dtype}: convert one, "
                         f"e.g. data.to({ref.dtype}) or flow.to({data.dtype})")
    return _tensor_batches(data, batch_size, seed)


def _callable_batches(data: Callable[[int], Tensor], event, *first: Tensor):
    yield from first
    while True:
        batch = data(first[0].shape[0])
        check_batch(batch, event, "a batch from data(n)")
        yield batch


def _tensor_batches(data: Tensor, batch_size: int, seed: int):
    gen = torch.Generator().manual_seed(seed)
    n = data.shape[0]
    while True:
        order = torch.randperm(n, generator=gen)
        for start in range(0, n - batch_size + 1 if n >= batch_size else 1, batch_size):
            yield data[order[start : start + batch_size]]


def _train(flow: Flow, batches, cfg: FitConfig, progress: bool) -> History:
    """The optimisation loop of ``fit``, under an already validated ``cfg``."""
    params = [p for p in flow.parameters() if p.requires_grad]
    # fused=True runs Adam as one kernel over all parameters: same updates, several times faster
    # on the CPU than the per-tensor default for these many small tensors.
    opt = torch.optim.Adam(params, lr=cfg.lr, betas=cfg.betas, fused=True)
    # The running average only ever absorbs weights whose loss was finite, and without one a copy
    # of the last such weights is kept: either way a failure can hand back usable weights.
    keep = copy.deepcopy(flow).requires_grad_(False)
    kept, live = list(keep.parameters()), list(flow.parameters())
    history = History(config=asdict(cfg))
    flow.train()
    start = time.perf_counter()
    bar = tqdm(total=cfg.steps, desc="training", disable=not progress, mininterval=0.5)
    failure: NonFiniteLossError | None = None
    step = 0
    try:
        for step in range(cfg.steps):
            lr = cfg.lr * lr_factor(_schedule_step(step, cfg, start), cfg.steps, cfg.warmup)
            for group in opt.param_groups:
                group["lr"] = lr
            batch = next(batches)
            try:
                loss = -flow.log_prob(batch).mean()
            except NonFiniteInputError:  # a step's output overflowed and the next step refused it
                loss = batch.new_tensor(math.inf)
            value = loss.item()
            if not math.isfinite(value):
                failure = _failure(value, step, cfg, history)
                break
            _absorb(kept, live, step, cfg.ema)  # these weights gave a finite loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip, foreach=True)
            opt.step()
            history.losses.append(value)
            history.lrs.append(lr)
            if cfg.snapshot_every and step % cfg.snapshot_every == 0:
                history.snapshots.append((step, _state(keep if cfg.ema else flow)))
            bar.update()
            if step % 50 == 0:
                bar.set_postfix(nll=f"{value:.3f}", refresh=False)
            if cfg.max_seconds is not None and time.perf_counter() - start > cfg.max_seconds:
                history.stopped_by_time = True
                break
    except KeyboardInterrupt:
        history.interrupted = True
    finally:
        bar.close()
    if failure is None and history.steps:
        # The last update's weights were never scored: take them if they are finite.
        if all(bool(torch.isfinite(p).all()) for p in live):
            _absorb(kept, live, step + 1, cfg.ema)
    if cfg.ema or failure is not None or not all(bool(torch.isfinite(p).all()) for p in live):
        flow.load_state_dict(keep.state_dict())
    if cfg.snapshot_every:
        history.snapshots.append((history.steps, _state(flow)))
    history.seconds = time.perf_counter() - start
    flow.eval()
    if history.interrupted:
        print(f"training interrupted after {history.steps} of {cfg.steps} steps: the flow keeps what it "
              "learned" + (" (weight average applied)" if cfg.ema else "") + "; History.interrupted = True")
    if failure is not None:
        raise failure
    return history


def _schedule_step(step: int, cfg: FitConfig, start: float) -> int:
    """The step the learning-rate schedule is at: steps, or the clock's share of the run if further."""
    if cfg.max_seconds is None:
        return step
    spent = (time.perf_counter() - start) / max(cfg.max_seconds, 1e-9)
    return max(step, int(min(spent, 1.0) * cfg.steps))


@torch.no_grad()
def _absorb(kept: list[Tensor], live: list[Tensor], step: int, ema: float | None) -> None:
    """``kept <- kept + w (live - kept)``: the running average (decay ramping up from 0, as in
    TensorFlow's ExponentialMovingAverage, so it forgets the untrained start), or a plain copy."""
    w = 1.0 if not ema else 1 - min(ema, (1 + step) / (10 + step))
    for k, p in zip(kept, live):
        k.lerp_(p, w)


def _failure(value: float, step: int, cfg: FitConfig, history: History) -> NonFiniteLossError:
    last = f"{history.losses[-1]:.4g}" if history.losses else "none"
    hint = ("the very first loss is not finite: check the data (huge values?) and the flow"
            if step == 0 else "lower lr, keep grad_clip, or bound the coupling scale (scale_bound)")
    return NonFiniteLossError(
        f"loss became {value} at step {step} of {cfg.steps} (last finite loss: {last}); {hint}. "
        "The flow keeps its last finite weights, in eval mode.", history)


def _state(module: torch.nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}
