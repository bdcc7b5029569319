"""Copy ``benchmarks/notebook_times.txt`` into every notebook's run-time line and the README's table.

Each notebook's header has one sentence starting ``**Run time:**`` and ending ``).``, and the
README's table of notebooks a last column with each one's run time; this rewrites both from the
table that ``benchmarks/notebook_times.py`` wrote, so the notebooks and the README quote one
measurement. A notebook whose first run (from an empty cache) takes much longer than a run with
its cache filled gets both times. Run it after ``benchmarks/notebook_times.py`` on the final
notebooks; it refuses a table marked provisional unless ``--provisional-ok``.

    python tools/run_times.py            # rewrite the run-time lines that differ
    python tools/run_times.py --check    # exit status 1 if any line differs from the table
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = [
    "RUN_TIME",
    "Table",
    "header_sentence",
    "main",
    "read_table",
    "readme_cell",
    "rewrite",
    "rewrite_readme",
]

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "benchmarks" / "notebook_times.txt"
RUN_TIME = re.compile(r"\*\*Run time:\*\*.*?\)\.", re.S)  # the sentence, up to its closing ")."
CORES = {1: "one CPU core", 2: "two CPU cores", 4: "four CPU cores", 8: "eight CPU cores"}


@dataclass
class Table:
    """``benchmarks/notebook_times.txt``: seconds per notebook (``first``: in order from an empty
    cache; ``cached``: again, caches filled), and what the header lines say about the run."""

    first: dict[str, float]
    cached: dict[str, float]
    date: str
    cpus: int
    load: str  # the 1-minute load averages before and after, as written
    provisional: str | None

    def slow_first(self, name: str) -> bool:
        """Whether the first run is worth quoting beside the cached one (it trains what it caches)."""
        first, cached = self.first[name], self.cached[name]
        return first - cached > 10  # seconds a reader waits once, for what the notebook trains and caches


def read_table(path: Path = TABLE) -> Table:
    meta, first, cached = {}, {}, {}
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            key, _, value = line[1:].strip().partition(": ")
            meta[key] = value
            continue
        name, *cells = line.split()
        if name in ("notebook", "total"):
            continue
        first[Path(name).stem], cached[Path(name).stem] = (float(c) for c in cells)
    cpus = int(re.match(r"(\d+) CPUs", meta["machine"])[1])
    load = meta["load average (1 min) before and after"]
    return Table(first, cached, meta["date"], cpus, load, meta.get("provisional"))


def _load(table: Table) -> str:
    return "load average " + "–".join(dict.fromkeys(table.load.split()))


def header_sentence(table: Table, name: str) -> str:
    """The notebook's ``**Run time:** ….`` sentence, from the table."""
    cores = CORES.get(table.cpus, f"{table.cpus} CPU cores")
    took = f"{table.cached[name]:.1f} s on {cores}"
    if table.slow_first(name):
        took += f" with its cache filled, {table.first[name]:.1f} s the first time, from an empty cache"
    return (
        f"**Run time:** {took} (`benchmarks/notebook_times.py`, {table.date}, {_load(table)}; "
        "expect more while other work shares the cores)."
    )


def readme_cell(table: Table, name: str) -> str:
    """The run-time cell of the README's table of notebooks."""
    cell = f"{table.cached[name]:.1f} s"
    return cell + (f" ({table.first[name]:.1f} s the first time)" if table.slow_first(name) else "")


def rewrite(nb, sentence: str) -> bool:
    """Replace the one run-time sentence of ``nb``'s markdown; True if it changed."""
    hits = [c for c in nb.cells if c.cell_type == "markdown" and RUN_TIME.search(c.source)]
    if len(hits) != 1 or len(RUN_TIME.findall(hits[0].source)) != 1:
        raise ValueError(f"expected one '**Run time:** … ).' sentence, found {len(hits)} cells with one")
    new = RUN_TIME.sub(lambda _: sentence, hits[0].source)
    changed = new != hits[0].source
    hits[0].source = new
    return changed


def rewrite_readme(text: str, table: Table) -> str:
    """The README with the run-time cell of each notebook's table row set from the table."""
    seen = set()

    def row(m: re.Match) -> str:
        seen.add(m[2])
        return f"{m[1]}{readme_cell(table, m[2])} |"

    new = re.sub(r"^(\| `(\d\d_\w+)` \|.*\| )[^|\n]*\|[ \t]*$", row, text, flags=re.M)
    if seen != set(table.cached):
        raise ValueError(
            f"the README's table has rows for {sorted(seen)}, the times are for {sorted(table.cached)}"
        )
    return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report, rewrite nothing")
    parser.add_argument("--provisional-ok", action="store_true", help="accept a provisional table")
    parser.add_argument("--table", type=Path, default=TABLE)
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = parser.parse_args(argv)
    table = read_table(args.table)
    if table.provisional and not (args.check or args.provisional_ok):
        raise SystemExit(f"{args.table} is provisional ({table.provisional}): rerun notebook_times.py")
    differ = []
    for path in sorted(args.notebooks.glob("[0-9]*.ipynb")):
        if path.stem not in table.cached:
            raise SystemExit(f"{path.name} is not in {args.table}: rerun benchmarks/notebook_times.py")
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        try:
            changed = rewrite(nb, header_sentence(table, path.stem))
        except ValueError as err:
            raise SystemExit(f"{path}: {err}") from None
        if changed and args.check:
            differ.append(path.name)
        elif changed:
            nbformat.write(nb, path)
            print(f"{path.name}: {header_sentence(table, path.stem)}")
    readme = args.readme.read_text()
    try:
        new = rewrite_readme(readme, table)
    except ValueError as err:
        raise SystemExit(f"{args.readme}: {err}") from None
    if new != readme and args.check:
        differ.append(args.readme.name)
    elif new != readme:
        args.readme.write_text(new)
        print(f"{args.readme.name}: run-time column rewritten")
    if differ:
        print("run-time lines differ from the table (run tools/run_times.py):", *differ)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
