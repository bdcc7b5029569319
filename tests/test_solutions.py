"""Every worked solution runs: each notebook, then the code of its solutions, in one fresh kernel.

The solutions sit in collapsed ``<details>`` blocks (markdown), so nbval never runs them; a learner
opens one, copies its code below the notebook and expects it, and its closing ``assert``, to work.
They run in the order they appear, after the whole notebook, as a reader working down the page would.
A solution with code must end with a check: its last code block holds an ``assert`` (a number within a
tolerance, a round trip, a comparison with the library) that fails on a wrong answer.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9]*.ipynb"))
SOLUTION = re.compile(r"<details>.*?</details>", re.S)
PYTHON = re.compile(r"```python\n(.*?)```", re.S)


ASSERT = re.compile(r"^\s*assert\b", re.M)


def solutions(nb) -> list[list[str]]:
    """The python code blocks of each ``<details>`` solution that has code, one list per solution."""
    blocks = [b for c in nb.cells if c.cell_type == "markdown" for b in SOLUTION.findall(c.source)]
    return [code for code in (PYTHON.findall(b) for b in blocks) if code]


def solution_code(nb) -> list[str]:
    """The python code blocks inside the notebook's ``<details>`` solutions, in order."""
    blocks = [b for c in nb.cells if c.cell_type == "markdown" for b in SOLUTION.findall(c.source)]
    return [code for block in blocks for code in PYTHON.findall(block)]


def test_solution_finder():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(
                "text ```python\nnot_me()\n``` <details><summary>S</summary>\n```python\nx = 1\n```\n"
                "and\n```python\nassert x == 1\n```\n</details>"
            )
        ]
    )
    assert solution_code(nb) == ["x = 1\n", "assert x == 1\n"]


def test_check_finder():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(
                "<details>\n```python\nassert 1\n```\n```python\nprint(2)\n```\n</details>"
                "<details>\n```python\nx = 1\nassert x == 1, 'x'\n```\n</details><details>no code</details>"
            )
        ]
    )
    assert [bool(ASSERT.search(code[-1])) for code in solutions(nb)] == [False, True]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_solution_ends_with_a_check(path):
    unchecked = [
        code[-1].strip().splitlines()[0]
        for code in solutions(nbformat.read(path, as_version=4))
        if not ASSERT.search(code[-1])
    ]
    assert not unchecked, f"solutions whose last code block has no assert, first lines: {unchecked}"


def test_every_notebook_has_solutions_with_code():
    assert all(solution_code(nbformat.read(p, as_version=4)) for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solutions_run_after_their_notebook(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    # The notebook runs where it lives (its cache); files its solutions write (a GIF, say) go to a
    # temporary folder, not into the repository.
    nb.cells.append(nbformat.v4.new_code_cell(f"import os\nos.chdir({str(tmp_path)!r})"))
    for code in solution_code(nb):
        nb.cells.append(nbformat.v4.new_code_cell(code))
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
