"""Drawing ``Frames``: one figure whose artists move in place per state (for the GIFs and the sliders)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from .frames import Frames
from .panels import heatmap, scatter, warped_grid
from .style import LOGDET_COLORBAR, SIGNED_CMAP, label_colors, log_q_limits, logdet_bound

__all__ = ["FrameFigure", "canvas_rgb"]

CRISP = {"text.antialiased": False, "lines.antialiased": False, "patch.antialiased": False}
PANEL_TITLES = {"points": "points and grid", "density": "log q", "logdet": "log|det J| of step k"}
NO_MAP = "no step yet (k = 0)"  # the note on a log-det panel whose map is all NaN
SOURCE = {"points": "points", "density": "log_density", "logdet": "logdet"}  # the Frames field of a panel


class FrameFigure:
    """One figure showing state k of ``frames``: points on the warped grid, then the maps it has.

    Built once; ``show(k)`` only moves artists (``set_offsets``, ``set_segments``, ``set_data``),
    so a slider or a GIF pays for one redraw per state. The figure is not managed by pyplot (it
    never pops up in a notebook by itself); ``rgb()`` renders it, for ``viz.gif`` and ``viz.sliders``
    to encode. When the frames carry a box per frame (``frames.lims``), the axes follow it with
    ticks and labels, and every frame is drawn in full (the ticks change, so there is no fixed
    background to reuse).
    """

    def __init__(
        self,
        frames: Frames,
        panels: Sequence[str] | None = None,
        size: float = 3.0,
        dpi: int = 80,
        point_size: float = 3.0,
    ):
        # A moving box redraws its ticks every frame: aliased text halves what they cost in a GIF.
        self._rc = CRISP if frames.lims is not None else {}
        with mpl.rc_context(self._rc):
            self._build(frames, panels, size, dpi, point_size)

    def _build(
        self, frames: Frames, panels: Sequence[str] | None, size: float, dpi: int, point_size: float
    ) -> None:
        self.frames = frames
        unknown = [p for p in panels or () if p not in PANEL_TITLES]
        if unknown:
            raise ValueError(f"unknown panel(s) {unknown}: panels must be among {list(PANEL_TITLES)}")
        missing = [p for p in panels or () if getattr(frames, SOURCE[p]) is None]
        if missing:
            raise ValueError(f"panel(s) {missing}: these frames hold no {[SOURCE[p] for p in missing]}")
        self.panels = list(panels or [p for p in PANEL_TITLES if getattr(frames, SOURCE[p]) is not None])
        bars = sum(p in ("density", "logdet") for p in self.panels)  # each map has a colourbar beside it
        self.fig = Figure(
            figsize=(size * len(self.panels) + 0.85 * bars, size * 1.1), dpi=dpi, layout="constrained"
        )
        FigureCanvasAgg(self.fig)
        axes = self.fig.subplots(1, len(self.panels), squeeze=False).ravel()
        self.axes = dict(zip(self.panels, axes))
        lim = frames.lim
        ax = self.axes["points"]
        # Crisp 1-pixel grid lines: antialiased ones cost a third of a GIF's bytes and look no better.
        self.lines = warped_grid(ax, frames.lines[0], color="0.86")
        self.lines.set_antialiased(False)
        # One scatter per colour: a single-colour collection is drawn as one stamped marker, several
        # times faster than a collection with a colour per point.
        self.groups = [np.flatnonzero(frames.labels == c) for c in np.unique(frames.labels)]
        colors = label_colors(np.unique(frames.labels), frames.palette)
        title = PANEL_TITLES["points"] if len(self.panels) > 1 else ("" if frames.lims else frames.name)
        self.scatters = [
            scatter(ax, frames.points[0][idx], c, lim, title, s=point_size, alpha=0.8)
            for idx, c in zip(self.groups, colors)
        ]
        self.images = {}
        if "density" in self.axes:
            vmin, vmax = log_q_limits(frames.log_density)
            self.images["density"] = heatmap(
                self.axes["density"],
                frames.log_density[0],
                lim,
                vmin=vmin,
                vmax=vmax,
                title=frames.density_title,
            )
            self.fig.colorbar(
                self.images["density"],
                ax=self.axes["density"],
                shrink=0.7,
                label="nats (one scale for every frame)",
            )
        if "logdet" in self.axes:
            boxes = frames.lims or [frames.lim] * len(frames)
            bound = logdet_bound(frames.logdet, frames.points, boxes)
            self.images["logdet"] = heatmap(
                self.axes["logdet"], frames.logdet[0], lim, SIGNED_CMAP, -bound, bound, PANEL_TITLES["logdet"]
            )
            # The points again, faintly: the map matters where the probability mass is.
            self.ghost = self.axes["logdet"].scatter(
                *frames.points[0].T, s=0.5, c="k", alpha=0.25, linewidths=0
            )
            # A state with no step before it has no log-det: say so on the blank panel.
            self.note = self.axes["logdet"].text(
                0.5, 0.93, NO_MAP, transform=self.axes["logdet"].transAxes, ha="center", va="top", fontsize=10
            )
            self.fig.colorbar(
                self.images["logdet"],
                ax=self.axes["logdet"],
                shrink=0.7,
                label=LOGDET_COLORBAR,
            )
        self.follow = frames.lims is not None
        for ax in axes:
            if self.follow:
                ax.set(xlabel="coordinate 1", ylabel="coordinate 2")
            else:
                ax.tick_params(labelsize=9, length=2)  # the same box in every frame
        self.title = self.fig.suptitle(frames.titles[0])
        if self.follow:
            self.k = -1
            self.show(0)
            self.fig.canvas.draw()
            self.fig.set_layout_engine("none")  # keep the layout still while tick labels change
            return
        # Blitting: draw everything that never changes once, keep those pixels, and per frame paint
        # only the moving artists over a copy of them (text and ticks are most of a full redraw).
        self._moving = [self.lines, *self.scatters, *self.images.values()]
        if "logdet" in self.images:
            self._moving += [self.ghost, self.note]
        for artist in [*self._moving, self.title]:
            artist.set_animated(True)
        self.k = -1
        self.show(0)
        self.fig.canvas.draw()
        self.fig.set_layout_engine("none")  # freeze the layout the first draw computed
        self._background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        # Text is the slowest artist to draw (slower than all the others together): draw
        # every title once, here, and keep the pixels of the band across the top that holds it.
        band = self.title.get_window_extent()
        self._title_band = Bbox.from_extents(0, band.y0 - 2, self.fig.bbox.x1, self.fig.bbox.y1)
        self._title_pixels: dict[str, object] = {}
        for text in dict.fromkeys(frames.titles):
            self.fig.canvas.restore_region(self._background)
            self.title.set_text(text)
            self.fig.draw_artist(self.title)
            self._title_pixels[text] = self.fig.canvas.copy_from_bbox(self._title_band)
        self.title.set_text(frames.titles[0])

    def show(self, k: int) -> int:
        """Move every artist to state ``k`` (clamped to ``0 .. len(frames) - 1``); returns the k shown."""
        k = int(min(max(k, 0), len(self.frames) - 1))
        f = self.frames
        for dots, idx in zip(self.scatters, self.groups):
            dots.set_offsets(f.points[k][idx])
        self.lines.set_segments(list(f.lines[k]))
        if "density" in self.images:
            self.images["density"].set_data(f.log_density[k])
        if "logdet" in self.images:
            self.images["logdet"].set_data(f.logdet[k])
            self.ghost.set_offsets(f.points[k])
            self.note.set_visible(bool(np.isnan(f.logdet[k]).all()))
        if self.follow:
            for name, ax in self.axes.items():
                ax.set(xlim=f.lims[k][0], ylim=f.lims[k][1])
                if name in self.images:
                    self.images[name].set_extent((*f.lims[k][0], *f.lims[k][1]))
        self.title.set_text(f.titles[k])
        self.k = k
        return k

    def offsets(self) -> np.ndarray:
        """The points the figure shows now, ``(B, 2)``, in the order of ``frames.points``."""
        out = np.empty((len(self.frames.labels), 2))
        for dots, idx in zip(self.scatters, self.groups):
            out[idx] = dots.get_offsets()
        return out

    def rgb(self) -> np.ndarray:
        """Render and return the picture as an ``(H, W, 3)`` uint8 array."""
        canvas = self.fig.canvas
        if self.follow:
            with mpl.rc_context(self._rc):
                canvas.draw()
            return canvas_rgb(self.fig)
        canvas.restore_region(self._background)
        canvas.restore_region(self._title_pixels[self.title.get_text()])
        for artist in self._moving:
            self.fig.draw_artist(artist)
        return canvas_rgb(self.fig)


def canvas_rgb(fig: Figure) -> np.ndarray:
    """The pixels of ``fig`` as last drawn on its Agg canvas: ``(H, W, 3)`` uint8, a copy (the next draw
    reuses the buffer). Every slider and GIF frame is read off a canvas here."""
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
