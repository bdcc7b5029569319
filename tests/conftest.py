"""Shared fixtures: layers with randomised weights (so no layer is the identity), and a browser."""

from __future__ import annotations

import pytest
import torch
from serving import chromium

import realnvp_lib as rl
from realnvp_lib.instruments.perturb import randomize

pytest_plugins = ["pytester"]  # tests/test_setup.py runs the browser-skip summary in a sandbox


def all_bijections(dim: int, seed: int = 0) -> dict[str, rl.Bijection]:
    """One of every bijection kind the library offers, in ``dim`` dimensions, randomised."""
    gen = torch.Generator().manual_seed(seed)
    random_mask = torch.zeros(dim)
    random_mask[torch.randperm(dim, generator=gen)[: max(1, dim // 3)]] = 1
    layers = {
        "coupling_half": rl.AffineCoupling(rl.half_mask(dim), hidden=16),
        "coupling_half_flipped": rl.AffineCoupling(rl.half_mask(dim, first=False), hidden=16),
        "coupling_alternating": rl.AffineCoupling(rl.alternating_mask(dim), hidden=16),
        "coupling_random_mask": rl.AffineCoupling(random_mask, hidden=16, activation="silu"),
        "coupling_unbounded": rl.AffineCoupling(rl.half_mask(dim), hidden=16, scale_bound=None),
        "swap": rl.SwapHalves(dim),
        "reverse": rl.Reverse(dim),
        "random": non_identity_permutation(dim, seed),
        "lu": rl.LULinear(dim, seed=seed),
    }
    return {name: randomize(layer, seed) for name, layer in layers.items()}


def non_identity_permutation(dim: int, seed: int) -> rl.RandomPermutation:
    """A seeded random permutation that really moves something (for D=2, half the seeds don't)."""
    while torch.equal((p := rl.RandomPermutation(dim, seed)).perm, torch.arange(dim)):
        seed += 1
    return p


@pytest.fixture(params=rl.PERMUTATIONS)
def permutation(request) -> str:
    return request.param


@pytest.fixture
def browser():
    """Headless Chromium (skipped with the reason if missing; a failure under CI=true)."""
    with chromium() as b:
        yield b


# Browser tests skipped in this session, as (test id, reason): a skip scrolls past in the dots, so
# the summary names them and says how to run them.
BROWSER_SKIPS = pytest.StashKey[list[tuple[str, str]]]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.skipped and "browser" in getattr(item, "fixturenames", ()):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        item.config.stash.setdefault(BROWSER_SKIPS, []).append((item.nodeid, reason))


def pytest_terminal_summary(terminalreporter, config):
    skips = config.stash.get(BROWSER_SKIPS, [])
    if not skips:
        return
    terminalreporter.section(f"{len(skips)} browser tests skipped", yellow=True)
    for nodeid, reason in skips:
        terminalreporter.write_line(f"{nodeid}: {reason}")
    terminalreporter.write_line(
        "To run them: `apt-get install chromium` (Debian's, at /usr/bin/chromium) and the `test` extra "
        "(`make test` installs it, with playwright). Under CI=true a missing browser fails them instead."
    )
