"""Kernel-free sliders: every frame rendered once in Python, stepped through by the browser alone.

A slider is one self-contained HTML output (``_repr_mimebundle_``): the frames as base64 palette
PNGs, a range input (arrow keys, Home/End, PageUp/PageDown step it), a caption, and about 40 lines
of script that only shows another, already decoded ``<img>``. No Python runs when it moves, so the
same output scrubs in JupyterLab (after the cell has run: Lab runs scripts of trusted outputs only),
in the static site and on nbviewer. The first frame is a plain ``<img>`` before any script runs and
the bundle also carries it as ``image/png``, so a renderer that runs no script shows a picture.

Why not ipywidgets linked in the browser (``jslink`` + a ``Stack`` of ``Image`` widgets with the
widget state saved)? It carries the same PNG bytes, but a static page then needs the widget
manager's scripts (served from a CDN by nbconvert and nbviewer: no network, no slider), the frames
live in the notebook's metadata rather than the output, and GitHub shows the widget as text.
Measured on the 10-coupling depth slider (2 x 20 frames of 624 x 218 px): a 256-colour palette PNG
is 5.6 kB a frame for a random flow against 19.9 kB truecolour (WebP lossless 7.2 kB, and not
shown by every renderer), 12 kB a frame for the trained flow (0.48 MB of PNG for the slider); a
frame takes about 8 ms to draw and 10 ms to encode. In the static page a key press shows the new
frame in 8 ms (median of 10 steps; 32 ms with the machine's 2 cores loaded by 6 jobs): the step
only swaps which decoded image is displayed. tests/test_site.py measures and prints it.
"""

from __future__ import annotations

import base64
import html
import io
import json
import time
from collections.abc import Sequence

import numpy as np
from PIL import Image

from ..flow import Flow
from ..paths import DIRECTIONS
from .figure import FrameFigure
from .frames import Frames, depth_frames, depth_lim, training_frames

__all__ = ["DIRECTION_LABELS", "MAX_BYTES", "MAX_FRAMES", "FrameSlider", "depth_slider", "palette_png",
           "png_slider", "render", "training_slider"]

DIRECTION_LABELS = {"inference": "inference: data → latent", "generation": "generation: latent → data"}
MAX_FRAMES = 400  # per slider: past this a slider is a film; make a GIF
MAX_BYTES = 3_000_000  # encoded frames per slider, so a page with a slider or two stays under 5 MB
MIME = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"RIFF": "image/webp"}

# One script for every slider: find this output's root, build the other frames as hidden images
# (decoded once, so a step only swaps which one is displayed), and follow the range input.
SCRIPT = """(function () {
var root = document.currentScript.parentElement;
if (root.dataset.ready) return;
root.dataset.ready = "1";
var data = JSON.parse(root.querySelector(".realnvp-slider-data").textContent);
var first = root.querySelector("img.realnvp-slider-frame"), box = first.parentElement;
var range = root.querySelector("input[type=range]"), readout = root.querySelector("output");
var caption = root.querySelector(".realnvp-slider-title"), buttons = root.querySelectorAll("button");
data.sets.forEach(function (s, i) {
  s.imgs = s.frames.map(function (src, k) {
    if (i === 0 && k === 0) return first;
    var im = first.cloneNode(false);
    im.src = src; im.alt = s.titles[k]; im.style.display = "none";
    box.appendChild(im);
    if (im.decode) im.decode().catch(function () {});
    return im;
  });
});
var at = {set: 0, k: 0};
function show(si, k) {
  var s = data.sets[si], n = s.frames.length;
  k = Math.max(0, Math.min(n - 1, k));
  var old = data.sets[at.set].imgs[at.k], im = s.imgs[k];
  if (im !== old) { im.style.display = ""; old.style.display = "none"; }
  at = {set: si, k: k};
  range.max = n - 1; range.value = k;
  readout.textContent = k + " / " + (n - 1);
  caption.textContent = s.titles[k];
  root.dataset.set = s.name; root.dataset.k = k;
  buttons.forEach(function (b, j) { b.setAttribute("aria-pressed", j === si); });
}
range.addEventListener("input", function () { show(at.set, +range.value); });
buttons.forEach(function (b, j) { b.addEventListener("click", function () { show(j, at.k); }); });
// JupyterLab's notebook shortcuts (arrows, j/k) must not also act on a key meant for the slider.
root.addEventListener("keydown", function (e) { e.stopPropagation(); });
root.querySelector(".realnvp-slider-controls").hidden = false;
show(0, 0);
})();"""
STYLE = """.realnvp-slider button{font:inherit;margin-right:4px;padding:1px 8px;border:1px solid #999;
border-radius:3px;background:#f4f4f4;cursor:pointer}.realnvp-slider button[aria-pressed=true]{
background:#2f6db3;color:#fff}.realnvp-slider input[type=range]{width:420px;vertical-align:middle}
.realnvp-slider-title{font-weight:bold;margin:4px 0}.realnvp-slider img{max-width:none}"""


