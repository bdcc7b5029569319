"""The learner's run: each notebook as a learner on another machine runs it, every exercise done.

A learner clones the repository, opens a notebook with an empty cache, writes the code the skeleton
cells ask for, presses Run All and then tries the exercises' solutions. Their CPU is not ours, so
every number that comes from training or sampling differs in its last digits. This test does the same:

* a temporary copy of the repository's notebooks, benchmarks and figures, with no cache;
* every skeleton cell replaced by its solution (``notebook_parts.fill_skeletons``), the exercises'
  solutions appended after the notebook, in one fresh kernel;
* another machine's floating-point path: ``ATEN_CPU_CAPABILITY=default`` (torch's kernels without
  AVX2/AVX-512) and ``DNNL_MAX_CPU_ISA=SSE41`` (oneDNN's convolutions and matmuls likewise).

It passes when no cell raises, every figure in the prose is backed by *this* run's outputs (the rules
of ``tests/test_claims.py``), and the learner's own pieces are the ones the notebook went on with.
``make learners-run`` runs it; ``make unit`` leaves it out. The committed notebooks are not rewritten.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from notebook_parts import exercise_solutions, fill_skeletons
from test_claims import unbacked

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
OTHER_MACHINE = {"ATEN_CPU_CAPABILITY": "default", "DNNL_MAX_CPU_ISA": "SSE41"}
USES_YOURS = "→ the cells below use your "
USES_OURS = "→ the cells below use the library's "


def learners_notebook(path: Path, scratch: Path):
    """``path`` with its skeletons filled and its exercises' solutions appended (run in ``scratch``)."""
    nb = fill_skeletons(nbformat.read(path, as_version=4))
    # Files a solution writes (a GIF, say) go to a scratch folder, as they would on a learner's disk.
    nb.cells.append(nbformat.v4.new_code_cell(f"import os\nos.chdir({str(scratch)!r})"))
    for code in exercise_solutions(nb):
        nb.cells.extend(nbformat.v4.new_code_cell(block) for block in code)
    nb.cells.append(nbformat.v4.new_code_cell("import torch\ntorch.backends.cpu.get_cpu_capability()"))
    return nb


def printed(nb) -> list[str]:
    """Every line the run printed (streams and text results)."""
    lines = []
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            text = out.get("text", "") or str(out.get("data", {}).get("text/plain", ""))
            lines += text.splitlines()
    return lines


@pytest.mark.learners_run
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_learners_run(path, tmp_path, monkeypatch):
    for folder in ("notebooks", "benchmarks", "figures"):  # what the notebooks read, never the cache
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("cache", "*.py"))
    (tmp_path / "scratch").mkdir()
    for name, value in OTHER_MACHINE.items():
        monkeypatch.setenv(name, value)  # the kernel inherits this process's environment
    nb = learners_notebook(path, tmp_path / "scratch")
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path / "notebooks")}}
    ).execute()
    print(f"{path.stem}: the learner's run took {time.perf_counter() - start:.1f} s")

    capability = nb.cells[-1].outputs[0]["data"]["text/plain"]
    assert capability == "'DEFAULT'", f"the kernel ran on {capability}, not on another machine's path"
    missing = unbacked(nb)
    assert not missing, (
        f"{len(missing)} figure(s) in {path.name}'s prose not printed by this run:\n" + "\n".join(missing)
    )
    lines = printed(nb)
    not_yet = [line for line in lines if "not implemented yet" in line]
    assert not not_yet, f"with every skeleton filled, still: {not_yet}"
    calls = sum(c.source.count("yours_or_ours(") for c in nb.cells if c.cell_type == "code")
    ours = [line for line in lines if USES_OURS in line]
    assert not ours and sum(USES_YOURS in line for line in lines) == calls, (
        f"{calls} yours_or_ours calls; the run went on with the library's version in: {ours}"
    )
