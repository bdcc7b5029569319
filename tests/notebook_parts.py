"""The parts of a notebook the tests rewrite: skeleton cells, their solutions, the exercises' solutions.

A *skeleton* is a code cell tagged ``skeleton`` that the learner fills in (it raises
``NotImplementedError`` until then). Its solution sits in the next markdown cell tagged ``solution``: a
``<details>`` block with exactly one python code block per skeleton since the previous ``solution``
cell, in order, each the whole replacement of that skeleton's source. Every other ``<details>`` block
with code is an exercise's solution, meant to run after the whole notebook.
"""

from __future__ import annotations

import copy
import re

__all__ = ["exercise_solutions", "fill_skeletons", "skeleton_groups", "tags"]

DETAILS = re.compile(r"<details>.*?</details>", re.S)
PYTHON = re.compile(r"```python\n(.*?)```", re.S)


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def skeleton_groups(nb) -> list[tuple[list[int], list[str]]]:
    """``(indices of skeleton cells, their solution blocks)`` per ``solution`` cell, checked to match."""
    groups, pending = [], []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "skeleton" in tags(cell):
            pending.append(i)
        elif cell.cell_type == "markdown" and "solution" in tags(cell):
            blocks = [b for d in DETAILS.findall(cell.source) for b in PYTHON.findall(d)]
            if len(blocks) != len(pending):
                raise ValueError(
                    f"solution cell {i} holds {len(blocks)} python blocks for {len(pending)} skeleton "
                    f"cells (cells {pending}): one block per skeleton, in order"
                )
            groups.append((pending, blocks))
            pending = []
    if pending:
        raise ValueError(f"skeleton cells {pending} have no solution cell after them")
    return groups


def fill_skeletons(nb):
    """A copy of ``nb`` with every skeleton replaced by its solution: what a learner who did it all runs."""
    filled = copy.deepcopy(nb)
    for cells, blocks in skeleton_groups(nb):
        for i, code in zip(cells, blocks, strict=True):
            filled.cells[i].source = code.rstrip("\n")
    return filled


def exercise_solutions(nb) -> list[list[str]]:
    """The python blocks of each exercise's ``<details>`` solution that has code, one list each."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown" or "solution" in tags(cell):
            continue
        found += [code for code in (PYTHON.findall(d) for d in DETAILS.findall(cell.source)) if code]
    return found
