"""The digits RealNVP: ``ImageFlow`` (a ``Flow`` that samples pixels) and ``image_realnvp`` (Dinh et al.)."""

from __future__ import annotations

import torch
from torch import Tensor

from ..actnorm import ActNorm
from ..checkpoint import register_builder
from ..checks import check_int, check_number
from ..flow import Flow
from ..masks import channel_mask, checkerboard
from .data import SHAPE, check_pixels
from .layers import FactorOut, InSqueezed, conv_coupling, unsqueeze
from .logit import Logit

__all__ = ["ImageFlow", "image_realnvp", "scale_of_pixel"]


class ImageFlow(Flow):
    """A ``Flow`` on ``(B, 1, 8, 8)`` pixels in ``[0, 1)`` whose first step is the logit pre-processing."""

    def log_prob(self, v: Tensor) -> Tensor:
        """``log q(v): (B,)`` for dequantized pixels ``v: (B, 1, 8, 8)`` in [0, 1); pixels outside are refused
        (slightly outside would be scored silently, far outside would turn into NaN)."""
        check_pixels(v, "v")
        return super().log_prob(v)

    def sample(self, n: int, seed: int | None = None, temperature: float = 1.0) -> Tensor:
        """``n`` images ``(n, 1, 8, 8)``: ``z ~ N(0, T^2 I)`` pushed through ``inverse``, clamped to [0, 1].

        A temperature ``T < 1`` draws from the base's centre only (Kingma & Dhariwal 2018 call this
        "reduced temperature"): cleaner, less varied digits. The clamp is the only place pixels are cut.
        """
        check_number("temperature", temperature)
        z = self.base_sample(n, seed) * temperature
        with torch.no_grad():
            return self.inverse(z)[0].clamp(0.0, 1.0)


def image_realnvp(
    seed: int = 0,
    hidden: int = 48,
    n_blocks: int = 1,
    alpha: float = 0.01,
    n_checker: int = 3,
    n_channel: int = 3,
    n_final: int = 3,
    factor_out: bool = True,
    scale_bound: float = 2.0,
    actnorm: bool = True,
) -> ImageFlow:
    """The notebook's multi-scale RealNVP for 8x8 digits, untrained (weights from ``seed``).

    Steps, all mapping ``(B, 1, 8, 8)`` to itself, each coupling preceded by an ``ActNorm`` (unless
    ``actnorm=False``); conditioners are ``hidden``-channel ResNets with ``n_blocks`` blocks:

    1. ``Logit(alpha)``: pixels in [0, 1) -> the real line (its log-det counted);
    2. ``n_checker`` checkerboard couplings on the 8x8 image (alternating parity);
    3. ``n_channel`` channel-wise couplings on the squeezed 4x4x4 image (alternating halves);
    4. ``n_final`` checkerboard couplings on the squeezed image's first 2 channels only: the other 2
       (32 of the 64 latent coordinates) were factored out after step 3 (``factor_out=False`` keeps
       all 4 channels instead).

    >>> flow = image_realnvp()
    >>> len(flow), sum(p.numel() for p in flow.parameters())
    (19, 240954)
    """
    config = dict(
        seed=seed,
        hidden=hidden,
        n_blocks=n_blocks,
        alpha=alpha,
        n_checker=n_checker,
        n_channel=n_channel,
        n_final=n_final,
        factor_out=factor_out,
        scale_bound=scale_bound,
        actnorm=actnorm,
    )
    _check_options(**config)
    kw = dict(hidden=hidden, n_blocks=n_blocks, scale_bound=scale_bound)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        couplings: list[torch.nn.Module] = []
        couplings += [conv_coupling(checkerboard(SHAPE, k % 2 == 0), **kw) for k in range(n_checker)]
        squeezed = (4 * SHAPE[0], SHAPE[1] // 2, SHAPE[2] // 2)
        couplings += [
            InSqueezed(conv_coupling(channel_mask(squeezed, k % 2 == 0), **kw)) for k in range(n_channel)
        ]
        keep = squeezed[0] // 2 if factor_out else squeezed[0]
        kept = (keep, *squeezed[1:])
        couplings += [
            InSqueezed(FactorOut(conv_coupling(checkerboard(kept, k % 2 == 0), **kw), keep))
            for k in range(n_final)
        ]
    steps: list[torch.nn.Module] = [Logit(alpha)]
    for layer in couplings:
        steps += [ActNorm(SHAPE), layer] if actnorm else [layer]
    return ImageFlow(steps, SHAPE, config)


def _check_options(**kw) -> None:
    """``ValueError`` naming the first option of ``image_realnvp`` that cannot build a flow."""
    for name, low in (
        ("seed", 0),
        ("hidden", 1),
        ("n_blocks", 0),
        ("n_checker", 0),
        ("n_channel", 0),
        ("n_final", 0),
    ):
        check_int(name, kw[name], low)
    if kw["n_checker"] + kw["n_channel"] + kw["n_final"] == 0:
        raise ValueError("the flow needs at least one coupling: n_checker, n_channel and n_final are all 0")
    for name in ("alpha", "scale_bound"):
        check_number(name, kw[name])
    for name in ("factor_out", "actnorm"):
        if not isinstance(kw[name], bool):
            raise ValueError(f"{name} must be True or False, got {kw[name]!r}")


def scale_of_pixel(flow: ImageFlow) -> Tensor:
    """``(8, 8)`` map of the scale at which each latent coordinate is fixed (1: factored out, 2: last)."""
    channels = torch.full((1, 4, 4, 4), 2.0)
    if flow.config.get("factor_out") and flow.config.get("n_final"):
        channels[:, 2:] = 1.0  # the squeezed channels FactorOut leaves alone
    return unsqueeze(channels)[0, 0]


register_builder("image_realnvp", image_realnvp, ImageFlow)  # so rl.load_flow rebuilds image flows
