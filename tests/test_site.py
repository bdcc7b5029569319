"""The static site in headless Chromium, served on 127.0.0.1 with every other request refused.

Builds the site from the committed notebooks (``tools/build_site.py``, what ``make site`` runs),
opens the index and every page, scrubs notebook 06's sliders with the keyboard and prints the
key-press-to-new-frame time, checks MathJax rendered notebook 01's math, and that nothing failed
to load, raised, or tried to leave the machine. Chromium and playwright as in the other
browser tests (``serving.chromium``).
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_browser import changed_fraction

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
DEPTH_PAGE, MATH_PAGE = "06_inside_the_flow", "01_change_of_variables"
MAX_PAGE_BYTES = 5_000_000
STEPS = 10

# Times one key press in the page: from the event's creation until the first task after the next
# animation frame, i.e. after the browser painted what the press changed.
TIME_KEYS = """root => {
    window.realnvpSteps = [];
    root.querySelector('input[type=range]').addEventListener('keydown', e => {
        const before = root.dataset.k;
        requestAnimationFrame(() => setTimeout(() => window.realnvpSteps.push(
            {ms: performance.now() - e.timeStamp, moved: root.dataset.k !== before}), 0));
    }, true);
}"""
SHOWN = """root => [...root.querySelectorAll('.realnvp-slider-frames img')]
    .filter(im => im.style.display !== 'none').map(im => im.src)"""
FRAMES = "root => JSON.parse(root.querySelector('.realnvp-slider-data').textContent).sets"


def load_builder():
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "tools" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site, served by a quiet threaded HTTP server on a free 127.0.0.1 port."""
    out = tmp_path_factory.mktemp("site") / "site"
    start = time.perf_counter()
    sizes = load_builder().build(out, notebooks=NOTEBOOKS)
    seconds = time.perf_counter() - start

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=out))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", sizes, seconds, out
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def console_error(message) -> bool:
    """An error in the console, except MathJax 2's font probe: its ``@font-face MathJax_Blank`` has
    ``src: url('about:blank')``, which Chromium reports as refused (it is no request to anywhere)."""
    blank = "about:blank" in message.text or message.location.get("url") == "about:blank"
    return message.type == "error" and not blank


def watched_page(context, base: str, log: dict):
    """A page whose requests off 127.0.0.1 are refused and recorded, as are failures and errors."""
    host = urlsplit(base).netloc

    def route(r):
        if urlsplit(r.request.url).netloc == host:
            r.continue_()
        else:
            log["outside"].append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on("pageerror", lambda e: log["errors"].append(f"{page.url}: {e}"))
    page.on("console", lambda m: console_error(m) and log["errors"].append(f"{page.url}: {m.text}"))
    page.on("response", lambda r: r.status >= 400 and log["failed"].append(f"{r.status} {r.url}"))
    page.on("requestfailed",
            lambda r: r.url.startswith("http") and log["failed"].append(f"{r.failure} {r.url}"))
    return page


