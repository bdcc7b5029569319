"""Sliders over precomputed ``Frames`` (the depth slider, training progress), built on ipywidgets.

The picture is a matplotlib figure rendered to PNG bytes into an ``ipywidgets.Image``: no extra
dependency (ipympl), no figure re-created per step. Every state is computed once up front; moving
the slider only updates the figure's artists, redraws, and swaps the image bytes.
"""

from __future__ import annotations

import time

import ipywidgets as widgets
import numpy as np

from ..flow import Flow
from ..paths import DIRECTIONS
from .figure import FrameFigure
from .frames import Frames, depth_frames, depth_lim, training_frames

__all__ = ["DIRECTION_LABELS", "FrameSlider", "depth_slider", "training_slider"]

DIRECTION_LABELS = {"inference": "inference: data → latent", "generation": "generation: latent → data"}


class FrameSlider:
    """An ``IntSlider`` over the states of one or more ``Frames`` (a toggle picks which).

    The plotted state is exposed for tests: ``state`` (the frames' points at the slider's value),
    ``offsets`` (what the scatter really shows), ``title``; ``seconds`` holds each update's time.
    Values outside ``0 .. len - 1`` are clamped by the slider itself.
    """

    def __init__(self, frames: Frames | dict[str, Frames], description: str = "depth k",
                 labels: dict[str, str] | None = None):
        self.frames = {frames.name: frames} if isinstance(frames, Frames) else dict(frames)
        self.figures = {name: FrameFigure(f) for name, f in self.frames.items()}
        first = next(iter(self.frames.values()))
        labels = labels or {}
        self.toggle = widgets.ToggleButtons(options=[(labels.get(n, n), n) for n in self.frames])
        self.slider = widgets.IntSlider(0, 0, len(first) - 1, description=description,
                                        continuous_update=True, layout=widgets.Layout(width="420px"))
        self.readout = widgets.HTML()
        width = int(self.figure.fig.get_figwidth() * self.figure.fig.dpi)
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{width}px"))  # 1:1 pixels
        self.seconds: list[float] = []
        self.slider.observe(self._on_change, names="value")
        self.toggle.observe(self._on_toggle, names="value")
        top = [self.toggle] if len(self.frames) > 1 else []
        self.widget = widgets.VBox([*top, self.slider, self.readout, self.image])
        self.widget.add_class("realnvp-frame-slider")  # a handle for the browser test
        self.update()

    @property
    def figure(self) -> FrameFigure:
        return self.figures[self.toggle.value]

    @property
    def state(self) -> np.ndarray:
        """The precomputed points of the state the slider is on."""
        return self.frames[self.toggle.value].points[self.slider.value]

    @property
    def offsets(self) -> np.ndarray:
        """The points the figure actually shows (the scatter's offsets)."""
        return self.figure.offsets()

    @property
    def title(self) -> str:
        return self.figure.title.get_text()

    def update(self) -> None:
        """Show the slider's state: move the artists, render to PNG, swap the image; time it."""
        start = time.perf_counter()
        k = self.figure.show(self.slider.value)
        self.image.value = self.figure.png()
        self.readout.value = f"<b>{k} / {self.slider.max}</b> &nbsp; {self.title}"
        self.seconds.append(time.perf_counter() - start)

    def step_ms(self) -> float:
        """Median time of one update in milliseconds (render included, transport to the browser not)."""
        return 1000 * float(np.median(self.seconds))

    def _on_change(self, _change) -> None:
        self.update()

    def _on_toggle(self, _change) -> None:
        self.slider.max = len(self.frames[self.toggle.value]) - 1
        self.update()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def depth_slider(flow: Flow, n: int = 1000, seed: int = 0, maps: bool = True) -> FrameSlider:
    """The depth slider: k = 0..K along the inference or the generation path, one fixed box of axes."""
    lim = depth_lim(flow, n, seed)
    frames = {d: depth_frames(flow, d, n, seed, lim, maps) for d in DIRECTIONS}
    return FrameSlider(frames, "depth k", DIRECTION_LABELS)


def training_slider(flow: Flow, snapshots, n: int = 1000, seed: int = 0) -> FrameSlider:
    """Scrub training: samples, warped latent grid and density after each ``fit`` snapshot."""
    return FrameSlider(training_frames(flow, snapshots, n, seed), "snapshot")
