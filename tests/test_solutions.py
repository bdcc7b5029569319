"""The notebooks' solutions are well formed: skeletons pair with their solutions, exercises end with a check.

Two kinds of ``<details>`` solution live in the markdown (``tests/notebook_parts.py``): a skeleton's
(tagged ``solution``: one python block per skeleton cell, each its full replacement) and an exercise's
(run after the whole notebook, ending with an ``assert`` of the claim it makes). Both are *run* by
``tests/test_learners_run.py``; this file checks their shape, fast, in ``make unit``.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from notebook_parts import exercise_solutions, fill_skeletons, skeleton_groups

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9]*.ipynb"))
ASSERT = re.compile(r"^\s*assert\b", re.M)


def md(source: str, *tags: str):
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["tags"] = list(tags)
    return cell


def code(source: str, *tags: str):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    return cell


def test_skeletons_are_replaced_by_their_solutions_in_order():
    nb = nbformat.v4.new_notebook(
        cells=[
            code("def f():\n    raise NotImplementedError", "skeleton"),
            code("def g():\n    raise NotImplementedError", "skeleton"),
            code("check(f, g)"),
            md(
                "<details>\n```python\ndef f():\n    return 1\n```\n"
                "```python\ndef g():\n    return 2\n```\n</details>",
                "solution",
            ),
            md("<details>\n```python\nx = 1\nassert x == 1\n```\n</details>"),
        ]
    )
    filled = fill_skeletons(nb)
    assert [c.source for c in filled.cells[:3]] == [
        "def f():\n    return 1",
        "def g():\n    return 2",
        "check(f, g)",
    ]
    assert "NotImplementedError" in nb.cells[0].source  # the original is left as it was
    assert exercise_solutions(nb) == [["x = 1\nassert x == 1\n"]]


def test_a_solution_must_match_its_skeletons():
    nb = nbformat.v4.new_notebook(
        cells=[
            code("raise NotImplementedError", "skeleton"),
            md("<details>\n```python\na\n```\n```python\nb\n```\n</details>", "solution"),
        ]
    )
    with pytest.raises(ValueError, match="2 python blocks for 1 skeleton"):
        skeleton_groups(nb)
    with pytest.raises(ValueError, match="no solution cell"):
        skeleton_groups(nbformat.v4.new_notebook(cells=[code("raise NotImplementedError", "skeleton")]))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_skeletons_are_committed_empty_and_paired_with_a_solution(path):
    nb = nbformat.read(path, as_version=4)
    for cells, blocks in skeleton_groups(nb):
        for i, block in zip(cells, blocks, strict=True):
            assert "NotImplementedError" in nb.cells[i].source, f"skeleton cell {i} is not empty"
            assert "NotImplementedError" not in block, f"the solution of skeleton cell {i} is not written"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_solution_ends_with_a_check(path):
    unchecked = [
        code[-1].strip().splitlines()[0]
        for code in exercise_solutions(nbformat.read(path, as_version=4))
        if not ASSERT.search(code[-1])
    ]
    assert not unchecked, f"solutions whose last code block has no assert, first lines: {unchecked}"


def test_every_notebook_has_solutions_with_code():
    assert all(exercise_solutions(nbformat.read(p, as_version=4)) for p in NOTEBOOKS)
