"""Tests of ``ri.VariationalDequantizer``: its log r(u | x) against outside references, and joint training."""

from __future__ import annotations

import pytest
import torch

from realnvp_lib import images as ri
from realnvp_lib.images.train import digits_recipe, train_digits
from realnvp_lib.instruments.calculus import jacobian
from realnvp_lib.instruments.perturb import randomize


def small(**kw) -> ri.VariationalDequantizer:
    return ri.VariationalDequantizer(**{"hidden": 8, "n_couplings": 2, "coupling_hidden": 4, **kw})


def noise_map(deq: ri.VariationalDequantizer, x: torch.Tensor, monkeypatch):
    """``n -> u``: the dequantizer's sample with its Gaussian noise ``n: (B, 64)`` fed in."""

    def u_of(n: torch.Tensor) -> torch.Tensor:
        monkeypatch.setattr(torch, "randn", lambda *a, **k: n.view(-1, 1, 8, 8))
        try:
            v = deq.sample(x, None, torch.float64)[0]
        finally:
            monkeypatch.undo()
        return (v * ri.LEVELS - x).flatten(1)

    return u_of


def test_log_r_is_the_gaussian_density_minus_the_autograd_log_det_of_the_noise_map(monkeypatch):
    deq = randomize(small(), std=0.3).double()
    x = ri.digits("val")[:3]
    n = torch.randn(3, 64, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    u_of = noise_map(deq, x, monkeypatch)
    monkeypatch.setattr(torch, "randn", lambda *a, **k: n.view(-1, 1, 8, 8))
    v, log_r = deq.sample(x, None, torch.float64)
    monkeypatch.undo()
    u = v * ri.LEVELS - x
    assert bool(((u > 0) & (u < 1)).all())
    log_n = torch.distributions.Normal(0.0, 1.0).log_prob(n).sum(1)
    ref = log_n - torch.linalg.slogdet(jacobian(u_of, n))[1]
    assert torch.allclose(log_r, ref, atol=1e-9)
    assert not torch.allclose(log_r, log_n, atol=1e-3)  # the maps are not the identity: the check has teeth


def test_without_couplings_r_is_torch_s_logit_normal_distribution():
    deq = randomize(small(n_couplings=0), std=0.3).double()
    x = ri.digits("val")[:5]
    v, log_r = deq.sample(x, torch.Generator().manual_seed(1), torch.float64)
    with torch.no_grad():
        mu, log_sigma = deq.gaussian(deq.context(x.double() / (ri.LEVELS - 1) - 0.5)).chunk(2, dim=1)
    logit_normal = torch.distributions.TransformedDistribution(
        torch.distributions.Normal(mu, log_sigma.exp()), [torch.distributions.transforms.SigmoidTransform()]
    )
    u = v * ri.LEVELS - x
    assert torch.allclose(log_r, logit_normal.log_prob(u).flatten(1).sum(1), atol=1e-9)


def test_samples_stay_in_their_bins_even_when_the_noise_saturates():
    deq = small()
    with torch.no_grad():
        deq.gaussian[-1].bias.copy_(torch.tensor([40.0, 0.0]))  # sigmoid(40) rounds to 1 in float32
    x = torch.full((2, 1, 8, 8), 16, dtype=torch.long)
    v, log_r = deq.sample(x, torch.Generator().manual_seed(0))
    assert bool((v < 1).all()) and torch.equal((v * ri.LEVELS).floor().long(), x)
    assert bool(torch.isfinite(log_r).all())


def test_every_parameter_gets_a_gradient_from_the_joint_objective():
    from realnvp_lib.images.dequantization import Dequantized

    flow, deq = ri.image_realnvp(seed=0, hidden=8), randomize(small(), std=0.3)
    Dequantized(deq, seed=0)(flow, ri.digits("train")[:16]).mean().backward()
    assert all(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in deq.parameters())


def test_it_trains_jointly_and_is_scored_with_the_best_validation_weights():
    flow, deq = ri.image_realnvp(seed=0, hidden=8), small()
    before = [p.clone() for p in deq.parameters()]
    history = train_digits(
        flow,
        ri.digits("train")[:256],
        ri.digits("val")[:64],
        digits_recipe(steps=8, warmup=2),
        progress=False,
        dequantizer=deq,
    )
    assert any(not torch.equal(a, b) for a, b in zip(before, deq.parameters()))
    own = ri.bits_per_dim(flow, ri.digits("val")[:64], n_samples=1, seed=1, dequantizer=deq)[0]
    assert own == pytest.approx(history.best_score, abs=1e-6)  # r's weights are the best step's too
