"""The diagrams draw what the objects hold: one box per coordinate, per step, one point per training step."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import realnvp_lib as rl  # noqa: E402
from realnvp_lib.config import lr_factor  # noqa: E402
from realnvp_lib.viz import diagrams  # noqa: E402
from realnvp_lib.viz.step_labels import step_label  # noqa: E402


def gids(fig, prefix: str) -> list[str]:
    """The names of the patches whose gid starts with ``prefix``, over every axes of ``fig``."""
    return [p.get_gid() for ax in fig.axes for p in ax.patches if (p.get_gid() or "").startswith(prefix)]


@pytest.mark.parametrize("mask", [rl.half_mask(2), rl.alternating_mask(5), rl.half_mask(6, first=False)])
def test_coupling_diagram_follows_the_mask(mask):
    layer = rl.AffineCoupling(mask, hidden=16, scale_bound=2.0)
    fig = diagrams.coupling_diagram(layer)
    moved = int((mask == 0).sum())
    assert len(gids(fig, "x:")) == len(gids(fig, "y:")) == len(mask)
    assert len(gids(fig, "exp:")) == len(gids(fig, "shift:")) == moved  # exp and +t only where b = 0
    assert gids(fig, "net") == ["net"]
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "→".join(map(str, [len(mask), 16, 16, 2 * len(mask)])) in texts and "2\\,\\tanh" in texts
    plt.close(fig)


def test_jacobian_pattern_is_triangular_in_mask_order():
    pattern = diagrams.jacobian_pattern(rl.alternating_mask(5))  # 3 copied, 2 moved
    assert (np.triu(pattern, 1) == 0).all()
    assert pattern.diagonal().tolist() == [1, 1, 1, 2, 2]
    assert (pattern[3:, :3] == 3).all() and (pattern[:3, :3][~np.eye(3, dtype=bool)] == 0).all()


def test_net_shape_reads_the_conditioner():
    layer = rl.AffineCoupling(rl.half_mask(4), hidden=32, n_hidden=3)
    assert diagrams.net_shape(layer.net) == [4, 32, 32, 32, 8]


@pytest.mark.parametrize(
    "kw", [dict(n_layers=4), dict(n_layers=3, permutation="lu"), dict(n_layers=2, dim=5)]
)
def test_flow_diagram_has_one_box_per_step(kw):
    flow = rl.realnvp(hidden=8, **kw)
    fig = diagrams.flow_diagram(flow)
    assert gids(fig, "step:") == [f"step:{k}" for k in range(len(flow))]
    labels = [t.get_text() for t in fig.axes[0].texts]
    names = [step_label(b) for b in flow.bijections]
    assert all(any(name in label for label in labels) for name in names)
    plt.close(fig)


@pytest.mark.parametrize("config", [rl.FitConfig(), rl.FitConfig(steps=200, warmup=300, lr=1e-3)])
def test_schedule_diagram_draws_the_schedule_fit_uses(config):
    fig = diagrams.schedule_diagram(config)
    (line,) = [ln for ln in fig.axes[0].lines if ln.get_gid() == "schedule"]
    assert len(line.get_xdata()) == config.steps
    want = [config.lr * lr_factor(n, config.steps, config.warmup) for n in range(config.steps)]
    assert np.allclose(line.get_ydata(), want)
    plt.close(fig)
