"""Frame figures, GIFs (frame count, loop=0, size) and the headless ``make figures`` entry point."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import randomize
from PIL import Image

import realnvp_lib as rl
from realnvp_lib import animation, figures, frames

MAX_GIF_BYTES = 1_000_000


@pytest.fixture(scope="module")
def depth():
    flow = randomize(rl.realnvp(n_layers=3, hidden=16), std=0.5)
    return frames.depth_frames(flow, "inference", n=200, grid_n=24)


def gif_info(path) -> tuple[int, int | None]:
    with Image.open(path) as im:
        return im.n_frames, im.info.get("loop")


def test_frame_figure_moves_artists_and_clamps(depth):
    fig = animation.FrameFigure(depth)
    assert fig.panels == ["points", "density", "logdet"]
    first = fig.rgb()
    assert fig.show(2) == 2
    np.testing.assert_array_equal(fig.offsets(), depth.points[2])
    assert fig.title.get_text() == depth.titles[2]
    assert not np.array_equal(fig.rgb(), first)
    assert fig.show(99) == len(depth) - 1 and fig.show(-3) == 0
    np.testing.assert_array_equal(fig.rgb(), first)  # blitting leaves nothing behind
    assert fig.png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_reused_title_pixels_match_drawn_text(depth):
    # rgb() pastes each title's pre-rendered pixels; a frame must equal one with the text drawn.
    def drawn(fig):
        fig.fig.canvas.restore_region(fig._background)
        for artist in [fig.title, *fig._moving]:
            fig.fig.draw_artist(artist)
        return np.asarray(fig.fig.canvas.buffer_rgba())[..., :3].copy()

    fig = animation.FrameFigure(depth)
    assert len(fig._title_pixels) == len(set(depth.titles))
    for k in [*range(len(depth)), *range(len(depth) - 1, -1, -1)]:
        fig.show(k)
        np.testing.assert_array_equal(fig.rgb(), drawn(fig))


def test_save_gif_one_frame_per_state_loops_forever(depth, tmp_path):
    info = animation.save_gif(depth, tmp_path / "a.gif", fps=4)
    assert gif_info(tmp_path / "a.gif") == (len(depth), 0)
    assert info["frames"] == len(depth) and info["bytes"] < MAX_GIF_BYTES
    with Image.open(tmp_path / "a.gif") as im:
        im.seek(1)
        back = np.asarray(im.convert("RGB")).astype(int)
    fig = animation.FrameFigure(depth)
    fig.show(1)
    assert np.abs(back - fig.rgb()).mean() < 2  # one shared palette keeps the colours


def test_to_palette_is_exact_on_palette_colours():
    palette = np.array([[255, 255, 255], [0, 0, 0], [10, 200, 30]])
    image = palette[np.array([[0, 1], [2, 2]])].astype(np.uint8)
    assert animation.to_palette(image, palette).tolist() == [[0, 1], [2, 2]]
    assert animation.to_palette(np.full((1, 1, 3), 250, np.uint8), palette).tolist() == [[0]]


def test_strip_draws_the_requested_depths(depth):
    fig = animation.strip(depth, [0, 2, 5])
    assert len(fig.axes) == 3 and fig.axes[2].get_title() == "k = 5"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    return out, figures.main([str(out), "--quick"])


def test_make_figures_writes_every_figure_headless(made):
    out, results = made
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["inference_layers.gif", "inference_smooth.gif", "inference_strip.png",
                            "generation_layers.gif", "generation_smooth.gif", "generation_strip.png",
                            "shorter_models.png", "training.gif"])
    assert {r["path"] for r in results} == {str(out / n) for n in names}


def test_make_figures_gifs_have_the_expected_frames(made):
    out, _ = made
    flow = rl.realnvp(n_layers=3, hidden=32)  # the --quick architecture
    K, couplings = len(flow), 3
    expected = {"inference_layers.gif": K + 1, "generation_layers.gif": K + 1,
                "inference_smooth.gif": 1 + 8 * couplings + 4 * (K - couplings),
                "generation_smooth.gif": 1 + 8 * couplings + 4 * (K - couplings),
                "training.gif": 3}  # snapshots at steps 0, 50 and the end (100)
    for name, n_frames in expected.items():
        assert gif_info(out / name) == (n_frames, 0), name
        assert (out / name).stat().st_size < MAX_GIF_BYTES, name
