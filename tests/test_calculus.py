"""The maths helpers of notebooks 01-03 against closed forms: Jacobians, cell areas, bisection, timings."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import realnvp_lib as rl
from realnvp_lib.instruments import calculus, timing
from realnvp_lib.viz import panels

A = torch.tensor([[1.2, 0.5], [-0.3, 0.9]], dtype=torch.float64)


def warp(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """An invertible non-linear 2-D map with a known log-det: a shear, then a coupling-style scale."""
    u2 = x[:, 1] - 0.4 * x[:, 0] ** 2
    s = 0.6 * torch.tanh(u2)
    return torch.stack([x[:, 0] * torch.exp(s), u2], 1), s


def test_randomize_is_seeded_and_breaks_the_identity():
    layers = [rl.AffineCoupling(rl.half_mask(4), hidden=8) for _ in range(3)]
    for other in layers[1:]:
        other.load_state_dict(layers[0].state_dict())
    x = torch.randn(5, 4)
    assert torch.equal(layers[0](x)[0], x)  # zero-initialised: the identity
    a, b, c = (rl.randomize(m, seed=s) for m, s in zip(layers, (3, 3, 4)))
    assert torch.equal(a.net[-1].weight, b.net[-1].weight)
    assert not torch.equal(a.net[-1].weight, c.net[-1].weight)
    assert not torch.equal(a(x)[0], x)


def test_jacobian_of_linear_map_is_the_matrix():
    x = torch.randn(7, 2, dtype=torch.float64)
    jac = calculus.jacobian(lambda v: v @ A.T, x)
    assert jac.shape == (7, 2, 2)
    assert torch.allclose(jac, A.expand(7, 2, 2))


@pytest.mark.parametrize("dim", [2, 5])
def test_jacobian_matches_per_sample_autograd_for_a_flow(dim):
    flow = rl.randomize(rl.realnvp(dim=dim, n_layers=3, hidden=16), seed=1).double()
    x = torch.randn(4, dim, dtype=torch.float64)
    jac = calculus.jacobian(flow, x)
    for i in range(4):
        ref = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], x[i])
        assert torch.allclose(jac[i], ref, atol=1e-12)
    assert torch.allclose(torch.linalg.slogdet(jac).logabsdet, flow(x)[1], atol=1e-10)


def test_invert_monotone_solves_and_checks_its_bracket():
    z = torch.linspace(-5, 5, 101, dtype=torch.float64)
    x = calculus.invert_monotone(lambda v: v**3 / 3 + 0.1 * v, z)
    assert torch.allclose(x**3 / 3 + 0.1 * x, z, atol=1e-12)
    big = torch.randn(3000, 7, dtype=torch.float64)  # more elements than one chunk, any shape
    assert torch.allclose(calculus.invert_monotone(torch.sinh, big), torch.asinh(big), atol=1e-12)
    with pytest.raises(ValueError, match="bracket"):
        calculus.invert_monotone(torch.tanh, torch.tensor([2.0]))


def test_polygon_area_signed_and_scaled():
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    assert polygon_area_close(calculus.polygon_area(square), 1.0)
    assert polygon_area_close(calculus.polygon_area(square[::-1]), -1.0)
    assert polygon_area_close(calculus.polygon_area(np.stack([square, 3 * square])), [1.0, 9.0])


def polygon_area_close(a, b) -> bool:
    return bool(np.allclose(a, b, atol=1e-12))


def test_area_ratios_of_a_linear_map_equal_abs_det_exactly():
    cells = calculus.area_ratios(lambda v: v @ A.T, (-1, 1), (-2, 2), n=5, subdiv=3)
    assert cells.centres.shape == (25, 2) and cells.before.shape == (25, 12, 2)
    assert np.allclose(cells.ratio, abs(torch.linalg.det(A).item()), atol=1e-12)
    flip = calculus.area_ratios(lambda v: v.flip(1), (0, 1), (0, 1), n=2)  # det -1: area kept
    assert np.allclose(flip.ratio, 1.0)


def test_area_ratios_of_a_nonlinear_map_converge_to_abs_det_at_the_centre():
    errors = []
    for n in (8, 16, 32):
        cells = calculus.area_ratios(warp, (-2, 2), (-2, 2), n=n)
        det = torch.exp(warp(torch.as_tensor(cells.centres))[1]).numpy()
        errors.append(np.abs(cells.ratio / det - 1).max())
    assert errors[-1] < 2e-3
    assert errors[0] > 3 * errors[1] > 9 * errors[2]  # second order in the cell size


def test_area_ratios_uses_a_modules_dtype():
    flow = rl.randomize(rl.realnvp(dim=2, n_layers=2, hidden=8), seed=0)
    cells = calculus.area_ratios(flow, (-1, 1), (-1, 1), n=3)
    assert cells.ratio.shape == (9,) and np.isfinite(cells.ratio).all()


def test_time_logdet_shapes_and_positivity():
    threads = torch.get_num_threads()
    out = timing.time_logdet([2, 8], batch=2, repeats=1, hidden=8)
    assert torch.get_num_threads() == threads
    assert out["dims"].tolist() == [2, 8]
    for key in ("slogdet", "sum_s", "jacobian"):
        assert out[key].shape == (2,) and (out[key] > 0).all()


def test_checkerboard_alternates_in_both_directions():
    m = rl.checkerboard((1, 4, 6))[0]
    assert m.sum() == 12
    assert (m[:, 1:] != m[:, :-1]).all() and (m[1:] != m[:-1]).all()
    assert torch.equal(rl.checkerboard((1, 3, 3), even=False), 1 - rl.checkerboard((1, 3, 3)))
    layer = rl.AffineCoupling(rl.checkerboard((1, 3, 3)).flatten(), hidden=8)
    assert layer(torch.randn(2, 9))[0].shape == (2, 9)


def test_draw_helpers_make_artists():
    fig, (ax1, ax2) = plt.subplots(1, 2)
    cells = calculus.area_ratios(warp, (-1, 1), (-1, 1), n=3)
    art = panels.draw_cells(ax1, cells.after, np.log(cells.ratio), vmax=0.6)
    assert len(art.get_paths()) == 9
    panels.draw_cells(ax1, cells.before)
    img = panels.draw_matrix(ax2, torch.tensor([[1.0, 0.0], [0.5, 2.0]]), title="J")
    assert img.get_array().mask[0, 1] and len(ax2.texts) == 4
    plt.close(fig)
