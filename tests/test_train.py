"""Training: it learns, it is reproducible, it stops clearly, and its density still integrates to 1."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import realnvp_lib as rl

TEST = rl.data.two_moons(4000, noise=0.05, seed=999)


def small_flow(**kw) -> rl.Flow:
    return rl.realnvp(dim=2, n_layers=4, hidden=32, **kw)


@pytest.fixture(scope="module")
def trained() -> tuple[rl.Flow, rl.History, float]:
    flow = small_flow()
    with torch.no_grad():
        before = -flow.log_prob(TEST).mean().item()
    history = rl.fit(flow, rl.data.sampler("two_moons", seed=0), steps=400, batch_size=256,
                     progress=False)
    return flow, history, before


def test_training_lowers_test_nll_far(trained):
    flow, history, before = trained
    with torch.no_grad():
        after = -flow.log_prob(TEST).mean().item()
    assert before > 2.0  # an untrained flow is just N(0, I) on the raw data
    assert after < before - 1.2, (before, after)
    assert np.mean(history.losses[-50:]) < np.mean(history.losses[:50]) - 1.0


def test_trained_density_integrates_to_one(trained):
    flow = trained[0]
    total = rl.density.grid_integral(flow.log_prob, (-6, 7), (-6, 6), n=600)
    assert abs(total - 1) <= 0.005, total


@pytest.mark.parametrize("as_tensor", [True, False])
def test_same_seed_same_losses(as_tensor):
    def run(seed):
        data = rl.data.two_moons(700, seed=1) if as_tensor else rl.data.sampler("two_moons", seed=1)
        return rl.fit(small_flow(), data, steps=30, batch_size=128, seed=seed, progress=False).losses

    first, second = run(0), run(0)
    assert len(first) == 30 and first == second
    if as_tensor:  # the seed drives the minibatch order
        assert run(1) != first


def test_non_finite_loss_stops_with_the_step():
    flow = small_flow(scale_bound=None)
    with pytest.raises(rl.NonFiniteLossError, match=r"at step \d+ of 500"):
        rl.fit(flow, rl.data.sampler("two_moons", seed=0), steps=500, lr=0.5, warmup=1,
               grad_clip=None, ema=None, progress=False)


def test_max_seconds_stops_early():
    history = rl.fit(small_flow(), rl.data.sampler("two_moons"), steps=10_000, max_seconds=0.0,
                     progress=False)
    assert history.stopped_by_time and history.steps == 1


def test_grad_clip_without_gradients_does_nothing():
    from realnvp_lib.train import _clip_grad_norm

    flow = small_flow()
    _clip_grad_norm(list(flow.parameters()), 1.0)  # torch's clip_grad_norm_ accepts this too
    assert all(p.grad is None for p in flow.parameters())


def test_learning_rate_follows_the_schedule():
    history = rl.fit(small_flow(), rl.data.sampler("two_moons"), steps=64, lr=1e-3, warmup=20,
                     progress=False)
    # warmup 20 is capped at an eighth of the 64 steps: 8 rising steps, then a cosine to zero
    expected = [1e-3 * ((k + 1) / 8 if k < 8 else 0.5 * (1 + np.cos(np.pi * (k - 8) / 56)))
                for k in range(64)]
    np.testing.assert_allclose(history.lrs, expected, rtol=1e-12)


def test_time_budget_anneals_the_learning_rate():
    # Far too many steps for one second: the schedule must follow the clock and end decayed.
    history = rl.fit(small_flow(), rl.data.sampler("two_moons"), steps=10**7, max_seconds=1.0,
                     progress=False)
    assert history.stopped_by_time and 10 < history.steps < 10**5
    lrs = np.array(history.lrs)
    assert lrs.max() == pytest.approx(rl.FitConfig.lr, rel=0.05)
    assert lrs[-1] < 0.05 * rl.FitConfig.lr
    peak = int(lrs.argmax())
    assert np.all(np.diff(lrs[peak:]) <= 0)  # after the warm-up it only decreases


def test_negative_budget_raises():
    with pytest.raises(ValueError, match="max_seconds"):
        rl.fit(small_flow(), rl.data.sampler("two_moons"), max_seconds=-1, progress=False)


def test_snapshots_are_kept_and_loadable():
    flow = small_flow()
    history = rl.fit(flow, rl.data.two_moons(512), steps=20, batch_size=128, snapshot_every=10,
                     progress=False)
    assert [s for s, _ in history.snapshots] == [0, 10, 20]
    replay = small_flow()
    replay.load_state_dict(history.snapshots[-1][1])
    x = rl.data.two_moons(64, seed=5)
    assert torch.equal(replay.log_prob(x), flow.log_prob(x))


def test_bad_data_raises():
    with pytest.raises(ValueError, match="D=3"):
        rl.fit(small_flow(), torch.zeros(100, 3), steps=2, progress=False)
    with pytest.raises(ValueError, match="NaN or inf"):
        rl.fit(small_flow(), lambda n: torch.full((n, 2), float("nan")), steps=2, progress=False)


def test_overflow_inside_the_flow_is_a_non_finite_loss():
    flow = small_flow(scale_bound=None)
    with torch.no_grad():
        flow.bijections[0].net[-1].bias.fill_(100.0)  # exp(100) overflows float32 inside the flow
    with pytest.raises(rl.NonFiniteLossError, match="at step 0 of 5"):
        rl.fit(flow, rl.data.sampler("two_moons"), steps=5, progress=False)


def test_fit_restores_the_callers_thread_count():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        rl.fit(small_flow(), rl.data.two_moons(256), steps=3, batch_size=64, progress=False)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_grad_clip_matches_torch(scale):
    # fit's clipping skips the rescale when under the limit; it must agree with torch's on both sides.
    from realnvp_lib.train import _clip_grad_norm

    ours, ref = rl.realnvp(n_layers=3, hidden=8, seed=0), rl.realnvp(n_layers=3, hidden=8, seed=0)
    gen = torch.Generator().manual_seed(1)
    for p, q in zip(ours.parameters(), ref.parameters()):
        p.grad = scale * torch.randn(p.shape, generator=gen)
        q.grad = p.grad.clone()
    _clip_grad_norm(list(ours.parameters()), 5.0)
    torch.nn.utils.clip_grad_norm_(list(ref.parameters()), 5.0)
    for p, q in zip(ours.parameters(), ref.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-5, atol=0)
    total = torch.linalg.vector_norm(torch.cat([p.grad.ravel() for p in ours.parameters()]))
    assert total <= 5.0 * (1 + 1e-5)
