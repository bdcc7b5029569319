"""``data.sampler``: a fresh, seeded, i.i.d. stream, whatever order the wrapped sampler returns."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

import realnvp_lib as rl
from realnvp_lib.instruments import density


def test_stream_never_repeats_and_crosses_pool_boundaries():
    draw = rl.data.sampler("two_moons", seed=0, pool=1000)
    sizes = [300, 300, 300, 300, 2500, 7]  # the 4th and 5th calls need fresh pools
    batches = [draw(n) for n in sizes]
    assert [b.shape for b in batches] == [(n, 2) for n in sizes]
    rows = torch.cat(batches)
    assert torch.unique(rows, dim=0).shape[0] == rows.shape[0]  # no point handed out twice
    again = rl.data.sampler("two_moons", seed=0, pool=1000)
    assert all(torch.equal(b, again(n)) for b, n in zip(batches, sizes))


def test_batches_from_an_ordered_sampler_are_mixed():
    # double_moon lists all of moon 0 (x2 < 0 mostly) before moon 1: an unshuffled pool would
    # hand out a first batch from one moon only.
    first = rl.data.sampler("double_moon", seed=0)(1000)
    upper = int((first[:, 1] > 0).sum())
    assert stats.binomtest(upper, 1000, 0.5).pvalue > 1e-3


def test_sampled_points_have_the_true_entropy():
    # Mean -log p of the stream is H (outside reference: the density and its entropy estimate).
    draw = rl.data.sampler("two_moons", seed=1, noise=0.05, pool=4096)
    x = torch.cat([draw(512) for _ in range(40)]).double()
    logp = density.two_moons_log_prob(x, 0.05)
    # 20k draws with control variates give H a standard error well below the stream's own (asserted;
    # tests/test_density.py checks the estimator itself against quadrature); both errors count.
    H, se_H = density.two_moons_entropy(0.05, n=20_000)
    se = logp.std().item() / math.sqrt(len(logp))
    assert se_H < se / 3
    assert abs(-logp.mean().item() - H) < 4 * math.hypot(se, se_H)


def test_bad_requests_raise():
    with pytest.raises(ValueError, match="positive integer"):
        rl.data.sampler("two_moons")(0)
    with pytest.raises(TypeError, match="one \\(n, D\\) tensor"):
        rl.data.sampler("two_moons", labels=True)(5)
