"""Everything that draws: style, panels, frames, GIF writer, sliders, static strips, digits, ``make figures``.

The pipeline: a flow's states (``instruments.trajectories``) become ``frames.Frames``;
``figure.FrameFigure`` draws one state; ``gif.save_gif`` and ``sliders`` show all of them;
``tools/make_figures.py`` writes ``figures/``.
``digits`` draws notebook 07's images and the image flow's states; ``step_labels.step_label`` is
what every one of these pictures calls a step.
"""

from . import architecture, digits, figure, frames, gif, panels, sliders, static, step_labels, style
from .step_labels import step_label
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
    "step_label",
    "step_labels",
    "style",
    "use_style",
]
