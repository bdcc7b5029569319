"""Checkpoints: a saved flow comes back exactly, in its dtype; a damaged or foreign file is refused."""

from __future__ import annotations

import pytest
import torch
from conftest import randomize

import realnvp_lib as rl


def saved(tmp_path, **kw):
    flow = randomize(rl.realnvp(dim=2, n_layers=3, hidden=8, **kw), seed=1)
    path = tmp_path / "flow.pt"
    rl.save_flow(flow, path)
    return flow, path


@pytest.mark.parametrize("permutation", rl.PERMUTATIONS)
def test_round_trip_restores_log_prob(tmp_path, permutation):
    flow, path = saved(tmp_path, permutation=permutation)
    assert set(torch.load(path, weights_only=True)) == {"builder", "config", "state_dict"}
    x = torch.randn(50, 2)
    assert torch.equal(rl.load_flow(path).log_prob(x), flow.log_prob(x))


def test_float64_comes_back_float64(tmp_path):
    flow = randomize(rl.realnvp(dim=2, n_layers=2, hidden=8), seed=0).double()
    rl.save_flow(flow, tmp_path / "f64.pt")
    loaded = rl.load_flow(tmp_path / "f64.pt")
    assert all(p.dtype == torch.float64 for p in loaded.parameters())
    x = torch.randn(20, 2, dtype=torch.float64)
    assert torch.equal(loaded.log_prob(x), flow.log_prob(x))


def tamper(path, name, fn):
    blob = torch.load(path, weights_only=True)
    blob["state_dict"][name] = fn(blob["state_dict"][name])
    torch.save(blob, path)


def test_edited_mask_is_refused(tmp_path):
    _, path = saved(tmp_path)
    tamper(path, "bijections.0.mask", lambda m: torch.full_like(m, 0.5))
    with pytest.raises(ValueError, match=r"flow\.pt.*bijections\.0\.mask differs"):
        rl.load_flow(path)


def test_edited_permutation_is_refused(tmp_path):
    _, path = saved(tmp_path, permutation="random")
    tamper(path, "bijections.1.perm", lambda p: torch.zeros_like(p))
    with pytest.raises(ValueError, match="bijections.1.perm"):
        rl.load_flow(path)


def test_nan_weights_are_refused(tmp_path):
    _, path = saved(tmp_path)
    tamper(path, "bijections.0.net.0.weight", lambda w: w.fill_(float("nan")))
    with pytest.raises(ValueError, match="NaN or inf"):
        rl.load_flow(path)


def test_wrong_shapes_are_refused(tmp_path):
    _, path = saved(tmp_path)
    tamper(path, "bijections.0.net.0.weight", lambda w: torch.zeros(3, 3))
    with pytest.raises(ValueError, match="shape"):
        rl.load_flow(path)


@pytest.mark.parametrize("damage", ["truncate", "empty", "garbage"])
def test_corrupt_file_is_a_value_error_naming_the_path(tmp_path, damage):
    _, path = saved(tmp_path)
    raw = path.read_bytes()
    path.write_bytes({"truncate": raw[: len(raw) // 2], "empty": b"", "garbage": b"not a checkpoint"}[damage])
    with pytest.raises(ValueError, match=str(path)):
        rl.load_flow(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        rl.load_flow(tmp_path / "nope.pt")


def test_save_is_atomic(tmp_path, monkeypatch):
    flow, path = saved(tmp_path)
    good = path.read_bytes()

    def broken_save(obj, f, *args, **kw):
        with open(f, "wb") as fh:
            fh.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        rl.save_flow(flow, path)
    assert path.read_bytes() == good  # the old checkpoint is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["flow.pt"]  # no temporary file left behind


def test_save_refuses_what_load_would_refuse_and_writes_nothing(tmp_path):
    flow, path = saved(tmp_path)
    before = path.read_bytes()
    with torch.no_grad():
        flow.bijections[0].net[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"save_flow refuses.*NaN or inf"):
        rl.save_flow(flow, path)
    assert path.read_bytes() == before  # the good checkpoint is still there
    other = randomize(rl.realnvp(dim=2, n_layers=3, hidden=8), seed=1)
    other.bijections[0].mask.fill_(1.0)  # edited by hand: not what its config builds
    with pytest.raises(ValueError, match="save_flow refuses.*mask differs"):
        rl.save_flow(other, tmp_path / "edited.pt")
    extended = rl.realnvp(dim=2, n_layers=2, hidden=8)
    extended.bijections.append(rl.Reverse(2))  # a step its config does not build
    with pytest.raises(ValueError, match="save_flow refuses"):
        rl.save_flow(extended, tmp_path / "extended.pt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flow.pt"]


def test_an_image_flow_of_any_recipe_comes_back_as_itself(tmp_path):
    from realnvp_lib import images as ri

    flow = randomize(ri.image_realnvp(seed=3, hidden=4, alpha=0.05, scale_bound=1.0, n_final=1), seed=0)
    rl.save_flow(flow, tmp_path / "image.pt")
    loaded = rl.load_flow(tmp_path / "image.pt")
    assert isinstance(loaded, ri.ImageFlow) and loaded.config == flow.config
    v = torch.rand(4, 1, 8, 8) * 0.98 + 0.01
    assert torch.equal(loaded.log_prob(v), flow.log_prob(v))
