"""Depth and training sliders as ipywidgets whose frames step in the browser, with or without a kernel.

A slider is an ipywidgets ``VBox``: a ``ToggleButtons`` for the direction (when there are several
sets of frames), a ``Play`` and an ``IntSlider``, a caption and the frames, each an ``Image`` widget
in a ``Stack``. Every frame is rendered once in Python (``viz.encode``); the controls are tied to the
stacks with ``jslink``, so a step is the browser showing another child of a ``Stack`` — no Python
callback. That is why the same widget scrubs in JupyterLab with a running kernel, in JupyterLab from
the notebook's saved widget state (a trusted notebook, before any cell runs), and on the static
site, which renders saved state with ``@jupyter-widgets/html-manager``. The output also carries the
first frame as ``image/png``: GitHub and untrusted notebooks, which render no widgets, show a picture.

Each ``Image`` holds its frame as a ``data:`` URL (``format="url"``) rather than raw PNG bytes, which
the widget would show through a new ``blob:`` URL at every step: a step then paints sooner, the
image decode being the difference (benchmarks/recipe_choices.txt). It costs a third more bytes in
the saved state (base64 of the PNG).

From Python, ``slider.value`` is the frame shown (``observe`` it, ``jslink`` it to your own control,
put the widget in your own layout), ``slider.direction`` the set shown, ``slider.caption`` its title.
"""

from __future__ import annotations

import base64
import html
import time
from collections.abc import Sequence

import ipywidgets as widgets
import traitlets
from ipywidgets.widgets.widget_string import HTMLStyle

from ..flow import Flow, as_flow
from ..instruments.trajectories import DIRECTIONS
from .encode import image_mime, palette_pngs, render_rgb
from .frames import depth_frames, depth_lim, training_frames
from .widget_lifetime import close_previous_in_cell, close_tree

__all__ = [
    "DIRECTION_LABELS",
    "MAX_BYTES",
    "MAX_FRAMES",
    "FrameSlider",
    "depth_slider",
    "png_slider",
    "training_slider",
]

DIRECTION_LABELS = {"inference": "inference: data → latent", "generation": "generation: latent → data"}
MAX_FRAMES = 400  # per slider: past this a slider is a film; make a GIF
# Encoded frames per slider. The saved widget state holds each frame as base64 of its data URL, about
# 1.8 times these bytes: 850 kB keeps a slider's state under 1.5 MB and a notebook with two under 3 MB.
MAX_BYTES = 850_000
COLORS = 128  # palette size of slider frames: indistinguishable from 256 here, and 16% fewer bytes


def _check_count(n_frames: int, what: str) -> None:
    """Refuse a slider with no frames or too many, before anything is drawn."""
    if n_frames == 0:
        raise ValueError(f"{what}: no frames to show (the list of images is empty)")
    if n_frames > MAX_FRAMES:
        raise ValueError(
            f"{what}: {n_frames} frames, more than MAX_FRAMES = {MAX_FRAMES}; use fewer "
            "(or make a GIF with viz.gif.save_gif)"
        )


