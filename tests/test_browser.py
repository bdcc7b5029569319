"""JupyterLab as `make lab` opens it, in headless Chromium: notebook 06's ipywidgets sliders scrub from
saved state, still scrub after Run All, save and reopen, and opening a notebook changes nothing on disk.

The fixture runs `make lab` itself (its settings install, `jupyter trust`, `jupyter lab` with the
project's flags) in a temporary copy of the repository (Lab autosaves) with the repository's .venv,
a free port, a token, and temporary Jupyter config, data, runtime and workspace folders; every
process it starts is stopped. The copy holds, besides the notebooks: an unsigned copy of 06 (a
notebook opened some other way), which must show each slider's first frame as a picture, and a copy
of 06 that a test runs (Run All), saves, closes with its kernel and reopens, whose sliders must scrub
from the state Lab saved. Each scrub presses ArrowRight on the slider and prints the time from key
press to new frame painted. Needs Debian's ``chromium`` (``/usr/bin/chromium``) and Python
``playwright``; with ``CI=true`` their absence is a failure, elsewhere a skip with the reason.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from serving import caption, free_port, get_json, scrub, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "06_inside_the_flow.ipynb"
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
AUTOSAVE_S = 2
# The test's own Lab user settings (what a reader may have set; the project's come from `make lab`):
# every cell rendered (no windowing), no news or update pop-ups, autosave every AUTOSAVE_S seconds so
# that a notebook Lab modified on opening is written to disk while the test watches.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosaveInterval": AUTOSAVE_S},
}
COPIED = ("notebooks", "figures", "tools", "Makefile", "pyproject.toml", "README.md", "CONTRIBUTING.md")

TRUSTED, UNTRUSTED, RUN = NOTEBOOK, "unsigned_" + NOTEBOOK, "run_all_" + NOTEBOOK
STEPS = 5
VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab` over a copy of the repository (with notebooks/cache, if any), on 127.0.0.1."""
    tmp_path = tmp_path_factory.mktemp("lab")
    repo = tmp_path / "repo"
    for name in COPIED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        elif (ROOT / name).exists():
            shutil.copy(ROOT / name, repo / name)
    # Trust goes by content, not by name: the unsigned copy differs by one metadata entry, the copy
    # to run is 06 byte for byte (`make lab` signs notebooks/[0-9]*.ipynb only).
    unsigned = json.loads((repo / "notebooks" / NOTEBOOK).read_text())
    unsigned["metadata"]["realnvp_test"] = "an unsigned copy"
    (repo / "notebooks" / UNTRUSTED).write_text(json.dumps(unsigned))
    shutil.copy(repo / "notebooks" / NOTEBOOK, repo / "notebooks" / RUN)
    for name, value in SETTINGS.items():
        path = tmp_path / "config" / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    port, token = free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MPLBACKEND")}
    env |= {
        "JUPYTER_PORT": str(port),
        "JUPYTER_TOKEN": token,
        "BROWSER": "/bin/true",
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),  # the user settings above live here
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),  # where `jupyter trust` keeps its signatures
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        # The kernel shares the cores with Chromium; torch's spinning OpenMP threads would then make
        # training (when notebooks/cache is empty, as in a fresh CI checkout) many times slower.
        "OMP_NUM_THREADS": "1",
    }
    venv = ROOT / ".venv"
    cmd = ["make", "-o", f"{venv}/.lab", "-o", f"{venv}/.torch", "lab", f"VENV={venv}"]
    cmd.append("LAB_ARGS=--ServerApp.ip=127.0.0.1 --ServerApp.port_retries=0 --no-browser")
    log = open(tmp_path / "lab.log", "wb")
    proc = subprocess.Popen(
        cmd, cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/api/status?token={token}", proc, tmp_path / "lab.log", "`make lab`", 120)
        yield base, token, repo
    finally:
        stop(proc, str(tmp_path / "runtime"))
        log.close()


def open_notebook(browser, lab, name: str):
    base, token, _ = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    start = time.perf_counter()
    page.goto(f"{base}/lab/tree/notebooks/{name}?reset&token={token}")  # reset: no other tab reopens
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    return page, start


def debug(page, tmp: Path, name: str) -> None:
    """What whoever debugs CI needs: a screenshot and the notebook's error outputs."""
    page.screenshot(path=str(tmp / f"failure_{name}.png"), full_page=True)
    errors = page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
    print("stderr outputs:", [errors.nth(i).inner_text()[-500:] for i in range(errors.count())])


def check_scrub(page, tmp: Path, label: str) -> list[float]:
    """Scrub the depth slider STEPS frames, flip the direction; assert what the reader would see."""
    depth = page.locator(".realnvp-slider").first
    depth.scroll_into_view_if_needed()
    picture = depth.locator("img.widget-image")
    first = caption(depth)
    assert first.startswith("inference: ") and "(k = 0/" in first, first
    before, after, flipped = (tmp / f"{label}_{s}.png" for s in ("before", "after", "flipped"))
    picture.screenshot(path=str(before))
    steps = scrub(page, depth, STEPS)
    assert [s["caption"].split("(k = ")[1].split("/")[0] for s in steps] == [str(k + 1) for k in range(STEPS)]
    picture.screenshot(path=str(after))
    assert changed_fraction(before, after) > 0.01
    depth.locator(".widget-toggle-button", has_text="generation").click()
    shows = "r => r.querySelector('.widget-html-content').textContent.startsWith('generation')"
    page.wait_for_function(shows, arg=depth.element_handle())
    assert f"(k = {STEPS}/" in caption(depth)
    picture.screenshot(path=str(flipped))
    assert changed_fraction(after, flipped) > 0.01
    return [s["ms"] for s in steps]


def report(label: str, ms: list[float], extra: str = "") -> None:
    print(
        f"\nLab, {label}: key press to new frame painted over {len(ms)} steps: median "
        f"{statistics.median(ms):.1f} ms, range {min(ms):.1f}-{max(ms):.1f} ms (target <= 50 ms){extra}"
    )


def test_trusted_notebook_scrubs_from_saved_state_before_any_cell_runs(browser, lab, capsys):
    page, start = open_notebook(browser, lab, TRUSTED)
    try:
        page.wait_for_selector(".realnvp-slider .widget-slider")
        restored = time.perf_counter() - start
        assert page.locator(".realnvp-slider").count() == 2  # the depth and the training slider
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        assert not any("*" in p for p in prompts)  # nothing is running: the state came from the file
        icons = broken_chain_icons(page)
        assert icons["disconnected"] > 0 and icons["shown"] == 0, icons  # tools/lab/custom.css hides them
        ms = check_scrub(page, lab[2], "restored")
    except Exception:
        debug(page, lab[2], "restored")
        raise
    finally:
        page.close()
    with capsys.disabled():
        report(
            "trusted notebook, no cell run (widgets from saved state)",
            ms,
            f"; sliders up {restored:.1f} s after the page was asked for",
        )


def test_untrusted_notebook_shows_the_first_frame(browser, lab):
    page, _ = open_notebook(browser, lab, UNTRUSTED)
    try:
        page.wait_for_selector(".jp-OutputArea-output[data-mime-type='image/png'] img")
        page.wait_for_timeout(2_000)  # time a widget would need to appear, if it were going to
        assert page.locator(".realnvp-slider").count() == 0
        frames = page.locator(".jp-OutputArea-output[data-mime-type='image/png'] img")
        widths = frames.evaluate_all("ims => ims.map(im => im.naturalWidth)")
        assert sum(w >= 600 for w in widths) >= 2, widths  # each slider's first frame, full size
    except Exception:
        debug(page, lab[2], "unsigned")
        raise
    finally:
        page.close()


# The widgets that ipywidgets marks as having no live kernel model, and how many of them show its red
# broken-chain icon (a ::before pseudo-element): on the series' sliders, none should.
BROKEN_CHAIN = """() => {
    const marked = [...document.querySelectorAll(
        '.realnvp-slider.jupyter-widgets-disconnected, .realnvp-slider .jupyter-widgets-disconnected')];
    const shown = marked.filter(e => {
        const icon = getComputedStyle(e, '::before');
        return icon.display !== 'none' && icon.content !== 'none' && icon.content !== 'normal';
    });
    return {disconnected: marked.length, shown: shown.length};
}"""


def broken_chain_icons(page) -> dict:
    return page.evaluate(BROKEN_CHAIN)


def run_all(page, base: str, token: str) -> None:
    """Run All from Lab's Run menu; return when every code cell has its execution number."""
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    wait_for_idle_kernel(base, token)
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
    accept_kernel_dialog(page)
    page.wait_for_function(
        """() => {
        const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
        return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
    }""",
        timeout=600_000,  # 06 trains its flow when notebooks/cache is empty, on a loaded machine
    )


def shut_down_kernels(base: str, token: str) -> None:
    """What closing Lab does to a notebook's kernel: every session and its kernel are stopped."""
    for session in get_json(f"{base}/api/sessions?token={token}"):
        url = f"{base}/api/sessions/{session['id']}?token={token}"
        urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=30).close()


