"""Bad input earns a message in the caller's terms, never garbage or a raw torch error."""

from __future__ import annotations

import pytest
import torch
from scripts import load_script

import realnvp_lib as rl


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"dim": 1}, "dim >= 2"),
        ({"hidden": 0}, "hidden"),
        ({"n_hidden": -1}, "n_hidden"),
        ({"scale_bound": float("inf")}, "scale_bound"),
        ({"scale_bound": -1.0}, "scale_bound"),
        ({"n_layers": 0}, "n_layers"),
        ({"permutation": "shuffle"}, "permutation"),
        ({"activation": "sigmoid"}, "activation"),
    ],
)
def test_realnvp_options_are_checked(kwargs, words):
    with pytest.raises(ValueError, match=words):
        rl.realnvp(**kwargs)


def test_dtype_mismatch_says_how_to_convert():
    flow = rl.realnvp(n_layers=2, hidden=8)
    with pytest.raises(ValueError, match=r"x is torch.float64.*weights are torch.float32"):
        flow.log_prob(torch.zeros(3, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"z is torch.float64"):
        flow.inverse(torch.zeros(3, 2, dtype=torch.float64))


def test_unknown_data_set_lists_the_choices():
    with pytest.raises(ValueError, match=r"unknown data set 'nope'.*two_moons"):
        rl.data.sampler("nope")


@pytest.mark.parametrize(
    "call",
    [
        lambda: rl.data.eight_gaussians(10, std=float("nan")),
        lambda: rl.data.two_moons(10, noise=-0.1),
        lambda: rl.data.circles(10, factor=0.0),
        lambda: rl.data.two_moons(0),
    ],
)
def test_data_rejects_nonsense_parameters(call):
    with pytest.raises(ValueError):
        call()


def test_grid_with_reversed_limits_is_an_error():
    with pytest.raises(ValueError, match="x0 < x1"):
        rl.density.grid_integral(rl.density.two_moons_log_prob, (2.6, -1.6), (-1.1, 1.6), n=20)


@pytest.mark.parametrize("fn", [rl.density.two_moons_entropy, rl.density.double_moon_entropy])
def test_entropy_needs_enough_draws(fn):
    with pytest.raises(ValueError, match="Monte-Carlo draws"):
        fn(n=1)


def test_depth_outside_the_flow_is_an_error():
    flow = rl.realnvp(n_layers=3, hidden=8)
    for k in (-1, len(flow) + 1, 99):
        with pytest.raises(ValueError, match=rf"0\.\.{len(flow)}"):
            rl.trajectories.depth_log_prob(flow, k)
        with pytest.raises(ValueError, match="depth"):
            rl.trajectories.step_logdet(flow, k)


def test_sample_count_must_be_positive():
    with pytest.raises(ValueError, match="number of samples"):
        rl.realnvp(n_layers=2, hidden=8).sample(0)


def test_save_gif_checks_its_arguments_before_drawing_and_never_leaves_a_stub(tmp_path, monkeypatch):
    import numpy as np

    from realnvp_lib.viz import gif

    drawn = []
    white = np.full((4, 4, 3), 255, np.uint8)
    monkeypatch.setattr(gif, "render_rgb", lambda frames, **kw: drawn.append(1) or [white, white * 0])
    path = tmp_path / "a.gif"
    path.write_bytes(b"GIF89a: the good one")
    for kwargs, word in [
        ({"hold": -1.0}, "hold"),
        ({"fps": 0}, "fps"),
        ({"fps": float("nan")}, "fps"),
        ({"hold": "1"}, "hold"),
        ({"colors": 1}, "colors"),
    ]:
        with pytest.raises(ValueError, match=word):
            gif.save_gif(None, path, **kwargs)
    assert not drawn and path.read_bytes() == b"GIF89a: the good one"

    def half_written(target, *args, **kwargs):
        open(target, "wb").write(b"GIF8")
        raise OSError("disk full")

    monkeypatch.setattr(gif.iio, "imwrite", half_written)
    with pytest.raises(OSError, match="disk full"):
        gif.save_gif(None, path)
    assert path.read_bytes() == b"GIF89a: the good one" and [p.name for p in tmp_path.iterdir()] == ["a.gif"]
    monkeypatch.undo()
    monkeypatch.setattr(gif, "render_rgb", lambda frames, **kw: [white, white * 0])
    assert gif.save_gif(None, path, fps=2)["frames"] == 2 and path.read_bytes().startswith(b"GIF89a")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("steps", 0),
        ("steps", 2.5),
        ("batch_size", True),
        ("lr", -1.0),
        ("lr", float("nan")),
        ("seed", 1.5),
        ("max_seconds", -1),
        ("warmup", -1),
        ("warmup", True),
        ("betas", 0.9),
        ("betas", (0.9,)),
        ("betas", (0.9, 1.0)),
        ("betas", "ab"),
        ("ema", 1.0),
        ("grad_clip", 0),
        ("snapshot_every", 0),
        ("threads", 0),
    ],
)
def test_every_fit_config_field_is_checked_by_name(field, value):
    with pytest.raises(ValueError, match=field):
        rl.FitConfig(**{field: value})
    with pytest.raises(ValueError, match=field):  # as a keyword of fit, before any training
        rl.fit(rl.realnvp(n_layers=1, hidden=4), rl.data.two_moons(64), progress=False, **{field: value})


