"""check_bijection passes every shipped bijection, names every gallery bug, survives unfinished code."""

from __future__ import annotations

import pytest
import torch
from conftest import all_bijections
from torch import nn

import realnvp_lib as rl
from realnvp_lib.instruments.pitfalls import BuggyCoupling


@pytest.mark.parametrize("dim", [2, 3, 6])
def test_every_shipped_bijection_passes(dim):
    for name, layer in all_bijections(dim).items():
        report = rl.check_bijection(layer, verbose=False)
        assert report.passed and report.failures == [], (name, str(report))


def test_a_whole_flow_passes_and_the_report_prints_numbers(capsys):
    report = rl.check_bijection(rl.realnvp(dim=3, n_layers=3, hidden=8, permutation="lu"))
    out = capsys.readouterr().out
    assert report.passed and str(report) in out
    assert out.count("✓") == 7 and "✗" not in out  # no mask: no pass-through line
    assert "worst row error" in out and "(256, 3)" in out and "passed: 7 of 7 checks passed" in out


# (bug, the check that must fail, words of the gallery that must name it)
GALLERY = [
    ("unmasked_logdet", "log-det vs slogdet", "log-det sums s over the pass-through coordinates too"),
    ("sign_flip", "inverse log-det = −forward", "inverse returns +sum(s): the sign of the inverse log-det"),
    ("split_merge", "pass-through coordinates", "outputs merged back in the wrong order"),
    ("unmasked_shift", "pass-through coordinates", "t not masked"),
    ("batch_stats", "samples independent", "batch statistics leak between samples"),
    ("unmasked_conditioner", "log-det vs slogdet", "the conditioner sees the unmasked x"),
]


@pytest.mark.parametrize(("bug", "check", "words"), GALLERY)
def test_every_gallery_bug_is_named(bug, check, words):
    assert {b for b, _, _ in GALLERY} == set(BuggyCoupling.BUGS)  # a new bug needs a row here
    report = rl.check_bijection(BuggyCoupling(rl.alternating_mask(4), bug, hidden=16), verbose=False)
    assert not report.passed
    assert words in report.failures[0], report.failures  # the first failure names the bug
    failed = [line for line in report.lines if line.startswith("✗")]
    assert check in failed[0] and words in failed[0]


@pytest.mark.parametrize("bug", ["unmasked_logdet", "unmasked_shift", "batch_stats", "unmasked_conditioner"])
def test_bugs_invisible_at_zero_init_are_still_caught(bug):
    fresh = BuggyCoupling(rl.alternating_mask(4), bug, hidden=16)
    good = rl.AffineCoupling(rl.alternating_mask(4), hidden=16)
    x = torch.randn(16, 4)
    assert all(torch.equal(a, b) for a, b in zip(fresh(x), good(x)))  # identical at zero init
    before = {k: v.clone() for k, v in fresh.state_dict().items()}
    assert not rl.check_bijection(fresh, verbose=False).passed
    assert all(torch.equal(v, fresh.state_dict()[k]) for k, v in before.items())  # worked on a copy


class Unfinished(nn.Module):
    dim = 2

    def forward(self, x):
        raise NotImplementedError("exercise: write forward")

    def inverse(self, y):
        raise NotImplementedError


class ForwardOnly(rl.AffineCoupling):
    def __init__(self):
        super().__init__(rl.half_mask(2), hidden=8)

    def inverse(self, y):
        raise NotImplementedError


def test_not_implemented_yet_is_reported_not_raised(capsys):
    report = rl.check_bijection(Unfinished)
    assert not report.passed and report.failures == ["not implemented yet"]
    assert "forward: not implemented yet" in capsys.readouterr().out
    report = rl.check_bijection(ForwardOnly, verbose=False)  # forward's checks still run
    assert report.failures == ["not implemented yet"]
    assert sum(line.startswith("✓") for line in report.lines) == 5
    assert "inverse: not implemented yet" in str(report)


