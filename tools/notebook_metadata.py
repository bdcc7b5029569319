"""Give executed notebooks the metadata JupyterLab writes, so that opening one changes nothing on disk.

Lab sets a notebook's ``kernelspec`` from the kernel it starts (``display_name`` "Python 3
(ipykernel)" for ipykernel's ``python3``) and its ``language_info`` from that kernel's reply, and a
notebook whose metadata differs is modified on open and autosaved. ``nbconvert --execute`` writes the
kernel's ``language_info`` already but keeps the file's ``kernelspec``: this sets the ``kernelspec``
from the installed kernel spec, the one Lab's server reports. ``make notebooks`` runs it after
executing; a file that already matches is not rewritten.

    python tools/notebook_metadata.py notebooks/*.ipynb           # rewrite where needed
    python tools/notebook_metadata.py --check notebooks/*.ipynb   # exit status 1 if any differs
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
from pathlib import Path

import nbformat

__all__ = ["lab_kernelspec", "main", "normalised"]


@functools.cache
def lab_kernelspec(name: str = "python3") -> dict[str, str]:
    """The ``kernelspec`` metadata Lab writes for the installed kernel ``name`` (as Lab's server
    lists it: ``jupyter kernelspec list``, from the environment of the Python running this)."""
    listed = subprocess.run(
        [sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"], capture_output=True, check=True
    )
    specs = json.loads(listed.stdout)["kernelspecs"]
    if name not in specs:
        raise ValueError(f"no kernel {name!r} is installed here (installed: {', '.join(specs)})")
    spec = specs[name]["spec"]
    return {"display_name": spec["display_name"], "language": spec["language"], "name": name}


def normalised(nb) -> bool:
    """Set ``nb``'s kernelspec to Lab's, in place; True if anything changed."""
    if "language_info" not in nb.metadata:
        raise ValueError("no language_info: execute the notebook first (make notebooks)")
    name = nb.metadata.get("kernelspec", {}).get("name", "python3")
    want = lab_kernelspec(name)
    if nb.metadata.get("kernelspec") == want:
        return False
    nb.metadata["kernelspec"] = want
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="report, rewrite nothing")
    args = parser.parse_args(argv)
    differ = []
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        try:
            changed = normalised(nb)
        except ValueError as err:
            raise SystemExit(f"{path}: {err}") from None
        if changed and args.check:
            differ.append(str(path))
        elif changed:
            nbformat.write(nb, path)
            shown = nb.metadata["kernelspec"]["display_name"]
            print(f"{path}: kernelspec set to {shown!r}, as Lab writes it")
    if differ:
        print("metadata differs from what JupyterLab writes (run tools/notebook_metadata.py):", *differ)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
