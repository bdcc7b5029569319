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
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


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
