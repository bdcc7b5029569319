"""Wall and CPU seconds of the digits recipes' training on 1 and on 2 threads, interleaved.

    .venv/bin/python benchmarks/digits_threads.py [--rounds 4] [--epochs 3] > benchmarks/digits_threads.txt

Each round trains ``ri.image_realnvp(seed=0)`` by ``ri.digits_recipe`` (uniform noise) and, with a
``ri.VariationalDequantizer``, by ``ri.variational_recipe``, for ``--epochs`` epochs each, once with
``threads=1`` and once with ``threads=2``, in one process, alternating which goes first (other
processes load a shared machine unevenly, so only runs side by side are compared). Per step: wall
milliseconds (what a reader waits) and CPU milliseconds of this process (what the machine pays; two
threads can cost more CPU than one for less wall time). The validation score after each epoch is
included, as in a real training. Prints every run, then the range and median per setting.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from realnvp_lib import images as ri


def one_run(kind: str, threads: int, epochs: int, train, val) -> tuple[float, float]:
    """(wall ms, cpu ms) per training step of ``epochs`` epochs of one recipe on ``threads`` threads."""
    steps = epochs * ri.steps_per_epoch()
    if kind == "uniform":
        flow, deq = ri.image_realnvp(seed=0), None
        recipe = ri.digits_recipe(0, steps=steps, threads=threads)
    else:
        flow, deq = ri.image_realnvp(seed=0, alpha=ri.VARIATIONAL_ALPHA), ri.VariationalDequantizer(seed=0)
        recipe = ri.variational_recipe(0, steps=steps, threads=threads)
    wall, cpu = time.perf_counter(), time.process_time()
    ri.train_digits(flow, train, val, recipe, progress=False, dequantizer=deq)
    return 1000 * (time.perf_counter() - wall) / steps, 1000 * (time.process_time() - cpu) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--kinds", nargs="+", default=["uniform", "variational"])
    args = parser.parse_args()
    train, val = ri.digits("train"), ri.digits("val")
    isa = os.environ.get("ATEN_CPU_CAPABILITY", "native"), os.environ.get("DNNL_MAX_CPU_ISA", "native")
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, ATEN_CPU_CAPABILITY / DNNL_MAX_CPU_ISA: {isa}")
    print(
        f"{args.epochs} epochs ({args.epochs * ri.steps_per_epoch()} steps) per run; load average at start "
        f"{os.getloadavg()[0]:.2f}"
    )
    one_run("uniform", 1, 1, train, val)  # warm-up: allocator, first calls
    times: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for r in range(args.rounds):
        for kind in args.kinds:
            for threads in (1, 2) if r % 2 == 0 else (2, 1):
                wall, cpu = one_run(kind, threads, args.epochs, train, val)
                times.setdefault((kind, threads), []).append((wall, cpu))
                print(
                    f"round {r + 1}  {kind:<11} threads={threads}: {wall:6.1f} ms wall, {cpu:6.1f} ms cpu "
                    f"per step (load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
    print(
        f"\n{'recipe':<11} {'threads':>7}  {'wall ms/step: min-max (median)':>31}  "
        f"{'cpu ms/step: min-max (median)':>30}"
    )
    for (kind, threads), ts in times.items():
        w, c = [t[0] for t in ts], [t[1] for t in ts]
        print(
            f"{kind:<11} {threads:>7}  {min(w):>10.1f}-{max(w):<6.1f} ({statistics.median(w):6.1f})"
            f"         {min(c):>10.1f}-{max(c):<6.1f} ({statistics.median(c):6.1f})"
        )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
