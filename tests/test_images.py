"""Image flows: splits, dequantization, every image bijection's contract, bits/dim, baselines, cache."""

from __future__ import annotations

import math
import warnings

import pytest
import torch

import realnvp_lib as rl
from realnvp_lib import actnorm as norm
from realnvp_lib import images as ri
from realnvp_lib.images import cache
from realnvp_lib.images.train import digits_recipe, train_digits
from realnvp_lib.instruments.calculus import jacobian
from realnvp_lib.instruments.perturb import randomize
from realnvp_lib.viz import digits

SHAPE = (1, 8, 8)


def pixels(n: int = 6, dtype=torch.float64, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return ri.dequantize(torch.randint(0, 17, (n, *SHAPE), generator=gen), gen, dtype)


def squeezed_coupling(keep: int | None = None) -> torch.nn.Module:
    c = keep or 4
    inner = ri.conv_coupling(ri.checkerboard((c, 4, 4)), hidden=8)
    return ri.InSqueezed(ri.FactorOut(inner, keep) if keep else inner)


def image_layers() -> dict[str, torch.nn.Module]:
    """One of every image bijection, each mapping (B, 1, 8, 8) to itself, with random weights."""
    actnorm = norm.ActNorm(SHAPE)
    layers = {
        "checkerboard": ri.conv_coupling(ri.checkerboard(SHAPE), hidden=8),
        "checkerboard_odd": ri.conv_coupling(ri.checkerboard(SHAPE, even=False), hidden=8, n_blocks=2),
        "channel": ri.InSqueezed(ri.conv_coupling(ri.channel_mask((4, 4, 4)), hidden=8)),
        "squeezed_checkerboard": squeezed_coupling(),
        "factor_out": squeezed_coupling(keep=2),
        "actnorm": actnorm,
    }
    layers = {k: randomize(v, seed=i, std=0.5) for i, (k, v) in enumerate(layers.items())}
    layers["logit"] = ri.Logit(0.05)
    return {k: v.double() for k, v in layers.items()}


LAYERS = image_layers()


def random_flow() -> ri.ImageFlow:
    return randomize(ri.image_realnvp(seed=0, hidden=8), std=0.05).double()


def logdet_reference(fn, x: torch.Tensor) -> torch.Tensor:
    """log|det| of the autograd Jacobian of ``fn`` on the flattened 64-dim images."""
    flat = lambda v: fn(v.view(-1, *SHAPE))[0].flatten(1)  # noqa: E731
    return torch.linalg.slogdet(jacobian(flat, x.flatten(1)))[1]


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_round_trip_and_inverse_logdet(name):
    layer, v = LAYERS[name], pixels()
    x = v if name == "logit" else torch.logit(v)
    with torch.no_grad():
        y, ld = layer(x)
        x_back, ld_inv = layer.inverse(y)
    assert y.shape == x.shape and ld.shape == (x.shape[0],)
    assert (x_back - x).abs().max() < 1e-10
    assert (ld + ld_inv).abs().max() < 1e-10
    assert not torch.allclose(y, x)  # randomised: not the identity


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_logdet_matches_autograd_slogdet_64_dims(name):
    layer, v = LAYERS[name], pixels(3)
    x = v if name == "logit" else torch.logit(v)
    y, ld = layer(x)
    assert torch.allclose(ld, logdet_reference(layer, x), atol=1e-8, rtol=0)
    assert torch.allclose(layer.inverse(y)[1], logdet_reference(layer.inverse, y), atol=1e-8, rtol=0)


def test_flow_round_trip_logdet_and_shape():
    flow, v = random_flow(), pixels()
    z, ld = flow(v)
    assert z.shape == v.shape and ld.shape == (6,)
    v_back, ld_inv = flow.inverse(z)
    assert (v_back - v).abs().max() < 1e-9 and (ld + ld_inv).abs().max() < 1e-9
    assert torch.allclose(ld[:2], logdet_reference(flow, v[:2]), atol=1e-7, rtol=0)
    assert all(h.shape == v.shape for h in flow.trajectory(v))


@pytest.mark.parametrize("alpha", [0.01, ri.VARIATIONAL_ALPHA])
def test_logit_keeps_float32_precision_at_the_pixel_range_edges(alpha):
    """The flows train in float32: at the recipes' alphas the logit's output and log-det at v = 0 and
    at the largest float32 pixel below 1 (p = alpha + (1 - 2 alpha) v nearest 0 or 1) must agree with
    float64's to 1e-4 (``1 - p`` is rounded at float32's spacing near 1, 6e-8: a relative error of 5e-5
    at alpha = 1e-4, 1e-4 at 1e-5, 2e-2 at 1e-7), and the inverse must give the pixels back."""
    v = torch.tensor([0.0, 1 - torch.finfo(torch.float32).eps / 2]).view(2, 1, 1, 1)
    logit = ri.Logit(alpha)
    y, ld = logit(v)
    y64, ld64 = logit(v.double())
    assert torch.allclose(y.double(), y64, rtol=1e-4, atol=0)
    assert torch.allclose(ld.double(), ld64, rtol=1e-4, atol=0)
    assert (logit.inverse(y)[0] - v).abs().max() < 1e-6


def test_gradients_reach_every_parameter():
    flow = random_flow()
    flow.log_prob(pixels()).mean().backward()
    for name, p in flow.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_squeeze_round_trip_and_layout():
    x = torch.arange(64.0).view(1, 1, 8, 8)
    s = ri.squeeze(x)
    assert s.shape == (1, 4, 4, 4)
    assert s[0, :, 0, 0].tolist() == [0.0, 1.0, 8.0, 9.0]  # one 2x2 block -> 4 channels
    assert torch.equal(ri.unsqueeze(s), x)


def test_masks():
    cb = ri.checkerboard((2, 4, 4))
    assert (
        cb.shape == (2, 4, 4)
        and cb.sum() == 16
        and torch.equal(cb + ri.checkerboard((2, 4, 4), False), torch.ones(2, 4, 4))
    )
    ch = ri.channel_mask((4, 4, 4))
    assert ch[:2].eq(1).all() and ch[2:].eq(0).all()
    with pytest.raises(ValueError):
        ri.conv_coupling(torch.ones(1, 8, 8))
    with pytest.raises(ValueError):
        ri.channel_mask((1, 8, 8))


def test_splits_fixed_disjoint_and_integer():
    parts = {s: ri.digits(s, seed=0) for s in ("train", "val", "test")}
    assert [len(p) for p in parts.values()] == [1257, 180, 360]
    for x in parts.values():
        assert x.dtype == torch.int64 and x.shape[1:] == SHAPE and 0 <= x.min() and x.max() <= 16
    ids = {s: set(ri.data.split_indices(s, 0).tolist()) for s in parts}
    assert not (ids["train"] & ids["val"] or ids["train"] & ids["test"] or ids["val"] & ids["test"])
    assert len(ids["train"] | ids["val"] | ids["test"]) == 1797
    assert torch.equal(ri.digits("test", seed=0), parts["test"])
    assert not torch.equal(ri.digits("test", seed=1), parts["test"])
    with pytest.raises(ValueError):
        ri.digits("training")


def test_dequantize_stays_in_its_bin():
    x = ri.digits("val")
    v = ri.dequantize(x, torch.Generator().manual_seed(0))
    assert v.min() >= 0 and v.max() < 1 and torch.equal((v * 17).floor().long(), x)
    with pytest.raises(ValueError):
        ri.dequantize(x.float())


def test_bits_per_dim_of_uniform_is_log2_17_exactly():
    bpd, se = ri.bits_per_dim(ri.Uniform(), ri.digits("test"))
    assert bpd == math.log2(17) and se == 0.0


def test_bits_per_dim_follows_the_formula():
    class Constant:
        def log_prob(self, v):
            return v.new_full((v.shape[0],), 10.0)

    bpd, _ = ri.bits_per_dim(Constant(), ri.digits("val"), n_samples=2)
    assert bpd == pytest.approx((-10.0 + 64 * math.log(17)) / (64 * math.log(2)), abs=1e-12)
    with pytest.raises(ValueError):
        ri.bits_per_dim(Constant(), ri.digits("val").float())


def test_baselines_on_the_test_split():
    scores = ri.baselines(ri.digits("train"), ri.digits("test"))
    assert scores["uniform"][0] == math.log2(17)
    assert 2.3 < scores["pixel histogram"][0] < 2.5
    assert 2.35 < scores["Gaussian in logit space"][0] < 2.6
    # The histogram is a proper discrete model: its probabilities over the 17 levels sum to 1.
    hist = ri.PixelHistogram(ri.digits("train"))
    assert torch.allclose(hist.log_p.exp().sum(1), torch.ones(64, dtype=torch.float64))


def test_sample_shape_range_temperature_and_double():
    flow = random_flow()
    s = flow.sample(5, seed=0, temperature=0.5)
    assert s.shape == (5, *SHAPE) and s.dtype == torch.float64 and 0 <= s.min() and s.max() <= 1
    assert torch.equal(s, flow.sample(5, seed=0, temperature=0.5))
    for bad in (0, -1.0, float("nan"), True):
        with pytest.raises(ValueError):
            flow.sample(2, temperature=bad)
    assert isinstance(flow, rl.Flow) and flow.float()(pixels(2, torch.float32))[0].dtype == torch.float32


def test_actnorm_data_init_standardizes():
    layer = norm.ActNorm(SHAPE)
    x = torch.logit(pixels(200))
    norm.data_init([layer], x)
    y, _ = layer(x)
    assert y.mean(0).abs().max() < 1e-6 and (y.std(0) - 1).abs().max() < 1e-2


def tiny_config(epochs: int = 2, n: int = 256, **kw) -> rl.FitConfig:
    """The digits recipe on ``n`` training images (4 steps per epoch at batch 64)."""
    return digits_recipe(steps=epochs * ri.steps_per_epoch(n), warmup=2, **kw)


def test_training_keeps_best_validation_weights_and_restores_threads():
    flow = ri.image_realnvp(seed=0, hidden=8)
    before = torch.get_num_threads()
    history = train_digits(
        flow, ri.digits("train")[:256], ri.digits("val")[:64], tiny_config(epochs=3), progress=False
    )
    assert torch.get_num_threads() == before
    assert history.val_steps == [4, 8, 12] and history.best_score == min(history.val_scores)
    assert history.val_scores[0] < math.log2(17) + 1
    score = ri.bits_per_dim(flow, ri.digits("val")[:64], n_samples=1, seed=1)[0]
    assert score == pytest.approx(history.best_score, abs=1e-6)
    assert not flow.training and len(ri.epoch_bpd(history, 4)) == 3


def test_keyboard_interrupt_keeps_what_was_learned(monkeypatch):
    flow = ri.image_realnvp(seed=0, hidden=8)
    calls = {"n": 0}
    original = ri.ImageFlow.log_prob

    def interrupting(self, v):
        calls["n"] += 1
        if calls["n"] == 10:
            raise KeyboardInterrupt
        return original(self, v)

    monkeypatch.setattr(ri.ImageFlow, "log_prob", interrupting)
    history = train_digits(
        flow, ri.digits("train")[:256], ri.digits("val")[:64], tiny_config(epochs=5), progress=False
    )
    assert history.interrupted and history.steps == 9 - 1 and not flow.training


def test_cache_round_trip_and_corrupt_file_retrains(tmp_path, monkeypatch):
    small = lambda seed=0: ri.image_realnvp(seed=seed, hidden=8)  # noqa: E731
    monkeypatch.setattr(cache, "image_realnvp", small)
    monkeypatch.setattr(cache, "digits_recipe", lambda seed=0: tiny_config(seed=seed, epochs=1, n=128))
    monkeypatch.setattr(cache, "digits", lambda split: ri.digits(split)[:128])
    flow, history = cache.trained_digits_flow(seed=0, cache_dir=tmp_path, progress=False)
    path = cache.cache_path(tmp_path, 0)
    assert path.exists() and isinstance(history, rl.History)
    again, history2 = cache.trained_digits_flow(seed=0, cache_dir=tmp_path, progress=False)
    v = pixels(3, torch.float32)
    assert torch.equal(again.log_prob(v), flow.log_prob(v)) and history2.val_scores == history.val_scores
    path.write_bytes(b"not a checkpoint")
    with pytest.warns(UserWarning, match="retraining"):
        cache.trained_digits_flow(seed=0, cache_dir=tmp_path, progress=False)
    assert rl.checkpoint.load_stamped(path, cache.stamp(0))[0] is not None
    blob = torch.load(path, weights_only=True)
    blob["recipe"]["version"] = -1
    torch.save(blob, path)
    with pytest.warns(UserWarning, match="another recipe"):
        cache.trained_digits_flow(seed=0, cache_dir=tmp_path, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache.trained_digits_flow(seed=0, cache_dir=tmp_path, progress=False)


def test_an_unwritable_digits_cache_warns_and_keeps_the_trained_flow(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "image_realnvp", lambda seed=0: ri.image_realnvp(seed=seed, hidden=8))
    monkeypatch.setattr(cache, "digits_recipe", lambda seed=0: tiny_config(seed=seed, epochs=1, n=128))
    monkeypatch.setattr(cache, "digits", lambda split: ri.digits(split)[:128])
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("")
    with pytest.warns(UserWarning, match="returned but not cached"):
        flow, history = cache.trained_digits_flow(seed=0, cache_dir=blocked, progress=False)
    assert history.steps > 0 and not flow.training


def test_a_digits_flow_of_another_recipe_is_not_loaded_as_the_default(tmp_path):
    flow = ri.image_realnvp(seed=0, hidden=8, alpha=0.05)  # another logit alpha than the recipe's
    path = cache.cache_path(tmp_path, 0)
    rl.save_flow(flow, path, {**cache.stamp(0), "flow": flow.config}, {"losses": [1.0]})
    with pytest.raises(ValueError, match=r"another recipe.*'alpha': 0.05"):
        rl.checkpoint.load_stamped(path, cache.stamp(0))
    with torch.no_grad():
        flow.bijections[1].bias.fill_(float("inf"))
    with pytest.raises(ValueError, match="save_flow refuses.*NaN or inf"):
        rl.save_flow(flow, tmp_path / "bad.pt", cache.stamp(0))
    assert not (tmp_path / "bad.pt").exists()


def test_trained_digits_flow_is_exported():
    assert ri.trained_digits_flow is cache.trained_digits_flow


def test_state_pictures_and_static_strip():
    import matplotlib.pyplot as plt

    flow = ri.image_realnvp(seed=0, hidden=8)
    v = pixels(1, torch.float32)
    images, titles = digits.states(flow, v)
    assert len(images) == len(titles) == len(flow) + 1 and images[0].shape == (8, 8)
    pngs, _ = digits.state_pngs(flow, v)
    assert len(pngs) == len(flow) + 1 and all(p.startswith(b"\x89PNG") for p in pngs)
    fig = digits.steps_strip(flow, v)
    assert [ax.images[0].get_array().tolist() for ax in fig.axes if ax.images] == [i.tolist() for i in images]
    plt.close(fig)
    assert int((ri.scale_of_pixel(flow) == 1).sum()) == 32
    assert int((ri.scale_of_pixel(ri.image_realnvp(hidden=8, factor_out=False)) == 1).sum()) == 0


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (1.01, r"1 pixels in 1 of 4 images \(first: image 2\).*range 0.*1.01"),
        (-0.005, r"1 pixels in 1 of 4 images \(first: image 2\).*-0.005"),
        (16.0, r"\[0, 1\).*ri.dequantize"),
        (float("nan"), r"1 pixels in 1 of 4 images"),
    ],
)
def test_pixels_outside_the_unit_interval_are_refused_in_the_callers_terms(bad, words):
    flow = ri.image_realnvp(seed=0, hidden=4)
    v = pixels(4, torch.float32)
    v[2, 0, 3, 3] = bad
    val = ri.digits("val")
    for model in (flow, ri.Uniform(), ri.PixelHistogram(val), ri.LogitGaussian(val)):
        with pytest.raises(ValueError, match=words):
            model.log_prob(v)


