"""Frame figures, GIFs (frame count, loop=0, size), static strips and the headless `make figures`."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import randomize
from PIL import Image
from scripts import load_script

import realnvp_lib as rl
from realnvp_lib.viz import encode, figure, frames, gif, static

make_figures = load_script("make_figures")

MAX_GIF_BYTES = 1_000_000


@pytest.fixture(scope="module")
def depth():
    flow = randomize(rl.realnvp(n_layers=3, hidden=16), std=0.5)
    return frames.depth_frames(flow, "inference", n=200, grid_n=24)


def gif_info(path) -> tuple[int, int | None]:
    with Image.open(path) as im:
        return im.n_frames, im.info.get("loop")


def test_frame_figure_moves_artists_and_clamps(depth):
    fig = figure.FrameFigure(depth)
    assert fig.panels == ["points", "density", "logdet"]
    first = fig.rgb()
    assert fig.show(2) == 2
    np.testing.assert_array_equal(fig.offsets(), depth.points[2])
    assert fig.title.get_text() == depth.titles[2]
    assert not np.array_equal(fig.rgb(), first)
    assert fig.show(99) == len(depth) - 1 and fig.show(-3) == 0
    np.testing.assert_array_equal(fig.rgb(), first)  # blitting leaves nothing behind


def test_reused_title_pixels_match_drawn_text(depth):
    # rgb() pastes each title's pre-rendered pixels; a frame must equal one with the text drawn.
    def drawn(fig):
        fig.fig.canvas.restore_region(fig._background)
        for artist in [fig.title, *fig._moving]:
            fig.fig.draw_artist(artist)
        return np.asarray(fig.fig.canvas.buffer_rgba())[..., :3].copy()

    fig = figure.FrameFigure(depth)
    assert len(fig._title_pixels) == len(set(depth.titles))
    for k in [*range(len(depth)), *range(len(depth) - 1, -1, -1)]:
        fig.show(k)
        np.testing.assert_array_equal(fig.rgb(), drawn(fig))


def test_save_gif_one_frame_per_state_loops_forever(depth, tmp_path):
    info = gif.save_gif(depth, tmp_path / "a.gif", fps=4)
    assert gif_info(tmp_path / "a.gif") == (len(depth), 0)
    assert info["frames"] == len(depth) and info["bytes"] < MAX_GIF_BYTES
    with Image.open(tmp_path / "a.gif") as im:
        im.seek(1)
        back = np.asarray(im.convert("RGB")).astype(int)
    fig = figure.FrameFigure(depth)
    fig.show(1)
    assert np.abs(back - fig.rgb()).mean() < 2  # one shared palette keeps the colours


def test_to_palette_is_exact_on_palette_colours():
    palette = np.array([[255, 255, 255], [0, 0, 0], [10, 200, 30]])
    image = palette[np.array([[0, 1], [2, 2]])].astype(np.uint8)
    assert encode.to_palette(image, palette).tolist() == [[0, 1], [2, 2]]
    assert encode.to_palette(np.full((1, 1, 3), 250, np.uint8), palette).tolist() == [[0]]


@pytest.fixture(scope="module")
def small_flow():
    return randomize(rl.realnvp(n_layers=3, hidden=16), std=0.5)


def test_strip_has_a_row_per_panel_and_a_column_per_depth(small_flow):
    ks = static.strip_depths(small_flow, "inference")
    assert ks == [0, 1, 3, 5]  # depth 0, then right after each of the 3 couplings
    fig = static.depth_strip(small_flow, "inference", n=200, grid_n=16)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 3 * len(ks) and len(fig.axes) == len(panels) + 2  # one colourbar per map row
    assert panels[0].get_title() == "k = 0 (0 couplings)" and panels[3].get_title() == "k = 5 (3 couplings)"
    width, height = fig.get_size_inches() * fig.dpi
    assert width / len(ks) >= 160 and height / 3 >= 160  # readable panels: at least 160 px each


def test_strip_leaves_the_log_det_blank_at_depth_0_where_there_is_no_step(small_flow):
    fig = static.depth_strip(small_flow, "inference", n=200, grid_n=16)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    first, second = panels[8], panels[9]  # the log-det row: k = 0, then the first coupling
    blank, drawn = (np.ma.getdata(ax.images[0].get_array()) for ax in (first, second))
    assert np.isnan(blank).all() and np.isfinite(drawn).all()
    assert [t.get_text() for t in first.texts] == ["no step yet (k = 0)"] and not second.texts


def test_strip_depths_count_keeps_both_ends(small_flow):
    assert static.strip_depths(small_flow, "generation", count=3) == [0, 3, 5]


def test_follow_lims_hold_each_frame_and_glide(small_flow):
    fr = frames.smooth_frames(small_flow, "generation", n=300, follow=True)
    assert len(fr.lims) == len(fr)
    for (x, y), pts in zip(fr.lims, fr.points):
        inside = (pts[:, 0] > x[0]) & (pts[:, 0] < x[1]) & (pts[:, 1] > y[0]) & (pts[:, 1] < y[1])
        assert inside.mean() > 0.97  # the box holds the state it shows
        assert x[1] - x[0] == pytest.approx(y[1] - y[0])  # square
    widths = np.array([x[1] - x[0] for x, _ in fr.lims])
    assert np.abs(np.diff(widths)).max() < 0.1 * widths.max()  # no jumps from frame to frame


def test_following_figure_shows_ticks_that_move(small_flow):
    fr = frames.smooth_frames(small_flow, "generation", n=100, follow=True)
    fig = figure.FrameFigure(fr, panels=["points"])
    ax = fig.axes["points"]
    last = len(fr) - 1
    fig.show(last)
    assert ax.get_xlim() == pytest.approx(fr.lims[last][0]) and len(ax.get_xticks()) > 2
    assert ax.get_xlabel() == "coordinate 1"
    np.testing.assert_array_equal(fig.offsets(), fr.points[last])
    assert fig.rgb().shape[2] == 3


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    return out, make_figures.main([str(out), "--quick"])


def test_make_figures_writes_every_figure_headless(made):
    out, results = made
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "inference_layers.gif",
            "inference_smooth.gif",
            "inference_strip.png",
            "generation_layers.gif",
            "generation_smooth.gif",
            "generation_strip.png",
            "shorter_models.png",
            "training.gif",
        ]
    )
    assert {r["path"] for r in results} == {str(out / n) for n in names}


def test_make_figures_gifs_have_the_expected_frames(made):
    out, _ = made
    flow = rl.realnvp(n_layers=3, hidden=32)  # the --quick architecture
    K, couplings = len(flow), 3
    expected = {
        "inference_layers.gif": K + 1,
        "generation_layers.gif": K + 1,
        "inference_smooth.gif": 1 + 5 * couplings + 3 * (K - couplings),
        "generation_smooth.gif": 1 + 5 * couplings + 3 * (K - couplings),
        "training.gif": 3,
    }  # snapshots at steps 0, 50 and the end (100)
    for name, n_frames in expected.items():
        assert gif_info(out / name) == (n_frames, 0), name
        assert (out / name).stat().st_size < MAX_GIF_BYTES, name


def test_readme_gifs_are_wide_enough(made):
    out, _ = made
    for name in make_figures.README_GIFS:
        with Image.open(out / name) as im:
            assert im.width >= 480, name


def test_a_misspelt_panel_is_named_before_anything_is_drawn(depth, tmp_path):
    with pytest.raises(ValueError, match=r"unknown panel\(s\) \['densty'\]"):
        gif.save_gif(depth, tmp_path / "typo.gif", panels=["densty"])
    assert not (tmp_path / "typo.gif").exists()
