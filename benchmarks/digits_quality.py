"""Train the digits RealNVP from scratch on several seeds; print test bits/dim, time, size and baselines.

    .venv/bin/python benchmarks/digits_quality.py            # seeds 0 1 2
    .venv/bin/python benchmarks/digits_quality.py --seeds 0 1 2 3 4

Test bits/dim uses 8 dequantization draws per image (± one standard error over the 360 test
images). "seconds" is wall-clock training time, "cpu s" the process's CPU time: on a shared
machine the first grows with the other jobs, the second much less.
"""

from __future__ import annotations

import argparse
import statistics

from realnvp_lib import images as ri


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--draws", type=int, default=8, help="dequantization draws per test image")
    args = parser.parse_args()
    train, test = ri.digits("train"), ri.digits("test")
    flow = ri.image_realnvp()
    print(f"architecture: {flow.config}")
    print(f"recipe: {ri.digits_recipe()}")
    print(f"parameters: {sum(p.numel() for p in flow.parameters()):,}; steps K = {len(flow)}\n")
    print(f"{'seed':>4}  {'test bpd':>16}  {'best val':>8}  {'epoch':>5}  {'seconds':>7}  {'cpu s':>6}")
    rows = []
    for seed in args.seeds:
        flow, history = ri.trained_digits_flow(seed=seed, cache_dir=None, progress=False)
        bpd, se = ri.bits_per_dim(flow, test, n_samples=args.draws, seed=0)
        rows.append((bpd, history.seconds, history.cpu_seconds))
        epoch = history.best_step // ri.steps_per_epoch()
        print(f"{seed:>4}  {bpd:>9.4f} ± {se:.4f}  {history.best_score:>8.4f}  {epoch:>5}  "
              f"{history.seconds:>7.1f}  {history.cpu_seconds:>6.1f}", flush=True)
    bpds, secs, cpus = zip(*rows)
    spread = f" (sd {statistics.stdev(bpds):.4f})" if len(bpds) > 1 else ""
    print(f"mean  {statistics.mean(bpds):>9.4f}{spread}; training {min(secs):.1f}-{max(secs):.1f} s wall, "
          f"{min(cpus):.1f}-{max(cpus):.1f} s cpu")
    print("\nbaselines on the same test split (fitted on the training split):")
    scores = ri.baselines(train, test, alpha=flow.config["alpha"], n_samples=args.draws)
    for name, (bpd, se) in scores.items():
        print(f"  {name:<26} {bpd:.4f} ± {se:.4f}")
    if flow.config["alpha"] != 0.05:
        bpd, se = ri.bits_per_dim(ri.LogitGaussian(train, alpha=0.05), test, args.draws)
        print(f"  {'Gaussian, logit alpha 0.05':<26} {bpd:.4f} ± {se:.4f}")


if __name__ == "__main__":
    main()