def palette_png(rgb: np.ndarray, colors: int = 256) -> bytes:
    """An ``(H, W, 3)`` uint8 picture as a palette PNG (no dithering: flat colours stay flat, small)."""
    image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    buf = io.BytesIO()
    image.quantize(colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        buf, format="PNG", optimize=True)
    return buf.getvalue()


def _mime(frame: bytes) -> str:
    for magic, mime in MIME.items():
        if bytes(frame[:len(magic)]) == magic:
            return mime
    raise ValueError(f"a frame is not PNG, JPEG or WebP bytes (it starts {bytes(frame[:8])!r})")


def _data_uri(frame: bytes) -> str:
    return f"data:{_mime(frame)};base64,{base64.b64encode(frame).decode()}"


def _check(pngs: Sequence[bytes], titles: Sequence[str], what: str) -> None:
    if len(pngs) == 0:
        raise ValueError(f"{what}: no frames to show (the list of images is empty)")
    if len(pngs) != len(titles):
        raise ValueError(f"{what}: {len(pngs)} frames but {len(titles)} titles; give one title a frame")
    if len(pngs) > MAX_FRAMES:
        raise ValueError(f"{what}: {len(pngs)} frames, more than MAX_FRAMES = {MAX_FRAMES}; use fewer")
    for frame in pngs:
        _mime(frame)


