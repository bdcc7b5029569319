"""compute.py: the one dtype/device lookup and the one thread-count context manager."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import realnvp_lib as rl
from realnvp_lib.runtime import dtype_and_device, threads


def test_dtype_and_device_reads_parameters_then_float_buffers():
    assert dtype_and_device(rl.realnvp(n_layers=2, hidden=8).double()) == (torch.float64, torch.device("cpu"))
    fixed = nn.Module()
    fixed.register_buffer("perm", torch.arange(3))  # integer buffers say nothing about the input dtype
    assert dtype_and_device(fixed) is None
    fixed.register_buffer("scale", torch.ones(3, dtype=torch.float64))
    assert dtype_and_device(fixed) == (torch.float64, torch.device("cpu"))
    assert dtype_and_device(rl.SwapHalves(2), torch.float32) == (torch.float32, torch.device("cpu"))


def test_a_flow_of_permutations_samples_in_the_default_dtype():
    flow = rl.Flow([rl.SwapHalves(2), rl.Reverse(2)], 2)
    assert flow.sample(5, seed=0).dtype == torch.get_default_dtype()


@pytest.mark.parametrize("n", [None, 0, 1])
def test_threads_restores_the_callers_setting_even_on_error(n):
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), threads(n):
        assert torch.get_num_threads() == (n or before)
        raise RuntimeError("stop")
    assert torch.get_num_threads() == before
