"""Every number README.md and CONTRIBUTING.md type has a source, and a test that fails when it drifts.

The README's run times and every notebook's ``**Run time:**`` line are copied from one table,
``benchmarks/notebook_times.txt`` (written by ``benchmarks/notebook_times.py``), by
``tools/run_times.py``: they must be what that script writes now. A file size is written
``` `path` is 2.74 MB ``` and must be the file's size (site pages: ``tests/test_site.py``, which
builds them). Any other figure (a number with a decimal point or a unit, as the notebooks' claims
rule counts them, ``tests/test_claims.py``) must round, at the precision it is written with, to a
number in a committed ``benchmarks/*.txt``, a literal of the library's code (a setting such as the
optimiser's betas) or a target of ``benchmarks/notebook_times.py``. Versions (``Python ≥ 3.11``),
dates and years are not figures.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from scripts import load_script
from test_claims import FIGURE, MATH, NUMBER, SENTENCE, SKIP, decimals, parse

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
SIZE = re.compile(r"`([^`\s]+)` is (\d+(?:\.\d+)?) (MB|kB)")
VERSION = re.compile(
    r"(?:Python|torch|PyTorch|JupyterLab|ipywidgets|nbconvert|MathJax|html-manager|Node\.js|CUDA|ruff)"
    r"\s*(?:[≥>=<~]=?\s*)?\d+(?:\.\d+)*"
)


run_times = load_script("run_times")


@pytest.fixture(scope="module")
def table():
    return run_times.read_table()


def test_the_table_times_every_notebook_and_is_final(table):
    assert set(table.cached) == {p.stem for p in NOTEBOOKS}, "rerun benchmarks/notebook_times.py"
    assert table.provisional is None, (
        f"benchmarks/notebook_times.txt is provisional ({table.provisional}): rerun "
        "benchmarks/notebook_times.py on a quiet machine, then tools/run_times.py"
    )


def test_the_readme_quotes_the_table(table):
    readme = (ROOT / "README.md").read_text()
    assert run_times.rewrite_readme(readme, table) == readme, "run tools/run_times.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_header_quotes_the_table(table, path):
    nb = nbformat.read(path, as_version=4)
    want = run_times.header_sentence(table, path.stem)
    assert not run_times.rewrite(nb, want), f"{path.name}: its run-time line should read {want!r}"


def test_the_run_time_sentence_and_readme_cell():
    table = run_times.Table(
        first={"05_x": 60.0, "07_y": 90.0}, cached={"05_x": 50.0, "07_y": 48.5}, date="2026-12-07",
        cpus=2, load="0.9 1.1", provisional=None,
    )  # fmt: skip
    assert run_times.readme_cell(table, "05_x") == "50.0 s"  # not much slower the first time
    assert run_times.readme_cell(table, "07_y") == "48.5 s (90.0 s the first time)"
    sentence = run_times.header_sentence(table, "07_y")
    assert sentence.startswith(
        "**Run time:** 48.5 s on two CPU cores with its cache filled, 90.0 s the first"
    )
    assert "`benchmarks/notebook_times.py`, 2026-12-07, load average 0.9–1.1" in sentence
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("Intro. **Run time:** 3 s (old).\n\nNext.")]
    )
    assert run_times.rewrite(nb, sentence) and nb.cells[0].source == f"Intro. {sentence}\n\nNext."
    assert not run_times.rewrite(nb, sentence)
    readme = "| `05_x` | a \\| b | 1.0 s |\n| `07_y` | c | 2.0 s |\n"
    assert run_times.rewrite_readme(readme, table) == (
        "| `05_x` | a \\| b | 50.0 s |\n| `07_y` | c | 48.5 s (90.0 s the first time) |\n"
    )
    with pytest.raises(ValueError, match="rows for"):
        run_times.rewrite_readme("| `05_x` | a | 1.0 s |\n", table)


def test_quoted_file_sizes_are_the_files():
    checked = 0
    for doc in DOCS:
        for path, value, unit in SIZE.findall(doc.read_text()):
            if path.startswith("site/"):
                continue  # tests/test_site.py builds the site and checks these
            size = (ROOT / path).stat().st_size / (1e6 if unit == "MB" else 1e3)
            half = 0.5 * 10.0 ** -decimals(value)
            assert abs(size - parse(value)) <= half, f"{doc.name}: `{path}` is {size:.2f} {unit}, not {value}"
            checked += 1
    assert checked > 0


def sources() -> list[float]:
    """Numbers a figure in the docs may quote."""
    texts = [p.read_text() for p in (ROOT / "benchmarks").glob("*.txt")]
    texts += [p.read_text() for p in (ROOT / "realnvp_lib").rglob("*.py")]
    times = load_script("notebook_times", "benchmarks")
    numbers = [parse(t) for t in re.findall(NUMBER, "\n".join(texts))]
    return numbers + [times.TARGET_EACH_S, times.TARGET_TOTAL_S]


def doc_figures(markdown: str) -> list[tuple[str, str]]:
    """``(figure, sentence)`` for every figure of a markdown page, no citation exempting any."""
    text = SIZE.sub(" ", markdown)  # file sizes: checked against the files
    for pattern in SKIP[:4]:  # code, link targets, headings (list markers stay: "1." is no figure)
        text = pattern.sub(" ", text)
    text = VERSION.sub(" ", text)
    found = []
    for sentence in SENTENCE.split(text.replace("et al.", "et al")):
        prose = MATH.sub(" ", sentence)
        for pattern in SKIP[4:]:
            prose = pattern.sub(" ", prose)
        for m in FIGURE.finditer(prose):
            for tok in filter(None, m.group(1, 2)):
                if m[3] or "." in tok:
                    found.append((tok, " ".join(sentence.split())[:160]))
    return found


def test_doc_figures_finds_units_and_decimals_but_not_versions():
    md = "Python ≥ 3.11, torch 2.13.0; `x = 0.5`; it took 41 s, 3.7× at 0.99; `f.ipynb` is 2.7 MB; 8×8, 2-D."
    assert [f for f, _ in doc_figures(md)] == ["41", "3.7", "0.99"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_figure_in_the_docs_has_a_source(doc):
    numbers = sources()
    missing = []
    for token, sentence in doc_figures(doc.read_text()):
        value, half = parse(token), 0.5 * 10.0 ** -decimals(token) + 1e-12
        if not any(abs(abs(n) - value) <= half for n in numbers):
            missing.append(f"{token!r} in: {sentence}")
    assert not missing, f"{doc.name}: figures with no source:\n" + "\n".join(missing)
