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


def make_lab_command() -> list[str]:
    """The command `make lab` runs, without making anything (the venv is taken as up to date)."""
    out = subprocess.run(
        ["make", "-s", "-n", "-o", ".venv/.lab", "-o", ".venv/.torch", "lab"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line for line in out.splitlines() if " lab " in f" {line} "]
    assert len(lines) == 1, out
    return shlex.split(lines[0])


def test_make_lab_serves_the_repository_root_and_opens_the_first_notebook():
    cmd = make_lab_command()
    assert f"--ServerApp.root_dir={ROOT}" in cmd
    assert cmd[-1] == f"notebooks/{NOTEBOOKS[0].name}"
    assert ("--allow-root" in cmd) == (os.geteuid() == 0)  # root in a container must not be refused
    assert "--LabApp.custom_css=True" in cmd  # tools/lab/custom.css: no broken-chain icon on the sliders


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
    cmd = [str(ROOT / c) if c.startswith(".venv/") else c for c in make_lab_command()]
    cmd = [f"--ServerApp.root_dir={tmp_path}" if c.startswith("--ServerApp.root_dir=") else c for c in cmd]
    port, token = free_port(), secrets.token_hex(16)
    cmd[-1:-1] = [
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
    ]
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
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
