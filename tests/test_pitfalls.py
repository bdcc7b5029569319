"""Each deliberate bug of notebook 03's gallery is caught by exactly the check the notebook uses."""

from __future__ import annotations

import pytest
import torch

import realnvp_lib as rl
from realnvp_lib.instruments.calculus import jacobian
from realnvp_lib.instruments.pitfalls import (
    BuggyCoupling,
    coupling_scales,
    expect_failure,
    unchecked_trajectory,
)


def buggy(bug: str, mask=None) -> tuple[BuggyCoupling, rl.AffineCoupling]:
    """A randomised buggy layer and a correct twin with the same weights, in float64."""
    mask = rl.half_mask(4) if mask is None else mask
    bad = rl.randomize(BuggyCoupling(mask, bug, hidden=16), seed=0, std=1.0).double()
    good = rl.AffineCoupling(mask, hidden=16).double()
    good.load_state_dict(bad.state_dict())
    return bad, good


X = torch.randn(32, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))


def autograd_logdet(layer, x):
    return torch.linalg.slogdet(jacobian(layer, x)).logabsdet


def test_unknown_bug_is_refused():
    with pytest.raises(ValueError, match="bug must be one of"):
        BuggyCoupling(rl.half_mask(2), "typo")


def test_unmasked_logdet_fails_the_slogdet_check_only():
    bad, good = buggy("unmasked_logdet")
    assert torch.allclose(bad(X)[0], good(X)[0])  # the map itself is right
    assert torch.allclose(good(X)[1], autograd_logdet(good, X))
    assert not torch.allclose(bad(X)[1], autograd_logdet(bad, X), atol=1e-3)


def test_sign_flip_keeps_the_round_trip_but_breaks_cancellation():
    bad, _ = buggy("sign_flip")
    y, ld = bad(X)
    x_back, ld_inv = bad.inverse(y)
    assert torch.allclose(x_back, X)
    assert torch.allclose(ld, autograd_logdet(bad, X))
    assert not torch.allclose(ld + ld_inv, torch.zeros_like(ld), atol=1e-3)


def test_split_merge_breaks_the_round_trip_and_the_pass_through():
    mask = rl.alternating_mask(4)
    bad, good = buggy("split_merge", mask)
    y, ld = bad(X)
    assert torch.allclose(ld, good(X)[1])  # a permuted coupling: its log-det is still right
    assert not torch.allclose(bad.inverse(y)[0], X, atol=1e-3)
    keep = mask.bool()
    assert not torch.equal(y[:, keep], X[:, keep])
    assert torch.equal(y[:, :2], X[:, keep])  # the kept coordinates were merged to the front


def test_unmasked_shift_is_invisible_at_zero_init_and_moves_the_pass_through_half():
    mask = rl.alternating_mask(4)
    fresh = BuggyCoupling(mask, "unmasked_shift", hidden=16).double()
    assert torch.equal(fresh(X)[0], X)  # t = 0 at zero init: nothing to see
    bad, good = buggy("unmasked_shift", mask)
    keep = mask.bool()
    assert not torch.allclose(bad(X)[0][:, keep], X[:, keep], atol=1e-3)
    assert torch.allclose(bad(X)[0][:, ~keep], good(X)[0][:, ~keep])  # the moved half is right
    assert not torch.allclose(bad.inverse(bad(X)[0])[0], X, atol=1e-3)


def test_batch_stats_round_trips_but_couples_the_samples():
    bad, good = buggy("batch_stats")
    y, _ = bad(X)
    assert torch.allclose(bad.inverse(y)[0], X)  # same batch both ways: the round trip cannot see it
    bumped = X.clone()
    bumped[0] += 1.0
    assert not torch.allclose(bad(bumped)[0][1:], y[1:], atol=1e-6)
    assert torch.equal(good(bumped)[0][1:], good(X)[0][1:])


def test_expect_failure_swallows_the_failure_and_refuses_a_pass(capsys):
    with expect_failure():
        raise AssertionError("boom")
    assert "caught AssertionError: boom" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="expected this check to raise"):
        with expect_failure():
            pass
    with expect_failure(ValueError):
        raise ValueError("bad value")


def test_coupling_scales_follow_the_flow_and_survive_overflow():
    flow = rl.randomize(rl.realnvp(dim=3, n_layers=3, hidden=8, permutation="reverse"), seed=0, std=1.0)
    x = torch.randn(5, 3)
    scales = coupling_scales(flow, x)
    assert len(scales) == 3 and all(s.shape == (5, 3) for s in scales)
    states = flow.trajectory(x)
    first = flow.bijections[0].scale_shift(x * flow.bijections[0].mask)[0]
    assert torch.allclose(scales[0], first)
    last = flow.bijections[-1]
    assert torch.allclose(scales[-1], last.scale_shift(states[-2] * last.mask)[0], atol=1e-5)
    unbounded = rl.realnvp(dim=2, n_layers=2, hidden=8, scale_bound=None)
    with torch.no_grad():
        unbounded.bijections[0].net[-1].bias.fill_(100.0)  # exp(100) overflows float32
    scales = coupling_scales(unbounded, torch.randn(4, 2))
    assert scales[0].max() == 100.0 and not torch.isfinite(scales[1]).all()
    states = unchecked_trajectory(unbounded, torch.randn(4, 2))
    assert len(states) == len(unbounded) + 1 and not torch.isfinite(states[-1]).all()
    with pytest.raises(ValueError, match="NaN or inf"):
        unbounded.trajectory(torch.randn(4, 2))  # the checked path refuses what this one reports


def test_unmasked_conditioner_breaks_the_jacobian_and_the_round_trip_but_not_the_pass_through():
    bad, good = buggy("unmasked_conditioner")
    y, ld = bad(X)
    keep = rl.half_mask(4).bool()
    assert torch.equal(y[:, keep], X[:, keep])  # s and t are still masked: b⊙y = b⊙x
    assert not torch.allclose(y, good(X)[0], atol=1e-3)  # but they were computed from all of x
    assert not torch.allclose(ld, autograd_logdet(bad, X), atol=1e-3)
    assert not torch.allclose(bad.inverse(y)[0], X, atol=1e-3)
    report = rl.check_bijection(bad, verbose=False)
    assert report.failures and all("conditioner sees the unmasked x" in f for f in report.failures[:2])
