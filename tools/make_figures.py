"""``make figures``: every GIF and PNG in ``figures/``, written by the same code the notebooks call.

Usage: ``python tools/make_figures.py figures/ [--cache-dir notebooks/cache] [--quick]``. The
default trained flows (two moons, digits) are loaded from the notebooks' cache (or trained and cached);
``--quick`` trains a tiny flow in seconds instead (for tests; the pictures are then rough).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from realnvp_lib import images
from realnvp_lib.checkpoint import atomic_path
from realnvp_lib.flow import Flow
from realnvp_lib.instruments import pretrained, snapshots
from realnvp_lib.instruments.trajectories import DIRECTIONS
from realnvp_lib.train import History
from realnvp_lib.viz.digits import steps_strip
from realnvp_lib.viz.frames import depth_frames, depth_lim, smooth_frames, training_frames
from realnvp_lib.viz.gif import save_gif
from realnvp_lib.viz.static import depth_strip, shorter_models
from realnvp_lib.viz.style import use_style

__all__ = ["README_GIFS", "SMOOTH", "main", "write_all", "write_digits"]

README_GIFS = ("generation_smooth.gif", "inference_smooth.gif")
# The README's GIFs: 480 px wide, a box that follows the points, under 1 MB (each frame's ticks and
# points cost 10-13 kB, so about 80 frames fit: 5 per coupling, 3 per swap, 700 points, 7 grid lines).
SMOOTH = {"n": 700, "coupling_frames": 5, "mix_frames": 3, "follow": True, "n_lines": 7}
SMOOTH_GIF = {"fps": 10, "hold": 1.5, "size": 6.0, "colors": 32, "panels": ["points"], "point_size": 4.5}


def write_all(
    flow: Flow, out: str | Path, n: int = 1000, seed: int = 0, run: tuple[Flow, History] | None = None
) -> list[dict]:
    """Write every figure of notebook 06 into ``out``; return one ``{path, frames, bytes, seconds}`` each."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lim = depth_lim(flow, n, seed)
    results = []
    for direction in DIRECTIONS:
        results.append(
            save_gif(
                depth_frames(flow, direction, n, seed, lim), out / f"{direction}_layers.gif", fps=2, hold=1.5
            )
        )
        smooth = smooth_frames(flow, direction, seed=seed, **{**SMOOTH, "n": min(n, SMOOTH["n"])})
        results.append(save_gif(smooth, out / f"{direction}_smooth.gif", **SMOOTH_GIF))
        results.append(_save_png(depth_strip(flow, direction, n, seed), out / f"{direction}_strip.png"))
    results.append(_save_png(shorter_models(flow, n, seed), out / "shorter_models.png"))
    run_flow, history = run or snapshots.learning_run(seed=seed)
    results.append(
        save_gif(training_frames(run_flow, history.snapshots, n, seed), out / "training.gif", fps=3, hold=1.5)
    )
    return results


def write_digits(out: str | Path, cache_dir: str | Path | None) -> dict:
    """Notebook 07's static twin of its slider: every state of one test digit (as the notebook picks it)."""
    flow, _ = images.trained_digits_flow(seed=0, cache_dir=cache_dir)
    one = images.dequantize(images.digits("test")[:1], torch.Generator().manual_seed(4))
    return _save_png(steps_strip(flow, one), Path(out) / "digits_steps.png")


def _save_png(fig, path: Path) -> dict:
    """Write ``fig`` at the style's dpi, trimmed to what it draws, and close it; time the write."""
    start = time.perf_counter()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, bbox_inches="tight", pad_inches=0.1)
    plt.close(fig)
    return {
        "path": str(path),
        "frames": 1,
        "bytes": path.stat().st_size,
        "seconds": time.perf_counter() - start,
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write into (created if missing)")
    parser.add_argument("--cache-dir", default="notebooks/cache", help="where the trained flow is cached")
    parser.add_argument("--quick", action="store_true", help="tiny flows trained in seconds (for tests)")
    args = parser.parse_args(argv)
    use_style()
    start = time.perf_counter()
    if args.quick:
        flow, _ = snapshots.learning_run(steps=150, snapshot_every=50, n_layers=3, hidden=32)
        run = snapshots.learning_run(steps=100, snapshot_every=50, n_layers=2, hidden=16)
        results = write_all(flow, args.out, n=300, run=run)
    else:
        flow, _ = pretrained.two_moons_flow(cache_dir=args.cache_dir)
        results = write_all(flow, args.out) + [write_digits(args.out, args.cache_dir)]
    for r in results:
        print(f"{r['path']:40s} {r['frames']:4d} frames {r['bytes'] / 1e3:8.1f} kB {r['seconds']:6.2f} s")
    print(f"all figures in {time.perf_counter() - start:.1f} s")
    return results


if __name__ == "__main__":
    main()