def test_a_config_that_is_not_a_fit_config_says_what_to_pass():
    with pytest.raises(TypeError, match=r"config must be an rl.FitConfig.*\*\*d"):
        rl.fit(rl.realnvp(n_layers=1, hidden=4), rl.data.two_moons(64), config={"steps": 5})
    assert rl.FitConfig(betas=[0.8, 0.9]).betas == (0.8, 0.9)


def test_sampler_refuses_what_it_cannot_draw_from():
    with pytest.raises(TypeError, match="data set's name"):
        rl.data.sampler(42)
    with pytest.raises(ValueError, match="noise"):
        rl.data.sampler("two_moons", noise=-1.0)  # at once, not at training's first batch
    with pytest.raises(TypeError, match="unexpected keyword"):
        rl.data.sampler("two_moons", nosie=0.1)
    with pytest.raises(TypeError, match="returned ndarray"):
        rl.data.sampler(lambda n, seed: seed.standard_normal((n, 2)))
    with pytest.raises(ValueError, match="seed"):
        rl.data.sampler("two_moons", seed=-1)


def test_site_build_refuses_an_output_that_holds_its_inputs(tmp_path, monkeypatch):
    builder = load_script("build_site")

    def never(*args, **kwargs):
        raise AssertionError("the refusal must come before anything is written or deleted")

    monkeypatch.setattr(builder, "_write", never)  # so a broken refusal cannot touch the repository
    monkeypatch.setattr(builder.shutil, "rmtree", never)
    root = builder.ROOT
    for out in (root, root / "notebooks", root.parent, root / "figures" / "x"):
        with pytest.raises(ValueError, match="refusing to build the site into"):
            builder.build(out)
    (tmp_path / "notes.txt").write_text("someone's work")
    with pytest.raises(ValueError, match="not a site built by this script"):
        builder.build(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "someone's work"
    assert (builder.ROOT / "notebooks").is_dir() and (builder.ROOT / "README.md").is_file()


def test_a_failed_site_build_keeps_the_previous_site_and_names_a_bad_notebook(tmp_path, monkeypatch):
    builder = load_script("build_site")
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("the previous site")
    books = tmp_path / "notebooks"
    books.mkdir()
    (books / "01_ok.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    (books / "02_broken.ipynb").write_text('{"cells": [')
    with pytest.raises(ValueError, match="02_broken.ipynb"):
        builder.build(out, notebooks=books)
    (books / "02_broken.ipynb").unlink()

    def halfway(folder, *args):
        (folder / "index.html").write_text("half a site")
        raise RuntimeError("nbconvert fell over")

    monkeypatch.setattr(builder, "_write", halfway)
    with pytest.raises(RuntimeError, match="fell over"):
        builder.build(out, notebooks=books)
    assert (out / "index.html").read_text() == "the previous site"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary folder left

    def whole(folder, *args):
        (folder / "index.html").write_text("the new site")
        return {"index.html": 12}

    monkeypatch.setattr(builder, "_write", whole)
    assert builder.build(out, notebooks=books) == {"index.html": 12}
    assert (out / "index.html").read_text() == "the new site"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks", "site"]
