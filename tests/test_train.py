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
    history = rl.fit(flow, rl.data.sampler("two_moons", seed=0), steps=400, batch_size=256, progress=False)
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


@pytest.mark.parametrize("ema", [None, 0.995])
def test_non_finite_loss_stops_with_the_step_and_keeps_a_usable_flow(ema):
    flow = small_flow(scale_bound=None)
    with pytest.raises(rl.NonFiniteLossError, match=r"at step \d+ of 500") as caught:
        rl.fit(
            flow,
            rl.data.sampler("two_moons", seed=0),
            steps=500,
            lr=0.5,
            warmup=1,
            grad_clip=None,
            ema=ema,
            progress=False,
        )
    history = caught.value.history
    assert 0 < history.steps < 500 and f"at step {history.steps} " in str(caught.value)
    assert not flow.training  # eval mode, as after a normal fit
    assert all(bool(torch.isfinite(p).all()) for p in flow.parameters())
    with torch.no_grad():
        assert bool(torch.isfinite(flow.log_prob(TEST[:500])).all())


def test_stop_button_keeps_what_was_learned(capsys):
    draw, calls = rl.data.sampler("two_moons", seed=0), [0]

    def data(n):
        calls[0] += 1
        if calls[0] == 52:  # step k uses call k + 1, so 51 steps (0..50) are done
            raise KeyboardInterrupt
        return draw(n)

    flow = small_flow()
    with torch.no_grad():
        before = -flow.log_prob(TEST).mean().item()
    history = rl.fit(flow, data, steps=400, batch_size=256, progress=False)
    assert history.interrupted and history.steps == 51 and len(history.lrs) == 51
    assert "interrupted after 51 of 400 steps" in capsys.readouterr().out
    assert not flow.training
    with torch.no_grad():
        assert -flow.log_prob(TEST).mean().item() < before - 0.3  # the 50 steps were kept


def test_same_batch_twice_is_an_error_that_names_the_fix():
    with pytest.raises(ValueError, match=r"same batch twice.*rl\.data\.sampler"):
        rl.fit(small_flow(), lambda n: rl.data.two_moons(n), steps=5, progress=False)


@pytest.mark.parametrize(
    "option, value",
    [
        ("lr", float("inf")),
        ("lr", 0.0),
        ("grad_clip", -1.0),
        ("ema", 1.5),
        ("ema", 0.0),
        ("max_seconds", float("nan")),
        ("steps", 0),
        ("batch_size", 0),
        ("warmup", -3),
        ("snapshot_every", 0),
        ("threads", 0),
        ("betas", (0.9, 1.5)),
        ("steps", 2.5),
    ],
)
def test_every_option_is_validated_up_front(option, value):
    with pytest.raises(ValueError, match=option):
        rl.fit(small_flow(), rl.data.sampler("two_moons"), progress=False, **{option: value})


def test_unknown_option_is_named():
    with pytest.raises(TypeError, match="lerning_rate"):
        rl.fit(small_flow(), rl.data.sampler("two_moons"), lerning_rate=1e-3)


def test_fit_takes_a_config_and_keywords_override_it():
    cfg = rl.FitConfig(steps=7, batch_size=64, lr=1e-3, warmup=2)
    history = rl.fit(small_flow(), rl.data.sampler("two_moons"), cfg, steps=5, progress=False)
    assert history.steps == 5 and history.config["batch_size"] == 64 and history.config["lr"] == 1e-3


def test_empty_or_mistyped_data_is_named():
    with pytest.raises(ValueError, match="empty"):
        rl.fit(small_flow(), torch.zeros(0, 2), progress=False)
    with pytest.raises(ValueError, match=r"float64.*float32"):
        rl.fit(small_flow(), rl.data.two_moons(100).double(), progress=False)


def test_max_seconds_stops_early():
    history = rl.fit(
        small_flow(), rl.data.sampler("two_moons"), steps=10_000, max_seconds=0.0, progress=False
    )
    assert history.stopped_by_time and history.steps == 1


def test_learning_rate_follows_the_schedule():
    history = rl.fit(small_flow(), rl.data.sampler("two_moons"), steps=64, lr=1e-3, warmup=20, progress=False)
    # warmup 20 is capped at an eighth of the 64 steps: 8 rising steps, then a cosine to zero
    expected = [
        1e-3 * ((k + 1) / 8 if k < 8 else 0.5 * (1 + np.cos(np.pi * (k - 8) / 56))) for k in range(64)
    ]
    np.testing.assert_allclose(history.lrs, expected, rtol=1e-12)


def test_time_budget_anneals_the_learning_rate():
    # Far too many steps for one second: the schedule must follow the clock and end decayed.
    history = rl.fit(small_flow(), rl.data.sampler("two_moons"), steps=10**7, max_seconds=1.0, progress=False)
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
    history = rl.fit(
        flow, rl.data.two_moons(512), steps=20, batch_size=128, snapshot_every=10, progress=False
    )
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


