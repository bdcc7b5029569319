"""The set-up files agree: environment.yml (conda) names the same packages as pyproject.toml (pip)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name


def requirement_name(spec: str) -> str:
    """``'pytorch[version=">=2.2"]'`` or ``'numpy>=1.24'`` -> the bare, PyPI-style package name."""
    name = re.split(r"[\s\[<>=!~;]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")
    return CONDA_NAMES.get(name, name)


def pyproject_packages() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs += extra
    return {requirement_name(s) for s in specs}


def conda_packages() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = {requirement_name(d) for d in env["dependencies"] if isinstance(d, str)}
    return names - {"python", "pip"}


def test_environment_yml_matches_pyproject():
    assert conda_packages() == pyproject_packages()


def test_environment_yml_installs_the_package_editable():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_parts = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert pip_parts == [["-e ."]]
    assert "conda-forge" in env["channels"]


def test_requirement_name_parses_both_styles():
    assert requirement_name("pytorch[version='>=2.2',build=cpu*]") == "torch"
    assert requirement_name("scikit-learn>=1.2") == "scikit-learn"
    assert requirement_name("ipywidgets >=8") == "ipywidgets"


def test_makefile_pins_the_local_torch_wheel_and_readme_names_the_commands():
    makefile = (ROOT / "Makefile").read_text()
    assert "torch==2.13.0" in makefile
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
