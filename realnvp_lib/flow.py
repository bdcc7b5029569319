"""``Flow``: a standard-normal base plus a list of bijections, run by one loop; the ``realnvp`` factory."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from .bijections import AffineCoupling, Bijection
from .checks import check_batch, check_dtype, check_int
from .masks import half_mask
from .permutations import LULinear, RandomPermutation, Reverse, SwapHalves
from .runtime import dtype_and_device

__all__ = ["PERMUTATIONS", "STEP_ATTRIBUTES", "Flow", "as_flow", "realnvp", "run_steps"]

PERMUTATIONS = ("none", "swap", "reverse", "random", "lu")
STEP_ATTRIBUTES = ("bijections", "steps", "layers")  # where as_flow looks for a flow's list of steps


def run_steps(
    steps: Sequence[Bijection],
    x: Tensor,
    inverse: bool = False,
    states: list[Tensor] | None = None,
    logdets: list[Tensor] | None = None,
    apply: Callable[[Bijection, Tensor], tuple[Tensor, Tensor]] | None = None,
) -> tuple[Tensor, Tensor]:
    """The one loop that runs bijections and sums their log-dets: ``(y, logdet: (B,))``.

    ``steps`` run in the order given, each as ``layer(x)`` or, with ``inverse``, ``layer.inverse(x)``
    (the caller reverses the list for a flow's inverse); ``apply(layer, x) -> (y, logdet)`` replaces
    that call (the bug gallery runs steps without their input checks). If given, ``states`` collects
    every intermediate tensor and ``logdets`` every step's ``(B,)`` log-det, in order.
    """
    logdet = x.new_zeros(x.shape[0])
    for layer in steps:
        if apply is not None:
            x, ld = apply(layer, x)
        else:
            x, ld = layer.inverse(x) if inverse else layer(x)
        logdet = logdet + ld  # out of place: autograd needs every term intact
        if states is not None:
            states.append(x)
        if logdets is not None:
            logdets.append(ld)
    return x, logdet


class Flow(nn.Module):
    """A normalizing flow ``z = f_K(... f_1(x))`` with base ``N(0, I)`` (Dinh et al. 2017, eq. 3).

    ``forward`` goes data -> latent and returns ``(z, logdet)`` with ``logdet: (B,)`` the sum of the
    steps' log |det J_k|; ``log_prob(x) = log N(z; 0, I) + logdet``. ``dim`` is the number of
    coordinates D of a ``(B, D)`` batch, or an event shape such as ``(1, 8, 8)`` for images.
    """

    def __init__(
        self, bijections: Sequence[Bijection], dim: int | tuple[int, ...], config: dict | None = None
    ) -> None:
        super().__init__()
        self.shape = (dim,) if isinstance(dim, int) else tuple(dim)
        self.dim = math.prod(self.shape)
        if self.dim < 2:
            raise ValueError(f"a flow needs at least 2 coordinates (dim >= 2), got dim={dim}")
        self.bijections = nn.ModuleList(bijections)
        # Kept so a checkpoint can rebuild the same architecture (see save_flow / load_flow).
        self.config = dict(config or {})

    def __len__(self) -> int:
        return len(self.bijections)

    @property
    def event(self) -> int | tuple[int, ...]:
        """What one sample looks like: ``D`` for ``(B, D)`` batches, else the event shape."""
        return self.shape[0] if len(self.shape) == 1 else self.shape

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``x: (B, D) -> (z: (B, D), logdet: (B,))``, data -> latent."""
        self._check(x, "x")
        return run_steps(self.bijections, x)

    def inverse(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """``z: (B, D) -> (x: (B, D), logdet: (B,))``, latent -> data; ``logdet`` of the inverse map."""
        self._check(z, "z")
        return run_steps(list(reversed(self.bijections)), z, inverse=True)

    def _check(self, x: Tensor, name: str) -> None:
        """Shape and finiteness (``check_batch``), and a dtype that matches the weights."""
        check_batch(x, self.event, name)
        check_dtype(x, self, name)

    def base_log_prob(self, z: Tensor) -> Tensor:
        """Standard-normal log-density, ``z: (B, D) -> (B,)``."""
        return -0.5 * (z.pow(2).flatten(1).sum(dim=1) + self.dim * math.log(2 * math.pi))

    def log_prob(self, x: Tensor) -> Tensor:
        """Exact ``log q(x)`` by change of variables, ``x: (B, D) -> (B,)``."""
        z, logdet = self(x)
        return self.base_log_prob(z) + logdet

    def sample(self, n: int, seed: int | None = None) -> Tensor:
        """Draw ``n`` samples ``(n, D)`` by pushing base noise through ``inverse`` (no gradients)."""
        z = self.base_sample(n, seed)
        with torch.no_grad():
            return self.inverse(z)[0]

    def base_sample(self, n: int, seed: int | None = None) -> Tensor:
        """``n`` standard-normal draws ``(n, D)`` on the flow's device and dtype; seeded if asked."""
        n = check_int("n (the number of samples)", n)
        dtype, device = dtype_and_device(self, torch.get_default_dtype())
        gen = None if seed is None else torch.Generator(device=device).manual_seed(seed)
        return torch.randn(n, *self.shape, generator=gen, device=device, dtype=dtype)

    @torch.no_grad()
    def trajectory(self, x: Tensor) -> list[Tensor]:
        """Inference path ``[x, f_1(x), f_2(f_1(x)), ..., z]``: K+1 tensors ``(B, D)``."""
        self._check(x, "x")
        states = [x]
        run_steps(self.bijections, x, states=states)
        return states

    @torch.no_grad()
    def inverse_trajectory(self, z: Tensor) -> list[Tensor]:
        """Generation path ``[z, f_K^-1(z), ..., x]``: K+1 tensors ``(B, D)``."""
        self._check(z, "z")
        states = [z]
        run_steps(list(reversed(self.bijections)), z, inverse=True, states=states)
        return states

    @torch.no_grad()
    def step_logdets(self, x: Tensor) -> list[Tensor]:
        """The K per-step ``log|det J_k|`` tensors ``(B,)`` along the inference path of ``x``."""
        self._check(x, "x")
        logdets: list[Tensor] = []
        run_steps(self.bijections, x, logdets=logdets)
        return logdets


def as_flow(model: nn.Module | Sequence[nn.Module], dim: int | tuple[int, ...] = 2, seed: int = 0) -> Flow:
    """Any flow that follows the bijection contract, as a ``Flow`` over the same modules (nothing copied).

    ``model`` is a ``Flow`` (returned as is), a list of steps, or a module that keeps its steps in
    an attribute named in ``STEP_ATTRIBUTES`` (``self.steps = nn.ModuleList(...)``). Each step
    maps ``x: (B, D) -> (y, logdet: (B,))`` and back with ``inverse``. A module that is itself
    callable must compute what its steps compute in order: that is checked on ``(64, D)`` standard
    normal points (seeded), so a flow whose ``forward`` does something else is refused rather than
    pictured wrongly.
    """
    if isinstance(model, Flow):
        return model
    lists = (list, tuple, nn.ModuleList, nn.Sequential)
    found = [getattr(model, a) for a in STEP_ATTRIBUTES if isinstance(getattr(model, a, None), lists)]
    steps = model if isinstance(model, lists) else found[0] if found else None
    if steps is None or len(steps) == 0 or not all(isinstance(s, nn.Module) for s in steps):
        raise TypeError(
            f"as_flow takes an rl.Flow, a list of bijections, or a module that keeps its steps (a non-empty "
            f"list of nn.Modules) in one of {STEP_ATTRIBUTES}; got {type(model).__name__}"
        )
    flow = Flow(list(steps), dim)
    if steps is not model:
        _check_same_map(model, flow, seed)
    return flow


@torch.no_grad()
def _check_same_map(model: nn.Module, flow: Flow, seed: int) -> None:
    x = flow.base_sample(64, seed=seed)
    out = model(x)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(f"{type(model).__name__}(x) must return (y, logdet), got {type(out).__name__}")
    y, logdet = flow(x)
    if out[0].shape != y.shape or not torch.allclose(out[0], y, rtol=1e-4, atol=1e-4):
        raise ValueError(f"{type(model).__name__}(x) is not its steps run in order: the y differ")
    if out[1].shape != logdet.shape or not torch.allclose(out[1], logdet, rtol=1e-4, atol=1e-4):
        raise ValueError(f"{type(model).__name__}(x) is not its steps run in order: the log-dets differ")


def _make_permutation(kind: str, dim: int, seed: int) -> Bijection | None:
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
    if not isinstance(dim, int) or dim < 2:
        raise ValueError(
            f"realnvp needs dim >= 2 coordinates (a coupling passes some through and "
            f"transforms the rest), got dim={dim!r}"
        )
    check_int("n_layers (the number of couplings)", n_layers)
    config = dict(
        dim=dim,
        n_layers=n_layers,
        hidden=hidden,
        permutation=permutation,
        n_hidden=n_hidden,
        scale_bound=scale_bound,
        activation=activation,
        seed=seed,
    )
    _make_permutation(permutation, dim, seed)  # validate before building anything
    layers: list[Bijection] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for k in range(n_layers):
            layers.append(AffineCoupling(half_mask(dim), hidden, n_hidden, scale_bound, activation))
            mix = _make_permutation(permutation, dim, seed + 1 + k) if k < n_layers - 1 else None
            if mix is not None:
                layers.append(mix)
    return Flow(layers, dim, config)
