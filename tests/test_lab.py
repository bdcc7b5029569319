"""The front door: `make lab` serves the repository root, and every relative link in every notebook resolves.

The server tests run the exact command `make lab` would run (read from `make -n`) over a temporary
copy of notebooks/, figures/ and the top-level docs (Lab autosaves), ask the running server for
every file the notebooks link to, and open and save every notebook through its contents API, as Lab
does, to check that this changes nothing on disk.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import urllib.request
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from serving import free_port, get, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
# Markdown links and images, and HTML src/href attributes, in markdown cells and in outputs.
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|(?:src|href)=[\"']([^\"']+)[\"']")
HTML_LINK = re.compile(r"(?:src|href)=[\"']([^\"']+)[\"']")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)  # code in markdown is not a link


def relative_links(nb_path: Path) -> list[str]:
    """Every link target in the notebook that is a relative path (not a URL, anchor or data URI)."""
    nb = json.loads(nb_path.read_text())
    links = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            links += [a or b for a, b in LINK.findall(CODE.sub("", "".join(cell["source"])))]
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if data.get("text/markdown"):
                links += [a or b for a, b in LINK.findall(CODE.sub("", "".join(data["text/markdown"])))]
            if data.get("text/html"):
                links += HTML_LINK.findall("".join(data["text/html"]))
    return [
        unquote(u.split("#")[0])
        for u in links
        if u and not re.match(r"^([a-z][a-z0-9+.-]*:|#|/)", u, re.I) and u.split("#")[0]
    ]


def test_the_notebooks_have_links_to_check():
    assert NOTEBOOKS and sum(len(relative_links(nb)) for nb in NOTEBOOKS) > 0


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_relative_link_resolves_inside_the_repository(nb):
    for link in relative_links(nb):
        target = (nb.parent / link).resolve()
        assert target.is_relative_to(ROOT), f"{nb.name}: {link} points outside the repository"
        assert target.exists(), f"{nb.name}: {link} does not exist"


def test_link_finder_sees_markdown_and_html_but_not_code():
    text = '![a](../figures/x.gif) [b](02_next.ipynb#top) <img src="y.png"> [c](https://e.org) [d](#s)'
    found = [a or b for a, b in LINK.findall(CODE.sub("", text + " `f[0](h0)` ```\ng[1](h1)\n```"))]
    assert found == ["../figures/x.gif", "02_next.ipynb#top", "y.png", "https://e.org", "#s"]


def make_lab_command() -> tuple[dict[str, str], list[str]]:
    """The command `make lab` runs, without making anything (the venv is taken as up to date): the
    variables it sets in the environment (with any ``${...}`` expansion of an outer value left out)
    and its arguments."""
    out = subprocess.run(
        ["make", "-s", "-n", "-o", ".venv/.lab", "-o", ".venv/.torch", "lab"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line for line in out.splitlines() if " lab " in f" {line} "]
    assert len(lines) == 1, out
    words, env = shlex.split(lines[0]), {}
    while re.match(r"^[A-Z_]+=", words[0]):
        name, value = words.pop(0).split("=", 1)
        env[name] = re.sub(r"\$\{[^}]*\}", "", value)
    return env, words


def test_make_lab_serves_the_repository_root_and_opens_the_first_notebook():
    env, cmd = make_lab_command()
    assert f"--ServerApp.root_dir={ROOT}" in cmd
    assert cmd[-1] == f"notebooks/{NOTEBOOKS[0].name}"
    assert ("--allow-root" in cmd) == (os.geteuid() == 0)  # root in a container must not be refused
    assert "--LabApp.custom_css=True" in cmd  # tools/lab/custom.css: no broken-chain icon on the sliders
    hook = "--ContentsManager.pre_save_hook=realnvp_widget_state.keep_shown_widgets"
    assert hook in cmd and env["PYTHONPATH"] == str(ROOT / "tools" / "lab")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`make lab`'s command serving a copy of notebooks/, figures/ and the top-level docs (Lab saves)."""
    tmp_path = tmp_path_factory.mktemp("served")
    for name in ("notebooks", "figures"):
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "cache")
        )
    for top in ROOT.glob("*.md"):  # notebooks link to the README too
        shutil.copy(top, tmp_path)
    make_env, cmd = make_lab_command()
    cmd = [str(ROOT / c) if c.startswith(".venv/") else c for c in cmd]
    cmd = [f"--ServerApp.root_dir={tmp_path}" if c.startswith("--ServerApp.root_dir=") else c for c in cmd]
    port, token = free_port(), secrets.token_hex(16)
    cmd[-1:-1] = [
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
    ]
    env = {**os.environ, **make_env, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = open(tmp_path / "lab.log", "wb")
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/api/status?token={token}", proc, tmp_path / "lab.log", "`make lab`'s command")
        yield base, token, tmp_path
    finally:
        stop(proc, str(tmp_path / "runtime"))
        log.close()


def test_make_lab_server_serves_every_linked_file(served):
    base, token, tmp_path = served
    first = get(f"{base}/api/contents/notebooks/{NOTEBOOKS[0].name}?content=0&token={token}")
    assert json.loads(first)["type"] == "notebook"
    checked = 0
    for nb in NOTEBOOKS:
        for link in relative_links(nb):
            rel = (Path("notebooks") / link).as_posix()
            path = os.path.normpath(rel)
            body = get(f"{base}/files/{quote(path)}?token={token}")
            assert len(body) == (tmp_path / path).stat().st_size, f"{nb.name}: {link}"
            checked += 1
    assert checked > 0


def put(url: str, model: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(model).encode(), method="PUT", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status in (200, 201), url
        return json.loads(response.read())


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_opening_and_saving_in_lab_changes_nothing_on_disk(served, nb):
    """What Lab does to a notebook it opens, short of a reader's edit: it sets the kernelspec from the
    server's kernel spec and the language_info from the kernel, then saves through the contents API.
    A committed notebook must already hold both (``tools/notebook_metadata.py``, run by ``make
    notebooks``) and come back byte for byte from the server's save."""
    base, token, tmp_path = served
    url = f"{base}/api/contents/notebooks/{quote(nb.name)}?token={token}"
    before = (tmp_path / "notebooks" / nb.name).read_bytes()
    model = json.loads(get(url))
    meta = model["content"]["metadata"]
    specs = json.loads(get(f"{base}/api/kernelspecs?token={token}"))["kernelspecs"]
    name = meta.get("kernelspec", {}).get("name")
    assert name in specs, f"{nb.name}: kernel {name!r} is not one the server offers ({', '.join(specs)})"
    spec = specs[name]["spec"]
    lab_writes = {"display_name": spec["display_name"], "language": spec["language"], "name": name}
    assert meta["kernelspec"] == lab_writes, f"{nb.name}: run tools/notebook_metadata.py (make notebooks)"
    info = kernel_language_info()
    # The patch version is the executing machine's Python: Lab would write its own there.
    assert {k: v for k, v in meta["language_info"].items() if k != "version"} == {
        k: v for k, v in info.items() if k != "version"
    }
    put(url, {"type": "notebook", "format": "json", "content": model["content"]})
    assert (tmp_path / "notebooks" / nb.name).read_bytes() == before, f"{nb.name}: Lab's save rewrote it"


def kernel_language_info() -> dict:
    """The language_info the notebooks' kernel (ipykernel's, on this environment's Python) reports in
    its kernel_info reply, which Lab writes."""
    from ipykernel.ipkernel import IPythonKernel

    return IPythonKernel.language_info


def shown(nb: dict) -> list[dict]:
    """The widget views in a notebook's outputs."""
    outputs = [out for cell in nb["cells"] for out in cell.get("outputs", [])]
    return [out["data"][VIEW] for out in outputs if VIEW in out.get("data", {})]


def widget_notebooks() -> list[Path]:
    return [nb for nb in NOTEBOOKS if json.loads(nb.read_text())["metadata"].get("widgets")]


@pytest.mark.parametrize("nb", widget_notebooks(), ids=lambda p: p.stem)
def test_a_save_after_opening_keeps_the_saved_widget_state(served, nb):
    """What Lab with ipywidgets' saveState sends when it saves a notebook it only opened: the state of
    the widgets the kernel made, none. The pre-save hook `make lab` installs keeps the file as it was."""
    base, token, tmp_path = served
    url = f"{base}/api/contents/notebooks/{quote(nb.name)}?token={token}"
    before = (tmp_path / "notebooks" / nb.name).read_bytes()
    content = json.loads(get(url))["content"]
    content["metadata"]["widgets"][STATE] = {"state": {}, "version_major": 2, "version_minor": 0}
    put(url, {"type": "notebook", "format": "json", "content": content})
    assert (tmp_path / "notebooks" / nb.name).read_bytes() == before


def test_a_save_after_rerunning_keeps_the_new_widgets_and_drops_the_replaced(served):
    """Re-running a cell replaces its widget: the save holds the new models (live in the kernel) and
    the models of the other outputs from the file, not the replaced ones (no orphans)."""
    base, token, tmp_path = served
    nb = next(nb for nb in widget_notebooks() if len(shown(json.loads(nb.read_text()))) >= 2)
    url = f"{base}/api/contents/notebooks/{quote(nb.name)}?token={token}"
    content = json.loads(get(url))["content"]
    old = content["metadata"]["widgets"][STATE]["state"]
    views = shown(content)
    replaced = views[0]["model_id"]
    views[0]["model_id"] = "f" * 32  # the re-run cell's new widget, a model of its own
    live = {"f" * 32: {"model_name": "HTMLModel", "model_module": "@jupyter-widgets/controls",
                       "model_module_version": "2.0.0", "state": {"value": "new"}}}  # fmt: skip
    content["metadata"]["widgets"][STATE] = {"state": live, "version_major": 2, "version_minor": 0}
    put(url, {"type": "notebook", "format": "json", "content": content})
    saved = json.loads((tmp_path / "notebooks" / nb.name).read_text())["metadata"]["widgets"][STATE]["state"]
    assert "f" * 32 in saved and replaced not in saved
    for view in views[1:]:
        assert view["model_id"] in saved and saved[view["model_id"]] == old[view["model_id"]]
    shutil.copy(nb, tmp_path / "notebooks" / nb.name)  # the other tests' copy as committed
