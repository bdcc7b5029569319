"""The learner's run: each notebook as a learner on another machine runs it, every exercise done.

A learner clones the repository, opens a notebook with an empty cache, writes the code the skeleton
cells ask for, presses Run All and then tries the exercises' solutions. Their CPU is not ours, so
every number that comes from training or sampling differs in its last digits. This test does the same:

* a temporary copy of the repository's notebooks, benchmarks and figures, with no cache;
* every skeleton cell replaced by its solution (``notebook_parts.fill_skeletons``), the exercises'
  solutions appended after the notebook, in one fresh kernel;
* two notebooks at a time, each in its own subprocess and folder, longest first (notebook 07's
  exercises, as long as the notebook, in a kernel of their own beside it: see ``EXERCISES_APART``);
* another machine's floating-point path: ``ATEN_CPU_CAPABILITY=default`` (torch's kernels without
  AVX2/AVX-512) and ``DNNL_MAX_CPU_ISA=SSE41`` (oneDNN's convolutions and matmuls likewise).

It passes when no cell raises, every figure in the prose is backed by *this* run's outputs (the rules
of ``tests/test_claims.py``), and the learner's own pieces are the ones the notebook went on with.
``make learners-run`` runs it; ``make unit`` leaves it out. The committed notebooks are not rewritten.
"""

from __future__ import annotations

import copy
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
# Notebook 07's exercises train three more digits flows, as long as the notebook itself. They run in a
# second kernel beside it: the notebook as committed (its skeletons empty, so only the library's flow
# trains there), then the solutions, which use only the library's names. Every other notebook runs its
# exercises in the learner's own kernel, after the notebook.
EXERCISES_APART = {"07"}
# Longest first, so that no long run starts last: (notebook, part), part "whole", "notebook" or "exercises".
LONGEST_FIRST = (
    ("07", "exercises"),
    ("07", "notebook"),
    *((n, "whole") for n in ("05", "04", "06", "03", "02", "01")),
)


def learners_notebook(path: Path, scratch: Path, part: str = "whole"):
    """``path`` with its skeletons filled and its exercises' solutions appended (run in ``scratch``).

    ``part="notebook"`` leaves the exercises out; ``part="exercises"`` appends them to the notebook as
    committed (skeletons empty). The last cell prints the CPU capability torch ran on."""
    committed = nbformat.read(path, as_version=4)
    nb = committed if part == "exercises" else fill_skeletons(nbformat.read(path, as_version=4))
    # Files a solution writes (a GIF, say) go to a scratch folder, as they would on a learner's disk.
    nb.cells.append(nbformat.v4.new_code_cell(f"import os\nos.chdir({str(scratch)!r})"))
    for code in exercise_solutions(committed) if part != "notebook" else []:
        nb.cells.extend(nbformat.v4.new_code_cell(block) for block in code)
    nb.cells.append(nbformat.v4.new_code_cell("import torch\ntorch.backends.cpu.get_cpu_capability()"))
    return nb


def parts(path: Path) -> tuple[str, ...]:
    return ("notebook", "exercises") if path.name[:2] in EXERCISES_APART else ("whole",)


def printed(nb) -> list[str]:
    """Every line the run printed (streams and text results)."""
    lines = []
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            text = out.get("text", "") or str(out.get("data", {}).get("text/plain", ""))
            lines += text.splitlines()
    return lines


def run_as_learner(path: Path, home: Path, part: str = "whole") -> tuple[object, float]:
    """Execute ``part`` of ``path``'s learner's version in ``home`` (its own copy of what notebooks read,
    no cache) in a fresh kernel on the other machine's path; return the executed notebook and seconds."""
    for folder in ("notebooks", "benchmarks", "figures"):  # what the notebooks read, never the cache
        shutil.copytree(ROOT / folder, home / folder, ignore=shutil.ignore_patterns("cache", "*.py"))
    (home / "scratch").mkdir()
    source, executed = home / "notebooks" / f"learner_{path.name}", home / f"executed_{path.name}"
    nbformat.write(learners_notebook(path, home / "scratch", part), source)
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
        raise AssertionError(f"{path.name} ({part}): a cell raised in the learner's run\n{traceback}")
    return nbformat.read(executed, as_version=4), seconds


@pytest.fixture(scope="session")
def learners_runs(request, tmp_path_factory) -> dict[tuple[str, str], Future]:
    """The learner's run of every selected notebook, by (stem, part), ``WORKERS`` at a time, longest first."""
    paths = [
        i.callspec.params["path"] for i in request.session.items if i.originalname == "test_learners_run"
    ]
    chosen = [(path, part) for path in paths for part in parts(path)]

    def rank(job) -> int:
        key = (job[0].name[:2], job[1])
        return LONGEST_FIRST.index(key) if key in LONGEST_FIRST else -1

    pool = ThreadPoolExecutor(WORKERS)
    runs = {
        (path.stem, part): pool.submit(
            run_as_learner, path, tmp_path_factory.mktemp(f"{path.stem}_{part}"), part
        )
        for path, part in sorted(chosen, key=rank)
    }
    yield runs
    pool.shutdown(cancel_futures=True)


def joined(notebook, exercises, n_cells: int):
    """The notebook part's run with the exercises part's own cells (those after the ``n_cells`` of the
    committed notebook) in place of its last cell: one notebook, as a learner's single kernel shows it."""
    nb = copy.deepcopy(notebook)
    nb.cells = nb.cells[:-1] + exercises.cells[n_cells + 1 :]  # both parts chdir first: keep one
    return nb


@pytest.mark.learners_run
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_learners_run(path, learners_runs):
    runs = {part: learners_runs[path.stem, part].result() for part in parts(path)}
    for part, (nb, seconds) in runs.items():
        print(f"{path.stem} ({part}): the learner's run took {seconds:.1f} s")
        capability = nb.cells[-1].outputs[0]["data"]["text/plain"]
        assert capability == "'DEFAULT'", f"the kernel ran on {capability}, not on another machine's path"
    if "whole" in runs:
        nb = runs["whole"][0]
    else:
        nb = joined(runs["notebook"][0], runs["exercises"][0], len(nbformat.read(path, as_version=4).cells))
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
