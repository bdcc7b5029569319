"""Intermediate states: both paths, in-layer motion, per-depth densities and log-dets, the blog's inverse."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from conftest import randomize

import realnvp_lib as rl
from realnvp_lib.instruments import trajectories as states
from realnvp_lib.instruments.grids import grid_lines, grid_points
from realnvp_lib.viz import frames
from realnvp_lib.viz.step_labels import step_label


@pytest.fixture(scope="module")
def flow() -> rl.Flow:
    return randomize(rl.realnvp(n_layers=3, hidden=16), std=0.5)


@pytest.fixture(scope="module")
def x() -> torch.Tensor:
    return rl.data.two_moons(200, seed=1)


def test_paths_are_the_flow_trajectories_and_mirror_each_other(flow, x):
    h = flow.trajectory(x)
    K = len(flow)
    assert len(h) == K + 1
    torch.testing.assert_close(h[-1], flow(x)[0])
    g = flow.inverse_trajectory(h[-1])  # start the generation path at x's own latent
    for k in range(K + 1):
        torch.testing.assert_close(g[k], h[K - k], atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="direction"):
        states.steps(flow, "sideways")


def test_path_states_are_the_flow_methods(flow, x):
    for a, b in zip(states.path_states(flow, x, "inference"), flow.trajectory(x)):
        assert torch.equal(a, b)
    for a, b in zip(states.path_states(flow, x, "generation"), flow.inverse_trajectory(x)):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="direction"):
        states.path_states(flow, x, "sideways")


def test_steps_and_names(flow):
    names = [step_label(*s) for s in states.steps(flow, "generation")]
    assert names[0] == "coupling⁻¹" and names[1] == "SwapHalves⁻¹" and len(names) == len(flow)


@pytest.mark.parametrize("inverted", [False, True])
@pytest.mark.parametrize("index", [0, 1])  # a coupling, then a swap
def test_partial_step_ends_at_identity_and_at_the_step(flow, x, inverted, index):
    layer = flow.bijections[index]
    with torch.no_grad():
        torch.testing.assert_close(states.partial_step(layer, inverted, x, 0.0), x)
        full = states.apply_step(layer, inverted, x)[0]
        torch.testing.assert_close(states.partial_step(layer, inverted, x, 1.0), full)


def test_partial_coupling_is_a_coupling_with_scaled_logdet(flow, x):
    layer, alpha = copy.deepcopy(flow.bijections[0]).double(), 0.4
    x = x.double()
    with torch.no_grad():
        y = states.partial_step(layer, False, x, alpha)
        torch.testing.assert_close(states.partial_step(layer, True, y, alpha), x, atol=1e-5, rtol=1e-5)
    for p in x[:5]:
        jac = torch.autograd.functional.jacobian(
            lambda q: states.partial_step(layer, False, q[None], alpha)[0], p
        )
        s, _ = layer.scale_shift(p[None] * layer.mask)
        torch.testing.assert_close(torch.linalg.slogdet(jac)[1], alpha * s.sum())


@pytest.mark.parametrize("direction", states.DIRECTIONS)
def test_smooth_path_passes_through_every_state(flow, x, direction):
    smooth, depths = states.smooth_path(flow, x, direction, coupling_frames=5, mix_frames=3)
    n_couplings = sum(isinstance(b, rl.AffineCoupling) for b in flow.bijections)
    assert len(smooth) == len(depths) == 1 + 5 * n_couplings + 3 * (len(flow) - n_couplings)
    assert depths == sorted(depths)
    exact = flow.trajectory(x) if direction == "inference" else flow.inverse_trajectory(x)
    for k, state in enumerate(exact):
        torch.testing.assert_close(smooth[depths.index(float(k))], state)


def test_depth_densities_follow_the_change_of_variables(flow, x):
    hs, lds = flow.trajectory(x), flow.step_logdets(x)
    K = len(flow)
    lp = [states.depth_log_prob(flow, k)(hs[k]) for k in range(K + 1)]
    torch.testing.assert_close(lp[0], flow.log_prob(x).detach())
    torch.testing.assert_close(lp[K], flow.base_log_prob(hs[K]))
    for k in range(1, K + 1):
        torch.testing.assert_close(lp[k], lp[k - 1] - lds[k - 1], atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(states.step_logdet(flow, k)(hs[k]), lds[k - 1], atol=1e-4, rtol=1e-4)
        gen = states.depth_log_prob(flow, K - k, "generation")
        torch.testing.assert_close(gen(hs[k]), lp[k])
    assert torch.equal(states.step_logdet(flow, 0)(x), torch.zeros(len(x)))


def test_generation_step_logdet_is_that_of_the_inverse_layer(flow):
    z = flow.base_sample(50, seed=0)
    gs = flow.inverse_trajectory(z)
    lds = [-ld for ld in reversed(flow.step_logdets(gs[-1]))]
    for k in range(1, len(flow) + 1):
        got = states.step_logdet(flow, k, "generation")(gs[k])
        torch.testing.assert_close(got, lds[k - 1], atol=1e-4, rtol=1e-4)


def test_shorter_model_is_not_a_midpoint(flow):
    z = flow.base_sample(100, seed=3)
    K = len(flow)
    torch.testing.assert_close(states.shorter_model_sample(flow, z, K), flow.sample(100, seed=3))
    torch.testing.assert_close(states.shorter_model_sample(flow, z, 0), z)
    g = flow.inverse_trajectory(z)
    assert not torch.allclose(states.shorter_model_sample(flow, z, 1), g[1], atol=1e-3)
    with pytest.raises(ValueError):
        states.shorter_model_sample(flow, z, K + 1)


def test_quadrants_and_grid_helpers():
    z = torch.tensor([[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]])
    assert states.quadrants(z).tolist() == [0, 1, 2, 3]
    lines = grid_lines(((0, 1), (0, 2)), n_lines=3, n_points=4)
    assert lines.shape == (6, 4, 2) and float(lines[..., 1].max()) == 2.0
    pts = grid_points(((0, 1), (0, 2)), 5)
    assert pts.shape == (25, 2) and pts[1].tolist() == [0.25, 0.0]
    for call, word in [
        (lambda: grid_points(((0, 1), (0, 2)), 0), "n"),
        (lambda: grid_points(((0, 1), (0, 2)), 5.0), "n"),
        (lambda: grid_lines(((0, 1), (0, 2)), n_lines=True), "n_lines"),
        (lambda: grid_lines(((0, 1), (0, 2)), n_points=1), "n_points"),
        (lambda: grid_points(((1, 0), (0, 2)), 5), "x0 < x1"),
    ]:
        with pytest.raises(ValueError, match=word):
            call()


def test_frames_hold_every_state_on_fixed_axes(flow):
    lim = frames.depth_lim(flow, n=100)
    f = frames.depth_frames(flow, "generation", n=100, lim=lim, grid_n=16)
    assert len(f) == len(flow) + 1 == len(f.titles) == len(f.log_density) == len(f.logdet)
    assert f.log_density[0].shape == (16, 16) and f.lines[0].shape[-1] == 2
    np.testing.assert_allclose(f.points[-1], flow.inverse(flow.base_sample(100, seed=0))[0].detach())
    inside = [(lim[0][0] <= p[:, 0]) & (p[:, 0] <= lim[0][1]) for p in f.points]
    assert np.mean(np.concatenate(inside)) > 0.97
    assert "k = 0/" in f.titles[0] and f.palette == "quadrants"
