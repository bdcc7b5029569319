"""Every measured figure in a notebook's prose is one the notebook printed (or cites).

A *figure* is a number in a markdown cell that reports a measurement: one with a decimal point
(``0.0087``, ``3.7``), or any number followed by a unit (``41 s``, ``25 ms``, ``0.49%``, ``3.7×``,
``2 nats``), ranges included (``8–12 s``). It passes when an output of the same notebook, or a
literal in its code (a setting such as ``noise=0.05``, or a solution's ``assert``), holds a number
that rounds to it at the precision it is written with: ``0.01`` is backed by a printed ``0.0087``,
``0.0087`` only by ``0.0087`` (±half a unit of its last digit). Signs are ignored.

Not figures, so not checked:

* plain integers without a unit: counts and settings (``4 couplings``, ``200 steps``), notebook,
  section, equation, row and exercise numbers (``notebook 05``, ``eq. 9``, ``§3.1``), years;
* headings, list markers (``1.``), inline code and code blocks, link targets, versions (``2.13.0``),
  dates (``2026-12-01``), dimension words (``2-D``, ``8×8``), numbers glued to a letter (``float32``);
* numbers in ``$math$`` (an equation's constants), except a decimal right after ``\\approx``, which
  states a computed value (``\\approx -2995.73``) and is checked.

**Figures from the literature or a benchmark** are marked by a citation in the same sentence: an
author and year (``Dinh et al., 2017``, ``Kingma & Dhariwal 2018``) or a benchmark script
(``benchmarks/notebook_times.py``). Every figure of such a sentence is exempt. The ``## References``
section is skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9]*.ipynb"))

NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?"
UNIT = r"(?:%|×|x\b|s\b|ms\b|µs\b|seconds?\b|minutes?\b|nats?\b|bits/dim\b|MB\b|kB\b|GB\b|px\b|pt\b)"
FIGURE = re.compile(rf"(?<![\w.§/\\-])({NUMBER})(?:\s*[–-]\s*({NUMBER}))?(\s*{UNIT}(?!\s*\d))?")
SKIP = [  # the first five before the cell is cut into sentences, the rest after
    re.compile(r"```.*?```", re.S),  # code blocks
    re.compile(r"`[^`\n]*`"),  # inline code
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"^\s{0,3}#+ .*$", re.M),  # headings
    re.compile(r"^\s*(?:\d+\.|[-*])\s", re.M),  # list markers
    re.compile(r"\d+(?:\.\d+){2,}"),  # versions
    re.compile(r"(?:[Ss]ections?|§)\s*\d+(?:\.\d+)*(?:\s*[–-]\s*\d+(?:\.\d+)*)?"),  # section 3.6
    re.compile(r"\d{4}-\d{2}-\d{2}"),  # dates
    re.compile(r"\d+-D\b|\d+\s*×\s*\d+"),  # 2-D, 8 × 8
    re.compile(r"<[^>]+>"),  # html tags (<details>, <summary>)
]
MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$", re.S)
APPROX = re.compile(rf"\\approx\s*(?:\\,|\s)*-?\s*({NUMBER})")
CITATION = re.compile(r"[A-Z][a-zé]+(?: et al\.?| & [A-Z][a-zé]+)?,? \(?(?:19|20)\d\d\b|benchmarks/\w+\.py")
SENTENCE = re.compile(r"(?<=[.!?:])\s+(?=[A-Z*(`$\[])|\n\s*\n")


def parse(token: str) -> float:
    return float(token.replace(",", ""))


def decimals(token: str) -> int:
    mantissa = token.lower().split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def figures(markdown: str) -> list[tuple[str, str]]:
    """``(figure, sentence)`` for every figure in one markdown cell that no citation exempts."""
    text = re.sub(r"`(benchmarks/\w+\.py)`", r"\1", markdown.split("## References")[0])  # a citation
    for pattern in SKIP[:5]:
        text = pattern.sub(" ", text)
    found = []
    for sentence in SENTENCE.split(text.replace("et al.", "et al")):
        if CITATION.search(sentence):
            continue
        approx = [m[1] for math in MATH.findall(sentence) for m in APPROX.finditer(math) if "." in m[1]]
        prose = MATH.sub(" ", sentence)
        for pattern in SKIP[5:]:
            prose = pattern.sub(" ", prose)
        found += [(tok, sentence) for tok in approx]
        for m in FIGURE.finditer(prose):
            for tok in filter(None, m.group(1, 2)):
                if m[3] or "." in tok:
                    found.append((tok, " ".join(sentence.split())))
    return found


def backing(nb) -> list[float]:
    """Every number in the notebook's outputs, its code cells and its solutions' code."""
    texts = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            texts.append(cell.source)
            for out in cell.get("outputs", []):
                texts.append(out.get("text", ""))
                texts.append(str(out.get("data", {}).get("text/plain", "")))
                texts.append(str(out.get("evalue", "")))
        else:
            texts += re.findall(r"```python\n(.*?)```", cell.source, re.S)
    return [parse(t) for t in re.findall(NUMBER, "\n".join(texts))]


def unbacked(nb) -> list[str]:
    """The figures of ``nb``'s markdown that no output or code of ``nb`` backs."""
    numbers = backing(nb)
    missing = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for token, sentence in figures(cell.source):
            value, half = parse(token), 0.5 * 10.0 ** -decimals(token) + 1e-12
            if not any(abs(abs(n) - value) <= half for n in numbers):
                missing.append(f"{token!r} in: {sentence[:160]}")
    return missing


def test_figure_rules():
    md = (
        "Measured 3.7× faster, in 41 s and 8–12 s; the gap is 0.0087 nats. Dinh et al. (2017) found 1.5. "
        "Notebook 05, section 3, eq. 9, §3.1, 4 couplings, `lr=0.3`, 2-D, 8×8, float32, torch 2.13.0.\n"
        "## 2. Heading 4.5\n1. item $q = 0.25\\,x \\approx 2995.73$.\nSee `benchmarks/x.py`: 9.9 s."
    )
    assert [f for f, _ in figures(md)] == ["3.7", "41", "8", "12", "0.0087", "2995.73"]


def test_precision_and_exemptions():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "print(x)",
                outputs=[
                    nbformat.v4.new_output(
                        "stream", text="gap 0.0087 ± 0.0007, ratio 3.68, took 40.6 s, -2995.73\n"
                    )
                ],
            ),
            nbformat.v4.new_markdown_cell(
                "A gap of 0.0087, about 0.01; 3.7× in 41 s; a log of 2995.73. "
                "It was 0.0088 here, and 5× there."
            ),
        ]
    )
    assert [m.split()[0] for m in unbacked(nb)] == ["'0.0088'", "'5'"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_is_printed_or_cited(path):
    missing = unbacked(nbformat.read(path, as_version=4))
    assert not missing, f"{len(missing)} figure(s) in {path.name} match no output:\n" + "\n".join(missing)
