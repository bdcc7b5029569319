"""JupyterLab in headless Chromium: run notebook 06, move the depth slider with the keyboard, see it change.

Needs Debian's ``chromium`` (``/usr/bin/chromium``) and Python ``playwright``. With ``CI=true`` their
absence is a failure; elsewhere the test is skipped with the reason. JupyterLab serves a temporary
copy of ``notebooks/`` (Lab autosaves), and every process it starts is stopped afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from serving import free_port, get_json, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "06_inside_the_flow.ipynb"
# Lab settings for the test: render every cell (no windowing), no news or update pop-ups.
SETTINGS = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
            "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
                {"fetchNews": "false", "checkForUpdates": False}}


SLIDER_AT = """k => document.querySelector('.realnvp-slider')?.dataset.k === k"""


def strip_outputs(path: Path) -> None:
    """Open the notebook as a reader's fresh copy would be: no outputs, no execution counts."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    path.write_text(json.dumps(nb))


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server over a copy of notebooks/ (with its cache, if any) and figures/."""
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "figures", tmp_path / "figures")
    strip_outputs(tmp_path / "notebooks" / NOTEBOOK)
    for name, value in SETTINGS.items():
        path = tmp_path / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    env.pop("MPLBACKEND", None)  # the kernel should use its inline backend
    # The kernel shares the cores with Chromium; torch's spinning OpenMP threads would then make
    # training (when notebooks/cache is empty, as in a fresh CI checkout) many times slower.
    env["OMP_NUM_THREADS"] = "1"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.open_browser=False",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
           "--allow-root"]
    log = open(tmp_path / "lab.log", "wb")
    proc = subprocess.Popen(cmd, cwd=tmp_path / "notebooks", env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/api/status?token={token}", proc, tmp_path / "lab.log", "JupyterLab")
        yield base, token, tmp_path
    finally:
        stop(proc, str(tmp_path / "runtime"))
        log.close()


def test_depth_slider_moves_in_jupyterlab(browser, lab):
    base, token, tmp = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.set_default_timeout(60_000)
        page.goto(f"{base}/lab/tree/notebooks/{NOTEBOOK}?token={token}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
        wait_for_idle_kernel(base, token)
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
        accept_kernel_dialog(page)
        # Done when the last code cell has its execution number and no cell is pending.
        page.wait_for_function("""() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""", timeout=170_000)
        # The depth slider is an HTML output whose own script steps through its frames.
        depth = page.locator(".realnvp-slider").first
        picture = depth.locator(".realnvp-slider-frames")
        caption = depth.locator(".realnvp-slider-title")
        page.wait_for_function(SLIDER_AT, arg="0")
        text_before = caption.inner_text()
        shot_before = picture.screenshot(path=str(tmp / "before.png"))
        depth.locator("input[type=range]").focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.wait_for_function(SLIDER_AT, arg="3", timeout=30_000)
        shot_after = picture.screenshot(path=str(tmp / "after.png"))
        text_after = caption.inner_text()
        slider_readout = depth.locator("output").inner_text().strip()
    except Exception:
        page.screenshot(path=str(tmp / "failure.png"), full_page=True)  # for whoever debugs CI
        errors = page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
        print("stderr outputs:", [errors.nth(i).inner_text()[-500:] for i in range(errors.count())])
        raise
    assert "(k = 0/" in text_before and "(k = 3/" in text_after, (text_before, text_after)
    assert slider_readout.startswith("3 / ")
    assert shot_before != shot_after
    assert changed_fraction(tmp / "before.png", tmp / "after.png") > 0.01


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
