"""The ranges behind notebook 05's claims: its configurations over 3 seeds on two floating-point paths.

Notebook 05 trains on seed 0 and prints one run's numbers; its prose states only orderings, ratios
and ranges, each checked by an ``assert`` on the live run. This script measures whether those
claims hold beyond one run: every configuration of the notebook (the 200-step recipe table, the
blog's configuration, the double moon, the capstone's hand-written flow and loop, the exercises,
the 2400-step default, and the default with a SiLU conditioner) for seeds 0, 1 and 2 (the
flow's initialisation and the data stream), each on this machine's floating-point path and on
another's (``ATEN_CPU_CAPABILITY=default DNNL_MAX_CPU_ISA=SSE41``: torch's baseline kernels, as on
an older CPU). Each (seed, path) runs in its own subprocess, since the variables act at import.
The test sets are the notebook's (seed 1 for the scores, seed 3 for the leak), so only training
varies. The table gives min and max over the six runs of every quantity the notebook asserts on.

Examples::

    python benchmarks/notebook05_ranges.py > benchmarks/notebook05_ranges.txt   # about 10 CPU minutes
    python benchmarks/notebook05_ranges.py --worker 0                            # one seed, as JSON
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import math
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from torch import nn

import realnvp_lib as rl

OTHER_PATH = {"ATEN_CPU_CAPABILITY": "default", "DNNL_MAX_CPU_ISA": "SSE41"}
SEEDS = (0, 1, 2)
PHASES = ("short", "relu", "silu")
STEPS = 200


def warmup_cosine(n: int, steps: int, warmup: int = 300) -> float:
    """The notebook's schedule factor at step n = 1..steps (``rl.config.lr_factor(n - 1, ...)``)."""
    return rl.config.lr_factor(n - 1, steps, warmup)


@torch.no_grad()
def absorb(average: nn.Module, flow: nn.Module, m: int, decay: float = 0.995) -> None:
    w = 1 - min(decay, m / (m + 9))
    for a, p in zip(average.parameters(), flow.parameters()):
        a.lerp_(p, w)


def train(seed: int, lr: float, batch: int = 128, schedule: bool = False, clip=None, steps: int = STEPS):
    """Notebook 05's section-5 loop (every ingredient switchable), on one seed."""
    flow, draw = rl.realnvp(seed=seed), rl.data.sampler("two_moons", seed=seed)
    opt = torch.optim.Adam(flow.parameters(), lr=lr, betas=(0.9, 0.99), fused=True)
    average, clipped = copy.deepcopy(flow).requires_grad_(False), 0
    for n in range(1, steps + 1):
        opt.param_groups[0]["lr"] = lr * warmup_cosine(n, steps) if schedule else lr
        loss = -flow.log_prob(draw(batch)).mean()
        absorb(average, flow, n)
        opt.zero_grad()
        loss.backward()
        if clip:
            clipped += torch.nn.utils.clip_grad_norm_(flow.parameters(), clip).item() > clip
        opt.step()
    absorb(average, flow, steps + 1)
    return flow, average, clipped


# The capstone's solution code (notebook 05, section 10), as a learner fills the skeletons.
class MyParts(nn.Module):
    def __init__(self, mask, hidden=64, bound=3.0):
        super().__init__()
        self.register_buffer("mask", torch.as_tensor(mask, dtype=torch.float32))
        self.bound, self.dim = bound, len(self.mask)
        self.net = nn.Sequential(
            nn.Linear(self.dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 2 * self.dim),
        )
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)


class MyCoupling(MyParts):
    def scale_shift(self, x_cond):
        raw_s, t = self.net(x_cond).chunk(2, dim=1)
        return self.bound * torch.tanh(raw_s / self.bound) * (1 - self.mask), t * (1 - self.mask)

    def forward(self, x):
        s, t = self.scale_shift(self.mask * x)
        return x * torch.exp(s) + t, s.sum(dim=1)

    def inverse(self, y):
        s, t = self.scale_shift(self.mask * y)
        return (y - t) * torch.exp(-s), -s.sum(dim=1)