def failing_after(calls: int, fail):
    """Fresh two-moons batches until call ``calls``, then ``fail(batch)`` (which may raise)."""
    draw, count = rl.data.sampler("two_moons", seed=0), [0]

    def data(n):
        count[0] += 1
        batch = draw(n)
        return fail(batch) if count[0] > calls else batch

    return data


def stop(batch):
    raise StopIteration


def broken(batch):
    raise RuntimeError("the sensor went away")


# fit draws two batches up front (to spot a fixed batch); call k feeds step k - 1, so call 8 fails step 7.
@pytest.mark.parametrize(
    ("fail", "error", "words"),
    [
        (lambda b: b * float("nan"), rl.NonFiniteLossError, r"NaN or inf.*at step 7 of 50.*data source"),
        (stop, ValueError, r"StopIteration: the data source ran out"),
        (broken, RuntimeError, "the sensor went away"),
    ],
)
def test_a_run_ended_by_its_data_keeps_the_flow_and_the_history(fail, error, words):
    flow = small_flow()
    with pytest.raises(error, match=words) as caught:
        rl.fit(flow, failing_after(7, fail), steps=50, batch_size=64, progress=False)
    assert not flow.training and caught.value.history.steps == 7
    assert all(bool(torch.isfinite(p).all()) for p in flow.parameters())
    assert rl.fit(flow, rl.data.sampler("two_moons"), steps=2, batch_size=64, progress=False).steps == 2


def test_a_data_source_that_is_empty_from_the_start_is_refused_before_training():
    with pytest.raises(ValueError, match="StopIteration"):
        rl.fit(small_flow(), lambda n: next(iter([])), steps=5, progress=False)
    with pytest.raises(ValueError, match=r"float64 but the flow's weights are torch.float32"):
        rl.fit(small_flow(), lambda n: torch.randn(n, 2, dtype=torch.float64), steps=5, progress=False)


def test_fit_leaves_the_callers_data_gradient_alone():
    data = rl.data.two_moons(256, seed=0).requires_grad_()
    rl.fit(small_flow(), data, steps=3, batch_size=64, progress=False)
    assert data.grad is None
    fresh = rl.data.sampler("two_moons", seed=0)
    leaf = torch.zeros(1, 2, requires_grad=True)
    rl.fit(small_flow(), lambda n: fresh(n) + leaf, steps=3, batch_size=64, progress=False)
    assert leaf.grad is None


class ScaledShift(torch.nn.Module):
    """An objective with a parameter of its own (as a variational dequantizer has): -log q(x + b)."""

    def __init__(self, lr_scale: float, weight_decay: float | None = None):
        super().__init__()
        self.b = torch.nn.Parameter(torch.full((2,), 0.3))
        self.lr_scale, self.weight_decay = lr_scale, weight_decay

    def forward(self, flow, batch):
        return -flow.log_prob(batch + self.b)


@pytest.mark.parametrize("lr_scale", [0.0, 1.0])
def test_an_objectives_parameters_train_in_their_own_group(lr_scale):
    flow, objective = rl.realnvp(n_layers=2, hidden=8), ScaledShift(lr_scale, weight_decay=0.0)
    before = [p.clone() for p in flow.parameters()]
    rl.fit(
        flow,
        rl.data.sampler("two_moons"),
        steps=5,
        batch_size=32,
        progress=False,
        weight_decay=1.0,
        objective=objective,
    )
    assert any(not torch.equal(a, b) for a, b in zip(before, flow.parameters()))  # the flow learns
    moved = not torch.equal(objective.b.detach(), torch.full((2,), 0.3))
    assert moved == (lr_scale > 0)  # lr_scale 0 freezes only the objective's group


@pytest.mark.parametrize("ema", [None, 0.9])
def test_validation_scores_the_weights_the_flow_would_end_with(ema):
    # With a weight average the average is scored and kept (it is what fit hands back); without
    # one, the live weights. Snapshots every step hold exactly those weights, so they are the
    # outside record of what each validation should have seen.
    flow, seen = rl.realnvp(n_layers=2, hidden=8), []

    def score(f):
        seen.append({k: v.clone() for k, v in f.state_dict().items()})
        return [3.0, 1.0, 2.0, 4.0, 5.0, 6.0][len(seen) - 1]  # the 2nd validation is the best

    history = rl.fit(
        flow,
        rl.data.sampler("two_moons"),
        steps=6,
        batch_size=32,
        progress=False,
        ema=ema,
        snapshot_every=1,
        validation=rl.train.HeldOut(score, every=1),
    )
    snapshots = [state for _, state in history.snapshots[:6]]
    assert len(seen) == 6 and history.best_step == 2
    for state, scored in zip(snapshots, seen):
        assert all(torch.equal(state[k], scored[k]) for k in state)
    assert all(torch.equal(v, seen[1][k]) for k, v in flow.state_dict().items())  # the best one's