def test_factories_classes_and_the_global_rng():
    state = torch.get_rng_state()
    first = rl.check_bijection(lambda: rl.AffineCoupling(rl.half_mask(3), hidden=8), verbose=False)
    again = rl.check_bijection(lambda: rl.AffineCoupling(rl.half_mask(3), hidden=8), verbose=False)
    assert first.passed and first.lines == again.lines  # the factory is seeded: same numbers
    assert torch.equal(state, torch.get_rng_state())
    no_mask = rl.check_bijection(rl.AffineCoupling, verbose=False)  # a class that needs arguments
    assert "missing 1 required positional argument" in str(no_mask)
    with pytest.raises(TypeError, match="a layer"):
        rl.check_bijection(42)


class KeepdimLogdet(rl.AffineCoupling):
    def forward(self, x):
        y, logdet = super().forward(x)
        return y, logdet[:, None]


class UnusedParameter(rl.AffineCoupling):
    def __init__(self, mask):
        super().__init__(mask, hidden=8)
        self.forgotten = nn.Linear(2, 2)  # built, never called


class NoDim(nn.Module):
    def forward(self, x):
        return x, x.new_zeros(len(x))


def test_shape_gradient_and_contract_failures_are_named():
    report = rl.check_bijection(KeepdimLogdet(rl.half_mask(2), hidden=8), verbose=False)
    assert report.failures == [
        "log-det must be one number per sample, shape (B,): sum s over dim=1, no keepdim"
    ]
    report = rl.check_bijection(UnusedParameter(rl.half_mask(2)), verbose=False)
    assert len(report.failures) == 1 and "forgotten.weight" in report.failures[0]
    report = rl.check_bijection(NoDim(), verbose=False)
    assert not report.passed and "pass dim=" in str(report)
    assert rl.check_bijection(NoDim(), dim=3, verbose=False).failures[0].startswith("the layer breaks")


class DoubledLogdet(nn.Module):
    """An image step whose log-det is twice what it should be (a log-det summed twice)."""

    def __init__(self, step: nn.Module) -> None:
        super().__init__()
        self.step = step

    def forward(self, x):
        y, ld = self.step(x)
        return y, 2 * ld

    def inverse(self, y):
        x, ld = self.step.inverse(y)
        return x, 2 * ld


def test_every_image_step_passes_on_inputs_from_its_domain():
    from realnvp_lib import images as ri

    flow = ri.image_realnvp(seed=0, hidden=8).double()  # every kind of step, small conditioners
    v = ri.dequantize(ri.digits("test")[:32], torch.Generator().manual_seed(0), dtype=torch.float64)
    states = flow.trajectory(v)  # each step is checked on the states that reach it
    for k, step in enumerate(flow.bijections):
        report = rl.check_bijection(step, inputs=states[k], verbose=False)
        assert report.passed, (k, type(step).__name__, report.failures)
    coupling = next(s for s in flow.bijections if isinstance(s, rl.AffineCoupling))
    assert rl.check_bijection(coupling, verbose=False).passed  # its event shape (1, 8, 8) is inferred
    broken = rl.check_bijection(DoubledLogdet(coupling), dim=(1, 8, 8), verbose=False)
    assert not broken.passed and any("log-det" in f for f in broken.failures)


class DetachedLogdet(rl.AffineCoupling):
    """Right values, no gradient: the scale would never learn the volume term."""

    def forward(self, x):
        y, logdet = super().forward(x)
        return y, logdet.detach()


class PartlyDetached(rl.AffineCoupling):
    def forward(self, x):
        y, logdet = super().forward(x)
        return y, 0.5 * logdet + 0.5 * logdet.detach()


class InPlace(rl.AffineCoupling):
    def forward(self, x):
        s, t = self.scale_shift(self.mask * x)
        x.mul_(torch.exp(s)).add_(t)  # overwrites the caller's tensor
        return x, s.sum(1)


class NaNOut(rl.AffineCoupling):
    def forward(self, x):
        y, logdet = super().forward(x)
        return y * (x[:, :1] + 1).sqrt(), logdet  # sqrt of a negative: NaN where x_1 < -1


class SingleOut(rl.AffineCoupling):
    def forward(self, x):
        y, logdet = super().forward(x)
        return y.float(), logdet.float()


class Dropout(rl.AffineCoupling):
    def forward(self, x):
        y, logdet = super().forward(x)
        return nn.functional.dropout(y, 0.1, training=True), logdet


class NaNInverse(rl.AffineCoupling):
    def inverse(self, y):
        x, logdet = super().inverse(y)
        return x, logdet * float("nan")


