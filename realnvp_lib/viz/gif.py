"""Writing ``Frames`` as a looping GIF with imageio: one shared palette, one GIF frame per state."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import imageio.v3 as iio
import numpy as np
from PIL import Image

from .figure import FrameFigure
from .frames import Frames

__all__ = ["save_gif", "shared_palette", "to_palette"]


def shared_palette(images: Sequence[np.ndarray], colors: int = 256) -> np.ndarray:
    """One ``(colors, 3)`` palette for every frame: median cut over a sample of them, plus pure white.

    Quantising each frame to its own palette is slower, makes the file bigger, and makes colours
    flicker from frame to frame; these figures have few colours, so one palette fits all.
    """
    sample = Image.fromarray(np.concatenate(list(images[:: max(1, len(images) // 8)]), axis=0))
    cut = sample.quantize(colors=colors - 1, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    rgb = np.array(cut.getpalette()[: 3 * (colors - 1)]).reshape(-1, 3)
    return np.concatenate([[[255, 255, 255]], rgb])  # median cut blurs the white background


def to_palette(images: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Index of the nearest ``palette`` colour for every pixel of ``(..., 3)`` uint8 images."""
    rgb = images.astype(np.uint32)
    keys = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    out = np.zeros(keys.shape, dtype=np.uint8)
    inked = keys != 0xFFFFFF  # most pixels are white background
    unique, inverse = np.unique(keys[inked], return_inverse=True)  # only a few thousand colours
    colors = ((unique[:, None] >> np.array([16, 8, 0], dtype=np.uint32)) & 255).astype(np.int32)
    nearest = ((colors[:, None, :] - palette[None].astype(np.int32)) ** 2).sum(axis=-1).argmin(axis=1)
    out[inked] = nearest[inverse.ravel()]
    out[~inked] = np.argmin(((255 - palette.astype(np.int32)) ** 2).sum(axis=-1))
    return out


def save_gif(frames: Frames, path: str | Path, fps: float = 8.0, hold: float = 1.0, colors: int = 256,
             **figure_kw) -> dict:
    """Write ``frames`` as a GIF that loops forever (``loop=0``), one GIF frame per state.

    The first and last states stay ``hold`` seconds longer; all frames share one ``colors``-entry
    palette. Returns ``{"path", "frames", "bytes",
    "seconds"}``: the render-and-write time and the file size.
    """
    start = time.perf_counter()
    figure = FrameFigure(frames, **figure_kw)
    images = []
    for k in range(len(frames)):
        figure.show(k)
        images.append(figure.rgb())
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
