"""Why a flow trained with a learned dequantizer gets a smaller logit alpha: test bits/dim against alpha.

    .venv/bin/python benchmarks/variational_alpha.py > benchmarks/variational_alpha.txt

Each row trains ``ri.image_realnvp(seed, alpha=...)`` with uniform noise (``ri.digits_recipe``) or jointly
with a ``ri.VariationalDequantizer`` (``ri.variational_recipe``) and scores the 360 test digits with its
own dequantizer, 64 draws per image: k = 1 and one k = 64 importance-weighted estimate. "edge share"
is where the noise of the test digits' background pixels (level 0) lands: the share of their ``u``
below 0.05, the bin's lowest twentieth (uniform noise: 0.05). "cpu s" is the training's CPU time on
one thread. Notebook 07 prints this table where it chooses ``ri.VARIATIONAL_ALPHA``.
"""

from __future__ import annotations

import argparse

import torch

from realnvp_lib import images as ri

DRAWS = 64
ROWS = (  # (dequantization, alpha)
    ("uniform", 0.01),
    ("uniform", 0.001),
    ("variational", 0.03),
    ("variational", 0.01),
    ("variational", 0.003),
    ("variational", 0.001),
    ("variational", 0.0003),
    ("variational", 0.0001),
    ("variational", 0.00001),
)


def edge_share(dequantizer, test: torch.Tensor, seed: int = 0) -> float:
    """The share of ``u = 17 v - x`` below 0.05 over the background pixels (``x = 0``) of ``test``."""
    with torch.no_grad():
        v, _ = dequantizer.sample(test, torch.Generator().manual_seed(seed), torch.float32)
    u = v * ri.LEVELS - test.float()
    return float((u[test == 0] < 0.05).float().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    train, val, test = ri.digits("train"), ri.digits("val"), ri.digits("test")
    print(
        f"{'dequantization':<12}  {'alpha':>6}  {'seed':>4}  {'k = 1':>7}  {'k = 64':>7}  "
        f"{'edge share':>10}  {'cpu s':>6}"
    )
    for kind, alpha in ROWS:
        for seed in args.seeds:
            flow = ri.image_realnvp(seed=seed, alpha=alpha)
            deq = ri.VariationalDequantizer(seed=seed) if kind == "variational" else None
            recipe = ri.variational_recipe(seed) if deq else ri.digits_recipe(seed)
            history = ri.train_digits(flow, train, val, recipe, progress=False, dequantizer=deq)
            deq = deq or ri.UniformDequantizer()
            b1, _ = ri.bits_per_dim(flow, test, n_samples=DRAWS, seed=0, dequantizer=deq)
            b64, _ = ri.bits_per_dim(flow, test, n_samples=1, seed=0, dequantizer=deq, k=DRAWS)
            print(
                f"{kind:<12}  {alpha:>6g}  {seed:>4}  {b1:>7.4f}  {b64:>7.4f}  "
                f"{edge_share(deq, test):>10.3f}  {history.cpu_seconds:>6.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
