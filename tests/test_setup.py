"""The front door: the declared packages match the imports and environment.yml, each make target
installs its own extras (with the CPU torch by default; `make site` without torch), `make lab` brings
the project's Lab settings and `make notebooks` Lab's metadata; skipped browser tests are named."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml
from scripts import load_script

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
    for path in (ROOT / folder).rglob("*.py"):  # (an absolute folder stays itself)
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


SITE_TOOLS = ("build_site.py", "html_manager.py", "site_pages.py", "requirements.py")


def test_tools_tests_and_benchmarks_import_only_declared_packages(tmp_path):
    for name in SITE_TOOLS:  # what `make site` runs, with the site extra alone
        shutil.copy(ROOT / "tools" / name, tmp_path / name)
    assert imported_distributions(str(tmp_path)) <= pyproject_packages("site")
    for folder in ("tools", "tests", "benchmarks"):
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


@pytest.mark.parametrize("target, extras", [("lab", "lab"), ("test", "lab,test,site")])
def test_each_target_installs_its_own_extras_and_the_cpu_torch(target, extras, tmp_path):
    commands = make_dry_run(target, tmp_path)
    assert f'pip install -e ".[{extras}]"' in commands
    assert commands.count("pip install -e") == 1
    assert '--extra-index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"' in commands


def test_make_site_installs_the_page_renderer_alone_and_says_so(tmp_path):
    commands = make_dry_run("site", tmp_path)
    installs = "\n".join(c for c in commands.splitlines() if "pip install" in c)
    assert "torch" not in installs and "pip install -e" not in commands
    assert "tools/requirements.py site" in commands and "pip install -r" in commands
    assert "no torch" in commands  # its echo tells the reader
    requirements = run_tool("requirements.py", "site").stdout.split()
    names = {requirement_name(r) for r in requirements}
    assert names == pyproject_packages("site") - pyproject_packages("none") and "torch" not in names


def run_tool(name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / name), *args], capture_output=True, text=True, check=check
    )


def test_make_lab_installs_the_project_lab_settings_and_loads_its_css(tmp_path):
    commands = make_dry_run("lab", tmp_path).splitlines()
    settings = next(i for i, c in enumerate(commands) if "tools/lab_settings.py" in c)
    lab = next(i for i, c in enumerate(commands) if " lab " in f" {c} " and "jupyter" in c)
    assert settings < lab and "--LabApp.custom_css=True" in commands[lab]
    # the pre-save hook, from tools/lab (tests/test_lab.py saves through it)
    assert "--ContentsManager.pre_save_hook=realnvp_widget_state.keep_shown_widgets" in commands[lab]
    assert (
        commands[lab].startswith(f'PYTHONPATH="{ROOT}/tools/lab')
        and (ROOT / "tools/lab/realnvp_widget_state.py").is_file()
    )
    overrides = json.loads((ROOT / "tools" / "lab" / "overrides.json").read_text())
    assert overrides["@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is True
    assert ".realnvp-slider" in (ROOT / "tools" / "lab" / "custom.css").read_text()


def test_lab_settings_go_where_lab_reads_them(tmp_path):
    targets = load_script("lab_settings").targets(tmp_path)
    from jupyterlab.labapp import LabApp

    app_settings = Path(LabApp().app_settings_dir.replace(sys.prefix, str(tmp_path)))
    assert targets["overrides.json"].parent == app_settings / "overrides.d"
    server = Path(importlib.util.find_spec("jupyter_server").origin).parent  # JupyterLab's server
    assert targets["custom.css"] == server / "static" / "custom" / "custom.css"
    # the pre-save hook: a module the server imports, named by a config file it reads
    paths = subprocess.run(
        [sys.executable, "-m", "jupyter", "--paths", "--json"], capture_output=True, check=True
    )
    config_paths = [Path(p) for p in json.loads(paths.stdout)["config"]]  # where the server looks
    here = Path(str(targets["jupyter_server_config.json"].parent).replace(str(tmp_path), sys.prefix))
    assert here.parent in config_paths and here.name == "jupyter_server_config.d"
    hook = json.loads((ROOT / "tools" / "lab" / "jupyter_server_config.json").read_text())
    module, function = hook["ContentsManager"]["pre_save_hook"].rsplit(".", 1)
    assert targets["realnvp_widget_state.py"].name == f"{module}.py"
    assert targets["realnvp_widget_state.py"].parent.name == "site-packages"
    assert hasattr(load_script("lab/realnvp_widget_state"), function)


def test_make_lab_conda_uses_the_active_environment(tmp_path):
    commands = make_dry_run("lab-conda", tmp_path, "CONDA_PREFIX=/opt/conda/envs/realnvp")
    assert "/opt/conda/envs/realnvp/bin/jupyter trust notebooks/" in commands
    assert "/opt/conda/envs/realnvp/bin/python tools/lab_settings.py" in commands
    assert "pip install" not in commands


def test_make_notebooks_writes_the_metadata_lab_writes(tmp_path):
    commands = make_dry_run("notebooks", tmp_path)
    assert commands.index("--execute") < commands.index("tools/notebook_metadata.py notebooks/")
    module = load_script("notebook_metadata")
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    with pytest.raises(ValueError, match="execute the notebook first"):
        module.normalised(nb)
    nb.metadata["language_info"] = {"name": "python"}
    assert module.normalised(nb) and not module.normalised(nb)
    listed = subprocess.run(
        [sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"], capture_output=True, check=True
    )
    installed = json.loads(listed.stdout)["kernelspecs"]["python3"]["spec"]
    assert nb.metadata["kernelspec"]["display_name"] == installed["display_name"]


def test_torch_index_and_torch_can_be_overridden(tmp_path):
    assert "--extra-index-url" not in make_dry_run("lab", tmp_path, "TORCH_INDEX=")
    cuda = make_dry_run("lab", tmp_path, "TORCH_INDEX=https://download.pytorch.org/whl/cu126")
    assert "--extra-index-url https://download.pytorch.org/whl/cu126" in cuda
    assert '"torch' not in make_dry_run("lab", tmp_path, "TORCH=")


def test_readme_names_the_two_commands_and_ci_runs_its_test_command():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", readme, re.S)[1]  # the first commands a reader sees
    commands = [line.split("#")[0].strip() for line in block.splitlines()]
    assert commands == ["make lab", "make test"]
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)  # CI runs what it says
    assert "make lab-conda" in readme  # the conda route signs the notebooks and installs the settings too
    assert "TORCH_INDEX" in (ROOT / "CONTRIBUTING.md").read_text()


def test_readme_is_short():
    """A newcomer's page: about a hundred lines; the rest lives in CONTRIBUTING.md."""
    assert len((ROOT / "README.md").read_text().splitlines()) <= 110


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