class MySwap(nn.Module):
    def forward(self, x):
        return x.flip(1), x.new_zeros(len(x))

    def inverse(self, y):
        return y.flip(1), y.new_zeros(len(y))


class MyFlow(nn.Module):
    def __init__(self, steps):
        super().__init__()
        self.steps = nn.ModuleList(steps)

    def forward(self, x):
        logdet = x.new_zeros(len(x))
        for step in self.steps:
            x, ld = step(x)
            logdet = logdet + ld
        return x, logdet

    def inverse(self, z):
        logdet = z.new_zeros(len(z))
        for step in reversed(self.steps):
            z, ld = step.inverse(z)
            logdet = logdet + ld
        return z, logdet

    def log_prob(self, x):
        z, logdet = self(x)
        return -0.5 * (z**2).sum(dim=1) - 0.5 * z.shape[1] * math.log(2 * math.pi) + logdet


def my_fit(flow, draw, steps, lr=5e-3, batch_size=512, warmup=300):
    opt = torch.optim.Adam(flow.parameters(), lr=lr, betas=(0.9, 0.99), fused=True)
    losses = []
    for n in range(1, steps + 1):
        opt.param_groups[0]["lr"] = lr * warmup_cosine(n, steps, warmup)
        loss = -flow.log_prob(draw(batch_size)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def ours_fit(flow, draw, steps, lr=5e-3, batch_size=512, warmup=300):
    kw = dict(steps=steps, lr=lr, batch_size=batch_size, warmup=warmup, ema=None, grad_clip=None)
    return rl.fit(rl.as_flow(flow), draw, progress=False, **kw).losses


def worker(seed: int, phase: str) -> dict:
    """Phase ``short``: the 200- and 400-step runs; ``relu``/``silu``: the 2400-step default with it."""
    torch.set_num_threads(1)
    moons_lp = functools.partial(rl.density.two_moons_log_prob, noise=0.05)
    dm_lp = rl.density.double_moon_log_prob
    x_test = rl.data.two_moons(20_000, seed=1)
    score = functools.partial(rl.scores.heldout, x=x_test, true_log_prob=moons_lp)
    x_dm_test = rl.data.double_moon(20_000, seed=1)
    out: dict = {}
    if phase != "short":
        return full_length(seed, phase, score, moons_lp, out)
    out["untrained"] = score(rl.realnvp(seed=seed)).gap
    rows = {}
    rows[1] = score(train(seed, 1e-3)[0]).gap
    rows[2] = score(train(seed, 5e-3)[0]).gap
    rows[3] = score(train(seed, 5e-3, schedule=True)[0]).gap
    trained, recipe, clipped = train(seed, 5e-3, batch=512, schedule=True, clip=100.0)
    rows[4], rows[5] = score(trained).gap, score(recipe).gap
    for k, v in rows.items():
        out[f"row{k}"] = v
    out["row6_clipped"] = int(clipped)
    out["row2/row1"], out["row3/row2"], out["row4/row3"] = (
        rows[2] / rows[1],
        rows[3] / rows[2],
        rows[4] / rows[3],
    )
    out["row5-row4"] = rows[5] - rows[4]
    out["row1/untrained"] = rows[1] / out["untrained"]
    # exercise 1: Adam's beta_2 = 0.999 against the recipe (row 6 = rl.fit at 200 steps)
    f = rl.realnvp(seed=seed)
    rl.fit(
        f, rl.data.sampler("two_moons", seed=seed), steps=STEPS, seed=seed, betas=(0.9, 0.999), progress=False
    )
    out["ex1_b999"] = score(f).gap
    out["ex1_b999-row6"] = out["ex1_b999"] - rows[5]
    # exercise 3: clipping at 1.0
    _, avg, n_clipped = train(seed, 5e-3, batch=512, schedule=True, clip=1.0)
    out["ex3_clipped"] = int(n_clipped)
    out["ex3_gap"] = score(avg).gap
    out["ex3-row6"] = out["ex3_gap"] - rows[5]
    # section 8: the blog's configuration at equal steps and equal time
    fitted = rl.realnvp(seed=seed)
    short = rl.fit(fitted, rl.data.sampler("two_moons", seed=seed), steps=STEPS, seed=seed, progress=False)
    blog_kw = dict(n_layers=4, hidden=256, permutation="swap", seed=seed)
    blog, blog_timed = rl.realnvp(**blog_kw), rl.realnvp(**blog_kw)
    eq_steps = rl.fit(blog, rl.data.sampler("two_moons", seed=seed), steps=STEPS, seed=seed, progress=False)
    eq_time = rl.fit(
        blog_timed,
        rl.data.sampler("two_moons", seed=seed),
        steps=STEPS,
        seed=seed,
        max_seconds=short.seconds,
        progress=False,
    )
    out["default200"] = score(fitted).gap
    out["blog_steps"], out["blog_time"] = score(blog).gap, score(blog_timed).gap
    out["blog_steps/default200"] = out["blog_steps"] / out["default200"]
    out["blog_time/blog_steps"] = out["blog_time"] / out["blog_steps"]
    out["blog_time_steps"] = eq_time.steps
    out["blog_step_seconds/default"] = (eq_steps.seconds / eq_steps.steps) / (short.seconds / short.steps)
    # section 9: the double moon at 200 steps; exercise 4: the blog's configuration on it
    dm_flow = rl.realnvp(seed=seed)
    rl.fit(dm_flow, rl.data.sampler("double_moon", seed=seed), steps=STEPS, seed=seed, progress=False)
    out["dm200"] = rl.scores.heldout(dm_flow, x_dm_test, dm_lp).gap
    out["dm200/default200"] = out["dm200"] / out["default200"]
    b = rl.realnvp(**blog_kw)
    rl.fit(b, rl.data.sampler("double_moon", seed=seed), steps=STEPS, seed=seed, progress=False)
    out["ex4_blog_dm"] = rl.scores.heldout(b, x_dm_test, dm_lp).gap
    out["ex4_blog_dm/dm200"] = out["ex4_blog_dm"] / out["dm200"]
    # section 10: the capstone, the learner's code and the library's, 400 steps on the double moon
    for name, coupling, swap, flow_cls, loop in (
        ("mine", MyCoupling, MySwap, MyFlow, my_fit),
        (
            "ours",
            rl.AffineCoupling,
            functools.partial(rl.SwapHalves, 2),
            functools.partial(rl.Flow, dim=2),
            ours_fit,
        ),
    ):
        torch.manual_seed(seed)
        mine = flow_cls([coupling([1, 0]) if k % 2 == 0 else swap() for k in range(11)])
        loop(mine, rl.data.sampler("double_moon", seed=seed), steps=400)
        with torch.no_grad():
            out[f"capstone_{name}"] = rl.scores.heldout(mine, x_dm_test, dm_lp).gap
    out["capstone_mine/dm200"] = out["capstone_mine"] / out["dm200"]
    return out


def full_length(seed: int, act: str, score, moons_lp, out: dict) -> dict:
    # section 7: the 2400-step default, and the same recipe with other conditioner activations
    x_many = rl.data.two_moons(20_000, seed=3)
    flow = rl.realnvp(seed=seed, activation=act)
    start = time.process_time()
    rl.fit(flow, rl.data.sampler("two_moons", seed=seed), seed=seed, progress=False)
    out[f"{act}_cpu_s"] = time.process_time() - start
    out[f"{act}_gap"] = score(flow).gap
    with torch.no_grad():
        lp_q = moons_lp(flow.sample(100_000, seed=4))
    out[f"{act}_leak"] = (lp_q < math.log(0.01)).double().mean().item()
    if act != "relu":
        return out
    lp_x = moons_lp(x_many)
    out["leak_data"] = (lp_x < math.log(0.01)).double().mean().item()
    out["leak_model/data"] = out["relu_leak"] / out["leak_data"]
    eps = np.logspace(-4, 0, 9)
    model = np.array([(lp_q < math.log(e)).double().mean().item() for e in eps])
    data = np.array([(lp_x < math.log(e)).double().mean().item() for e in eps])
    out["ex5_min_model-data"] = float((model - data).min())
    out["ex5_min_model/data(eps>=1e-3)"] = float((model[2:] / data[2:]).min())
    out["ex5_model_1e-4"], out["ex5_data_1e-4"] = float(model[0]), float(data[0])
    with torch.no_grad():
        z = flow(x_many)[0]
    out["z_mean_absmax"] = z.mean(0).abs().max().item()
    out["z_cov_err"] = (torch.cov(z.T) - torch.eye(2)).abs().max().item()
    from realnvp_lib.viz import style

    _, _, lq = rl.density.grid_log_prob(flow.log_prob, *style.DATA_LIM, n=200)
    _, _, lpg = rl.density.grid_log_prob(moons_lp, *style.DATA_LIM, n=200)
    seen = np.maximum(lq, lpg) > np.log(1e-3)
    inside, red = np.exp(lpg) >= 0.05, seen & (lq - lpg > 1)
    out["median_inside"] = float(np.median(np.abs(lq - lpg)[inside]))
    out["red_outside_frac"] = float((red & ~inside).sum() / red.sum())
    return out


def run_one(seed: int, other: bool, phase: str) -> dict:
    env = dict(os.environ, **(OTHER_PATH if other else {}))
    cmd = [sys.executable, __file__, "--worker", str(seed), "--phase", phase]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"# seed {seed}, {'other' if other else 'this'} path, {phase}: {json.dumps(result)}",
        file=sys.stderr,
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", type=int, help="measure one seed on this process's path; print JSON")
    parser.add_argument("--phase", default="short", choices=PHASES, help="with --worker: which runs")
    parser.add_argument("--from-log", help="print the table from the stderr of a run (finished or not)")
    parser.add_argument("--jobs", type=int, default=2, help="subprocesses at once (default 2)")
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.phase)))
        return
    jobs = [(s, other) for other in (False, True) for s in SEEDS]
    if args.from_log:  # the table from a run's stderr lines, including an unfinished run's
        parts = {}
        with open(args.from_log) as f:
            for line in f:
                if line.startswith("# seed "):
                    head, body = line[2:].split(": ", 1)
                    seed, path, phase = head.replace(",", "").split()[1::2][:1] + head.split(", ")[1:]
                    parts[(int(seed), path.startswith("other"), phase)] = json.loads(body)
        table(jobs, parts, None)
        return
    start = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        # seed 0 on both paths first, then the other seeds: what finishes first is what a short run has
        order = [(*j, p) for p in PHASES[:1] for j in jobs]
        order += sorted([(*j, p) for p in PHASES[1:] for j in jobs], key=lambda t: (t[0], t[2] == "silu"))
        parts = dict(zip(order, pool.map(lambda job: run_one(*job), order)))
    table(jobs, parts, time.perf_counter() - start)


