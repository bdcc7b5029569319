"""Writing ``Frames`` as a looping GIF with imageio: one GIF frame per state, encoded by ``viz.encode``."""

from __future__ import annotations

import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from ..checkpoint import atomic_path
from ..checks import check_number
from .encode import check_colors, render_rgb, shared_palette, to_palette
from .frames import Frames

__all__ = ["save_gif"]


def save_gif(
    frames: Frames, path: str | Path, fps: float = 8.0, hold: float = 1.0, colors: int = 256, **figure_kw
) -> dict:
    """Write ``frames`` as a GIF that loops forever (``loop=0``), one GIF frame per state.

    The first and last states stay ``hold`` seconds longer; all frames share one ``colors``-entry
    palette. Returns ``{"path", "frames", "bytes",
    "seconds"}``: the render-and-write time and the file size.

    The arguments are checked before anything is drawn, and the file is written beside ``path`` and
    renamed into place: a failed call leaves an existing GIF as it was.
    """
    fps = check_number("fps", fps)  # frames per second
    hold = check_number("hold", hold, inclusive=True)  # seconds
    colors = check_colors(colors)
    start = time.perf_counter()
    images = render_rgb(frames, **figure_kw)
    durations = [1000 / fps] * len(images)
    durations[0] += 1000 * hold
    durations[-1] += 1000 * hold
    path = Path(path)
    palette = shared_palette(images, colors)
    indices = to_palette(np.stack(images), palette)
    with atomic_path(path) as tmp:
        iio.imwrite(
            tmp,
            indices,
            extension=".gif",
            mode="L",
            palette=palette.astype(np.uint8).tobytes(),
            duration=durations,
            loop=0,
        )
    return {
        "path": str(path),
        "frames": len(images),
        "bytes": path.stat().st_size,
        "seconds": time.perf_counter() - start,
    }
