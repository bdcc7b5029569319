"""Every bijection against the math: round trips, autograd log-dets, triangular Jacobians, errors."""

from __future__ import annotations

import pytest
import torch
from conftest import all_bijections, randomize

import realnvp_lib as rl
from realnvp_lib.instruments.calculus import jacobian

DIMS = [2, 3, 5, 8, 64]
KINDS = list(all_bijections(2))


def points(dim: int, dtype: torch.dtype, seed: int = 1) -> torch.Tensor:
    """Typical points plus points at +-10 standard deviations, ``(B, D)``."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(64, dim, generator=gen, dtype=dtype)
    far = 10 * torch.sign(torch.randn(16, dim, generator=gen, dtype=dtype))
    return torch.cat([x, far])


@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.float64, 1e-10)])
def test_round_trip_every_layer(dim, dtype, tol):
    for name, layer in all_bijections(dim).items():
        layer = layer.to(dtype)
        x = points(dim, dtype)
        with torch.no_grad():
            y, ld = layer(x)
            x_back, ld_inv = layer.inverse(y)
        scale = max(1.0, float(x.abs().max()), float(y.abs().max()))
        assert (x_back - x).abs().max() <= tol * scale, name
        assert (ld + ld_inv).abs().max() <= tol * max(1.0, float(ld.abs().max())), name
        assert not torch.equal(y, x), f"{name} is the identity: the test would prove nothing"


@pytest.mark.parametrize("dim", [2, 3, 5, 8])
@pytest.mark.parametrize("kind", KINDS)
def test_logdet_matches_autograd_slogdet(dim, kind):
    layer = all_bijections(dim)[kind].double()
    x = points(dim, torch.float64)[::4]
    y, ld = layer(x)
    _, ref = torch.linalg.slogdet(jacobian(layer, x))
    assert torch.allclose(ld, ref, atol=1e-8, rtol=0), (ld - ref).abs().max()
    _, ref_inv = torch.linalg.slogdet(jacobian(layer.inverse, y))
    assert torch.allclose(layer.inverse(y)[1], ref_inv, atol=1e-8, rtol=0)


@pytest.mark.parametrize("dim", [2, 5, 8])
def test_logdet_shape_is_batch(dim):
    for name, layer in all_bijections(dim).items():
        for b in (1, 7):
            y, ld = layer(torch.randn(b, dim))
            assert ld.shape == (b,), name
            assert layer.inverse(y)[1].shape == (b,), name


@pytest.mark.parametrize("dim", [3, 6, 9])
def test_coupling_jacobian_is_triangular_in_mask_order(dim):
    layer = all_bijections(dim)["coupling_random_mask"].double()
    mask = layer.mask.bool()
    order = torch.cat([torch.nonzero(mask).flatten(), torch.nonzero(~mask).flatten()])
    jac = jacobian(layer, points(dim, torch.float64)[:8])[:, order][:, :, order]
    upper = torch.triu(torch.ones(dim, dim, dtype=torch.bool), diagonal=1)
    assert jac[:, upper].abs().max() == 0
    n_free = int((~mask).sum())
    free_block = jac[:, -n_free:, -n_free:]
    assert torch.count_nonzero(free_block - torch.diag_embed(torch.diagonal(free_block, 0, 1, 2))) == 0
    # and the lower-left block is where the conditioner acts: it must not be all zero
    assert jac[:, -n_free:, : dim - n_free].abs().max() > 0


def test_pass_through_coordinates_unchanged_bit_for_bit():
    layer = all_bijections(5)["coupling_random_mask"]
    x = points(5, torch.float32)
    y, _ = layer(x)
    keep = layer.mask.bool()
    assert torch.equal(y[:, keep], x[:, keep])
    assert not torch.equal(y[:, ~keep], x[:, ~keep])


def test_new_coupling_is_identity():
    layer = rl.AffineCoupling(rl.half_mask(4), hidden=8)
    x = torch.randn(10, 4)
    y, ld = layer(x)
    assert torch.equal(y, x) and torch.equal(ld, torch.zeros(10))


def test_scale_bound_holds():
    layer = randomize(rl.AffineCoupling([1, 0], hidden=8, scale_bound=0.5), std=5.0)
    s, _ = layer.scale_shift(100 * torch.randn(256, 2))
    assert s.abs().max() <= 0.5 and s.abs().max() > 0.4


def test_every_parameter_gets_a_gradient():
    for name, layer in all_bijections(5).items():
        if not list(layer.parameters()):
            continue
        y, ld = layer(torch.randn(32, 5))
        (y.pow(2).sum() + ld.sum()).backward()
        for pname, p in layer.named_parameters():
            assert p.grad is not None and p.grad.abs().max() > 0, f"{name}.{pname}"


@pytest.mark.parametrize(
    "mask, message",
    [
        ([1, 1, 1], "all ones"),
        ([0, 0], "all zeros"),
        ([1, 0.5], "only 0 and 1"),
        ([[1, 0]], "1-D"),
        ([1], "D >= 2"),
        ([2, 0], "only 0 and 1"),
    ],
)
def test_bad_mask_raises(mask, message):
    with pytest.raises(ValueError, match=message):
        rl.AffineCoupling(mask)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "bad, message",
    [
        (torch.zeros(4), "1-D tensor"),
        (torch.zeros(4, 3), "D=3"),
        (torch.zeros(2, 4, 2), "3-D"),
        (torch.tensor([[0.0, float("nan")]]), "NaN or inf"),
        (torch.tensor([[float("inf"), 0.0]]), "NaN or inf"),
        (torch.zeros(3, 2, dtype=torch.long), "floating"),
    ],
)
def test_bad_input_raises(kind, bad, message):
    layer = all_bijections(2)[kind]
    with pytest.raises(ValueError, match=message):
        layer(bad)
    with pytest.raises(ValueError, match=message):
        layer.inverse(bad)


def test_huge_finite_input_is_not_mistaken_for_inf():
    # check_batch's fast test sums the batch; a finite batch whose float32 sum overflows must pass.
    from realnvp_lib.checks import check_batch

    huge = torch.tensor([[3e38, 3e38], [-1.0, float("nan")]])
    assert not torch.isfinite(huge[:1].sum())
    check_batch(huge[:1], 2)
    with pytest.raises(ValueError, match=r"NaN or inf values \(in 1 of 2 rows\)"):
        check_batch(huge, 2)


def test_bad_permutation_raises():
    with pytest.raises(ValueError, match="permutation of 0..2"):
        rl.Permutation([0, 0, 2])


def test_swap_matches_blog_concatenation():
    x = torch.randn(6, 5)
    x_a, x_b = x[:, :2], x[:, 2:]
    assert torch.equal(rl.SwapHalves(5)(x)[0], torch.cat([x_b, x_a], dim=1))


def test_conditional_coupling_is_a_bijection_of_x_for_each_context():
    """With ``context=c`` the conditioner reads ``(b*x, c)``: invertible in x, log-det by autograd."""
    d, c_dim = 4, 3
    layer = rl.AffineCoupling([1, 0, 1, 0], net=rl.bijections.mlp(d + c_dim, 2 * d, 16, 2, "tanh"))
    layer = randomize(layer).double()
    x = torch.randn(6, d, dtype=torch.float64)
    c = torch.randn(6, c_dim, dtype=torch.float64)
    y, ld = layer(x, context=c)
    x_back, ld_inv = layer.inverse(y, context=c)
    assert torch.allclose(x_back, x, atol=1e-12, rtol=0)
    _, ref = torch.linalg.slogdet(jacobian(lambda h: layer(h, context=c), x))
    assert torch.allclose(ld, ref, atol=1e-10, rtol=0) and torch.allclose(ld_inv, -ref, atol=1e-10, rtol=0)
    assert not torch.allclose(layer(x, context=c + 1)[0], y)  # the context does change the map


def test_conditional_coupling_refuses_a_context_of_another_batch():
    layer = rl.AffineCoupling([1, 0], net=rl.bijections.mlp(3, 4, 8, 1, "relu"))
    with pytest.raises(ValueError, match=r"context must be a tensor with x's batch size"):
        layer(torch.randn(5, 2), context=torch.randn(4, 1))
