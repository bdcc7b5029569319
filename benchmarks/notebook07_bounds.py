"""Notebook 07's importance-weighted bounds with fewer draws: does its asserted ordering still hold?

    .venv/bin/python benchmarks/notebook07_bounds.py --cache /tmp/digits_cache \\
        > benchmarks/notebook07_bounds.txt

Notebook 07 prints ``ri.bits_per_dim(flow, test, n_samples=D // k, k=k)`` for three k on the same
``D`` draws per test image and asserts that the bound falls as k grows. For a fixed set of draws
that ordering is Jensen's inequality group by group (the log of a mean of means is at least the mean
of their logs), so it holds for any flow; this script checks it on flows trained by the digits
recipe with seeds 0, 1 and 2 (uniform noise, weights from ``--cache``, as ``digits_quality.py``
leaves them), on this machine's floating-point path and on the other one
(``ATEN_CPU_CAPABILITY=default DNNL_MAX_CPU_ISA=SSE41``, each in a fresh interpreter), with 8 draws
per image, and times each cell's evaluation (wall seconds, one thread, as the notebook runs it); the
32 draws the notebook used before are run once, for seed 0 on this machine's path, to compare times.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from realnvp_lib import images as ri

SETTINGS = {32: (1, 4, 32), 8: (1, 4, 8)}  # draws per image -> the k of the three rows


def evaluate(cache: str, seed: int, epochs: int, draws_list: list[int]) -> dict:
    """Each setting's three bounds and the seconds they took, for the seed's cached flow."""
    key = f"uniform_seed{seed}_alpha0.01_epochs{epochs}_weight_decay1.pt"
    flow = ri.image_realnvp(seed=seed)
    flow.load_state_dict(torch.load(Path(cache) / key, weights_only=False)["model"])
    flow.eval()
    test = ri.digits("test")
    out = {}
    for draws in draws_list:
        ks = SETTINGS[draws]
        start = time.perf_counter()
        bounds = [ri.bits_per_dim(flow, test, n_samples=draws // k, k=k)[0] for k in ks]
        out[draws] = {"ks": ks, "bpd": bounds, "seconds": time.perf_counter() - start}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", required=True)
    parser.add_argument("--epochs", type=int, default=ri.train.EPOCHS)
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--draws", type=int, nargs="+", default=[8], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(evaluate(args.cache, args.worker, args.epochs, args.draws)))
        return
    paths = {
        "this machine's": {},
        "other (SSE4.1)": {"ATEN_CPU_CAPABILITY": "default", "DNNL_MAX_CPU_ISA": "SSE41"},
    }
    print(
        f"flows: the digits recipe, {args.epochs} epochs, uniform noise, seeds 0-2 (weights from the cache)"
    )
    print(
        f"{'path':<16} {'seed':>4}  {'draws':>5}  {'k':<11} {'bits/dim for each k':<26} "
        f"{'falls?':>6}  {'wall s':>6}"
    )
    held = True
    for name, env in paths.items():
        for seed in (0, 1, 2):
            cmd = [
                sys.executable,
                __file__,
                "--cache",
                args.cache,
                "--epochs",
                str(args.epochs),
                "--worker",
                str(seed),
                "--draws",
                *(["32", "8"] if (env, seed) == ({}, 0) else ["8"]),  # the notebook's old 32: one timing
            ]
            res = json.loads(
                subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True, check=True)
                .stdout.strip()
                .splitlines()[-1]
            )
            for draws, r in res.items():
                b = r["bpd"]
                falls = b[2] < b[1] < b[0]
                held &= falls
                print(
                    f"{name:<16} {seed:>4}  {draws:>5}  {str(tuple(r['ks'])):<11} "
                    f"{', '.join(f'{x:.4f}' for x in b):<26} {'yes' if falls else 'NO':>6}  "
                    f"{r['seconds']:>6.1f}",
                    flush=True,
                )
    print(f"\nthe ordering held in every row: {held}; load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
