"""Print the requirements of some of pyproject.toml's extras, one a line, for ``pip install -r``.

``python tools/requirements.py site`` is what ``make site`` installs: the page renderer and MathJax,
without the package itself (and so without torch), since the site renders committed outputs.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

__all__ = ["requirements"]

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def requirements(*extras: str) -> list[str]:
    """The requirement strings of ``extras``, in pyproject.toml's order, without repeats."""
    optional = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]
    unknown = [e for e in extras if e not in optional]
    if unknown or not extras:
        raise SystemExit(f"name extras of pyproject.toml ({', '.join(optional)}); got {unknown or 'none'}")
    return list(dict.fromkeys(spec for extra in extras for spec in optional[extra]))


if __name__ == "__main__":
    print("\n".join(requirements(*sys.argv[1:])))