class Additive(rl.AffineCoupling):
    """A volume-preserving coupling (NICE): its log-det is 0 whatever the weights, so no gradient."""

    def scale_shift(self, x_cond):
        s, t = super().scale_shift(x_cond)
        return torch.zeros_like(s), t


# (layer, words that the first failure must contain, words that no failure may contain)
PRECONDITIONS = [
    (DetachedLogdet, "detached from the graph", None),
    (PartlyDetached, "detached from the graph", None),
    (InPlace, "modifies its input in place", "batch statistics"),
    (NaNOut, "NaN or inf", "t not masked"),
    (SingleOut, "changes the dtype", "batch statistics"),
    (Dropout, "random or keeps state", "batch statistics"),
    (NaNInverse, "NaN or inf", "sign of the inverse"),
]


@pytest.mark.parametrize(
    ("cls", "words", "not_words"), PRECONDITIONS, ids=lambda v: getattr(v, "__name__", "")
)
def test_preconditions_are_named_before_any_bug(cls, words, not_words):
    report = rl.check_bijection(cls(rl.half_mask(4), hidden=16), verbose=False)
    assert not report.passed and words in report.failures[0], report.failures
    assert not_words is None or not any(not_words in f for f in report.failures), report.failures
    if cls not in (DetachedLogdet, PartlyDetached):  # a broken precondition stops the checks
        assert len(report.failures) == 1 and "skipped" in str(report)


def test_a_constant_log_det_is_not_called_detached():
    report = rl.check_bijection(Additive(rl.half_mask(4), hidden=16), verbose=False)
    assert report.passed, report.failures


def test_the_check_leaves_the_callers_tensor_alone_and_rejects_nonsense_arguments():
    x = torch.rand(8, 4, dtype=torch.float64)
    before = x.clone()
    assert not rl.check_bijection(InPlace(rl.half_mask(4), hidden=8), inputs=x, verbose=False).passed
    assert torch.equal(x, before)  # the check works on its own float64 copy
    layer = rl.AffineCoupling(rl.half_mask(2), hidden=8)
    for kwargs, word in [
        ({"n": 1}, "n must"),
        ({"dim": 1}, "dim must"),
        ({"tol": 0}, "tol must"),
        ({"inputs": torch.zeros(1, 2)}, "inputs must"),
        ({"seed": -1}, "seed must"),
    ]:
        with pytest.raises(ValueError, match=word):
            rl.check_bijection(layer, verbose=False, **kwargs)


def test_an_unfinished_skeleton_prints_one_line_and_the_library_runs(capsys):
    report = rl.check_bijection(Unfinished)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "write it above, or open the solution" in out[0]
    assert not report.implemented
    assert (
        rl.yours_or_ours(Unfinished, rl.AffineCoupling, report, name="rl.AffineCoupling") is rl.AffineCoupling
    )
    assert "library's rl.AffineCoupling (Unfinished is not implemented yet)" in capsys.readouterr().out


def test_a_finished_layer_is_the_one_used_and_a_failing_one_is_refused(capsys):
    class Mine(rl.AffineCoupling):
        def __init__(self):
            super().__init__(rl.half_mask(2), hidden=8)

    report = rl.check_bijection(Mine, verbose=False)
    assert report.passed and report.implemented
    assert rl.yours_or_ours(Mine, rl.AffineCoupling, report) is Mine
    assert "use your Mine" in capsys.readouterr().out
    broken = rl.check_bijection(ForwardOnly, verbose=False)
    broken.failures.append("the log-det has the wrong sign")  # implemented, but failing
    broken.failures.remove("not implemented yet")
    with pytest.raises(ValueError, match="failed its check"):
        rl.yours_or_ours(ForwardOnly, rl.AffineCoupling, broken)


def test_implemented_runs_a_function_and_reports_an_unfinished_one(capsys):
    def my_loop(n):
        raise NotImplementedError

    assert not rl.implemented(my_loop, 3)
    assert "my_loop: not implemented yet" in capsys.readouterr().out
    assert rl.implemented(lambda n: n, 3)
    with pytest.raises(ZeroDivisionError):  # the learner's own bug is shown, not hidden
        rl.implemented(lambda n: 1 / n, 0)
