"""Coordinate mixing between couplings: fixed permutations and Glow's learned LU linear map."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .bijections import Bijection
from .checks import check_batch, check_int

__all__ = ["LULinear", "Permutation", "RandomPermutation", "Reverse", "SwapHalves"]


class Permutation(Bijection):
    """Reorder coordinates, ``y = x[:, perm]``; volume-preserving, so ``logdet`` is zeros ``(B,)``.

    >>> p = Permutation([2, 0, 1])
    >>> p(torch.tensor([[10.0, 20.0, 30.0]]))[0].tolist()
    [[30.0, 10.0, 20.0]]
    """

    def __init__(self, perm: Tensor | list[int]) -> None:
        super().__init__()
        perm = torch.as_tensor(perm, dtype=torch.long)
        if perm.dim() != 1 or perm.numel() < 2:
            raise ValueError(f"perm must be a 1-D sequence of length >= 2, got shape {tuple(perm.shape)}")
        if not torch.equal(perm.sort().values, torch.arange(perm.numel())):
            raise ValueError(f"perm must be a permutation of 0..{perm.numel() - 1}, got {perm.tolist()}")
        self.dim = perm.numel()
        self.register_buffer("perm", perm)
        self.register_buffer("inv_perm", torch.argsort(perm))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``x: (B, D) -> (x[:, perm], zeros (B,))``."""
        check_batch(x, self.dim)
        return x.index_select(1, self.perm), x.new_zeros(x.shape[0])

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        """``y: (B, D) -> (y[:, inv_perm], zeros (B,))``."""
        check_batch(y, self.dim, "y")
        return y.index_select(1, self.inv_perm), y.new_zeros(y.shape[0])

    def extra_repr(self) -> str:
        return f"perm={self.perm.tolist()}"


class SwapHalves(Permutation):
    """The 2018 blog's ``cat([x_b, x_a])``: the last ``D - D//2`` coordinates move to the front."""

    def __init__(self, dim: int) -> None:
        d = dim // 2
        super().__init__(list(range(d, dim)) + list(range(d)))


class Reverse(Permutation):
    """Reverse the order of the coordinates (Dinh et al. 2017 alternate masks; Kingma et al. 2016)."""

    def __init__(self, dim: int) -> None:
        super().__init__(list(range(dim - 1, -1, -1)))


class RandomPermutation(Permutation):
    """A fixed random permutation drawn from ``seed`` (its own generator: no global RNG touched)."""

    def __init__(self, dim: int, seed: int = 0) -> None:
        gen = torch.Generator().manual_seed(seed)
        super().__init__(torch.randperm(dim, generator=gen))


class LULinear(Bijection):
    """Learned invertible linear map ``y = x W^T``, ``W = P L U`` (Glow's 1x1 conv, Kingma & Dhariwal 2018).

    ``P`` is a fixed permutation, ``L`` unit lower-triangular, ``U`` upper-triangular with diagonal
    ``sign * exp(log_s)``, so ``log|det W| = sum(log_s)`` costs O(D) instead of O(D^3).
    Starts at a random rotation (``log|det| = 0``) drawn from ``seed``.
    """

    def __init__(self, dim: int, seed: int = 0) -> None:
        super().__init__()
        self.dim = dim = check_int("dim", dim, low=2)
        gen = torch.Generator().manual_seed(seed)
        q, _ = torch.linalg.qr(torch.randn(dim, dim, generator=gen, dtype=torch.float64))
        p, lower, upper = torch.linalg.lu(q)
        diag = torch.diagonal(upper)
        dtype = torch.get_default_dtype()
        self.register_buffer("P", p.to(dtype))
        self.register_buffer("sign_s", torch.sign(diag).to(dtype))
        self.register_buffer("l_mask", torch.tril(torch.ones(dim, dim), -1).to(dtype))
        self.lower = nn.Parameter(lower.to(dtype))
        self.upper = nn.Parameter(torch.triu(upper, 1).to(dtype))
        self.log_s = nn.Parameter(diag.abs().log().to(dtype))

    def factors(self) -> tuple[Tensor, Tensor]:
        """Return ``(L, U)`` rebuilt from the free parameters, each ``(D, D)``."""
        eye = torch.eye(self.dim, dtype=self.lower.dtype, device=self.lower.device)
        lower = self.lower * self.l_mask + eye
        upper = torch.triu(self.upper, 1) + torch.diag(self.sign_s * torch.exp(self.log_s))
        return lower, upper

    def weight(self) -> Tensor:
        """The ``(D, D)`` matrix ``W = P L U``."""
        lower, upper = self.factors()
        return self.P @ lower @ upper

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``x: (B, D) -> (x W^T, logdet (B,) = sum(log_s))``."""
        check_batch(x, self.dim)
        return x @ self.weight().T, self.log_s.sum().expand(x.shape[0]).clone()

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        """``y: (B, D) -> (W^{-1} y, -sum(log_s))`` by two triangular solves, no matrix inverse."""
        check_batch(y, self.dim, "y")
        lower, upper = self.factors()
        # y^T = P L U x^T  =>  x^T = U^{-1} L^{-1} P^T y^T
        rhs = self.P.T @ y.T
        tmp = torch.linalg.solve_triangular(lower, rhs, upper=False, unitriangular=True)
        x = torch.linalg.solve_triangular(upper, tmp, upper=True).T
        return x, (-self.log_s.sum()).expand(y.shape[0]).clone()
