"""Time every notebook of the series, each run top to bottom in a fresh kernel.

Executes ``notebooks/NN_*.ipynb`` (sorted; or the names given) with nbclient, with the working
directory set to ``notebooks/`` as a reader's JupyterLab would, and never writes them back. Prints
one row per notebook (wall seconds, slowest cell, status) and the total. The targets of the series:
each notebook at most 60 s and the whole series at most 4 minutes on 2 CPU cores; rows over the
per-notebook target are flagged. Exit status 1 if a notebook fails to run.

Examples::

    python benchmarks/notebook_times.py                   # all notebooks
    python benchmarks/notebook_times.py 04 05_training    # names, prefixes or paths
    python benchmarks/notebook_times.py --cells 05        # also the five slowest cells of each

Timings depend on the machine and on what else runs on it: run on a quiet machine, and quote
``uptime``'s load average beside the table (it is printed at the end).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("notebooks", nargs="*", help="notebook names, prefixes (e.g. 04) or paths")
    parser.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds")
    parser.add_argument("--cells", action="store_true", help="also list the five slowest cells")
    args = parser.parse_args(argv)

    paths = find_notebooks(args.notebooks)
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    print(f"{len(paths)} notebook(s), {os.cpu_count()} CPUs visible, OMP_NUM_THREADS={threads}\n")
    print(f"{'notebook':<36}{'seconds':>9}{'slowest cell':>14}  status")
    print("-" * 72)
    total, failed = 0.0, False
    for path in paths:
        seconds, status, cells = run_notebook(path, args.timeout)
        total += seconds
        failed |= status != "ok"
        flag = "  (over 60 s)" if seconds > TARGET_EACH_S else ""
        slowest = f"{cells[0][0]:.1f} s" if cells else "-"
        print(f"{path.name:<36}{seconds:>9.1f}{slowest:>14}  {status}{flag}", flush=True)
        if args.cells:
            for took, index, first in cells[:5]:
                print(f"    cell {index:>3} {took:>6.1f} s  {first}")
    print("-" * 72)
    over = "  (over 4 min)" if total > TARGET_TOTAL_S else ""
    print(
        f"{'total':<36}{total:>9.1f}{'':>14}  targets: each <= {TARGET_EACH_S:.0f} s, "
        f"all <= {TARGET_TOTAL_S:.0f} s{over}"
    )
    if hasattr(os, "getloadavg"):
        print("load average (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
