"""What every picture calls a step of a flow: the one label of titles, captions, diagrams and sliders."""

from __future__ import annotations

from torch import nn

from ..actnorm import ActNorm
from ..bijections import AffineCoupling
from ..images.layers import FactorOut, InSqueezed
from ..images.logit import Logit

__all__ = ["step_label"]

INVERSE = "⁻¹"  # marks a step applied backwards (the generation path runs f_k^-1)


def step_label(step: nn.Module, inverted: bool = False, sep: str = " ") -> str:
    """A short reader's name for one step, read from the step object itself.

    * a 2-D flow's coupling (mask ``(D,)``): ``"coupling"``;
    * an image coupling (mask ``(C, H, W)``): ``"checkerboard coupling on 8x8"`` or
      ``"channel coupling on 4x4x4"`` (a channel mask is constant over each channel; the shape is
      the one the coupling sees: a squeezed step says ``4x4x4``, and one that sees only the channels
      left after a factor-out says ``2x4x4``; Dinh et al. 2017, sec. 3.6);
    * ``"logit"``, ``"actnorm"``; any other step (a permutation, your own layer): its class name.

    ``inverted`` adds ``⁻¹`` to the name: that step applied backwards. ``sep`` follows the kind
    of an image coupling (``"\\n"`` breaks the label there, for narrow panels).

    >>> import realnvp_lib as rl
    >>> [step_label(s) for s in rl.realnvp(n_layers=2, hidden=4).bijections]
    ['coupling', 'SwapHalves', 'coupling']
    >>> step_label(rl.SwapHalves(2), inverted=True)
    'SwapHalves⁻¹'
    """
    while isinstance(step, InSqueezed | FactorOut):  # wrappers: the coupling inside names the step
        step = step.layer
    mark = INVERSE if inverted else ""
    if isinstance(step, AffineCoupling):
        if len(step.shape) == 1:
            return "coupling" + mark
        channels = step.mask.reshape(step.shape[0], -1)
        kind = "channel" if bool((channels == channels[:, :1]).all()) else "checkerboard"
        dims = step.shape[1:] if step.shape[0] == 1 else step.shape
        return f"{kind}{sep}coupling{mark} on " + "x".join(map(str, dims))
    if isinstance(step, Logit | ActNorm):
        return type(step).__name__.lower() + mark
    return type(step).__name__ + mark