def missing_models(path: Path) -> list[str]:
    """Widget views in the notebook's outputs whose model its saved widget state lacks
    ("Error displaying widget: model not found" in Lab)."""
    nb = json.loads(path.read_text())
    state = nb["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    views = [
        out["data"][VIEW]["model_id"]
        for cell in nb["cells"]
        for out in cell.get("outputs", [])
        if VIEW in out.get("data", {})
    ]
    assert views, f"{path.name} displays no widget"
    return [v for v in views if v not in state.get("state", {})]


def test_run_all_save_and_reopen_keeps_sliders_that_scrub(browser, lab, capsys):
    """A learner's path: open 06 in the Lab `make lab` opens, Run All, save, close (kernel shut down),
    reopen: the sliders the run made must scrub from the state Lab saved."""
    base, token, repo = lab
    path = repo / "notebooks" / RUN
    page, _ = open_notebook(browser, lab, RUN)
    try:
        run_all(page, base, token)
        page.wait_for_selector(".realnvp-slider .widget-slider")
        saved = path.stat().st_mtime_ns
        page.locator(".jp-NotebookPanel .jp-Cell").first.click()
        page.keyboard.press("Control+s")
        page.wait_for_function(
            "() => !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')", timeout=60_000
        )
        deadline = time.monotonic() + 60
        while path.stat().st_mtime_ns == saved and time.monotonic() < deadline:
            time.sleep(0.5)
        assert path.stat().st_mtime_ns != saved, "Lab did not save the notebook"
    except Exception:
        debug(page, repo, "run_all")
        raise
    finally:
        page.close()
    assert not missing_models(path), "Lab saved outputs whose widget models the file does not hold"
    shut_down_kernels(base, token)
    page, start = open_notebook(browser, lab, RUN)
    try:
        page.wait_for_selector(".realnvp-slider .widget-slider")
        restored = time.perf_counter() - start
        assert page.locator(".realnvp-slider").count() == 2
        assert page.get_by_text("Error displaying widget").count() == 0
        ms = check_scrub(page, repo, "reopened")
        # Restoring widgets from the file marks the notebook changed (saveState): Lab autosaves it, and
        # the widgets it shows, which no kernel made, must stay in the file for the next reopening.
        page.wait_for_timeout(3 * AUTOSAVE_S * 1000)
        assert not missing_models(path), "an autosave after reopening dropped the sliders' state"
    except Exception:
        debug(page, repo, "reopened")
        raise
    finally:
        page.close()
        shut_down_kernels(base, token)
    with capsys.disabled():
        report(
            "06 after Run All, save, kernel shut down and reopen (widgets from the state Lab saved)",
            ms,
            f"; sliders up {restored:.1f} s after the page was asked for",
        )


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_opening_a_notebook_changes_nothing_on_disk(browser, lab, name):
    """Lab opens the notebook, starts its kernel and autosaves what it changed: a committed notebook
    must hold what Lab writes (tools/notebook_metadata.py), so the file stays as it was."""
    base, token, repo = lab
    path = repo / "notebooks" / name
    before = path.read_bytes()
    page, _ = open_notebook(browser, lab, name)
    try:
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
        wait_for_idle_kernel(base, token)
        page.wait_for_timeout(3 * AUTOSAVE_S * 1000)  # an autosave of anything Lab changed
        dirty = page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").count()
        assert path.read_bytes() == before and not dirty, f"opening {name} in Lab changed it"
    except Exception:
        debug(page, repo, f"open_{Path(name).stem}")
        raise
    finally:
        page.close()
        shut_down_kernels(base, token)


def wait_for_idle_kernel(base: str, token: str, timeout: float = 60) -> None:
    """Wait until the notebook's session has a started kernel that reports idle."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sessions = get_json(f"{base}/api/sessions?token={token}")
        if sessions and all(s["kernel"]["execution_state"] == "idle" for s in sessions):
            return
        time.sleep(0.5)
    raise TimeoutError(f"no idle kernel after {timeout} s")


def accept_kernel_dialog(page) -> None:
    """If Lab still asks which kernel to use (a slow start), take the preselected Python 3."""
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    try:
        dialog.wait_for(timeout=3_000)
    except Exception:  # playwright's TimeoutError: no dialog, the usual case
        return
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()


def changed_fraction(a: Path, b: Path) -> float:
    """Fraction of pixels that differ between two screenshots of the same element."""
    from PIL import Image

    x, y = (np.asarray(Image.open(p).convert("RGB"), dtype=int) for p in (a, b))
    if x.shape != y.shape:
        return 1.0
    return float((np.abs(x - y).sum(axis=-1) > 30).mean())
