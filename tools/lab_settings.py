"""Install the project's JupyterLab settings into the environment that runs Lab (what `make lab` runs).

Four files from ``tools/lab/``:

* ``overrides.json`` -> ``<prefix>/share/jupyter/lab/settings/overrides.d/realnvp.json``, Lab's
  defaults for this environment, beside any ``overrides.json`` of its owner's (a user's own settings
  still win). It turns on ipywidgets' ``saveState``: Lab then
  saves the state of the widgets a cell displays with the notebook, so a slider made by Run All still
  scrubs after the notebook is saved and reopened (without it the outputs point at widget models the
  file does not hold: "Error displaying widget: model not found").
* ``custom.css`` -> the ``custom/`` folder of the installed ``jupyter_server``'s static files, which Lab
  loads when started with ``--LabApp.custom_css=True``: it hides ipywidgets' red broken-chain icon on
  the series' sliders, which scrub without a kernel (a ``custom.css`` in the user's Jupyter config
  folder, if any, is served first).

* ``realnvp_widget_state.py`` -> the environment's ``site-packages``, and ``jupyter_server_config.json``
  -> ``<prefix>/etc/jupyter/jupyter_server_config.d/realnvp.json``, which makes it the server's
  pre-save hook: ``saveState`` alone would drop, at the next save (an autosave after merely opening
  the notebook included), the state of every widget shown from the file rather than made by the
  kernel. `make lab` also passes the hook on its command line; installing it here keeps any other
  Lab started from this environment from writing such a file.

``python tools/lab_settings.py`` installs into the environment of the Python that runs it;
``--check`` only reports whether the installed files are the project's (exit status 1 if not).
"""

from __future__ import annotations

import argparse
import filecmp
import importlib.util
import shutil
import sys
import sysconfig
from pathlib import Path

__all__ = ["SOURCES", "main", "targets"]

HERE = Path(__file__).resolve().parent / "lab"
NAMES = ("overrides.json", "custom.css", "realnvp_widget_state.py", "jupyter_server_config.json")
SOURCES = {name: HERE / name for name in NAMES}


def targets(prefix: str | Path = sys.prefix) -> dict[str, Path]:
    """Where each settings file goes for the environment at ``prefix`` (the running one by default)."""
    spec = importlib.util.find_spec("jupyter_server")
    if spec is None or spec.origin is None:
        raise SystemExit("jupyter_server is not installed here: install the `lab` extra first (`make lab`)")
    return {
        "overrides.json": Path(prefix, "share", "jupyter", "lab", "settings", "overrides.d", "realnvp.json"),
        "custom.css": Path(spec.origin).parent / "static" / "custom" / "custom.css",
        "realnvp_widget_state.py": Path(sysconfig.get_paths(vars={"base": str(prefix)})["purelib"])
        / "realnvp_widget_state.py",
        "jupyter_server_config.json": Path(
            prefix, "etc", "jupyter", "jupyter_server_config.d", "realnvp.json"
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report, install nothing")
    args = parser.parse_args(argv)
    stale = []
    for name, target in targets().items():
        if target.is_file() and filecmp.cmp(SOURCES[name], target, shallow=False):
            continue
        if args.check:
            stale.append(f"{target} is not tools/lab/{name}")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOURCES[name], target)
        print(f"installed tools/lab/{name} -> {target}")
    for line in stale:
        print(line)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
