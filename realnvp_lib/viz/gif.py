"""Writing ``Frames`` as a looping GIF with imageio: one GIF frame per state, encoded by ``viz.encode``."""

from __future__ import annotations

import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from .encode import render_rgb, shared_palette, to_palette
from .frames import Frames

__all__ = ["save_gif"]


def save_gif(frames: Frames, path: str | Path, fps: float = 8.0, hold: float = 1.0, colors: int = 256,
             **figure_kw) -> dict:
    """Write ``frames`` as a GIF that loops forever (``loop=0``), one GIF frame per state.

    The first and last states stay ``hold`` seconds longer; all frames share one ``colors``-entry
    palette. Returns ``{"path", "frames", "bytes",
    "seconds"}``: the render-and-write time and the file size.
    """
    start = time.perf_counter()
    images = render_rgb(frames, **figure_kw)
    durations = [1000 / fps] * len(images)
    durations[0] += 1000 * hold
    durations[-1] += 1000 * hold
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    palette = shared_palette(images, colors)
    indices = to_palette(np.stack(images), palette)
    iio.imwrite(path, indices, extension=".gif", mode="L", palette=palette.astype(np.uint8).tobytes(),
                duration=durations, loop=0)
    return {"path": str(path), "frames": len(images), "bytes": path.stat().st_size,
            "seconds": time.perf_counter() - start}
