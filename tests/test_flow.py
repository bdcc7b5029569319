"""The whole flow: contract names, round trips, autograd log-dets, paths, sampling, checkpoints."""

from __future__ import annotations

import pytest
import torch
from conftest import randomize
from test_bijections import points

import realnvp_lib as rl
from realnvp_lib.flow import run_steps
from realnvp_lib.instruments.calculus import jacobian


def random_flow(dim: int, permutation: str = "swap", n_layers: int = 4) -> rl.Flow:
    return randomize(rl.realnvp(dim=dim, n_layers=n_layers, hidden=16, permutation=permutation))


@pytest.mark.parametrize("dim", [2, 3, 5, 8, 64])
@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.float64, 1e-10)])
def test_flow_round_trip(dim, dtype, tol, permutation):
    flow = random_flow(dim, permutation).to(dtype)
    x = points(dim, dtype)
    with torch.no_grad():
        z, ld = flow(x)
        x_back, ld_inv = flow.inverse(z)
    # Rounding error is relative to the largest value met on the way (points at 10 sigma get
    # stretched by the random layers), so that is the scale the tolerance applies to.
    scale = max(1.0, max(float(h.abs().max()) for h in flow.trajectory(x)))
    assert (x_back - x).abs().max() <= tol * scale
    assert (ld + ld_inv).abs().max() <= tol * scale


@pytest.mark.parametrize("dim", [2, 3, 5])
def test_flow_logdet_matches_autograd_slogdet(dim, permutation):
    flow = random_flow(dim, permutation).double()
    x = points(dim, torch.float64)[::5]
    z, ld = flow(x)
    assert torch.allclose(ld, torch.linalg.slogdet(jacobian(flow, x))[1], atol=1e-8, rtol=0)
    ref_inv = torch.linalg.slogdet(jacobian(flow.inverse, z))[1]
    assert torch.allclose(flow.inverse(z)[1], ref_inv, atol=1e-8, rtol=0)


def test_log_prob_is_change_of_variables():
    flow = random_flow(3).double()
    x = points(3, torch.float64)
    z, ld = flow(x)
    base = torch.distributions.MultivariateNormal(
        torch.zeros(3, dtype=torch.float64), torch.eye(3, dtype=torch.float64)
    )
    assert torch.allclose(flow.log_prob(x), base.log_prob(z) + ld, atol=1e-12)


def test_trajectories_start_and_end_where_they_should():
    flow = random_flow(4, "lu")
    x = torch.randn(10, 4)
    path, lds = flow.trajectory(x), flow.step_logdets(x)
    assert len(path) == len(flow) + 1 and len(lds) == len(flow)
    z, ld = flow(x)
    assert torch.equal(path[0], x) and torch.allclose(path[-1], z)
    assert torch.allclose(torch.stack(lds).sum(0), ld)
    back = flow.inverse_trajectory(z)
    assert len(back) == len(flow) + 1 and torch.equal(back[0], z)
    assert torch.allclose(back[-1], x, atol=1e-5)
    # the generation path visits the inference path's states in reverse order
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(back, reversed(path)))


def test_no_permutation_leaves_first_half_untouched():
    flow = random_flow(4, "none")
    x = torch.randn(10, 4)
    for state in flow.trajectory(x):
        assert torch.equal(state[:, :2], x[:, :2])


def test_every_flow_parameter_gets_a_gradient(permutation):
    flow = random_flow(3, permutation)
    (-flow.log_prob(torch.randn(64, 3)).mean()).backward()
    for name, p in flow.named_parameters():
        assert p.grad is not None and p.grad.abs().max() > 0, name


def test_sample_is_seeded_and_shaped():
    flow = random_flow(2)
    a, b, c = flow.sample(100, seed=3), flow.sample(100, seed=3), flow.sample(100, seed=4)
    assert a.shape == (100, 2) and torch.equal(a, b) and not torch.equal(a, c)
    assert torch.allclose(flow(a)[0], flow.base_sample(100, seed=3), atol=1e-5)


def test_factory_builds_every_permutation_and_rejects_unknown(permutation):
    flow = rl.realnvp(dim=3, n_layers=3, permutation=permutation)
    couplings = [m for m in flow.bijections if isinstance(m, rl.AffineCoupling)]
    assert len(couplings) == 3
    with pytest.raises(ValueError, match="permutation must be one of"):
        rl.realnvp(permutation="shuffle")


def test_factory_is_seeded_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    a, b = rl.realnvp(seed=5), rl.realnvp(seed=5)
    assert torch.equal(torch.rand(1), expected)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


def test_flow_rejects_bad_input():
    flow = rl.realnvp(dim=3)
    with pytest.raises(ValueError, match="D=2"):
        flow.log_prob(torch.zeros(5, 2))
    with pytest.raises(ValueError, match="NaN or inf"):
        flow.inverse(torch.full((1, 3), float("nan")))


def test_as_flow_wraps_a_learners_flow_and_refuses_one_whose_forward_is_not_its_steps():
    flow = random_flow(2, n_layers=3)

    class Mine(torch.nn.Module):
        def __init__(self, steps, skip_last=False):
            super().__init__()
            self.layers, self.skip_last = torch.nn.ModuleList(steps), skip_last

        def forward(self, x):
            return run_steps(list(self.layers)[:-1] if self.skip_last else self.layers, x)

    wrapped = rl.as_flow(Mine(list(flow.bijections)))
    x = torch.randn(50, 2)
    assert torch.equal(wrapped.log_prob(x), flow.log_prob(x))
    assert list(wrapped.bijections) == list(flow.bijections)  # the same modules, nothing copied
    assert rl.as_flow(flow) is flow and len(rl.as_flow(list(flow.bijections))) == len(flow)
    with pytest.raises(ValueError, match="is not its steps run in order"):
        rl.as_flow(Mine(list(flow.bijections), skip_last=True))
    with pytest.raises(TypeError, match=r"keeps its steps .* in one of \('bijections', 'steps', 'layers'\)"):
        rl.as_flow(torch.nn.Linear(2, 2))
