"""The uniform digits recipe, one hyperparameter changed at a time and chosen on validation.

    nice -n 10 .venv/bin/python benchmarks/digits_ablation.py --cache /tmp/digits_cache \\
        > benchmarks/digits_ablation.txt

Each setting trains ``ri.image_realnvp(seed, alpha=...)`` by ``ri.digits_recipe(seed)`` with one
change from the default, ``BASE``: the recipe as it stood when this table chose (uniform
dequantization; 30 epochs, weight decay 1.0, the logit's alpha 0.01). The library's constants then
follow the choice; the last lines print what the library holds now and whether it matches. Every
training here runs on one thread (``threads=1``; the recipe's ``ri.train.THREADS`` changes only the
order of floating-point sums), so that the "cpu s" column compares like with like.

Which split decides: the **validation** split (180 digits), 32 draws per image (k = 1), paired image
by image against the default on the same images and the same uniform draws. The rule
(``selection.py``): keep the default unless a setting's validation bits/dim is lower by more than
2 standard errors of the paired difference; among those that are, take the lowest. Each group
(epochs, weight decay, alpha) is decided on its own and the choices are combined (trained again
when the combination is new). The **test** split (360 digits, 64 draws per image) is scored only
for the chosen recipe, in the last table.

"best epoch" is the epoch whose (early-stopping) validation score the flow ends with; "cpu s" the
training's CPU time on one thread (``*``: reused through ``--cache`` from an identical training).
``--groups`` runs some of the groups only (the output says which ran). Seed 0 only, and the grid is
trimmed to what a shared, overloaded 2-core machine ran in the time it had:
one alternative per group (alpha 0.001, 45 epochs, no weight decay); the 20-epoch, scale bound
(1.0 / 4.0) and learning rate (2e-3) rows of earlier versions are left out.
"""

from __future__ import annotations

import argparse

from selection import cache_key, cached, select, test_score

from realnvp_lib import images as ri

BASE = {"alpha": 0.01, "epochs": 30, "weight_decay": 1.0}  # the default each group is paired against
DEFAULT = f"default ({BASE['epochs']} epochs, wd {BASE['weight_decay']}, alpha {BASE['alpha']:g})"
GROUPS = {
    "logit alpha": {DEFAULT: {}, "alpha 0.001": {"alpha": 0.001}},
    "epochs": {DEFAULT: {}, "45 epochs": {"epochs": 45}},
    "weight decay": {DEFAULT: {}, "no weight decay": {"weight_decay": 0.0}},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None, help="a folder to keep (and reuse) the trained weights")
    parser.add_argument("--groups", nargs="+", choices=list(GROUPS), default=list(GROUPS), metavar="GROUP")
    args = parser.parse_args()
    train, val, test = ri.digits("train"), ri.digits("val"), ri.digits("test")
    per_epoch = ri.steps_per_epoch()

    def train_one(kw: dict):
        full = {**BASE, **kw}

        def build():
            return ri.image_realnvp(seed=args.seed, alpha=full["alpha"]), None

        def fit(flow, _):
            recipe = ri.digits_recipe(
                args.seed, epochs=full["epochs"], weight_decay=full["weight_decay"], threads=1
            )
            history = ri.train_digits(flow, train, val, recipe, progress=False)
            return {"best epoch": f"{history.best_step // per_epoch}", "cpu s": f"{history.cpu_seconds:.1f}"}

        return cached(args.cache, cache_key("uniform", args.seed, full), build, fit)

    print(f"seed {args.seed}; selection on the validation split, test scored once for the choice")
    print(f"groups: {', '.join(args.groups)}")
    chosen, _, (flow, _) = select({g: GROUPS[g] for g in args.groups}, DEFAULT, train_one, val)
    full = {**BASE, **chosen}
    library = {
        "alpha": ri.image_realnvp().config["alpha"],
        "epochs": ri.train.EPOCHS,
        "weight_decay": ri.digits_recipe().weight_decay,
    }
    verdict = "matches" if full == library else "DIFFERS FROM"
    print(f"\nchosen on validation: {full}; this {verdict} the library as it ran: {library}")
    bpd, se = test_score(flow, test, None, draws=64)
    print("\ntest split (360 digits, 64 draws per image, k = 1), the chosen recipe only; no choice reads it")
    print(f"  {str(full):<60} {bpd:.4f} ± {se:.4f}")


if __name__ == "__main__":
    main()
