"""``Flow``: a standard-normal base plus a list of bijections; the ``realnvp`` factory; checkpoints."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor, nn

from .bijections import AffineCoupling, Bijection, half_mask
from .checks import check_batch
from .permutations import LULinear, RandomPermutation, Reverse, SwapHalves

PERMUTATIONS = ("none", "swap", "reverse", "random", "lu")


class Flow(nn.Module):
    """A normalizing flow ``z = f_K(... f_1(x))`` with base ``N(0, I)`` (Dinh et al. 2017, eq. 3).

    ``forward`` goes data -> latent and returns ``(z, logdet)`` with ``logdet: (B,)`` the sum of the
    layers' log |det J_k|; ``log_prob(x) = log N(z; 0, I) + logdet``.
    """

    def __init__(self, bijections: Sequence[Bijection], dim: int, config: dict | None = None) -> None:
        super().__init__()
        if dim < 2:
            raise ValueError(f"dim must be >= 2, got {dim}")
        self.dim = dim
        self.bijections = nn.ModuleList(bijections)
        # Kept so a checkpoint can rebuild the same architecture (see save_flow / load_flow).
        self.config = dict(config or {})

    def __len__(self) -> int:
        return len(self.bijections)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``x: (B, D) -> (z: (B, D), logdet: (B,))``, data -> latent."""
        check_batch(x, self.dim)
        logdet = x.new_zeros(x.shape[0])
        for layer in self.bijections:
            x, ld = layer(x)
            logdet = logdet + ld  # out of place: autograd needs every term intact
        return x, logdet

    def inverse(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """``z: (B, D) -> (x: (B, D), logdet: (B,))``, latent -> data; ``logdet`` of the inverse map."""
        check_batch(z, self.dim, "z")
        logdet = z.new_zeros(z.shape[0])
        for layer in reversed(self.bijections):
            z, ld = layer.inverse(z)
            logdet = logdet + ld
        return z, logdet

    def base_log_prob(self, z: Tensor) -> Tensor:
        """Standard-normal log-density, ``z: (B, D) -> (B,)``."""
        return -0.5 * (z.pow(2).sum(dim=1) + self.dim * math.log(2 * math.pi))

    def log_prob(self, x: Tensor) -> Tensor:
        """Exact ``log p(x)`` by change of variables, ``x: (B, D) -> (B,)``."""
        z, logdet = self(x)
        return self.base_log_prob(z) + logdet

    def sample(self, n: int, seed: int | None = None) -> Tensor:
        """Draw ``n`` samples ``(n, D)`` by pushing base noise through ``inverse`` (no gradients)."""
        z = self.base_sample(n, seed)
        with torch.no_grad():
            return self.inverse(z)[0]

    def base_sample(self, n: int, seed: int | None = None) -> Tensor:
        """``n`` standard-normal draws ``(n, D)`` on the flow's device and dtype; seeded if asked."""
        ref = next(self.parameters(), None)
        if ref is None:
            ref = next(self.buffers(), torch.empty(0))
        gen = None if seed is None else torch.Generator(device=ref.device).manual_seed(seed)
        return torch.randn(n, self.dim, generator=gen, device=ref.device, dtype=ref.dtype)

    @torch.no_grad()
    def trajectory(self, x: Tensor, with_logdet: bool = False):
        """Inference path ``[x, f_1(x), f_2(f_1(x)), ..., z]``: K+1 tensors ``(B, D)``.

        With ``with_logdet=True`` also return the K per-layer ``log|det J_k|`` tensors ``(B,)``.
        """
        check_batch(x, self.dim)
        states, logdets = [x], []
        for layer in self.bijections:
            x, ld = layer(x)
            states.append(x)
            logdets.append(ld)
        return (states, logdets) if with_logdet else states

    @torch.no_grad()
    def inverse_trajectory(self, z: Tensor, with_logdet: bool = False):
        """Generation path ``[z, f_K^-1(z), ..., x]``: K+1 tensors ``(B, D)`` (see DESIGN.md section 5)."""
        check_batch(z, self.dim, "z")
        states, logdets = [z], []
        for layer in reversed(self.bijections):
            z, ld = layer.inverse(z)
            states.append(z)
            logdets.append(ld)
        return (states, logdets) if with_logdet else states


def make_permutation(kind: str, dim: int, seed: int) -> Bijection | None:
    """The mixing layer placed between couplings; ``None`` for ``"none"``."""
    if kind == "none":
        return None
    if kind == "swap":
        return SwapHalves(dim)
    if kind == "reverse":
        return Reverse(dim)
    if kind == "random":
        return RandomPermutation(dim, seed)
    if kind == "lu":
        return LULinear(dim, seed)
    raise ValueError(f"permutation must be one of {PERMUTATIONS}, got {kind!r}")


def realnvp(
    dim: int = 2,
    n_layers: int = 10,
    hidden: int = 64,
    permutation: str = "swap",
    n_hidden: int = 2,
    scale_bound: float | None = 3.0,
    activation: str = "relu",
    seed: int = 0,
) -> Flow:
    """Build RealNVP: ``n_layers`` affine couplings with a ``permutation`` between consecutive ones.

    Every coupling passes the first ``dim // 2`` coordinates through; the permutation is what
    lets the next coupling transform them. Weights come from ``seed`` without touching the
    caller's global RNG.

    >>> flow = realnvp(dim=3, n_layers=4, hidden=16)
    >>> len(flow), flow(torch.randn(7, 3))[1].shape
    (7, torch.Size([7]))
    """
    if n_layers < 1:
        raise ValueError(f"n_layers must be >= 1, got {n_layers}")
    config = dict(dim=dim, n_layers=n_layers, hidden=hidden, permutation=permutation,
                  n_hidden=n_hidden, scale_bound=scale_bound, activation=activation, seed=seed)
    make_permutation(permutation, dim, seed)  # validate before building anything
    layers: list[Bijection] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for k in range(n_layers):
            layers.append(AffineCoupling(half_mask(dim), hidden, n_hidden, scale_bound, activation))
            mix = make_permutation(permutation, dim, seed + 1 + k) if k < n_layers - 1 else None
            if mix is not None:
                layers.append(mix)
    return Flow(layers, dim, config)


def save_flow(flow: Flow, path: str | Path) -> None:
    """Write the flow's ``realnvp`` config and weights to ``path`` (loadable with ``weights_only``)."""
    if not flow.config:
        raise ValueError("save_flow needs a flow built by realnvp(...) (it stores the config)")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": flow.config, "state_dict": flow.state_dict()}, path)


def load_flow(path: str | Path) -> Flow:
    """Rebuild a flow saved by ``save_flow``; uses ``torch.load(..., weights_only=True)``."""
    blob = torch.load(path, map_location="cpu", weights_only=True)
    flow = realnvp(**blob["config"])
    flow.load_state_dict(blob["state_dict"])
    return flow
