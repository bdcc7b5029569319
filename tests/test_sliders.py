"""The sliders: ipywidgets whose frames (rendered once) step in the browser through jslink alone."""

from __future__ import annotations

import base64
import io

import ipywidgets as widgets
import numpy as np
import pytest
import torch
from PIL import Image

import realnvp_lib as rl
from realnvp_lib.instruments.perturb import randomize
from realnvp_lib.viz import encode, sliders
from realnvp_lib.viz.figure import FrameFigure
from realnvp_lib.viz.frames import depth_frames, depth_lim

N = 150


@pytest.fixture(scope="module")
def flow() -> rl.Flow:
    return randomize(rl.realnvp(n_layers=3, hidden=16), std=0.5)


@pytest.fixture(scope="module")
def slider(flow):
    """One depth slider shared by the tests that only read it (building one renders every frame)."""
    s = sliders.depth_slider(flow, n=N)
    yield s
    s.close()


@pytest.fixture
def fresh_slider(flow):
    """A slider of its own, for a test that moves its controls."""
    s = sliders.depth_slider(flow, n=N)
    yield s
    s.close()


def pixels(frame: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(frame)).convert("RGB"), dtype=int)


def changed(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of pixels whose colour differs visibly between two pictures of one size."""
    return float((np.abs(a.astype(int) - b.astype(int)).sum(axis=-1) > 30).mean())


def tree(widget: widgets.Widget) -> list[widgets.Widget]:
    """A widget, its children, layouts and styles, recursively."""
    out = [widget]
    for child in getattr(widget, "children", ()):
        out += tree(child)
    return out + [
        getattr(widget, p)
        for p in ("layout", "style")
        if isinstance(getattr(widget, p, None), widgets.Widget)
    ]


def stacks(slider) -> tuple[widgets.Stack, widgets.Stack]:
    """The caption stack and the frame stack (each a stack of per-direction stacks with a toggle)."""
    return slider.children[-2], slider.children[-1]


def test_one_frame_and_title_per_state_for_both_directions(slider, flow):
    assert list(slider.sets) == ["inference", "generation"]
    K = len(flow)
    for direction, (frames, titles) in slider.sets.items():
        assert len(frames) == len(titles) == K + 1
        for k, title in enumerate(titles):
            assert title.startswith(f"{direction}: ") and title.endswith(f"(k = {k}/{K})")
        assert all(f[:4] == b"\x89PNG" for f in frames)
        assert Image.open(io.BytesIO(frames[0])).mode == "P"  # palette PNGs keep notebooks small


def test_frame_k_is_the_picture_of_state_k(slider, flow):
    frames = depth_frames(flow, "generation", N, 0, depth_lim(flow, N, 0), follow=True)
    figure = FrameFigure(frames)
    shown = slider.sets["generation"][0]
    for k in [0, 2, len(flow)]:
        figure.show(k)
        truth = figure.rgb()
        error = np.abs(pixels(shown[k]) - truth).mean()  # the shared palette's rounding only
        other = np.abs(pixels(shown[k - 1 if k else 1]) - truth).mean()
        assert error < 1.0 and other > 3 * error, (k, error, other)


def test_consecutive_frames_differ_in_one_picture_size(slider):
    for frames, _ in slider.sets.values():
        for a, b in zip(frames, frames[1:]):
            x, y = pixels(a), pixels(b)
            assert x.shape == y.shape  # one layout: the picture does not jump
            assert changed(x, y) > 0.001


def test_each_depth_fills_its_own_box_unless_asked_for_one_fixed_box(flow):
    own = depth_frames(flow, "inference", N, 0, follow=True, grid_n=16)
    fixed = depth_frames(flow, "inference", N, 0, follow=False, grid_n=16)
    assert fixed.lims is None and len(own.lims) == len(own)
    for (xs, ys), pts in zip(own.lims, own.points):
        inside = (pts[:, 0] > xs[0]) & (pts[:, 0] < xs[1]) & (pts[:, 1] > ys[0]) & (pts[:, 1] < ys[1])
        assert inside.mean() > 0.97 and xs[1] - xs[0] == pytest.approx(ys[1] - ys[0])
    width = [xs[1] - xs[0] for xs, _ in own.lims]
    # the data at k = 0 is drawn in a box fitted to it, not in the box that holds every depth
    assert width[0] < 0.9 * (fixed.lim[0][1] - fixed.lim[0][0])
    # the maps are computed over each state's own box: log q_k there, not over the fixed box
    k = 2
    grid = torch.as_tensor(
        np.stack(np.meshgrid(np.linspace(*own.lims[k][0], 16), np.linspace(*own.lims[k][1], 16)), -1).reshape(
            -1, 2
        ),
        dtype=torch.float32,
    )
    truth = rl.trajectories.depth_log_prob(flow, k)(grid).detach().reshape(16, 16).numpy()
    np.testing.assert_allclose(own.log_density[k], truth, atol=1e-4)


def test_there_is_no_log_det_map_before_the_first_step(flow):
    frames = depth_frames(flow, "generation", N, 0, grid_n=16, follow=True)
    assert np.isnan(frames.logdet[0]).all() and not np.isnan(frames.logdet[1]).any()
    figure = FrameFigure(frames)
    assert figure.axes["logdet"].get_title() == "log|det J| of step k"
    notes = []
    for k in range(len(frames)):
        figure.show(k)
        notes.append(figure.note.get_visible())
    assert notes == [True] + [False] * (len(frames) - 1)


def test_the_widget_is_ipywidgets_controls_over_stacks_of_images(slider):
    assert isinstance(slider, widgets.VBox)
    assert isinstance(slider.slider, widgets.IntSlider) and isinstance(slider.play, widgets.Play)
    assert isinstance(slider.toggle, widgets.ToggleButtons)
    assert [v for _, v in slider.toggle.options] == ["inference", "generation"]
    assert slider.slider.max == len(slider) - 1
    captions, pictures = stacks(slider)
    for outer, kind in ((captions, widgets.HTML), (pictures, widgets.Image)):
        assert isinstance(outer, widgets.Stack) and len(outer.children) == 2
        for inner, (frames, _) in zip(outer.children, slider.sets.values()):
            assert isinstance(inner, widgets.Stack) and len(inner.children) == len(frames)
            assert all(isinstance(c, kind) for c in inner.children)
    for image, frame in zip(pictures.children[1].children, slider.sets["generation"][0]):
        assert image.format == "url"  # a data URL: the browser decodes it at once (see viz.sliders)
        assert bytes(image.value).decode() == "data:image/png;base64," + base64.b64encode(frame).decode()
    for html, title in zip(captions.children[0].children, slider.sets["inference"][1]):
        assert title in html.value


def test_every_step_is_a_jslink_so_no_python_runs_in_the_browser(slider):
    links = {
        (link.source[0].model_id, link.source[1], link.target[0].model_id, link.target[1])
        for link in slider.links
    }
    assert all(link._model_name == "LinkModel" for link in slider.links)  # jslink, not a Python link
    captions, pictures = stacks(slider)
    inner = [*captions.children, *pictures.children]
    for stack in inner:
        assert (slider.slider.model_id, "value", stack.model_id, "selected_index") in links
    for stack in (captions, pictures):
        assert (slider.toggle.model_id, "index", stack.model_id, "selected_index") in links
    assert (slider.play.model_id, "value", slider.slider.model_id, "value") in links
    assert len(links) == len(inner) + 2 + 1


def test_value_direction_and_caption_follow_the_controls(fresh_slider, flow):
    slider = fresh_slider  # its controls are moved: not the shared one
    seen = []
    slider.observe(lambda change: seen.append(change["new"]), names="value")
    slider.slider.value = 2  # what the browser does, through the kernel
    assert slider.value == 2 and seen == [2]
    assert slider.caption == slider.sets["inference"][1][2]
    slider.value = 3
    assert slider.slider.value == 3 and seen == [2, 3]
    slider.toggle.value = "generation"
    assert slider.direction == "generation" and slider.caption == slider.sets["generation"][1][3]
    slider.direction = "inference"
    assert slider.toggle.value == "inference" and slider.frames == slider.sets["inference"][0]
    with pytest.raises(Exception, match="direction must be one of"):
        slider.direction = "sideways"


def test_the_bundle_is_the_widget_with_a_png_of_the_first_frame(slider):
    bundle = slider._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == slider.model_id
    assert base64.b64decode(bundle["image/png"]) == slider.sets["inference"][0][0]
    assert "VBox" not in bundle["text/plain"] and slider.titles[0] in bundle["text/plain"]


def test_close_closes_the_whole_tree_and_its_links(flow):
    s = sliders.depth_slider(flow, n=40)
    parts = tree(s) + list(s.links)
    assert all(w.comm is not None for w in parts)
    s.close()
    assert [w for w in parts if w.comm is not None] == []


class FakeKernel:
    def __init__(self):
        self.cell = "cell-1"

    def get_parent(self, channel):
        return {"metadata": {"cellId": self.cell}}


class FakeShell:
    def __init__(self):
        self.kernel = FakeKernel()


def test_a_new_slider_in_the_same_cell_closes_the_previous_one(monkeypatch):
    import IPython

    shell = FakeShell()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    pngs = [
        encode.palette_png(np.full((4, 6), v, np.uint8), np.array([[0, 0, 0], [255, 255, 255]] * 128))
        for v in (0, 1)
    ]
    first = sliders.png_slider(pngs, ["a", "b"])
    first._repr_mimebundle_()
    again = sliders.png_slider(pngs, ["a", "b"])
    again._repr_mimebundle_()  # the cell run a second time: its first slider is gone, with its tree
    assert first.comm is None and all(w.comm is None for w in first.links)
    assert again.comm is not None
    shell.kernel.cell = "cell-2"
    other = sliders.png_slider(pngs, ["a", "b"])
    other._repr_mimebundle_()  # another cell's slider leaves this one alone
    assert again.comm is not None and other.comm is not None
    again.close()
    other.close()


def test_sizes_stay_small(slider):
    width, height = Image.open(io.BytesIO(slider.frames[0])).size
    assert width >= 600 and height >= 200  # 1:1 with the figure: 3 panels of 2.6 in at 80 dpi
    per_frame = slider.nbytes / sum(len(f) for f, _ in slider.sets.values())
    assert per_frame < 20_000, per_frame


def test_png_slider_over_any_frames():
    palette = np.array([[0, 0, 0], [120, 120, 120], [255, 255, 255]])
    pngs = [encode.palette_png(np.full((8, 12), v, np.uint8), palette) for v in range(3)]
    s = sliders.png_slider(pngs, ["dark", "grey", "white"], description="brightness")
    assert len(s) == 3 and s.titles == ["dark", "grey", "white"] and s.frames == pngs
    assert s.toggle is None and not any(isinstance(c, widgets.ToggleButtons) for c in s.children)
    assert s.slider.description == "brightness"
    assert [pixels(f)[0, 0].tolist() for f in s.frames] == palette.tolist()
    s.close()


def broken_png() -> bytes:
    good = encode.palette_png(np.zeros((30, 30), np.uint8), np.zeros((256, 3)))
    return good[: len(good) // 2]


@pytest.mark.parametrize(
    ("pngs", "titles", "message"),
    [
        ([], [], "empty"),
        ([b"\x89PNG\r\n\x1a\n...."], ["a", "b"], "1 frames but 2 titles"),
        ([b"RIFF....WEBP"], ["a"], "not PNG, JPEG or GIF"),
        ([broken_png()], ["a"], "does not decode"),
        (["a string"], ["a"], "expected encoded image bytes"),
        (b"\x89PNG", ["a"], "list of encoded images"),
    ],
)
def test_png_slider_refuses_bad_input(pngs, titles, message):
    with pytest.raises((ValueError, TypeError), match=message):
        sliders.png_slider(pngs, titles)


def test_too_many_frames_are_refused_before_any_is_drawn(flow, monkeypatch):
    def no_drawing(*args, **kwargs):
        raise AssertionError("frames were drawn before the limit was checked")

    monkeypatch.setattr(sliders, "render_rgb", no_drawing)
    monkeypatch.setattr(sliders, "depth_frames", no_drawing)
    monkeypatch.setattr(sliders, "training_frames", no_drawing)
    monkeypatch.setattr(sliders, "MAX_FRAMES", 2 * len(flow) + 1)  # one fewer than the depth slider needs
    with pytest.raises(ValueError, match="MAX_FRAMES"):
        sliders.depth_slider(flow, n=20)
    with pytest.raises(ValueError, match="MAX_FRAMES"):
        sliders.training_slider(flow, [(i, flow.state_dict()) for i in range(2 * len(flow) + 2)], n=20)


def test_too_many_bytes_are_refused_while_encoding():
    rng = np.random.default_rng(0)
    few = (rng.integers(0, 4, (400, 400, 3)) * 80).astype(np.uint8)  # 64 colours: ~6 bits a pixel
    with pytest.raises(ValueError, match="first 2 of 3 frames already take"):
        encode.palette_pngs([few, few, few], max_bytes=150_000)
    noise = rng.integers(0, 256, (700, 700, 3), dtype=np.uint8)
    big = io.BytesIO()
    Image.fromarray(noise).save(big, format="PNG")
    with pytest.raises(ValueError, match="MAX_BYTES"):
        sliders.png_slider([big.getvalue()] * 2, ["a", "b"])


def test_sliders_need_a_2d_flow():
    flow = rl.realnvp(dim=3, n_layers=2, hidden=8)
    with pytest.raises(ValueError, match=r"needs a 2-D flow; this flow has dim 3"):
        sliders.depth_slider(flow, n=20)
    with pytest.raises(ValueError, match=r"needs a 2-D flow; this flow has dim 3"):
        sliders.training_slider(flow, [(0, flow.state_dict())], n=20)
    with pytest.raises(TypeError, match="as_flow takes an rl.Flow"):
        sliders.depth_slider(flow.state_dict())


class LearnersFlow(torch.nn.Module):
    """A flow written as in notebook 04: its own list of steps and its own loop, no realnvp_lib class."""

    def __init__(self, steps):
        super().__init__()
        self.steps = torch.nn.ModuleList(steps)

    def forward(self, x):
        logdet = x.new_zeros(len(x))
        for step in self.steps:
            x, ld = step(x)
            logdet = logdet + ld
        return x, logdet


def test_a_learners_flow_gets_the_same_slider_as_the_library_flow_of_its_steps(flow, slider):
    mine = LearnersFlow(list(flow.bijections))
    theirs = sliders.depth_slider(mine, n=N)  # `slider` is depth_slider(flow, n=N), the library flow's
    assert theirs.titles == slider.titles and theirs.frames == slider.frames
    theirs.close()
    with pytest.raises(TypeError, match="takes the rl.Flow that rl.fit trained"):
        sliders.training_slider(mine, [(0, mine.state_dict())])  # snapshots name an rl.Flow's parameters


def test_the_inference_path_starts_from_the_data_asked_for(flow):
    fr = depth_frames(flow, "inference", n=N, maps=False, data="double_moon")
    assert np.array_equal(fr.points[0], rl.data.double_moon(N, seed=0).numpy())
    assert np.array_equal(fr.labels, rl.data.double_moon(N, seed=0, labels=True)[1].numpy())
    moons = depth_frames(flow, "inference", n=N, maps=False)
    assert not np.allclose(fr.points[0], moons.points[0])  # the default is still two moons
    with pytest.raises(ValueError, match=r"data \(where the inference path starts\) must be one of"):
        sliders.depth_slider(flow, n=N, data="mnist")


def test_training_slider_says_what_to_pass(flow):
    with pytest.raises(ValueError, match="snapshots are empty"):
        sliders.training_slider(flow, [])
    small = rl.realnvp(n_layers=2, hidden=8)
    history = rl.fit(
        small, rl.data.sampler("two_moons"), steps=4, batch_size=32, progress=False, snapshot_every=2
    )
    with pytest.raises(TypeError, match=r"pass history.snapshots"):
        sliders.training_slider(small, history)


def test_training_slider_has_one_frame_per_snapshot():
    small = rl.realnvp(n_layers=2, hidden=8)
    history = rl.fit(
        small, rl.data.sampler("two_moons"), steps=20, batch_size=64, progress=False, snapshot_every=10
    )
    s = sliders.training_slider(small, history.snapshots, n=100)
    assert len(s) == len(history.snapshots) == 3
    assert s.titles == [f"samples after {step} training steps" for step, _ in history.snapshots]
    assert s.titles[-1] == "samples after 20 training steps"
    assert changed(pixels(s.frames[0]), pixels(s.frames[-1])) > 0.001
    s.close()


def test_digit_state_frames_are_slider_frames_of_readable_size():
    from realnvp_lib import images as ri
    from realnvp_lib.viz import digits

    flow = randomize(ri.image_realnvp(seed=0, hidden=8), std=0.2)
    v = ri.dequantize(ri.digits("test", seed=0)[:1], torch.Generator().manual_seed(0))
    pngs, titles = digits.state_pngs(flow, v)
    assert len(pngs) == len(titles) == len(flow) + 1
    assert all(Image.open(io.BytesIO(p)).mode == "P" for p in pngs)  # through viz.encode, like the rest
    assert Image.open(io.BytesIO(pngs[0])).size[0] >= 600
    assert all(changed(pixels(a), pixels(b)) > 0.001 for a, b in zip(pngs, pngs[1:]))
    s = sliders.png_slider(pngs, titles, description="step k")
    assert s.caption == titles[0] and len(s) == len(flow) + 1
    s.close()
