"""Shared pieces of the server and browser tests: Chromium, free ports, waiting for and stopping servers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Headless and quiet: without the background-networking flags Chromium keeps trying outside hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def require(condition: bool, reason: str) -> None:
    """Skip with the reason, or fail under ``CI=true`` where the browser tests must run."""
    if not condition:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the browser test must run)")
        pytest.skip(reason)


@contextmanager
def chromium():
    """Debian's headless Chromium driven by playwright, once both are known to be there."""
    require(CHROMIUM.exists(), f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "Python playwright is not installed (it is in the test extra)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 10) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        assert response.status == 200, url
        return response.read()


def get_json(url: str):
    return json.loads(get(url, timeout=5))


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, what: str, timeout: float = 60) -> None:
    """Poll ``url`` until it answers; raise with the server's log if it died or took too long."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            get(url, timeout=5)
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start:\n" + log.read_text()) from None
            time.sleep(0.5)


def stop(proc: subprocess.Popen, marker: str) -> None:
    """Stop the server's process group, then any kernel it left (kernels run in their own session)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker in cmdline.read_bytes().decode(errors="replace"):
                os.kill(int(cmdline.parent.name), signal.SIGKILL)  # a kernel whose files live in tmp
        except (OSError, ValueError):
            pass


# Times key presses on a slider widget in the page: from the key event's creation until the first task
# after the next animation frame once the new frame's image has decoded, i.e. after the browser
# painted it. The caption (an HTML widget in a Stack, linked like the frames) says which frame is up.
STEP_TIMER = """root => {
    window.realnvpSteps = [];
    const caption = () => root.querySelector('.widget-html-content')?.textContent;
    root.addEventListener('keydown', e => {
        const t0 = e.timeStamp, before = caption();
        const seen = new MutationObserver(async () => {
            const img = root.querySelector('img.widget-image');
            if (caption() === before || !img) return;
            seen.disconnect();
            try { await img.decode(); } catch (err) {}
            requestAnimationFrame(() => setTimeout(() => window.realnvpSteps.push(
                {ms: performance.now() - t0, caption: caption(), src: img.src.slice(0, 200)}), 0));
        });
        seen.observe(root, {subtree: true, childList: true, characterData: true});
    }, true);
}"""


def scrub(page, slider, steps: int) -> list[dict]:
    """Press ArrowRight ``steps`` times on an ipywidgets slider (``.realnvp-slider``), one step at a time;
    returns one ``{"ms", "caption", "src"}`` per step (see ``STEP_TIMER``)."""
    slider.evaluate(STEP_TIMER)
    slider.locator(".widget-slider .noUi-handle").focus()
    for i in range(steps):
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => window.realnvpSteps.length === {i + 1}", timeout=30_000)
    return page.evaluate("window.realnvpSteps")


def caption(slider) -> str:
    """The caption the slider shows now."""
    return slider.locator(".widget-html-content").first.inner_text()
