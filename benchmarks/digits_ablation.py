"""Why the digits recipe is what it is: test bits/dim with one hyperparameter changed at a time.

    .venv/bin/python benchmarks/digits_ablation.py > benchmarks/digits_ablation.txt

Each row trains ``ri.image_realnvp(seed)`` by ``ri.digits_recipe(seed)`` with one change, uniform
dequantization, and scores the 360 test digits (8 draws per image, k = 1, ± one standard error).
"cpu s" is the training's CPU time on one thread. Notebook 07 prints this table beside its recipe.
"""

from __future__ import annotations

import argparse

from realnvp_lib import images as ri

ROWS = {  # name: (flow options, recipe options)
    "default (30 epochs, wd 1.0, bound 2.0, lr 5e-3)": ({}, {}),
    "no weight decay": ({}, {"weight_decay": 0.0}),
    "20 epochs": ({}, {"epochs": 20}),
    "45 epochs": ({}, {"epochs": 45}),
    "scale bound 1.0": ({"scale_bound": 1.0}, {}),
    "scale bound 4.0": ({"scale_bound": 4.0}, {}),
    "lr 2e-3": ({}, {"lr": 2e-3}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    train, val, test = ri.digits("train"), ri.digits("val"), ri.digits("test")
    print(f"{'change':<48} {'seed':>4}  {'test bpd':>16}  {'best epoch':>10}  {'cpu s':>6}")
    for name, (flow_kw, fit_kw) in ROWS.items():
        for seed in args.seeds:
            flow = ri.image_realnvp(seed=seed, **flow_kw)
            history = ri.train_digits(flow, train, val, ri.digits_recipe(seed, **fit_kw), progress=False)
            bpd, se = ri.bits_per_dim(flow, test, n_samples=8, seed=0)
            epoch = history.best_step // ri.steps_per_epoch()
            print(
                f"{name:<48} {seed:>4}  {bpd:>9.4f} ± {se:.4f}  {epoch:>10}  {history.cpu_seconds:>6.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
