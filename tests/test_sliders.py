"""The kernel-free sliders: one rendered frame per state, all inside one self-contained HTML output."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest
from PIL import Image

import realnvp_lib as rl
from realnvp_lib.perturb import randomize
from realnvp_lib.viz import sliders
from realnvp_lib.viz.figure import FrameFigure
from realnvp_lib.viz.frames import depth_frames, depth_lim

N = 150


@pytest.fixture(scope="module")
def flow() -> rl.Flow:
    return randomize(rl.realnvp(n_layers=3, hidden=16), std=0.5)


@pytest.fixture(scope="module")
def slider(flow):
    return sliders.depth_slider(flow, n=N)


def pixels(frame: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(frame)).convert("RGB"), dtype=int)


def payload(html: str) -> dict:
    """The frames and titles the page's script steps through (the JSON inside the output)."""
    pattern = r'<script type="application/json" class="realnvp-slider-data">(.*?)</script>'
    match = re.search(pattern, html, re.S)
    assert match, "no frame data in the HTML"
    return json.loads(match.group(1))


def test_one_frame_and_title_per_state_for_both_directions(slider, flow):
    assert list(slider.sets) == ["inference", "generation"]
    K = len(flow)
    for direction, (frames, titles) in slider.sets.items():
        assert len(frames) == len(titles) == K + 1
        for k, title in enumerate(titles):
            assert title.startswith(f"{direction}: ") and title.endswith(f"(k = {k}/{K})")
        assert all(f[:4] == b"\x89PNG" for f in frames)
        assert Image.open(io.BytesIO(frames[0])).mode == "P"  # palette PNGs keep pages small


def test_frame_k_is_the_picture_of_state_k(slider, flow):
    frames = depth_frames(flow, "generation", N, 0, depth_lim(flow, N, 0))
    figure = FrameFigure(frames)
    for k in [0, 2, len(flow)]:
        figure.show(k)
        assert slider.sets["generation"][0][k] == sliders.palette_png(figure.rgb())


def test_consecutive_frames_differ(slider):
    for frames, _ in slider.sets.values():
        for a, b in zip(frames, frames[1:]):
            x, y = pixels(a), pixels(b)
            assert x.shape == y.shape  # one fixed box: the picture does not jump
            assert (np.abs(x - y).sum(axis=-1) > 30).mean() > 0.001


def test_the_html_holds_every_frame_and_title_and_nothing_remote(slider):
    html = slider.html()
    data = payload(html)
    assert [s["name"] for s in data["sets"]] == list(slider.sets)
    for s, (frames, titles) in zip(data["sets"], slider.sets.values()):
        assert s["titles"] == titles
        assert s["frames"] == ["data:image/png;base64," + base64.b64encode(f).decode() for f in frames]
    first = re.search(r'<img class="realnvp-slider-frame" src="([^"]+)"', html).group(1)
    assert first == data["sets"][0]["frames"][0]  # a picture before (or without) any script
    assert "http://" not in html and "https://" not in html
    assert "</script>" not in html.split('class="realnvp-slider-data">', 1)[1].split("</script>", 1)[0]
    assert "inference: data → latent" in html and "generation: latent → data" in html


def test_the_bundle_is_html_with_a_png_fallback_and_no_widget(slider):
    bundle = slider._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    assert base64.b64decode(bundle["image/png"]) == slider.frames[0]
    assert "VBox" not in bundle["text/plain"] and slider.titles[0] in bundle["text/plain"]


def test_sizes_stay_small(slider):
    width, height = Image.open(io.BytesIO(slider.frames[0])).size
    assert (width, height) == (624, 218)  # 1:1 with the figure: 3 panels of 2.6 in at 80 dpi
    per_frame = slider.nbytes / sum(len(f) for f, _ in slider.sets.values())
    assert per_frame < 15_000, per_frame
    assert len(slider.html()) < 1.4 * slider.nbytes + 10_000  # base64 plus a few kB of page


def test_png_slider_over_any_frames():
    pngs = [sliders.palette_png(np.full((8, 12, 3), v, np.uint8)) for v in (0, 120, 255)]
    s = sliders.png_slider(pngs, ["dark", "grey", "white"], description="brightness")
    assert len(s) == 3 and s.titles == ["dark", "grey", "white"] and s.frames == pngs
    html = s.html()
    assert 'aria-label="brightness"' in html and "<button" not in html  # one set: no toggle
    assert payload(html)["sets"][0]["titles"] == ["dark", "grey", "white"]
    assert 'width="12" height="8"' in html


@pytest.mark.parametrize(("pngs", "titles", "message"), [
    ([], [], "empty"),
    ([b"\x89PNG...."], ["a", "b"], "1 frames but 2 titles"),
    ([b"GIF89a.."], ["a"], "not PNG, JPEG or WebP"),
])
def test_png_slider_refuses_bad_input(pngs, titles, message):
    with pytest.raises(ValueError, match=message):
        sliders.png_slider(pngs, titles)


def test_too_many_or_too_large_frames_are_refused():
    one = sliders.palette_png(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="MAX_FRAMES"):
        sliders.png_slider([one] * (sliders.MAX_FRAMES + 1), ["t"] * (sliders.MAX_FRAMES + 1))
    noise = np.random.default_rng(0).integers(0, 256, (700, 700, 3), dtype=np.uint8)
    big = io.BytesIO()
    Image.fromarray(noise).save(big, format="PNG")
    with pytest.raises(ValueError, match="MAX_BYTES"):
        sliders.png_slider([big.getvalue()] * 3, ["a", "b", "c"])


def test_sliders_need_a_2d_flow():
    flow = rl.realnvp(dim=3, n_layers=2, hidden=8)
    with pytest.raises(ValueError, match=r"needs a 2-D flow; this flow has dim 3"):
        sliders.depth_slider(flow, n=20)
    with pytest.raises(ValueError, match=r"needs a 2-D flow; this flow has dim 3"):
        sliders.training_slider(flow, [(0, flow.state_dict())], n=20)


def test_training_slider_refuses_empty_snapshots(flow):
    with pytest.raises(ValueError, match="snapshots are empty"):
        sliders.training_slider(flow, [])


def test_training_slider_has_one_frame_per_snapshot():
    small = rl.realnvp(n_layers=2, hidden=8)
    history = rl.fit(small, rl.data.sampler("two_moons"), steps=20, batch_size=64, progress=False,
                     snapshot_every=10)
    s = sliders.training_slider(small, history.snapshots, n=100)
    assert len(s) == len(history.snapshots) == 3
    assert s.titles == [f"samples after {step} training steps" for step, _ in history.snapshots]
    assert s.titles[-1] == "samples after 20 training steps"
    assert not np.array_equal(pixels(s.frames[0]), pixels(s.frames[-1]))