class FrameSlider(widgets.VBox):
    """One or more named sets of frames, scrubbed by an ``IntSlider``; a toggle picks the set.

    ``sets`` maps a name to ``(frames, titles)``: encoded images (PNG, JPEG or GIF bytes) and one
    caption each; every set has the same number of frames. ``labels`` name the toggle's buttons.
    ``value`` (the frame index) and ``direction`` (the set's name) follow the browser while a kernel
    runs; setting them from Python moves the widget. ``render_seconds`` is what drawing the frames cost.
    """

    value = traitlets.Int(0, help="index of the frame shown (0 .. len - 1)")
    direction = traitlets.Unicode(help="name of the set of frames shown")

    def __init__(
        self,
        sets: dict[str, tuple[Sequence[bytes], Sequence[str]]],
        description: str = "step",
        labels: dict[str, str] | None = None,
        render_seconds: float = 0.0,
        interval_ms: int = 400,
    ):
        sets = _checked_sets(sets)
        names = list(sets)
        n = len(sets[names[0]][0])
        self.sets, self.labels, self.render_seconds = sets, dict(labels or {}), render_seconds
        self.slider = widgets.IntSlider(
            0,
            0,
            n - 1,
            description=description,
            continuous_update=True,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="480px"),
        )
        self.play = widgets.Play(0, 0, n - 1, interval=interval_ms, show_repeat=False)
        # One layout and one style shared by all captions, one layout by all images: fewer models to save.
        caption_layout, image_layout = widgets.Layout(margin="4px 0"), widgets.Layout(max_width="none")
        caption_style = HTMLStyle()
        captions = [
            widgets.Stack(
                [
                    widgets.HTML(f"<b>{html.escape(t)}</b>", layout=caption_layout, style=caption_style)
                    for t in titles
                ],
                selected_index=0,
            )
            for _, titles in sets.values()
        ]
        images = [
            widgets.Stack(
                [widgets.Image(value=_data_url(f), format="url", layout=image_layout) for f in frames],
                selected_index=0,
            )
            for frames, _ in sets.values()
        ]
        self.links = [widgets.jslink((self.play, "value"), (self.slider, "value"))]
        self.links += [
            widgets.jslink((self.slider, "value"), (s, "selected_index")) for s in captions + images
        ]
        controls: list[widgets.Widget] = []
        self.toggle = None
        if len(sets) > 1:  # the direction: one stack of frames per set, the toggle picks which
            self.toggle = widgets.ToggleButtons(
                options=[(self.labels.get(k, k), k) for k in names],
                value=names[0],
                style={"button_width": "auto"},
            )
            captions = [widgets.Stack(captions, selected_index=0)]
            images = [widgets.Stack(images, selected_index=0)]
            self.links += [
                widgets.jslink((self.toggle, "index"), (s, "selected_index")) for s in captions + images
            ]
            controls.append(self.toggle)
        controls.append(widgets.HBox([self.play, self.slider]))
        super().__init__([*controls, captions[0], images[0]])
        self.add_class("realnvp-slider")
        self.direction = names[0]
        traitlets.link((self.slider, "value"), (self, "value"))
        if self.toggle is not None:
            traitlets.link((self.toggle, "value"), (self, "direction"))

    @traitlets.validate("direction")
    def _valid_direction(self, proposal):
        if proposal.value not in self.sets:
            raise traitlets.TraitError(f"direction must be one of {list(self.sets)}, got {proposal.value!r}")
        return proposal.value

    @property
    def frames(self) -> list[bytes]:
        """The encoded frames of the set shown."""
        return self.sets[self.direction][0]

    @property
    def titles(self) -> list[str]:
        """The captions of the set shown."""
        return self.sets[self.direction][1]

    @property
    def caption(self) -> str:
        """The caption of the frame shown."""
        return self.titles[self.value]

    @property
    def nbytes(self) -> int:
        """Encoded size of every frame together (the saved widget state is larger: base64)."""
        return sum(len(f) for frames, _ in self.sets.values() for f in frames)

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        sets = f"{len(self.sets)} sets of " if len(self.sets) > 1 else ""
        return f"<{sets}{len(self)}-frame slider: {self.caption}>"

    def close(self) -> None:
        """Close the whole widget tree (controls, stacks, images, links), not only the box."""
        for link in getattr(self, "links", ()):  # absent if __init__ failed
            link.close()
        close_tree(self)

    def _repr_mimebundle_(self, **kwargs) -> dict:
        close_previous_in_cell(self)
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        first = self.sets[next(iter(self.sets))][0][0]
        if image_mime(first) == "image/png":  # for GitHub and untrusted notebooks: a picture, not text
            bundle["image/png"] = base64.b64encode(first).decode()
        return bundle


def _data_url(frame: bytes) -> bytes:
    return f"data:{image_mime(frame)};base64,{base64.b64encode(frame).decode()}".encode()