def test_dequantize_stays_below_one_in_float32(monkeypatch):
    # The largest float32 draw u = 1 - 2^-24 (about one pixel in a million draws near it): (16 + u) / 17
    # rounds to exactly 1.0, outside the model's [0, 1).
    largest = lambda shape, generator=None, dtype=None: torch.full(shape, 1 - 2**-24, dtype=dtype)  # noqa: E731
    monkeypatch.setattr(torch, "rand", largest)
    v = ri.dequantize(torch.full((3,), 16), dtype=torch.float32)
    monkeypatch.undo()
    assert float(v.max()) < 1.0 and float(v.min()) > 0.9999
    with pytest.raises(ValueError, match=r"levels must lie in 0..16; 2 pixels in 1 of 3 images.*0..17"):
        ri.dequantize(torch.tensor([[0, 1], [17, 17], [3, 4]]))
    with pytest.raises(ValueError, match="integer levels"):
        ri.dequantize(torch.zeros(2, 2, dtype=torch.bool))


def test_training_on_one_image_is_refused_before_any_step():
    flow = ri.image_realnvp(seed=0, hidden=4)
    before = [p.clone() for p in flow.parameters()]
    with pytest.raises(ValueError, match="train holds 1 images; at least 2"):
        train_digits(flow, ri.digits("train")[:1], ri.digits("val")[:8], tiny_config(), progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, flow.parameters()))
    with pytest.raises(ValueError, match="train must hold integer levels"):
        train_digits(flow, pixels(8, torch.float32), ri.digits("val")[:8], tiny_config(), progress=False)
    history = train_digits(
        flow, ri.digits("train")[:2], ri.digits("val")[:2], tiny_config(epochs=1, n=2), progress=False
    )
    assert history.steps == 1 and all(bool(torch.isfinite(p).all()) for p in flow.parameters())
    with pytest.raises(ValueError, match="B >= 2"):
        norm.ActNorm(SHAPE).initialize(pixels(1))


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: digits_recipe(epochs=0), "steps"),
        (lambda: digits_recipe(batch_size=-4), "batch_size"),
        (lambda: digits_recipe(weight_decay=-1.0), "weight_decay"),
        (lambda: digits_recipe(warmup=-1), "warmup"),
        (lambda: digits_recipe(lr=0), "lr"),
        (lambda: digits_recipe(max_seconds=float("nan")), "max_seconds"),
        (lambda: digits_recipe(threads=0), "threads"),
        (lambda: digits_recipe(seed=1.5), "seed"),
        (lambda: ri.bits_per_dim(ri.Uniform(), ri.digits("val"), k=0), "k"),
        (lambda: ri.image_realnvp(hidden=0), "hidden"),
        (lambda: ri.image_realnvp(n_checker=-1), "n_checker"),
        (lambda: ri.image_realnvp(hidden=8.0), "hidden"),
        (lambda: ri.image_realnvp(scale_bound=-2.0), "scale_bound"),
        (lambda: ri.image_realnvp(n_checker=0, n_channel=0, n_final=0), "at least one coupling"),
        (lambda: ri.image_realnvp(alpha=0.7), "alpha"),
        (lambda: ri.bits_per_dim(ri.Uniform(), ri.digits("val").float()), "integer levels"),
        (lambda: ri.bits_per_dim(ri.Uniform(), ri.digits("val")[:0]), "0 images"),
        (lambda: ri.bits_per_dim(ri.Uniform(), ri.digits("val"), batch_size=0), "batch_size"),
        (lambda: ri.bits_per_dim(ri.Uniform(), ri.digits("val"), n_samples=0), "n_samples"),
        (lambda: ri.bits_per_dim(ri.Uniform(), ri.digits("val") + 1), r"levels must lie in 0..16"),
        (lambda: ri.PixelHistogram(ri.digits("val").float()), "integer levels"),
        (lambda: ri.PixelHistogram(ri.digits("val"), smoothing=0), "smoothing"),
        (lambda: ri.LogitGaussian(ri.digits("val")[:1]), "at least 2"),
        (lambda: ri.LogitGaussian(ri.digits("val"), draws=0), "draws"),
        (lambda: ri.baselines(ri.digits("val").double(), ri.digits("test")), "integer levels"),
    ],
)
def test_image_entry_points_refuse_nonsense_sizes_and_float_levels(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_image_couplings_are_the_cores_affine_coupling_with_a_conv_conditioner():
    flow = ri.image_realnvp(seed=0, hidden=8)
    couplings = [m for m in flow.modules() if isinstance(m, rl.AffineCoupling)]
    assert len(couplings) == 9 and all(isinstance(c.net, ri.ConvNet) for c in couplings)
    layer = LAYERS["checkerboard"]
    x = pixels(4)
    b = layer.mask
    out = layer.net(x * b)  # (B, 2C, H, W): the conditioner sees only b*x (and where b is)
    s = 2.0 * torch.tanh(out[:, :1] / 2.0) * (1 - b)
    y, ld = layer(x)
    assert torch.allclose(y, b * x + (1 - b) * (x * s.exp() + out[:, 1:] * (1 - b)))
    assert torch.allclose(ld, s.flatten(1).sum(1))


def test_importance_weighting_tightens_the_bound_as_k_grows():
    flow = random_flow()
    x = ri.digits("val")[:40]
    k1, k8, k64 = (ri.bits_per_dim(flow, x, n_samples=2, k=k)[0] for k in (1, 8, 64))
    assert k64 < k8 < k1
    # uniform noise through the dequantizer argument is the default path, draw for draw
    assert ri.bits_per_dim(flow, x, 2, dequantizer=ri.UniformDequantizer()) == ri.bits_per_dim(flow, x, 2)


def test_variational_log_r_matches_the_autograd_jacobian_of_its_noise_map(monkeypatch):
    deq = randomize(ri.VariationalDequantizer(hidden=8, n_couplings=2, coupling_hidden=4), std=0.3).double()
    x = ri.digits("val")[:4]
    n = torch.randn(4, 64, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    v, log_r = deq.sample(x, torch.Generator().manual_seed(0), torch.float64)

    def u_of(noise: torch.Tensor) -> torch.Tensor:  # the same sample with the noise n fed in
        monkeypatch.setattr(torch, "randn", lambda *a, **k: noise.view(-1, 1, 8, 8))
        out = deq.sample(x, None, torch.float64)[0]
        monkeypatch.undo()
        return (out * 17 - x).flatten(1)

    u = v * 17 - x
    assert bool(((u > 0) & (u < 1)).all())
    ref = -0.5 * (n.pow(2).sum(1) + 64 * math.log(2 * math.pi)) - torch.linalg.slogdet(jacobian(u_of, n))[1]
    assert torch.allclose(log_r, ref, atol=1e-9)


def test_variational_dequantizer_trains_jointly_and_scores_its_own_flow():
    flow, deq = ri.image_realnvp(seed=0, hidden=8), ri.VariationalDequantizer(hidden=8, coupling_hidden=4)
    before = [p.clone() for p in deq.parameters()]
    history = train_digits(
        flow,
        ri.digits("train")[:256],
        ri.digits("val")[:64],
        tiny_config(epochs=2),
        progress=False,
        dequantizer=deq,
    )
    assert any(not torch.equal(a, b) for a, b in zip(before, deq.parameters()))
    own = ri.bits_per_dim(flow, ri.digits("val")[:64], n_samples=1, seed=1, dequantizer=deq)[0]
    assert own == pytest.approx(history.best_score, abs=1e-6)  # best weights: the flow's and r's together


def test_architecture_diagram_reads_the_scales_from_the_flow_object():
    from realnvp_lib.viz import architecture

    rows = architecture.coordinate_roles(ri.image_realnvp(hidden=4))
    assert [k for k, _, _ in rows] == [2, 4, 6, 8, 10, 12, 14, 16, 18]
    assert [int((r == 1).sum()) for _, _, r in rows] == [32] * 6 + [16] * 3
    final = [r == 2 for _, _, r in rows[6:]]
    assert all(torch.equal(torch.as_tensor(f), torch.as_tensor(final[0])) for f in final)
    assert torch.equal(torch.as_tensor(final[0]), ri.scale_of_pixel(ri.image_realnvp()) == 1)
    flat = architecture.coordinate_roles(ri.image_realnvp(hidden=4, factor_out=False))
    assert all(int((r == 2).sum()) == 0 for _, _, r in flat)
    fig = architecture.draw_architecture(ri.image_realnvp(hidden=4, n_checker=1, n_channel=1, n_final=1))
    assert len(fig.axes) == 3
