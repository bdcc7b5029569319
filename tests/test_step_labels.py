"""One step label for every picture: read from the step object, the same in titles, strips and diagrams."""

from __future__ import annotations

import pytest
import torch

import realnvp_lib as rl
from realnvp_lib import images as ri
from realnvp_lib.images.layers import FactorOut, InSqueezed
from realnvp_lib.viz import architecture, digits, frames
from realnvp_lib.viz.step_labels import step_label


def moved_shape(step: torch.nn.Module) -> tuple[int, ...]:
    """The shape of the tensor the coupling inside ``step`` transforms, read from the wrappers' maths."""
    inner, channels = step, None
    while isinstance(inner, InSqueezed | FactorOut):
        if isinstance(inner, FactorOut):
            channels = inner.keep
        inner = inner.layer
    shape = inner.shape
    return (channels, *shape[1:]) if channels else shape


@pytest.mark.parametrize("factor_out", [True, False])
def test_image_couplings_are_named_by_their_mask_and_the_shape_they_see(factor_out):
    flow = ri.image_realnvp(hidden=4, n_checker=2, n_channel=2, n_final=2, factor_out=factor_out)
    couplings = [s for s in flow.bijections if "coupling" in step_label(s)]
    assert len(couplings) == 6
    for step in couplings:
        inner = step
        while isinstance(inner, InSqueezed | FactorOut):
            inner = inner.layer
        per_channel = inner.mask.reshape(inner.shape[0], -1)
        channel_wise = bool((per_channel.min(1).values == per_channel.max(1).values).all())
        dims = list(moved_shape(step))
        dims = dims[1:] if dims[0] == 1 else dims
        want = ("channel" if channel_wise else "checkerboard") + " coupling on " + "x".join(map(str, dims))
        assert step_label(step) == want
    kept = 2 if factor_out else 4
    assert step_label(flow.bijections[-1]) == f"checkerboard coupling on {kept}x4x4"
    assert {step_label(s) for s in flow.bijections if "coupling" not in step_label(s)} == {"logit", "actnorm"}


def test_inverted_steps_and_line_breaks():
    flow = ri.image_realnvp(hidden=4, n_checker=1, n_channel=1, n_final=0)
    coupling = flow.bijections[2]
    assert step_label(coupling, inverted=True) == "checkerboard coupling⁻¹ on 8x8"
    assert step_label(coupling, sep="\n").split("\n") == ["checkerboard", "coupling on 8x8"]
    assert step_label(rl.AffineCoupling([1, 0, 1], hidden=4), inverted=True) == "coupling⁻¹"
    assert step_label(rl.LULinear(3, seed=0)) == "LULinear"  # any other step: its class name


def test_every_picture_uses_the_one_label():
    flow = ri.image_realnvp(hidden=4, n_checker=1, n_channel=1, n_final=1)
    v = torch.full((1, 1, 8, 8), 0.5)
    _, titles = digits.states(flow, v)
    assert [t.split(" after ")[1] for t in titles[1:]] == [step_label(s) for s in flow.bijections]
    fig = architecture.draw_architecture(flow)
    shown = [ax.get_title().split("\n", 1)[1] for ax in fig.axes if ax.get_title()]
    couplings = [s for _, s, _ in architecture.coordinate_roles(flow)]
    assert shown == [step_label(s, sep="\n") for s in couplings]
    flow2 = rl.realnvp(n_layers=2, hidden=4)
    depth = frames.depth_frames(flow2, "generation", n=20, maps=False)
    assert depth.titles[1].split(" after ")[1].startswith("coupling⁻¹")
    assert depth.titles[2].split(" after ")[1].startswith("SwapHalves⁻¹")