def _checked_sets(sets) -> dict[str, tuple[list[bytes], list[str]]]:
    if not isinstance(sets, dict) or not sets:
        raise ValueError("a slider needs a dict {name: (frames, titles)} with at least one set of frames")
    out, total = {}, 0
    for name, pair in sets.items():
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise TypeError(f"set {name!r}: expected a pair (frames, titles), got {type(pair).__name__}")
        frames, titles = pair
        frames, titles = list(frames), [str(t) for t in titles]
        _check_count(len(frames), f"set {name!r}")
        if len(frames) != len(titles):
            raise ValueError(
                f"set {name!r}: {len(frames)} frames but {len(titles)} titles; give one title a frame"
            )
        for i, f in enumerate(frames):
            if not isinstance(f, bytes | bytearray | memoryview):
                raise TypeError(
                    f"set {name!r}, frame {i}: expected encoded image bytes, got {type(f).__name__}"
                )
            image_mime(f)
        total += sum(len(f) for f in frames)
        out[str(name)] = (frames, titles)
    lengths = {name: len(f) for name, (f, _) in out.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"every set needs the same number of frames (one slider moves them all): {lengths}")
    if total > MAX_BYTES:
        raise ValueError(
            f"the frames take {total / 1e6:.1f} MB, more than MAX_BYTES = "
            f"{MAX_BYTES / 1e6:.1f} MB: use fewer or smaller frames"
        )
    return out


def png_slider(pngs: Sequence[bytes], titles: Sequence[str], description: str = "step") -> FrameSlider:
    """A slider over encoded images (PNG, JPEG or GIF bytes), one title each; no kernel needed to move it."""
    if isinstance(pngs, bytes | str) or not isinstance(pngs, Sequence):
        raise TypeError(f"png_slider wants a list of encoded images, got {type(pngs).__name__}")
    return FrameSlider({"frames": (pngs, titles)}, description)


def _check_2d(flow, what: str) -> Flow:
    """``flow`` as an ``rl.Flow`` over the same modules (``rl.as_flow``), refused unless it is 2-D."""
    flow = as_flow(flow)
    if flow.dim != 2:
        raise ValueError(
            f"{what} draws points in the plane, so it needs a 2-D flow; this flow has "
            f"dim {flow.dim} (event shape {tuple(flow.shape)})"
        )
    return flow


def depth_slider(
    flow, n: int = 1000, seed: int = 0, maps: bool = True, data: str = "two_moons", follow: bool = True
) -> FrameSlider:
    """The depth slider: k = 0..K along the inference or the generation path.

    ``flow`` is an ``rl.Flow`` or any flow ``rl.as_flow`` takes (your own, from notebook 04); the
    inference path starts from ``n`` points of ``data`` (one of ``frames.PLANE_DATA``). Each depth
    has its own square box with ticks (``follow=True``), so the thin data and the round Gaussian
    both fill the panels; ``follow=False`` draws every depth in one fixed box holding them all.
    """
    flow = _check_2d(flow, "depth_slider")
    _check_count(len(DIRECTIONS) * (len(flow) + 1), "depth_slider")
    start = time.perf_counter()
    lim = depth_lim(flow, n, seed, data)
    sets, budget = {}, MAX_BYTES
    for d in DIRECTIONS:
        frames = depth_frames(flow, d, n, seed, lim, maps, data=data, follow=follow)
        sets[d] = (palette_pngs(render_rgb(frames), COLORS, max_bytes=budget), frames.titles)
        budget -= sum(map(len, sets[d][0]))
    return FrameSlider(sets, "depth k", DIRECTION_LABELS, time.perf_counter() - start)


def training_slider(flow: Flow, snapshots, n: int = 1000, seed: int = 0) -> FrameSlider:
    """Scrub training: samples, warped latent grid and density after each ``fit`` snapshot."""
    if not isinstance(flow, Flow):  # snapshots are state dicts of an rl.Flow's own parameter names
        raise TypeError(f"training_slider takes the rl.Flow that rl.fit trained, got {type(flow).__name__}")
    _check_2d(flow, "training_slider")
    if hasattr(snapshots, "snapshots") or not isinstance(snapshots, Sequence):
        raise TypeError(
            f"training_slider takes the snapshots, not a {type(snapshots).__name__}: pass "
            "history.snapshots from rl.fit(..., snapshot_every=N)"
        )
    if len(snapshots) == 0:
        raise ValueError("training_slider: snapshots are empty; pass fit(..., snapshot_every=N).snapshots")
    _check_count(len(snapshots), "training_slider")
    start = time.perf_counter()
    frames = training_frames(flow, snapshots, n, seed)
    pngs = palette_pngs(render_rgb(frames), COLORS, max_bytes=MAX_BYTES)
    return FrameSlider(
        {"training": (pngs, frames.titles)}, "snapshot", render_seconds=time.perf_counter() - start
    )
