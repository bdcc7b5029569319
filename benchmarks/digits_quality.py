"""Train the digits RealNVP with uniform and with variational dequantization on several seeds; print
test bits/dim at k = 1 / 8 / 64 importance samples, CPU seconds, paired differences and baselines.

    .venv/bin/python benchmarks/digits_quality.py                  # seeds 0 1 2, both kinds
    .venv/bin/python benchmarks/digits_quality.py --uniform-only   # the default recipe only
    nice -n 10 .venv/bin/python benchmarks/digits_quality.py --cache /tmp/digits_cache \\
        > benchmarks/digits_quality.txt                            # reusing the choosers' seed 0

Which split chose what: the recipe (epochs, weight decay, the logit alphas) was chosen on the
**validation** split by ``benchmarks/digits_ablation.py`` (uniform) and
``benchmarks/variational_alpha.py`` (variational); each model's weights are its best-validation (or
averaged) ones. This script chooses nothing: it reads the **test** split once per model, to report.
The options ``--alpha``, ``--epochs``, ``--weight-decay`` and ``--variational-alpha`` run a recipe
the choosers picked before the library's constants follow them (default: the library's).

Every model is scored by the same ``ri.bits_per_dim`` on the same 360 test digits with its own
dequantizer: ``k = 1`` is the usual bound averaged over 64 draws per image, ``k = 8`` the importance-
weighted bound averaged over 8 estimates, ``k = 64`` one estimate of 64 draws (all 64 draws per
image). "cpu s" is the process's CPU time of the training, on the threads its recipe line names
(``*``: the weights and columns were reused through ``--cache`` from an identical earlier training,
a chooser's or a previous run's, so only the times without ``*`` come from this run). The paired
difference is variational minus uniform, image by image at k = 1 (same test images, same seed), ± se;
"at epoch" is the epoch whose validation score was best (the weights each model ends with).
"""

from __future__ import annotations

import argparse
import os
import statistics

from selection import cache_key, cached

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
    parser.add_argument("--alpha", type=float, default=ri.image_realnvp().config["alpha"])
    parser.add_argument("--epochs", type=int, default=ri.train.EPOCHS)
    parser.add_argument("--weight-decay", type=float, default=1.0)
    parser.add_argument("--variational-alpha", type=float, default=ri.VARIATIONAL_ALPHA)
    parser.add_argument("--cache", default=None, help="a folder to keep (and reuse) the trained weights")
    args = parser.parse_args()
    train, val, test = ri.digits("train"), ri.digits("val"), ri.digits("test")
    flow = ri.image_realnvp(alpha=args.alpha)
    alpha = args.alpha  # the baselines' logit, the uniform flow's
    uniform_kw = {"alpha": alpha, "epochs": args.epochs, "weight_decay": args.weight_decay}
    threads = ri.digits_recipe().threads
    if threads != 1:  # the cache's files without "threads" in their name ran on one thread
        uniform_kw["threads"] = threads
    epochs = ri.train.VARIATIONAL_EPOCHS
    variational_kw = {"alpha": args.variational_alpha, "epochs": epochs, "ema": ri.train.VARIATIONAL_EMA}
    print(
        "recipe chosen on the validation split (benchmarks/digits_ablation.py, "
        "benchmarks/variational_alpha.py); the test split below is read to report, never to choose; "
        f"load average at start {os.getloadavg()[0]:.1f}"
    )
    print(f"architecture: {flow.config}; {sum(p.numel() for p in flow.parameters()):,} parameters")
    print(f"recipe: {ri.digits_recipe(epochs=args.epochs, weight_decay=args.weight_decay)}")
    recipe = ri.variational_recipe()
    average = f"a weight average (ema={recipe.ema})" if recipe.ema else "no weight average"
    print(
        f"variational: the same recipe with {epochs} epochs ({recipe.steps} steps), {average}, on "
        f"{recipe.threads} thread(s); its flow has alpha={args.variational_alpha:g}"
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
            variational = kind == "variational"
            kw = variational_kw if variational else uniform_kw
            if variational:
                recipe = ri.variational_recipe(seed)
            else:
                recipe = ri.digits_recipe(seed, epochs=args.epochs, weight_decay=args.weight_decay)

            def build(kw=kw, variational=variational, seed=seed):
                flow = ri.image_realnvp(seed=seed, alpha=kw["alpha"])
                return flow, ri.VariationalDequantizer(seed=seed) if variational else None

            def fit(flow, deq, recipe=recipe):
                history = ri.train_digits(flow, train, val, recipe, progress=False, dequantizer=deq)
                return {
                    "best epoch": f"{history.best_step // per_epoch}",
                    "cpu s": f"{history.cpu_seconds:.1f}",
                }

            flow, deq, extra = cached(args.cache, cache_key(kind, seed, kw), build, fit)
            deq = deq or ri.UniformDequantizer()
            # the early-stopping score of the weights it ends with: one validation draw, seed + 1
            best_val = ri.bits_per_dim(flow, val, n_samples=1, seed=seed + 1, dequantizer=deq)[0]
            scores = score(flow, test, deq)
            per_image[kind] = ri.bits_per_image(flow, test, n_samples=DRAWS, seed=0, dequantizer=deq)
            results[kind].append((scores, extra["cpu s"]))
            (b1, se1), (b8, _), (b64, _) = scores.values()
            print(
                f"{seed:>4}  {kind:<12}  {b1:>8.4f} ± {se1:.4f}  {b8:>7.4f}  {b64:>7.4f}  "
                f"{best_val:>8.4f}  {extra['best epoch']:>4} / {recipe.steps // per_epoch:<3}"
                f"{extra['cpu s']:>7}",
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
        fresh = [float(r[1]) for r in results[kind] if not r[1].endswith("*")]
        cpu = f"training {min(fresh):.1f}-{max(fresh):.1f} cpu s in this run" if fresh else ""
        print(f"mean {kind:<12} k = 1: {means[1]:.4f}, k = 8: {means[8]:.4f}, k = 64: {means[64]:.4f}; {cpu}")
    print("\nbaselines on the same test split (fitted on the training split, 64 draws):")
    scores = ri.baselines(train, test, alpha=alpha, n_samples=DRAWS)
    for name, (bpd, se) in scores.items():
        print(f"  {name:<26} {bpd:.4f} ± {se:.4f}")
    if alpha != 0.05:
        bpd, se = ri.bits_per_dim(ri.LogitGaussian(train, alpha=0.05), test, DRAWS)
        print(f"  {'Gaussian, logit alpha 0.05':<26} {bpd:.4f} ± {se:.4f}")


if __name__ == "__main__":
    main()
