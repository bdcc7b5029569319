"""Maximum-likelihood training: a seeded, interruptible ``fit`` that always leaves a usable flow."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace

import torch
from torch import Tensor, nn
from tqdm.std import tqdm

from .batches import Data, batches
from .checks import NonFiniteInputError, check_int
from .config import FitConfig, lr_factor
from .flow import Flow
from .runtime import threads

__all__ = ["HeldOut", "History", "NonFiniteLossError", "fit", "negative_log_likelihood"]


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
    cpu_seconds: float = 0.0  # processor time of this process (less than seconds on a shared CPU)
    val_steps: list[int] = field(default_factory=list)  # steps done when each validation score was taken
    val_scores: list[float] = field(default_factory=list)
    best_step: int = 0  # the validated step whose weights the flow ends with (with a HeldOut score)
    best_score: float = math.inf

    @property
    def steps(self) -> int:
        return len(self.losses)


@dataclass
class HeldOut:
    """A held-out score ``score(flow) -> float`` (lower is better) taken every ``every`` steps and at the
    end; ``fit`` then ends with the weights of the best score (early stopping without stopping)."""

    score: Callable[[Flow], float]
    every: int

    def __post_init__(self) -> None:
        if not callable(self.score):
            raise ValueError(f"HeldOut needs a callable score(flow) -> float, got {self.score!r}")
        check_int("every (steps between held-out scores)", self.every)


class NonFiniteLossError(FloatingPointError):
    """Raised by ``fit`` when the loss becomes NaN or inf; the message names the step.

    The flow is left usable: at its last finite weights (the running average, if one is kept), in
    eval mode. ``history`` holds the steps done before the failure.
    """

    def __init__(self, message: str, history: History | None = None) -> None:
        super().__init__(message)
        self.history = history


def negative_log_likelihood(flow: Flow, batch: Tensor) -> Tensor:
    """The default objective: ``-log q(x)``, ``batch: (B, ...) -> (B,)`` in nats."""
    return -flow.log_prob(batch)


def fit(
    flow: Flow,
    data: Data,
    config: FitConfig | None = None,
    progress: bool = True,
    *,
    objective: Callable[[Flow, Tensor], Tensor] | None = None,
    validation: HeldOut | None = None,
    **overrides,
) -> History:
    """Train ``flow`` by minimising the mean negative log-likelihood ``-log q(x)`` with Adam.

    ``data`` is an ``(N, D)`` tensor (shuffled minibatches) or a callable ``n -> (n, D)`` tensor of
    fresh samples (``rl.data.sampler``). ``config`` is a ``FitConfig`` (default: the notebooks'
    recipe); keywords override its fields, e.g. ``fit(flow, data, steps=500, lr=1e-3)``.

    * A NaN/inf loss raises ``NonFiniteLossError`` naming the step; the flow keeps its last finite
      weights (the running average if one is kept), in eval mode.
    * A ``KeyboardInterrupt`` (the stop button) ends training early and keeps what was learned: the
      returned ``History`` has ``interrupted=True``.

    Two strategies make the same loop train image flows: ``objective(flow, batch) -> (B,)`` nats
    (default ``-flow.log_prob(batch)``; the images' dequantization is one, with a ``check(data)`` for
    the raw integer images and, if it is an ``nn.Module``, parameters trained jointly in their own
    optimiser group, with its ``weight_decay`` and ``lr_scale`` attributes if it has them), and a
    ``HeldOut`` whose best score's weights the flow ends with (with ``ema``, the best of the
    averaged weights: the average is what is scored). ``weight_decay > 0`` uses AdamW.

    Returns a ``History``; the flow is left in eval mode holding the averaged (or best) weights.
    """
    if not isinstance(flow, Flow):
        raise TypeError(f"fit trains an rl.Flow (e.g. rl.realnvp(...)), got {type(flow).__name__}")
    unknown = set(overrides) - {f.name for f in fields(FitConfig)}
    if unknown:
        raise TypeError(
            f"fit got unknown option(s) {sorted(unknown)}; FitConfig has "
            f"{[f.name for f in fields(FitConfig)]}"
        )
    if config is not None and not isinstance(config, FitConfig):
        raise TypeError(
            f"config must be an rl.FitConfig, got {type(config).__name__}; for a dict d use "
            "fit(flow, data, **d) or config=rl.FitConfig(**d)"
        )
    cfg = replace(config or FitConfig(), **overrides)
    if validation is not None and not isinstance(validation, HeldOut):
        raise TypeError(f"validation must be an rl.train.HeldOut, got {type(validation).__name__}")
    stream = batches(data, cfg.batch_size, cfg.seed, flow, getattr(objective, "check", None))
    with threads(cfg.threads):  # the caller's setting comes back even if training stops with an error
        return _train(flow, stream, cfg, progress, objective or negative_log_likelihood, validation)


def _train(flow: Flow, batches, cfg: FitConfig, progress: bool, objective, validation) -> History:
    """The optimisation loop of ``fit``, under an already validated ``cfg``."""
    extra = [p for p in objective.parameters() if p.requires_grad] if isinstance(objective, nn.Module) else []
    groups = [{"params": [p for p in flow.parameters() if p.requires_grad], "lr_scale": 1.0}]
    if extra:
        # An objective's own parameters (a variational dequantizer) may ask for their own weight
        # decay and learning-rate multiplier: the flow's weight decay is its regulariser, not theirs.
        decay = getattr(objective, "weight_decay", None)
        groups.append(
            {
                "params": extra,
                "weight_decay": cfg.weight_decay if decay is None else decay,
                "lr_scale": getattr(objective, "lr_scale", 1.0),
            }
        )
    params = [p for group in groups for p in group["params"]]  # what gradient clipping sees
    # fused=True runs Adam as one kernel over all parameters: same updates, several times faster
    # on the CPU than the per-tensor default for these many small tensors.
    if cfg.weight_decay:
        opt = torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay, fused=True)
    else:
        opt = torch.optim.Adam(groups, lr=cfg.lr, betas=cfg.betas, fused=True)
    best = None
    # The running average only ever absorbs weights whose loss was finite, and without one a copy
    # of the last such weights is kept: either way a failure can hand back usable weights.
    live = list(flow.parameters())
    kept = [p.detach().clone() for p in live]
    history = History(config=asdict(cfg))
    flow.train()
    start, cpu_start = time.perf_counter(), time.process_time()
    bar = tqdm(total=cfg.steps, desc="training", disable=not progress, mininterval=0.5)
    failure: NonFiniteLossError | None = None
    error: Exception | None = None
    step = 0
    try:
        for step in range(cfg.steps):
            lr = cfg.lr * lr_factor(_schedule_step(step, cfg, start), cfg.steps, cfg.warmup)
            for group in opt.param_groups:
                group["lr"] = lr * group["lr_scale"]
            try:
                batch = next(batches)
            except NonFiniteInputError as err:  # the data went bad, not the training
                failure = NonFiniteLossError(
                    f"{err} at step {step} of {cfg.steps}: the data source is broken (training did not "
                    "diverge). The flow keeps its last finite weights, in eval mode; this error's "
                    f".history holds the {history.steps} finished steps.",
                    history,
                )
                break
            try:
                loss = objective(flow, batch).mean()
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
                history.snapshots.append((step, _weights(flow, kept) if cfg.ema else _state(flow)))
            if validation is not None and ((step + 1) % validation.every == 0 or step + 1 == cfg.steps):
                best = _validate(flow, objective, validation, history, best, kept if cfg.ema else None)
            bar.update()
            if step % 50 == 0:
                bar.set_postfix(nll=f"{value:.3f}", refresh=False)
            if cfg.max_seconds is not None and time.perf_counter() - start > cfg.max_seconds:
                history.stopped_by_time = True
                break
    except KeyboardInterrupt:
        history.interrupted = True
    except Exception as err:  # the data source or a layer broke: still leave a usable flow behind
        error = err
    finally:
        bar.close()
    if failure is None and history.steps:
        # The last update's weights were never scored: take them if they are finite.
        if all(bool(torch.isfinite(p).all()) for p in live):
            _absorb(kept, live, step + 1, cfg.ema)
    if cfg.ema or failure is not None or not all(bool(torch.isfinite(p).all()) for p in live):
        flow.load_state_dict(_weights(flow, kept))
    if best is not None and failure is None:  # the best validated weights, the objective's with them
        flow.load_state_dict(best[0])
        if best[1] is not None:
            objective.load_state_dict(best[1])
    if cfg.snapshot_every:
        history.snapshots.append((history.steps, _state(flow)))
    history.seconds = time.perf_counter() - start
    history.cpu_seconds = time.process_time() - cpu_start
    flow.eval()
    if isinstance(objective, nn.Module):
        objective.eval()
    if history.interrupted:
        print(
            f"training interrupted after {history.steps} of {cfg.steps} steps: the flow keeps what it "
            "learned" + (" (weight average applied)" if cfg.ema else "") + "; History.interrupted = True"
        )
    if failure is not None:
        raise failure
    if error is not None:
        try:
            error.history = history
        except AttributeError:  # an exception type that takes no attributes
            pass
        error.add_note(
            f"fit stopped at step {step} of {cfg.steps}: the flow keeps its last finite weights, "
            f"in eval mode; this error's .history holds the {history.steps} finished steps"
        )
        raise error
    return history


def _validate(
    flow: Flow, objective, validation: HeldOut, history: History, best, average: list[Tensor] | None
):
    """Score the flow on held-out data; return the (flow, objective) weights of the best score so far.

    With a running ``average`` of the weights it is the average that is scored and kept: those are
    the weights the flow would end with, so the choice is made among them, not among the live ones.
    """
    live = None
    if average is not None:
        live = _state(flow)
        flow.load_state_dict(_weights(flow, average))
    score = float(validation.score(flow))
    history.val_steps.append(history.steps)
    history.val_scores.append(score)
    if score < history.best_score:
        history.best_score, history.best_step = score, history.steps
        best = (_state(flow), _state(objective) if isinstance(objective, nn.Module) else None)
    if live is not None:
        flow.load_state_dict(live)
    flow.train()
    return best


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
    w = 1 - min(ema, (1 + step) / (10 + step)) if ema else None
    for k, p in zip(kept, live):
        if w is None:
            k.copy_(p)
        else:
            k.lerp_(p, w)


def _weights(flow: Flow, kept: list[Tensor]) -> dict[str, Tensor]:
    """The flow's state dict with its parameters taken from ``kept`` (in ``flow.parameters()`` order)."""
    state = _state(flow)
    for (name, _), k in zip(flow.named_parameters(), kept):
        state[name] = k.clone()
    return state


def _failure(value: float, step: int, cfg: FitConfig, history: History) -> NonFiniteLossError:
    last = f"{history.losses[-1]:.4g}" if history.losses else "none"
    hint = (
        "the very first loss is not finite: check the data (huge values?) and the flow"
        if step == 0
        else "lower lr, keep grad_clip, or bound the coupling scale (scale_bound)"
    )
    return NonFiniteLossError(
        f"loss became {value} at step {step} of {cfg.steps} (last finite loss: {last}); {hint}. "
        "The flow keeps its last finite weights, in eval mode.",
        history,
    )


def _state(module: torch.nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}