def test_site_pages_sizes_math_and_sliders_offline(site, browser, capsys):
    base, sizes, seconds, out = site
    names = sorted(p.stem for p in NOTEBOOKS.glob("[0-9]*.ipynb"))
    assert set(sizes) == {"index.html", *(f"notebooks/{n}.html" for n in names)}
    assert all(size <= MAX_PAGE_BYTES for size in sizes.values()), sizes
    log = {"outside": [], "errors": [], "failed": []}
    page = watched_page(browser.new_context(viewport={"width": 1300, "height": 900}), base, log)

    page.goto(f"{base}/index.html", wait_until="load")
    linked = page.eval_on_selector_all("a[href^='notebooks/']", "as => as.map(a => a.getAttribute('href'))")
    assert {f"notebooks/{n}.html" for n in names} <= set(linked)
    for name in names:
        page.goto(f"{base}/notebooks/{name}.html", wait_until="networkidle")  # MathJax's files too
        assert page.locator(".jp-Cell").count() > 0
        assert page.evaluate("[...document.images].every(im => im.complete && im.naturalWidth > 0)"), name

    page.goto(f"{base}/notebooks/{MATH_PAGE}.html", wait_until="load")
    page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 "
                           "&& document.querySelectorAll('.MathJax, .MathJax_Display').length > 0")
    math = page.evaluate("""() => ({rendered: document.querySelectorAll('.MathJax, .MathJax_Display').length,
        sources: document.querySelectorAll('script[type^="math/tex"]').length,
        errors: document.querySelectorAll('.MathJax_Error, merror').length})""")
    assert math["rendered"] >= math["sources"] > 0 and math["errors"] == 0, math

    page.goto(f"{base}/notebooks/{DEPTH_PAGE}.html", wait_until="load")
    sliders = page.locator(".realnvp-slider")
    assert sliders.count() >= 2, "notebook 06 should show the depth and the training slider"
    depth, training = sliders.nth(0), sliders.nth(1)
    depth.scroll_into_view_if_needed()
    page.wait_for_function("r => r.dataset.ready === '1'", arg=depth.element_handle())
    sets = depth.evaluate(FRAMES)
    assert [s["name"] for s in sets] == ["inference", "generation"]
    frames = depth.locator(".realnvp-slider-frames")
    before = frames.screenshot(path=str(out / "before.png"))
    depth.evaluate(TIME_KEYS)
    depth.locator("input[type=range]").focus()
    for i in range(STEPS):
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => window.realnvpSteps.length === {i + 1}")
    steps = page.evaluate("window.realnvpSteps")
    assert all(s["moved"] for s in steps), steps
    assert depth.evaluate("r => r.dataset.k") == str(STEPS)
    assert depth.evaluate(SHOWN) == [sets[0]["frames"][STEPS]]
    assert depth.locator(".realnvp-slider-title").inner_text() == sets[0]["titles"][STEPS]
    after = frames.screenshot(path=str(out / "after.png"))
    assert before != after and changed_fraction(out / "before.png", out / "after.png") > 0.01

    depth.locator("button", has_text="generation").click()
    assert depth.evaluate("r => [r.dataset.set, r.dataset.k]") == ["generation", str(STEPS)]
    assert depth.evaluate(SHOWN) == [sets[1]["frames"][STEPS]]

    training.locator("input[type=range]").focus()
    page.keyboard.press("End")
    last = len(training.evaluate(FRAMES)[0]["frames"]) - 1
    assert training.evaluate("r => r.dataset.k") == str(last)

    ms = [s["ms"] for s in steps]
    with capsys.disabled():
        print(f"\nsite: built in {seconds:.1f} s; pages (MB): "
              + ", ".join(f"{p.split('/')[-1].split('_')[0]} {s / 1e6:.2f}" for p, s in sizes.items()))
        print(f"depth slider, key press to new frame over {len(ms)} steps: median {statistics.median(ms):.1f}"
              f" ms, max {max(ms):.1f} ms (target <= 50 ms)")
    assert not log["outside"], f"requests tried to leave the machine: {log['outside']}"
    assert not log["failed"], log["failed"]
    assert not log["errors"], log["errors"]


def test_without_scripts_the_slider_shows_its_first_frame(site, browser):
    """What a renderer that runs no script (GitHub) gets: the first frame as an image, no dead controls."""
    base = site[0]
    log = {"outside": [], "errors": [], "failed": []}
    page = watched_page(browser.new_context(java_script_enabled=False), base, log)
    page.goto(f"{base}/notebooks/{DEPTH_PAGE}.html", wait_until="load")
    depth = page.locator(".realnvp-slider").first
    frame = depth.locator("img.realnvp-slider-frame")
    assert frame.count() == 1 and frame.is_visible()
    assert frame.evaluate("im => im.complete && im.naturalWidth > 0")
    assert not depth.locator(".realnvp-slider-controls").is_visible()
    assert not log["outside"] and not log["failed"], log
