"""Does the default configuration learn two moons well within a wall-clock budget?

Trains ``rl.realnvp()`` with ``rl.fit``'s defaults on a fresh stream of scikit-learn two moons
(noise 0.05) with ``torch.set_num_threads(2)`` (``fit`` then uses ``FitConfig.threads`` while it
trains), capped at ``--seconds`` of training (passed to ``fit`` as ``max_seconds``: on a slow
machine the run gets fewer than its 2400 steps, and its learning-rate schedule follows the clock so
that it still ends annealed), then scores the flow on 20 000 fresh test points:

* ``test NLL``: mean ``-log q(x)`` over the test points (nats);
* ``entropy``: the true entropy ``H`` of the data, ``rl.density.two_moons_entropy`` (DESIGN.md
  quotes 0.2902 and 1.0085; this Monte-Carlo estimate is about 0.001 lower);
* ``NLL - H``: test NLL minus the true entropy. Its expectation is the flow's error, but it also
  carries the test set's own sampling error (about +-0.005 nats; for the fixed test seed the exact
  density's NLL sits 0.005 above H, and that offset lands in this column);
* ``gap``: mean ``log p(x) - log q(x)`` over the same points with the exact ``p``
  (``rl.density.two_moons_log_prob``, scored by ``evaluate.heldout``): an estimate of the same
  quantity, KL(p || q), in which that sampling error cancels (precise to about +-0.001). This is
  the gap the notebooks report.

Target for the defaults: gap <= 0.015 within 30 s on a quiet 2-core machine (NLL - H too, for
this test set).

Examples::

    python benchmarks/train_quality.py              # the default configuration only
    python benchmarks/train_quality.py --all        # also the 2018 blog's model and noise 0.1
    python benchmarks/train_quality.py --seconds 20
    python benchmarks/train_quality.py --seeds 0 1 2 3   # the default on four seeds

The 2018 blog configuration is ``realnvp(n_layers=4, hidden=256, permutation="swap")`` trained
the same way; noise 0.1 is a fatter, easier version of the same data. Timings depend on what else
runs on the machine (two threads on two busy cores can run several times slower): quote the load
average printed above the table.
"""

from __future__ import annotations

import argparse
import functools
import os

import torch

import realnvp_lib as rl
from realnvp_lib import evaluate

TEST_SEED = 12345
N_TEST = 20_000


def run(model: dict, noise: float, seconds: float, seed: int = 0) -> dict:
    """Train ``realnvp(**model, seed=seed)`` with fit's defaults for at most ``seconds``; score it."""
    flow = rl.realnvp(**model, seed=seed)
    history = rl.fit(flow, rl.data.sampler("two_moons", seed=seed, noise=noise),
                     max_seconds=seconds, progress=False)
    test = rl.data.two_moons(N_TEST, noise=noise, seed=TEST_SEED)
    score = evaluate.heldout(flow, test, functools.partial(rl.density.two_moons_log_prob, noise=noise))
    return dict(seconds=history.seconds, steps=history.steps, nll=score.nll, gap=score.gap,
                cut=history.stopped_by_time)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="wall-clock cap on each training run, passed to fit as max_seconds")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="model and data seeds to train the default with (default: 0)")
    parser.add_argument("--all", action="store_true",
                        help="also train the 2018 blog configuration, and the default on noise 0.1")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    runs = [(f"default, seed {seed}", {}, 0.05, seed) for seed in args.seeds]
    if args.all:
        runs += [("blog 2018 (4 x 256)", dict(n_layers=4, hidden=256, permutation="swap"), 0.05, 0),
                 ("default, seed 0", {}, 0.1, 0)]
    print(f"threads {args.threads} (fit trains on {rl.FitConfig.threads or args.threads}), budget "
          f"{args.seconds:g} s, load average {os.getloadavg()[0]:.2f} (at start), "
          f"torch {torch.__version__}")
    header = (f"{'configuration':<21}{'noise':>6}{'seconds':>8}{'steps':>7}{'steps/s':>8}"
              f"{'test NLL':>10}{'entropy':>9}{'NLL - H':>9}{'gap':>8}")
    print(header + "\n" + "-" * len(header))
    entropies: dict[float, float] = {}
    for name, model, noise, seed in runs:
        r = run(model, noise, args.seconds, seed)
        if noise not in entropies:  # after training, so its seconds never overlap the timed run
            entropies[noise] = rl.density.two_moons_entropy(noise=noise)[0]
        h = entropies[noise]
        note = "  (stopped by the time cap)" if r["cut"] else ""
        print(f"{name:<21}{noise:>6.2f}{r['seconds']:>8.1f}{r['steps']:>7d}"
              f"{r['steps'] / r['seconds']:>8.1f}{r['nll']:>10.4f}{h:>9.4f}{r['nll'] - h:>9.4f}"
              f"{r['gap']:>8.4f}{note}")
    print(f"load average {os.getloadavg()[0]:.2f} (at end)")


if __name__ == "__main__":
    main()
