"""The pretrained cache: trained once, reused, rebuilt when it is damaged, foreign or outdated."""

from __future__ import annotations

import warnings

import pytest

import realnvp_lib as rl


def quick_fit(monkeypatch):
    """Make the cached recipe train for 2 steps: the cache logic is the same."""
    real_fit = rl.pretrained.fit
    monkeypatch.setattr(
        rl.pretrained, "fit", lambda flow, data, **kw: real_fit(flow, data, **{**kw, "steps": 2})
    )


def test_corrupt_cache_is_retrained_with_a_warning(tmp_path, monkeypatch):
    quick_fit(monkeypatch)
    rl.pretrained.two_moons_flow(tmp_path, progress=False)
    path = rl.pretrained.cache_path(tmp_path, 0.05, 0)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.warns(UserWarning, match="retraining"):
        flow, history = rl.pretrained.two_moons_flow(tmp_path, progress=False)
    assert history is not None and history.steps == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rewritten cache now loads silently
        assert rl.pretrained.two_moons_flow(tmp_path, progress=False)[1] is None


def test_cache_of_another_architecture_is_retrained(tmp_path, monkeypatch):
    quick_fit(monkeypatch)
    path = rl.pretrained.cache_path(tmp_path, 0.05, 0)
    rl.save_flow(rl.realnvp(n_layers=2, hidden=8), path)
    with pytest.warns(UserWarning, match="another architecture"):
        flow, history = rl.pretrained.two_moons_flow(tmp_path, progress=False)
    assert history is not None and flow.config == rl.realnvp().config


def test_retrain_ignores_the_cache(tmp_path, monkeypatch):
    quick_fit(monkeypatch)
    flow, hist = rl.pretrained.two_moons_flow(tmp_path, progress=False)
    assert hist is not None and hist.steps == 2
    _, hist = rl.pretrained.two_moons_flow(tmp_path, progress=False)
    assert hist is None
    _, hist = rl.pretrained.two_moons_flow(tmp_path, progress=False, retrain=True)
    assert hist is not None and len(list(tmp_path.iterdir())) == 1


def test_cache_name_follows_the_recipe(monkeypatch):
    # A cache from an older recipe must not be loaded: the name changes with it.
    name = rl.pretrained.cache_path("cache", noise=0.05, seed=0)
    assert name != rl.pretrained.cache_path("cache", noise=0.1, seed=0)
    assert name != rl.pretrained.cache_path("cache", noise=0.05, seed=1)
    monkeypatch.setattr(rl.pretrained, "RECIPE_VERSION", rl.pretrained.RECIPE_VERSION + 1)
    assert name != rl.pretrained.cache_path("cache", noise=0.05, seed=0)


def test_an_unwritable_cache_warns_and_keeps_the_trained_flow(tmp_path, monkeypatch):
    quick_fit(monkeypatch)
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("a file where the cache folder should be")
    with pytest.warns(UserWarning, match="returned but not cached"):
        flow, history = rl.pretrained.two_moons_flow(blocked, progress=False)
    assert history.steps == 2 and not flow.training
    assert blocked.read_text().startswith("a file")