class FrameSlider:
    """One or more named sets of frames (a toggle picks the set), shown as a self-contained HTML slider.

    ``sets`` maps a name to ``(frames, titles)``: encoded images (PNG, JPEG or WebP bytes, e.g. from
    ``palette_png``) and one caption each. ``labels`` name the toggle's buttons. Nothing here calls
    back into Python: ``html()`` is the whole output. ``render_seconds`` is what making the frames cost.
    """

    def __init__(self, sets: dict[str, tuple[Sequence[bytes], Sequence[str]]], description: str = "step",
                 labels: dict[str, str] | None = None, render_seconds: float = 0.0):
        if not sets:
            raise ValueError("a slider needs at least one set of frames")
        self.sets = {name: (list(f), [str(t) for t in titles]) for name, (f, titles) in sets.items()}
        for name, (frames, titles) in self.sets.items():
            _check(frames, titles, f"set {name!r}")
        if self.nbytes > MAX_BYTES:
            raise ValueError(f"the frames take {self.nbytes / 1e6:.1f} MB, more than MAX_BYTES = "
                             f"{MAX_BYTES / 1e6:.0f} MB: use fewer or smaller frames (palette_png)")
        self.description, self.labels = description, dict(labels or {})
        self.render_seconds = render_seconds

    @property
    def nbytes(self) -> int:
        """Encoded size of every frame together (the HTML is about 4/3 of it: base64)."""
        return sum(len(f) for frames, _ in self.sets.values() for f in frames)

    @property
    def frames(self) -> list[bytes]:
        """The first set's encoded frames."""
        return next(iter(self.sets.values()))[0]

    @property
    def titles(self) -> list[str]:
        """The first set's captions."""
        return next(iter(self.sets.values()))[1]

    def __len__(self) -> int:
        return len(self.frames)

    def html(self) -> str:
        """The output: controls (hidden until the script runs), caption, first frame, data, script."""
        data = {"sets": [{"name": name, "titles": titles, "frames": [_data_uri(f) for f in frames]}
                         for name, (frames, titles) in self.sets.items()]}
        first = data["sets"][0]
        width, height = Image.open(io.BytesIO(self.frames[0])).size
        esc = html.escape
        buttons = "".join(f'<button type="button" aria-pressed="{str(i == 0).lower()}">'
                          f"{esc(self.labels.get(n, n))}</button>" for i, n in enumerate(self.sets))
        buttons = buttons if len(self.sets) > 1 else ""
        payload = json.dumps(data).replace("<", "\\u003c")  # no "</script>" inside the script
        return (f'<div class="realnvp-slider"><style>{STYLE}</style>'
                f'<div class="realnvp-slider-controls" hidden>{buttons}<label>{esc(self.description)} '
                f'<input type="range" min="0" max="{len(self) - 1}" step="1" value="0" '
                f'aria-label="{esc(self.description)}"></label> <output>0 / {len(self) - 1}</output></div>'
                f'<div class="realnvp-slider-title">{esc(self.titles[0])}</div>'
                f'<div class="realnvp-slider-frames"><img class="realnvp-slider-frame" '
                f'src="{first["frames"][0]}" width="{width}" height="{height}" alt="{esc(self.titles[0])}">'
                f'</div><script type="application/json" class="realnvp-slider-data">{payload}</script>'
                f"<script>{SCRIPT}</script></div>")

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        bundle = {"text/html": self.html(), "text/plain": f"<{len(self)}-frame slider: {self.titles[0]}>"}
        if _mime(self.frames[0]) == "image/png":  # for a page that runs no script and shows no HTML
            bundle["image/png"] = base64.b64encode(self.frames[0]).decode()
        return bundle


def png_slider(pngs: list[bytes], titles: list[str], description: str = "step") -> FrameSlider:
    """A slider over encoded images (PNG, JPEG or WebP bytes), one title each; no kernel needed to move it."""
    return FrameSlider({"frames": (pngs, titles)}, description)


def render(frames: Frames, **figure_kw) -> list[bytes]:
    """Every state of ``frames`` drawn by one ``FrameFigure`` (its artists moved): palette PNGs."""
    figure = FrameFigure(frames, **figure_kw)
    out = []
    for k in range(len(frames)):
        figure.show(k)
        out.append(palette_png(figure.rgb()))
    return out


def _check_2d(flow: Flow, what: str) -> None:
    if flow.dim != 2:
        raise ValueError(f"{what} draws points in the plane, so it needs a 2-D flow; this flow has "
                         f"dim {flow.dim} (event shape {tuple(flow.shape)})")


def depth_slider(flow: Flow, n: int = 1000, seed: int = 0, maps: bool = True) -> FrameSlider:
    """The depth slider: k = 0..K along the inference or the generation path, one fixed box of axes."""
    _check_2d(flow, "depth_slider")
    start = time.perf_counter()
    lim = depth_lim(flow, n, seed)
    frames = {d: depth_frames(flow, d, n, seed, lim, maps) for d in DIRECTIONS}
    sets = {d: (render(f), f.titles) for d, f in frames.items()}
    return FrameSlider(sets, "depth k", DIRECTION_LABELS, time.perf_counter() - start)


def training_slider(flow: Flow, snapshots, n: int = 1000, seed: int = 0) -> FrameSlider:
    """Scrub training: samples, warped latent grid and density after each ``fit`` snapshot."""
    _check_2d(flow, "training_slider")
    if len(snapshots) == 0:
        raise ValueError("training_slider: snapshots are empty; pass fit(..., snapshot_every=N).snapshots")
    start = time.perf_counter()
    frames = training_frames(flow, snapshots, n, seed)
    return FrameSlider({"training": (render(frames), frames.titles)}, "snapshot",
                       render_seconds=time.perf_counter() - start)
