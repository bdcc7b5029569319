"""The front door: the declared packages match the imports and environment.yml, and each make target
installs its own extras, with the CPU torch by default; skipped browser tests are named."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name
# Import names that differ from the distribution's name on PyPI.
DISTRIBUTIONS = {"PIL": "pillow", "sklearn": "scikit-learn", "yaml": "pyyaml", "IPython": "ipython"}


def requirement_name(spec: str) -> str:
    """``'pytorch[version=">=2.2"]'`` or ``'numpy>=1.24'`` -> the bare, PyPI-style package name."""
    name = re.split(r"[\s\[<>=!~;]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")
    return CONDA_NAMES.get(name, name)


def pyproject_packages(*extras: str) -> set[str]:
    """The dependencies plus those of ``extras`` (all extras when none are named)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra, extra_specs in project["optional-dependencies"].items():
        if not extras or extra in extras:
            specs += extra_specs
    return {requirement_name(s) for s in specs}


def imported_distributions(folder: str) -> set[str]:
    """The distributions whose modules the ``.py`` files under ``folder`` import, by an AST scan:
    the standard library, relative imports, ``realnvp_lib`` and sibling modules left out."""
    names = set()
    for path in (ROOT / folder).rglob("*.py"):
        siblings = {p.stem for p in path.parent.glob("*.py")}
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        names -= siblings
    names -= set(sys.stdlib_module_names) | {"realnvp_lib"}
    return {DISTRIBUTIONS.get(n, n.lower().replace("_", "-")) for n in names}


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


def test_the_library_declares_exactly_the_packages_it_imports():
    """Both ways: an undeclared import breaks a fresh install, a declared package nobody imports
    (scipy once) is a download for nothing."""
    assert imported_distributions("realnvp_lib") == pyproject_packages("none")


def test_tools_tests_and_benchmarks_import_only_declared_packages():
    assert imported_distributions("tools") <= pyproject_packages("site")
    for folder in ("tests", "benchmarks"):
        assert imported_distributions(folder) <= pyproject_packages(), folder


def test_import_names_map_to_distributions():
    assert imported_distributions("realnvp_lib") >= {"pillow", "scikit-learn", "torch"}
    assert "scipy" not in imported_distributions("realnvp_lib")
    assert "pyyaml" in imported_distributions("tests")


def make_dry_run(target: str, tmp_path: Path, *overrides: str) -> str:
    """The commands ``make target`` would run on a fresh clone (a ``.venv`` that does not exist yet)."""
    cmd = ["make", "-n", target, f"VENV={tmp_path / 'venv'}", *overrides]
    # A reader's make sees none of CI's settings: .ci/run exports TORCH_INDEX= where a local wheel
    # exists, and an outer make (make test) passes its own variables down through MAKEFLAGS.
    outer = {"TORCH", "TORCH_INDEX", "MAKEFLAGS", "MAKELEVEL", "MFLAGS"}
    env = {k: v for k, v in os.environ.items() if k not in outer}
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("target, extras", [("lab", "lab"), ("test", "lab,test,site"), ("site", "site")])
def test_each_target_installs_its_own_extras_and_the_cpu_torch(target, extras, tmp_path):
    commands = make_dry_run(target, tmp_path)
    assert f'pip install -e ".[{extras}]"' in commands
    assert commands.count("pip install -e") == 1
    assert '--extra-index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"' in commands


def test_torch_index_and_torch_can_be_overridden(tmp_path):
    assert "--extra-index-url" not in make_dry_run("lab", tmp_path, "TORCH_INDEX=")
    cuda = make_dry_run("lab", tmp_path, "TORCH_INDEX=https://download.pytorch.org/whl/cu126")
    assert "--extra-index-url https://download.pytorch.org/whl/cu126" in cuda
    assert '"torch' not in make_dry_run("lab", tmp_path, "TORCH=")


def test_readme_names_the_commands_and_what_the_torch_paths_download():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme and "TORCH_INDEX" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_make_lint_checks_the_layout():
    assert "ruff format --check" in (ROOT / "Makefile").read_text()


SKIPPED_BROWSER_TEST = """
def test_needs_a_browser(browser):
    pass
"""


@pytest.mark.parametrize("ci", ["", "true"])
def test_a_missing_browser_is_named_in_the_summary_or_fails_under_ci(ci, pytester, monkeypatch):
    """The real conftest and serving module, with Chromium looked for where it is not."""
    tests = ROOT / "tests"
    pytester.makeconftest((tests / "conftest.py").read_text())
    serving = (tests / "serving.py").read_text()
    assert 'CHROMIUM = Path("/usr/bin/chromium")' in serving
    pytester.makepyfile(
        serving=serving.replace("/usr/bin/chromium", "/nonexistent/chromium"), test_it=SKIPPED_BROWSER_TEST
    )
    monkeypatch.setenv("CI", ci)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    if ci:
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(["*CI=true: the browser test must run*"])
    else:
        result.assert_outcomes(skipped=1)
        result.stdout.fnmatch_lines(
            [
                "*1 browser tests skipped*",
                "test_it.py::test_needs_a_browser: *chromium*",
                "To run them: `apt-get install chromium`*",
            ]
        )