def table(jobs, parts: dict, seconds: float | None) -> None:
    """Min and max of every quantity over the runs that have it, and each run's value ('-': not run)."""
    results = [{k: v for p in PHASES for k, v in parts.get((*j, p), {}).items()} for j in jobs]
    for r in results:
        if "silu_gap" in r and "relu_gap" in r:
            r["silu_gap/relu_gap"] = r["silu_gap"] / r["relu_gap"]
            r["silu_leak/relu_leak"] = r["silu_leak"] / r["relu_leak"]
    wall = f", {seconds:.0f} s wall" if seconds is not None else ""
    print(
        f"notebook 05's configurations, seeds {SEEDS} x 2 floating-point paths (n: this CPU's; o: "
        f"ATEN_CPU_CAPABILITY=default DNNL_MAX_CPU_ISA=SSE41), torch {torch.__version__}{wall}"
    )
    keys = list(dict.fromkeys(k for r in results for k in r))
    print(
        f"{'quantity':<30}{'min':>9}{'max':>9}  runs   " + "".join(f"{f's{s}' + 'no'[o]:>9}" for s, o in jobs)
    )
    for k in keys:
        vals = [r.get(k) for r in results]
        got = [v for v in vals if v is not None]
        cols = "".join(f"{v:>9.4g}" if v is not None else f"{'-':>9}" for v in vals)
        print(f"{k:<30}{min(got):>9.4f}{max(got):>9.4f}  {len(got)} of 6{cols}")


if __name__ == "__main__":
    main()
