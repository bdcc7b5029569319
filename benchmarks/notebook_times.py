"""Time every notebook of the series as a reader meets it, and write ``benchmarks/notebook_times.txt``.

Copies ``notebooks/NN_*.ipynb`` (sorted; or the names given) into a temporary folder with an empty
``cache/``, as a fresh clone has, and executes them with nbclient, each top to bottom in a fresh
kernel with the working directory set to that folder as a reader's JupyterLab would: first in order
from the empty cache (05 trains the two-moons flow and caches it for 06, 07 trains the digits
model), then every one again with the caches filled. The committed notebooks are never written.
Prints one row per notebook (both times, the slowest cell, status) and the totals, and writes the
table to ``benchmarks/notebook_times.txt`` (``--out``), which the README quotes and
``tools/run_times.py`` copies into each notebook's run-time line. The targets of the series: each
notebook at most 60 s with its cache and the whole series at most 4 minutes on 2 CPU cores; rows
over the per-notebook target are flagged. Exit status 1 if a notebook fails to run (nothing is
written then).

Examples::

    python benchmarks/notebook_times.py                   # all notebooks, writes the table
    python benchmarks/notebook_times.py 04 05_training    # names or prefixes; prints, writes nothing
    python benchmarks/notebook_times.py --cells           # also the five slowest cells of each

Timings depend on the machine and on what else runs on it: run on a quiet machine (the table records
the date, the CPUs and ``uptime``'s load averages). ``--provisional "why"`` marks a table measured
under load, to be replaced.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TARGET_EACH_S = 60.0
TARGET_TOTAL_S = 240.0


def find_notebooks(names: list[str]) -> list[Path]:
    """The numbered notebooks, sorted; ``names`` (file names, prefixes or paths) select a subset."""
    every = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    if not names:
        return every
    chosen = []
    for name in names:
        path = Path(name)
        if path.suffix == ".ipynb" and path.exists():
            chosen.append(path.resolve())
            continue
        hits = [nb for nb in every if nb.name.startswith(path.name)]
        if not hits:
            raise SystemExit(f"no notebook in {NOTEBOOKS} matches {name!r}")
        chosen.extend(hits)
    return list(dict.fromkeys(chosen))


def cell_seconds(cell) -> float | None:
    """Seconds a code cell took, from the timestamps nbclient records in its metadata."""
    stamps = cell.get("metadata", {}).get("execution", {})
    start, end = stamps.get("iopub.execute_input"), stamps.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def run_notebook(path: Path, timeout: int) -> tuple[float, str, list[tuple[float, int, str]]]:
    """Execute ``path`` in a fresh kernel (cwd = its folder); return (seconds, status, cell times)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    status = "ok"
    try:
        # The kernel's own stderr (a start-up warning about TCP transport) would break the table.
        client.execute(stderr=subprocess.DEVNULL)
    except CellExecutionError as err:
        status = f"FAILED: {str(err).strip().splitlines()[-1][:80]}"
    except TimeoutError:
        status = f"FAILED: a cell ran over {timeout} s"
    except DeadKernelError:
        status = "FAILED: the kernel died"
    seconds = time.perf_counter() - start
    cells = []
    for index, cell in enumerate(nb.cells):
        took = cell_seconds(cell) if cell.cell_type == "code" else None
        if took is not None:
            first = next((line for line in cell.source.splitlines() if not line.startswith("#")), "")
            cells.append((took, index, first[:60]))
    return seconds, status, sorted(cells, reverse=True)


FIELDS = ("notebook", "first_s", "cached_s")  # the table's columns, in tools/run_times.py's terms


def format_table(rows: list[tuple[str, float, float]], header: list[str]) -> str:
    """The table as ``benchmarks/notebook_times.txt`` holds it: ``#`` lines, then one row per notebook."""
    lines = [f"# {h}" for h in header]
    lines.append(f"{FIELDS[0]:<34}{FIELDS[1]:>10}{FIELDS[2]:>10}")
    lines += [f"{name:<34}{first:>10.1f}{cached:>10.1f}" for name, first, cached in rows]
    first, cached = sum(r[1] for r in rows), sum(r[2] for r in rows)
    lines.append(f"{'total':<34}{first:>10.1f}{cached:>10.1f}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("notebooks", nargs="*", help="notebook names, prefixes (e.g. 04) or paths")
    parser.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds")
    parser.add_argument("--cells", action="store_true", help="also list the five slowest cells")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "notebook_times.txt")
    parser.add_argument("--provisional", metavar="WHY", help="mark the table as measured under load")
    args = parser.parse_args(argv)

    paths = find_notebooks(args.notebooks)
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"{len(paths)} notebook(s), {os.cpu_count()} CPUs visible, OMP_NUM_THREADS={threads}\n")
    times: dict[str, dict[str, float]] = {p.name: {} for p in paths}
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        copies = Path(tmp) / "notebooks"
        (copies / "cache").mkdir(parents=True)  # an empty cache, as in a fresh clone
        for entry in ROOT.iterdir():  # ../figures, ../benchmarks and the rest, as in the repository
            if entry.name not in ("notebooks", ".git"):
                (Path(tmp) / entry.name).symlink_to(entry)
        for path in paths:
            shutil.copy(path, copies / path.name)
        passes = (("first_s", "in order, from an empty cache"), ("cached_s", "again, caches filled"))
        for run, label in passes:
            print(f"{label}:\n{'notebook':<36}{'seconds':>9}{'slowest cell':>14}  status")
            print("-" * 72)
            for path in paths:
                seconds, status, cells = run_notebook(copies / path.name, args.timeout)
                times[path.name][run] = seconds
                failed |= status != "ok"
                flag = "  (over 60 s)" if seconds > TARGET_EACH_S and run == "cached_s" else ""
                slowest = f"{cells[0][0]:.1f} s" if cells else "-"
                print(f"{path.name:<36}{seconds:>9.1f}{slowest:>14}  {status}{flag}", flush=True)
                if args.cells:
                    for took, index, first in cells[:5]:
                        print(f"    cell {index:>3} {took:>6.1f} s  {first}")
            total = sum(t[run] for t in times.values())
            print("-" * 72)
            over = "  (over 4 min)" if total > TARGET_TOTAL_S else ""
            print(
                f"{'total':<36}{total:>9.1f}{'':>14}  targets: each <= {TARGET_EACH_S:.0f} s, "
                f"all <= {TARGET_TOTAL_S:.0f} s{over}\n"
            )
    load_after = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load_after:
        print("load average (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in load_after))
    if failed:
        print("a notebook failed: nothing written")
        return 1
    if args.notebooks:
        return 0  # a subset is not the series' table
    import torch  # only for the header line: the notebooks' kernel runs the same environment's torch

    header = [
        "benchmarks/notebook_times.py: each notebook top to bottom in a fresh kernel, seconds;",
        "first_s: the series in order from an empty cache (a fresh clone), cached_s: again, caches filled",
        f"date: {datetime.now().date().isoformat()}",
        f"machine: {os.cpu_count()} CPUs, OMP_NUM_THREADS={threads}, torch {torch.__version__}",
        "load average (1 min) before and after: "
        + (f"{load_before[0]:.1f} {load_after[0]:.1f}" if load_before and load_after else "unknown"),
    ]
    if args.provisional:
        header.append(f"provisional: {args.provisional}")
    rows = [(name, t["first_s"], t["cached_s"]) for name, t in times.items()]
    args.out.write_text(format_table(rows, header))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
