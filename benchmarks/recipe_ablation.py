"""What each ingredient of ``rl.fit``'s recipe buys: the ablation table of notebook 05, at any length.

Trains the default ``rl.realnvp(seed=0)`` on fresh scikit-learn two moons (noise 0.05) with a
hand-written Adam loop, adding one ingredient per row on the same seed and the same number of
steps, and scores each flow by its gap to the true density, ``mean(log p - log q)`` on 20 000
held-out points (``rl.scores.heldout``), with its standard error.

Which points decide and which report: every row is scored on a **validation** set (20 000 fresh
points, seed 2), and each ingredient is compared with the row before it point by point on those
points (the paired difference of the gaps, with its standard error). The rule: an ingredient earns
its place when it lowers the validation gap by more than 2 standard errors of that difference
(the "> 2 se?" column; the recipe keeps weight averaging and clipping as insurance even where they
do not). The **test** set (20 000 other points, seed 1: notebook 05's) is scored only for the
complete recipe, in the last line, which no row's verdict reads. The rows:

1. plain Adam, lr 1e-3, batches of 128;
2. plain Adam, lr 5e-3, batches of 128;
3. + linear warm-up and cosine decay (``rl.config.lr_factor``);
4. + batches of 512;
5. + weight averaging (the average of row 4's run: averaging does not change the training path);
6. + gradient clipping at norm 100: the complete recipe, checked to be exactly ``rl.fit``.

Adam uses the recipe's betas (0.9, 0.99) in every row. Notebook 05 prints this table for a short
run; this script runs it at the default's full length (2400 steps; a few minutes on 2 cores). The
gaps are bit-identical on one machine; on another they agree within the printed standard errors.
Seconds depend on the machine's load.

Examples::

    python benchmarks/recipe_ablation.py              # 2400 steps, as rl.fit's default
    python benchmarks/recipe_ablation.py --steps 200  # the notebook's short table
    python benchmarks/recipe_ablation.py > benchmarks/recipe_ablation.txt  # what notebook 05 prints
"""

from __future__ import annotations

import argparse
import copy
import functools
import os
import time

import torch

import realnvp_lib as rl

N_TEST = 20_000
TEST_SEED = 1  # notebook 05's test set: scores only the complete recipe
VAL_SEED = 2  # the validation points every row is scored and compared on


def train(
    steps: int,
    lr: float,
    batch: int = 128,
    schedule: bool = False,
    clip: float | None = None,
    ema: float = 0.995,
) -> dict:
    """The hand-written loop; returns the trained flow, its weight average, seconds, steps clipped."""
    flow, draw = rl.realnvp(seed=0), rl.data.sampler("two_moons", seed=0)
    opt = torch.optim.Adam(flow.parameters(), lr=lr, betas=(0.9, 0.99), fused=True)
    average = copy.deepcopy(flow).requires_grad_(False)
    clipped = 0
    start = time.perf_counter()
    for step in range(steps):
        opt.param_groups[0]["lr"] = lr * rl.config.lr_factor(step, steps, 300) if schedule else lr
        loss = -flow.log_prob(draw(batch)).mean()
        absorb(average, flow, step, ema)  # the weights this loss was computed with
        opt.zero_grad()
        loss.backward()
        if clip is not None:
            clipped += int(torch.nn.utils.clip_grad_norm_(flow.parameters(), clip) > clip)
        opt.step()
    absorb(average, flow, steps, ema)
    return dict(
        flow=flow.eval(), average=average.eval(), seconds=time.perf_counter() - start, clipped=clipped
    )


@torch.no_grad()
def absorb(average: rl.Flow, flow: rl.Flow, step: int, decay: float) -> None:
    """Polyak averaging, warm start: ``avg += w (theta - avg)``, ``w = 1 - min(decay, (1+k)/(10+k))``."""
    w = 1 - min(decay, (1 + step) / (10 + step))
    for a, p in zip(average.parameters(), flow.parameters()):
        a.lerp_(p, w)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=rl.FitConfig.steps, help="steps per row (default 2400)")
    args = parser.parse_args()
    torch.set_num_threads(1)  # what rl.fit trains on (FitConfig.threads), so row 6 can match it
    steps = args.steps
    true_log_prob = functools.partial(rl.density.two_moons_log_prob, noise=0.05)
    x_val = rl.data.two_moons(N_TEST, seed=VAL_SEED)
    log_p_val = true_log_prob(x_val).double()

    def gaps(flow) -> torch.Tensor:
        """``log p - log q`` on each validation point, ``(N,)``."""
        with torch.no_grad():
            return log_p_val - flow.log_prob(x_val).double()

    def mean_se(d: torch.Tensor) -> tuple[float, float]:
        return float(d.mean()), float(d.std()) / len(d) ** 0.5

    print(f"{steps} steps per row, torch {torch.__version__}, load average {os.getloadavg()[0]:.2f}")
    print(f"validation: {N_TEST} fresh points (seed {VAL_SEED}); each row paired against the row above")
    print(f"{'row':<34}{'val gap (nats)':>18}{'- row above':>19}{'> 2 se?':>9}{'seconds':>9}")
    previous = None
    runs = {}
    rows = [
        ("1  Adam, lr 1e-3, batch 128", dict(lr=1e-3), "flow"),
        ("2  Adam, lr 5e-3, batch 128", dict(lr=5e-3), "flow"),
        ("3  + warm-up & cosine decay", dict(lr=5e-3, schedule=True), "flow"),
        ("4  + batch 512", dict(lr=5e-3, schedule=True, batch=512), "flow"),
        ("5  + weight averaging (EMA)", dict(lr=5e-3, schedule=True, batch=512), "average"),
        ("6  + gradient clipping at 100", dict(lr=5e-3, schedule=True, batch=512, clip=100.0), "average"),
    ]
    for name, kw, which in rows:
        key = tuple(sorted(kw.items()))
        fresh = key not in runs
        if fresh:
            runs[key] = train(steps, **kw)
        run = runs[key]
        g = gaps(run[which])
        gap, gap_se = mean_se(g)
        if previous is None:
            diff, flag = f"{'':>19}", f"{'':>9}"
        else:
            d, d_se = mean_se(g - previous)
            diff, flag = f"{d:>+10.4f} ± {d_se:.4f}", f"{'yes' if d < -2 * d_se else 'no':>9}"
        previous = g
        seconds = f"{run['seconds']:9.1f}" if fresh else "   (row 4)"
        print(f"{name:<34}{gap:>9.4f} ± {gap_se:.4f}{diff}{flag}{seconds}", flush=True)
    last = runs[key]
    flow = rl.realnvp(seed=0)
    history = rl.fit(flow, rl.data.sampler("two_moons", seed=0), steps=steps, progress=False)
    same = all(
        torch.equal(a, b) for a, b in zip(flow.state_dict().values(), last["average"].state_dict().values())
    )
    print(
        f"row 6 clipped {last['clipped']} of {steps} steps; rl.fit(steps={steps}) gives the same "
        f"weights bit for bit: {same} ({history.seconds:.1f} s)"
    )
    test = rl.scores.heldout(last["average"], rl.data.two_moons(N_TEST, seed=TEST_SEED), true_log_prob)
    print(
        f"\ntest ({N_TEST} other points, seed {TEST_SEED}), the complete recipe (row 6) only: "
        f"gap {test.gap:.4f} ± {test.gap_se:.4f} nats"
    )


if __name__ == "__main__":
    main()
