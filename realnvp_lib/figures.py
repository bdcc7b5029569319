"""``make figures``: every GIF and PNG in ``figures/``, written by the same code the notebooks call.

Usage: ``python -m realnvp_lib.figures figures/ [--cache-dir notebooks/cache] [--quick]``. The
default trained flow is loaded from the notebooks' cache (or trained, ~30 s, and cached there);
``--quick`` trains a tiny flow in seconds instead (for tests; the pictures are then rough).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from . import animation, data, plotting, states, zoo
from .bijections import AffineCoupling
from .flow import Flow, realnvp
from .frames import depth_frames, depth_lim, smooth_frames, training_frames
from .train import History, fit

README_GIFS = ("generation_smooth.gif", "inference_smooth.gif")


def learning_run(steps: int = 500, snapshot_every: int = 50, seed: int = 0,
                 **flow_kw) -> tuple[Flow, History]:
    """A smaller flow (4 couplings, 64 hidden) trained briefly on two moons, keeping weight snapshots.

    A few seconds of training (batches of 256) instead of the default flow's half minute, so that a
    notebook can afford it; the pictures of how it learns look the same.
    """
    flow = realnvp(**{"n_layers": 4, "hidden": 64, "seed": seed, **flow_kw})
    history = fit(flow, data.sampler("two_moons", seed=seed), steps=steps, batch_size=256, seed=seed,
                  progress=False, snapshot_every=snapshot_every, warmup=100)
    return flow, history


def strip_depths(flow: Flow, direction: str = "inference", count: int | None = None) -> list[int]:
    """Depth 0 and the depths right after each coupling step (a permutation only mirrors the state).

    With ``count``, about that many of them, evenly spread, always including the first and last.
    """
    ks = [0] + [k for k, (layer, _) in enumerate(states.steps(flow, direction), 1)
                if isinstance(layer, AffineCoupling)]
    if count is None or count >= len(ks):
        return ks
    return [ks[i] for i in sorted({round(j * (len(ks) - 1) / (count - 1)) for j in range(count)})]


def depth_strip(flow: Flow, direction: str, n: int = 1000, seed: int = 0):
    """The static twin of the depth slider: points and grid at depth 0 and after every coupling."""
    frames = depth_frames(flow, direction, n, seed, depth_lim(flow, n, seed), maps=False)
    return animation.strip(frames, strip_depths(flow, direction))


@torch.no_grad()
def shorter_models(flow: Flow, n: int = 1000, seed: int = 0, count: int = 5):
    """Top row: g_k, part-way along the generation path. Bottom: the 2018 blog's ``inverse(z, k)``."""
    z = flow.base_sample(n, seed=seed)
    colors = plotting.label_colors(states.quadrants(z), "quadrants")
    ks = strip_depths(flow, "generation", count)
    gen = states.path(flow, z, "generation")
    lim = depth_lim(flow, n, seed)
    fig, axes = plotting.subplots(len(ks), 2, size=2.0)
    for col, k in enumerate(ks):
        top, bottom = axes[col], axes[len(ks) + col]
        plotting.scatter(top, gen[k], colors, lim, f"$g_{{{k}}}$ (full flow, step {k})", s=1.5)
        plotting.scatter(bottom, states.shorter_model_sample(flow, z, k), colors, lim,
                         f"inverse(z, {k}): {k}-layer model", s=1.5)
        for ax in (top, bottom):
            ax.set(xticks=[], yticks=[])
            ax.title.set_fontsize(7)
    return fig


def write_all(flow: Flow, out: str | Path, n: int = 1000, seed: int = 0,
              run: tuple[Flow, History] | None = None) -> list[dict]:
    """Write every figure of notebook 06 into ``out``; return one ``{path, frames, bytes, seconds}`` each."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lim = depth_lim(flow, n, seed)
    results = []
    for direction in states.DIRECTIONS:
        results.append(animation.save_gif(depth_frames(flow, direction, n, seed, lim),
                                          out / f"{direction}_layers.gif", fps=2, hold=1.5))
        results.append(animation.save_gif(smooth_frames(flow, direction, n, seed, lim),
                                          out / f"{direction}_smooth.gif", fps=12, hold=1.5, size=3.2,
                                          colors=64))
        results.append(_save_png(depth_strip(flow, direction, n, seed), out / f"{direction}_strip.png"))
    results.append(_save_png(shorter_models(flow, n, seed), out / "shorter_models.png"))
    run_flow, history = run or learning_run(seed=seed)
    results.append(animation.save_gif(training_frames(run_flow, history.snapshots, n, seed),
                                      out / "training.gif", fps=3, hold=1.5))
    return results


def _save_png(fig, path: Path) -> dict:
    start = time.perf_counter()
    fig.savefig(path)
    plt.close(fig)
    return {"path": str(path), "frames": 1, "bytes": path.stat().st_size,
            "seconds": time.perf_counter() - start}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write into (created if missing)")
    parser.add_argument("--cache-dir", default="notebooks/cache", help="where the trained flow is cached")
    parser.add_argument("--quick", action="store_true", help="tiny flows trained in seconds (for tests)")
    args = parser.parse_args(argv)
    plotting.use_style()
    start = time.perf_counter()
    if args.quick:
        flow, _ = learning_run(steps=150, snapshot_every=50, n_layers=3, hidden=32)
        run = learning_run(steps=100, snapshot_every=50, n_layers=2, hidden=16)
        results = write_all(flow, args.out, n=300, run=run)
    else:
        flow, _ = zoo.two_moons_flow(cache_dir=args.cache_dir)
        results = write_all(flow, args.out)
    for r in results:
        print(f"{r['path']:40s} {r['frames']:4d} frames {r['bytes'] / 1e3:8.1f} kB {r['seconds']:6.2f} s")
    print(f"all figures in {time.perf_counter() - start:.1f} s")
    return results


if __name__ == "__main__":
    main()
