"""From ``Frames`` to image bytes: the one render loop and the one palette encoder (GIFs and sliders).

Every animated picture of the series goes through here: ``render_rgb`` draws each state with one
``FrameFigure`` (its artists moved, not rebuilt), ``shared_palette`` picks one palette for all the
frames (so colours do not flicker from frame to frame and flat colours stay flat), ``to_palette``
maps every pixel to it, and ``palette_pngs`` / ``viz.gif.save_gif`` store the indices as PNG or GIF.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from ..checks import check_int
from .figure import FrameFigure
from .frames import Frames

__all__ = [
    "MIME",
    "check_colors",
    "image_mime",
    "palette_png",
    "palette_pngs",
    "render_rgb",
    "shared_palette",
    "to_palette",
]

MIME = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}


def render_rgb(frames: Frames, **figure_kw) -> list[np.ndarray]:
    """Every state of ``frames`` drawn by one ``FrameFigure``: a list of ``(H, W, 3)`` uint8 pictures."""
    figure = FrameFigure(frames, **figure_kw)
    pictures = []
    for k in range(len(frames)):
        figure.show(k)
        pictures.append(figure.rgb())
    return pictures


def check_colors(colors) -> int:
    """``colors`` as an ``int``: a palette size, 2 to 256 (one byte per pixel, in a GIF or a PNG).

    >>> check_colors(300)
    Traceback (most recent call last):
    ...
    ValueError: colors must be an integer in 2..256 (one byte per pixel), got 300
    """
    if check_int("colors", colors, low=2) > 256:
        raise ValueError(f"colors must be an integer in 2..256 (one byte per pixel), got {colors!r}")
    return int(colors)


def shared_palette(images: Sequence[np.ndarray], colors: int = 256) -> np.ndarray:
    """One ``(colors, 3)`` palette for every frame: median cut over a sample of them, plus pure white.

    Quantising each frame to its own palette is slower, makes the file bigger, and makes colours
    flicker from frame to frame; these figures have few colours, so one palette fits all.
    """
    colors = check_colors(colors)
    sample = Image.fromarray(
        np.concatenate([np.asarray(im, np.uint8) for im in images[:: max(1, len(images) // 8)]], axis=0)
    )
    cut = sample.quantize(colors=colors - 1, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    rgb = np.array(cut.getpalette()[: 3 * (colors - 1)]).reshape(-1, 3)
    return np.concatenate([[[255, 255, 255]], rgb])  # median cut blurs the white background


def to_palette(images: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Index of the nearest ``palette`` colour for every pixel of ``(..., 3)`` uint8 images."""
    rgb = np.asarray(images).astype(np.uint32)
    keys = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    out = np.zeros(keys.shape, dtype=np.uint8)
    inked = keys != 0xFFFFFF  # most pixels are white background
    unique, inverse = np.unique(keys[inked], return_inverse=True)  # only a few thousand colours
    colors = ((unique[:, None] >> np.array([16, 8, 0], dtype=np.uint32)) & 255).astype(np.int32)
    nearest = ((colors[:, None, :] - palette[None].astype(np.int32)) ** 2).sum(axis=-1).argmin(axis=1)
    out[inked] = nearest[inverse.ravel()]
    out[~inked] = np.argmin(((255 - palette.astype(np.int32)) ** 2).sum(axis=-1))
    return out


def palette_png(indices: np.ndarray, palette: np.ndarray) -> bytes:
    """One ``(H, W)`` array of palette indices as a palette PNG (1 byte a pixel before compression)."""
    image = Image.fromarray(np.ascontiguousarray(indices, dtype=np.uint8), mode="P")
    image.putpalette(np.asarray(palette, np.uint8).ravel().tolist())
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def palette_pngs(
    images: Sequence[np.ndarray], colors: int = 256, max_bytes: int | None = None
) -> list[bytes]:
    """``(H, W, 3)`` uint8 pictures as palette PNGs sharing one palette.

    With ``max_bytes``, stops with a ``ValueError`` as soon as the PNGs so far exceed it, rather than
    encoding the rest of a slider that will be refused anyway.
    """
    palette = shared_palette(images, colors)
    out, total = [], 0
    for indices in to_palette(np.stack(images), palette):  # one pass: the colours repeat across frames
        out.append(palette_png(indices, palette))
        total += len(out[-1])
        if max_bytes is not None and total > max_bytes:
            raise ValueError(
                f"the first {len(out)} of {len(images)} frames already take "
                f"{total / 1e6:.1f} MB, more than {max_bytes / 1e6:.1f} MB: use fewer or "
                "smaller frames"
            )
    return out


def image_mime(data: bytes) -> str:
    """The MIME type of encoded image bytes (PNG, JPEG or GIF), once they are known to decode."""
    mime = next((m for magic, m in MIME.items() if bytes(data[: len(magic)]) == magic), None)
    if mime is None:
        raise ValueError(f"a frame is not PNG, JPEG or GIF bytes (it starts {bytes(data[:8])!r})")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # decodes every pixel: a truncated or corrupt file fails here, not in a browser
    except Exception as err:  # PIL raises OSError, SyntaxError or ValueError for broken files
        raise ValueError(f"a frame starts like {mime} but does not decode ({err})") from None
    return mime
