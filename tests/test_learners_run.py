"""The learner's run: each notebook as a learner on another machine runs it, every exercise done.

A learner clones the repository, opens a notebook with an empty cache, writes the code the skeleton
cells ask for, presses Run All and then tries the exercises' solutions. Their CPU is not ours, so
every number that comes from training or sampling differs in its last digits. This test does the same:

* a temporary copy of the repository's notebooks, benchmarks and figures, with no cache;
* every skeleton cell replaced by its solution (``notebook_parts.fill_skeletons``), the exercises'
  solutions appended after the notebook, in one fresh kernel;
* two notebooks at a time, each in its own subprocess and folder, longest first;
* another machine's floating-point path: ``ATEN_CPU_CAPABILITY=default`` (torch's kernels without
  AVX2/AVX-512) and ``DNNL_MAX_CPU_ISA=SSE41`` (oneDNN's convolutions and matmuls likewise).

It passes when no cell raises, every figure in the prose is backed by *this* run's outputs (the rules
of ``tests/test_claims.py``), and the learner's own pieces are the ones the notebook went on with.
``make learners-run`` runs it; ``make unit`` leaves it out. The committed notebooks are not rewritten.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from notebook_parts import exercise_solutions, fill_skeletons
from test_claims import unbacked

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
OTHER_MACHINE = {"ATEN_CPU_CAPABILITY": "default", "DNNL_MAX_CPU_ISA": "SSE41"}
# One OpenMP thread per kernel: with two kernels side by side on two cores, a training that spins two
# threads waits on a busy core at every operation (benchmarks/digits_threads.txt measures the cost).
ONE_THREAD = {"OMP_NUM_THREADS": "1"}
USES_YOURS = "→ the cells below use your "
USES_OURS = "→ the cells below use the library's "
# Most of a run is training on one thread (the recipes' FitConfig.threads), so two runs side by side keep
# both cores of the 2-core machines this is made for busy. They start longest first: notebook 07, which
# trains three digits flows, would otherwise finish alone at the end.
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1  # not macOS
WORKERS = min(2, CORES)
LONGEST_FIRST = ("07", "05", "04", "06", "03", "02", "01")


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


def run_as_learner(path: Path, home: Path) -> tuple[object, float]:
    """Execute ``path``'s learner's version in ``home`` (its own copy of what notebooks read, no cache)
    in a fresh kernel on the other machine's path; return the executed notebook and its seconds."""
    for folder in ("notebooks", "benchmarks", "figures"):  # what the notebooks read, never the cache
        shutil.copytree(ROOT / folder, home / folder, ignore=shutil.ignore_patterns("cache", "*.py"))
    (home / "scratch").mkdir()
    source, executed = home / "notebooks" / f"learner_{path.name}", home / f"executed_{path.name}"
    nbformat.write(learners_notebook(path, home / "scratch"), source)
    start = time.perf_counter()
    # A subprocess per notebook, so two run side by side; the kernel inherits this environment.
    done = subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", "--output", str(executed)]
        + ["--ExecutePreprocessor.timeout=1200", "--ExecutePreprocessor.kernel_name=python3", str(source)],
        env={**os.environ, **OTHER_MACHINE, **ONE_THREAD},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode:
        traceback = re.sub(r"\x1b\[[0-9;]*m", "", done.stderr)[-6000:]  # without the colour codes
        raise AssertionError(f"{path.name}: a cell raised in the learner's run\n{traceback}")
    return nbformat.read(executed, as_version=4), seconds


@pytest.fixture(scope="session")
def learners_runs(request, tmp_path_factory) -> dict[str, Future]:
    """The learner's run of every selected notebook, ``WORKERS`` at a time, longest first."""
    chosen = [
        i.callspec.params["path"] for i in request.session.items if i.originalname == "test_learners_run"
    ]
    chosen.sort(key=lambda p: LONGEST_FIRST.index(p.name[:2]) if p.name[:2] in LONGEST_FIRST else -1)
    pool = ThreadPoolExecutor(WORKERS)
    runs = {p.stem: pool.submit(run_as_learner, p, tmp_path_factory.mktemp(p.stem)) for p in chosen}
    yield runs
    pool.shutdown(cancel_futures=True)


@pytest.mark.learners_run
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_learners_run(path, learners_runs):
    nb, seconds = learners_runs[path.stem].result()
    print(f"{path.stem}: the learner's run took {seconds:.1f} s")

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
