"""Everything that draws: style and panels, frames, GIF writer, sliders, static strips, ``make figures``.

The pipeline: a flow's states (``realnvp_lib.paths``) become ``frames.Frames``; ``figure.FrameFigure``
draws one state; ``gif.save_gif`` and ``sliders`` show all of them; ``figures`` writes ``figures/``.
"""

from . import figure, frames, gif, panels, sliders, static, style
from .style import use_style

__all__ = ["figure", "frames", "gif", "panels", "sliders", "static", "style", "use_style"]
