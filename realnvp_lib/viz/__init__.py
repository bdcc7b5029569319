"""Everything that draws: style, panels, frames, GIF writer, sliders, static strips, digits, ``make figures``.

The pipeline: a flow's states (``instruments.trajectories``) become ``frames.Frames``;
``figure.FrameFigure`` draws one state; ``gif.save_gif`` and ``sliders`` show all of them;
``tools/make_figures.py`` writes ``figures/``.
``digits`` draws notebook 07's images and the image flow's states.
"""

from . import architecture, digits, figure, frames, gif, panels, sliders, static, style
from .style import use_style

__all__ = [
    "architecture",
    "digits",
    "figure",
    "frames",
    "gif",
    "panels",
    "sliders",
    "static",
    "style",
    "use_style",
]
