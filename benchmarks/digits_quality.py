"""Train the digits RealNVP with uniform and with variational dequantization on several seeds; print
test bits/dim at k = 1 / 8 / 64 importance samples, CPU seconds, paired differences and baselines.

    .venv/bin/python benchmarks/digits_quality.py                  # seeds 0 1 2, both kinds
    .venv/bin/python benchmarks/digits_quality.py --uniform-only   # the default recipe only

Every model is scored by the same ``ri.bits_per_dim`` on the same 360 test digits with its own
dequantizer: ``k = 1`` is the usual bound averaged over 64 draws per image, ``k = 8`` the importance-
weighted bound averaged over 8 estimates, ``k = 64`` one estimate of 64 draws (all 64 draws per
image). "cpu s" is the process's CPU time of the training (one thread: ``threads=1``). The paired
difference is variational minus uniform, image by image at k = 1 (same test images, same seed), ± se;
"at epoch" is the epoch whose validation score was best (the weights each model ends with).
"""

from __future__ import annotations

import argparse
import statistics

from realnvp_lib import images as ri

DRAWS = 64


def score(flow, test, dequantizer) -> dict[int, tuple[float, float]]:
    """``{k: (bpd, se)}`` for k = 1, 8, 64, each from 64 draws per test image."""
    return {
        k: ri.bits_per_dim(flow, test, n_samples=DRAWS // k, seed=0, dequantizer=dequantizer, k=k)
        for k in (1, 8, 64)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--uniform-only", action="store_true")
    args = parser.parse_args()
    train, val, test = ri.digits("train"), ri.digits("val"), ri.digits("test")
    flow = ri.image_realnvp()
    alpha = flow.config["alpha"]  # the baselines' logit, the uniform flow's
    print(f"architecture: {flow.config}; {sum(p.numel() for p in flow.parameters()):,} parameters")
    print(f"recipe: {ri.digits_recipe()}")
    epochs, recipe = ri.train.VARIATIONAL_EPOCHS, ri.variational_recipe()
    print(
        f"variational: the same recipe with {epochs} epochs ({recipe.steps} steps) and a weight "
        f"average (ema={recipe.ema}), scored by the validation; its flow has alpha={ri.VARIATIONAL_ALPHA}"
    )
    deq = ri.VariationalDequantizer()
    n_deq = sum(p.numel() for p in deq.parameters())
    print(f"variational dequantizer: {n_deq:,} parameters, trained jointly\n")
    kinds = ["uniform"] + ([] if args.uniform_only else ["variational"])
    print(
        f"{'seed':>4}  {'dequantization':<12}  {'k = 1':>15}  {'k = 8':>7}  {'k = 64':>7}  "
        f"{'best val':>8}  {'at epoch':>8}  {'cpu s':>6}"
    )
    results: dict[str, list] = {kind: [] for kind in kinds}
    per_epoch = ri.steps_per_epoch()
    for seed in args.seeds:
        per_image = {}
        for kind in kinds:
            deq = ri.VariationalDequantizer(seed=seed) if kind == "variational" else None
            flow = ri.image_realnvp(seed=seed, **({"alpha": ri.VARIATIONAL_ALPHA} if deq else {}))
            recipe = ri.variational_recipe(seed) if deq else ri.digits_recipe(seed)
            history = ri.train_digits(flow, train, val, recipe, progress=False, dequantizer=deq)
            deq = deq or ri.UniformDequantizer()
            scores = score(flow, test, deq)
            per_image[kind] = ri.bits_per_image(flow, test, n_samples=DRAWS, seed=0, dequantizer=deq)
            results[kind].append((scores, history.cpu_seconds))
            (b1, se1), (b8, _), (b64, _) = scores.values()
            epoch = history.best_step // per_epoch  # the epoch whose validation was best
            print(
                f"{seed:>4}  {kind:<12}  {b1:>8.4f} ± {se1:.4f}  {b8:>7.4f}  {b64:>7.4f}  "
                f"{history.best_score:>8.4f}  {epoch:>4} / {recipe.steps // per_epoch:<3}"
                f"{history.cpu_seconds:>6.1f}",
                flush=True,
            )
        if len(kinds) == 2:
            d = per_image["variational"] - per_image["uniform"]
            print(
                f"{seed:>4}  paired difference (variational - uniform, k = 1): {float(d.mean()):+.4f} ± "
                f"{float(d.std()) / len(d) ** 0.5:.4f} bits/dim",
                flush=True,
            )
    print()
    for kind in kinds:
        means = {k: statistics.mean(r[0][k][0] for r in results[kind]) for k in (1, 8, 64)}
        cpus = [r[1] for r in results[kind]]
        print(
            f"mean {kind:<12} k = 1: {means[1]:.4f}, k = 8: {means[8]:.4f}, k = 64: {means[64]:.4f}; "
            f"training {min(cpus):.1f}-{max(cpus):.1f} cpu s"
        )
    print("\nbaselines on the same test split (fitted on the training split, 64 draws):")
    scores = ri.baselines(train, test, alpha=alpha, n_samples=DRAWS)
    for name, (bpd, se) in scores.items():
        print(f"  {name:<26} {bpd:.4f} ± {se:.4f}")
    if alpha != 0.05:
        bpd, se = ri.bits_per_dim(ri.LogitGaussian(train, alpha=0.05), test, DRAWS)
        print(f"  {'Gaussian, logit alpha 0.05':<26} {bpd:.4f} ± {se:.4f}")


if __name__ == "__main__":
    main()
