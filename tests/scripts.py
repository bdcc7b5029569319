"""Load a repository script (``tools/*.py``, ``benchmarks/*.py``) as a module: they are run, not installed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["ROOT", "load_script"]

ROOT = Path(__file__).resolve().parents[1]


def load_script(name: str, folder: str = "tools") -> ModuleType:
    """``ROOT/folder/name.py`` as a fresh module, named by the file's stem (neither folder is a package)."""
    stem = Path(name).name
    spec = importlib.util.spec_from_file_location(stem, ROOT / folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[stem] = module  # a dataclass in the script looks its module up there
    spec.loader.exec_module(module)
    return module
