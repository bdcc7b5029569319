"""Held-out scores, the moons-in-noise test set, coupling inputs, the ablation runner, zoo retraining."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import randomize

import realnvp_lib as rl
from realnvp_lib.instruments import ablation, scores


def test_heldout_gap_is_zero_for_the_true_density_and_nll_matches():
    flow = randomize(rl.realnvp(dim=3, n_layers=3, hidden=8))
    x = torch.randn(500, 3)
    score = scores.heldout(flow, x, flow.log_prob)
    assert score.gap == 0.0 and score.gap_se == 0.0
    assert score.nll == pytest.approx(-flow.log_prob(x).double().mean().item(), abs=1e-9)
    assert 0 < score.nll_se < 1
    assert math.isnan(scores.heldout(flow, x).gap)


def test_heldout_gap_is_a_kl_divergence_between_gaussians():
    # q = N(0, I) (an untrained flow); p = N(mu, I): KL(p || q) = |mu|^2 / 2.
    flow = rl.realnvp(dim=2, n_layers=2, hidden=8)
    mu = torch.tensor([0.6, -0.8])
    x = mu + torch.randn(200_000, 2, generator=torch.Generator().manual_seed(0))
    score = scores.heldout(flow, x, lambda x: flow.base_log_prob(x - mu))
    assert score.gap == pytest.approx(0.5, abs=4 * score.gap_se + 1e-3)


def test_moons_in_noise_places_the_moon_and_its_density_is_exact():
    x = rl.data.moons_in_noise(2000, dim=5, where=(0, 2), seed=1)
    assert x.shape == (2000, 5) and x.dtype == torch.float32
    assert torch.equal(x[:, [0, 2]], rl.data.two_moons(2000, seed=np.random.RandomState(1)))
    lp = rl.density.moons_in_noise_log_prob(x.double(), where=(0, 2))
    gauss = torch.distributions.Normal(0.0, 1.0).log_prob(x[:, [1, 3, 4]].double()).sum(1)
    ref = rl.density.two_moons_log_prob(x[:, [0, 2]].double()) + gauss
    assert torch.allclose(lp, ref, atol=1e-10)
    assert torch.equal(rl.data.moons_in_noise(50, seed=3), rl.data.moons_in_noise(50, seed=3))


def test_moons_in_noise_entropy_adds_the_gaussian_parts():
    h = rl.density.moons_in_noise_entropy(dim=5, moons_entropy=0.3)
    assert h == pytest.approx(0.3 + 1.5 * math.log(2 * math.pi * math.e))


def test_moons_in_noise_integrates_to_one_over_its_moon_plane():
    # Fix the noise coordinates at 0: the moon part must integrate to 1 after removing N(0; 0, 1)^3.
    def log_p(xy):
        x = torch.zeros(xy.shape[0], 5, dtype=xy.dtype)
        x[:, [0, 2]] = xy
        return rl.density.moons_in_noise_log_prob(x) + 1.5 * math.log(2 * math.pi)

    assert rl.density.grid_integral(log_p, (-2, 3), (-1.5, 2), n=300) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("dim", [2, 3, 5, 6])
def test_coupling_inputs_follow_the_permutations(dim):
    for perm in ("none", "swap", "reverse", "random"):
        flow = rl.realnvp(dim=dim, n_layers=5, hidden=4, permutation=perm)
        inputs, order = ablation.coupling_inputs(flow)
        assert len(inputs) == 5 and inputs[0] == list(range(dim // 2))
        # Brute force: push labelled columns through the flow's permutations only.
        h = torch.arange(dim, dtype=torch.float32).expand(1, dim).clone()
        seen = []
        for layer in flow.bijections:
            if isinstance(layer, rl.AffineCoupling):
                seen.append(sorted(h[0, layer.mask.bool()].long().tolist()))
            else:
                h = layer(h)[0]
        assert inputs == seen and order == h[0].long().tolist()


def test_coupling_inputs_in_odd_dimension_reverse_never_conditions_on_the_middle():
    inputs, _ = ablation.coupling_inputs(rl.realnvp(dim=5, n_layers=6, hidden=4, permutation="reverse"))
    assert all(2 not in cond for cond in inputs)
    inputs, _ = ablation.coupling_inputs(rl.realnvp(dim=5, n_layers=6, hidden=4, permutation="swap"))
    assert set().union(*inputs) == set(range(5))


def test_coupling_inputs_after_a_learned_linear_map_are_mixed():
    inputs, order = ablation.coupling_inputs(rl.realnvp(dim=4, n_layers=3, hidden=4, permutation="lu"))
    assert inputs == [[0, 1], None, None] and order is None


def test_permutation_ablation_runs_every_config_reproducibly():
    x_test = rl.data.two_moons(300, seed=9)
    kw = dict(steps={2: 3, 3: 2}, permutations=("none", "swap"), hidden=8, batch_size=32)
    runs = ablation.permutation_ablation(
        lambda: rl.data.sampler("two_moons", seed=0), x_test, rl.density.two_moons_log_prob, **kw
    )
    assert [(r.permutation, r.n_layers, r.steps) for r in runs] == [
        ("none", 2, 3),
        ("swap", 2, 3),
        ("none", 3, 2),
        ("swap", 3, 2),
    ]
    assert all(math.isfinite(r.score.gap) and r.seconds > 0 for r in runs)
    again = ablation.permutation_ablation(
        lambda: rl.data.sampler("two_moons", seed=0), x_test, rl.density.two_moons_log_prob, **kw
    )
    assert [r.score for r in runs] == [r.score for r in again]
    table = ablation.runs_table(runs, entropy=0.29)
    assert table.count("\n") == 5 and "NLL - H" in table and "swap" in table
