"""The sliders, driven from Python: the plotted points are the precomputed state, the title follows."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import randomize

import realnvp_lib as rl
from realnvp_lib import widgets


@pytest.fixture(scope="module")
def flow() -> rl.Flow:
    return randomize(rl.realnvp(n_layers=3, hidden=16), std=0.5)


@pytest.fixture(scope="module")
def slider(flow):
    return widgets.depth_slider(flow, n=150)


@pytest.mark.parametrize("direction", ["inference", "generation"])
def test_setting_the_slider_shows_state_k(slider, flow, direction):
    slider.toggle.value = direction
    for k in [1, len(flow), 0, 2]:
        image = slider.image.value
        slider.slider.value = k
        np.testing.assert_array_equal(slider.offsets, slider.frames[direction].points[k])
        np.testing.assert_array_equal(slider.offsets, slider.state)
        assert slider.title == slider.frames[direction].titles[k]
        assert f"(k = {k}/{len(flow)})" in slider.title and slider.title in slider.readout.value
        assert slider.image.value != image and slider.image.value[:4] == b"\x89PNG"


def test_the_path_states_are_the_flow_trajectories(slider, flow):
    h = flow.trajectory(rl.data.two_moons(150, seed=0))
    for k in range(len(flow) + 1):
        np.testing.assert_allclose(slider.frames["inference"].points[k], h[k].numpy())


def test_out_of_range_values_are_clamped(slider, flow):
    slider.slider.value = 10_000
    assert slider.slider.value == len(flow) and slider.title.endswith(f"(k = {len(flow)}/{len(flow)})")
    slider.slider.value = -4
    assert slider.slider.value == 0
    np.testing.assert_array_equal(slider.offsets, slider.state)


def test_each_step_is_timed(slider):
    before = len(slider.seconds)
    slider.slider.value = 1
    assert len(slider.seconds) == before + 1 and slider.step_ms() > 0


def test_the_widget_displays_as_a_widget(slider):
    bundle = slider._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_training_slider_scrubs_snapshots(flow):
    small = rl.realnvp(n_layers=2, hidden=8)
    history = rl.fit(small, rl.data.sampler("two_moons"), steps=20, batch_size=64, progress=False,
                     snapshot_every=10)
    slider = widgets.training_slider(small, history.snapshots, n=100)
    assert slider.slider.max == len(history.snapshots) - 1 == 2
    slider.slider.value = 2
    np.testing.assert_allclose(slider.offsets, small.inverse(small.base_sample(100, seed=0))[0].detach(),
                               atol=1e-5)
    assert slider.title == "samples after 20 training steps"
