"""Training speed of the default recipe, this checkout against another one, interleaved.

Usage: ``python benchmarks/step_speed.py --other /path/to/older/checkout [--rounds 6] [--steps 300]``.

Each round times ``--steps`` steps of ``fit`` on the default flow and fresh two-moons batches, once
per checkout, in a fresh interpreter each, alternating which goes first; the machine's speed drifts,
so only rounds run side by side are compared. Prints ms per step (min and median over the rounds)
and steps per second for each checkout, and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
# Runs inside the checkout under test: only names both the old and the new library have.
SNIPPET = """
import time, torch, realnvp_lib as rl
flow = rl.realnvp(seed=0)
data = rl.data.sampler("two_moons", seed=0)
rl.fit(flow, data, steps=20, progress=False)   # warm-up: allocator, fused Adam's first call
flow = rl.realnvp(seed=0)
start = time.perf_counter()
rl.fit(flow, data, steps={steps}, progress=False)
print(1000 * (time.perf_counter() - start) / {steps})
"""


def time_checkout(path: Path, steps: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(path)}
    out = subprocess.run(
        [sys.executable, "-c", SNIPPET.format(steps=steps)],
        cwd=path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", type=Path, required=True, help="another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    names = {"this checkout": HERE, "other": args.other.resolve()}
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.rounds):
        order = list(names) if r % 2 == 0 else list(reversed(names))
        for name in order:
            times[name].append(time_checkout(names[name], args.steps))
        print(f"round {r + 1}: " + ", ".join(f"{n} {times[n][-1]:.2f} ms" for n in names), flush=True)
    print(f"\n{'checkout':<15}{'min ms/step':>12}{'median':>9}{'max':>8}{'steps/s (median)':>18}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:<15}{min(ts):>12.2f}{med:>9.2f}{max(ts):>8.2f}{1000 / med:>18.1f}")
    ratio = statistics.median(times["this checkout"]) / statistics.median(times["other"])
    print(f"\nmedian time per step, this checkout / other: {ratio:.3f}")


if __name__ == "__main__":
    main()
