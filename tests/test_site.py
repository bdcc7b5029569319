"""The static site in headless Chromium, served on 127.0.0.1 with every other request refused.

Builds the site from the committed notebooks (``tools/build_site.py``, what ``make site`` runs),
opens the index and every page, scrubs notebook 06's ipywidgets sliders (rendered from the saved
widget state by the site's own copy of the widget manager) with the keyboard and prints the
key-press-to-new-frame time, checks MathJax rendered notebook 01's math, and that nothing failed
to load, raised, or tried to leave the machine. Chromium and playwright as in the other
browser tests (``serving.chromium``).
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from scripts import load_script
from serving import caption, get, scrub
from test_browser import changed_fraction

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
DEPTH_PAGE, MATH_PAGE = "06_inside_the_flow", "01_change_of_variables"
MAX_PAGE_BYTES = 5_000_000
STEPS = 10


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site, served by a quiet threaded HTTP server on a free 127.0.0.1 port."""
    out = tmp_path_factory.mktemp("site") / "site"
    start = time.perf_counter()
    sizes = load_script("build_site").build(out, notebooks=NOTEBOOKS)
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
    """Any error in the console (MathJax 2's font probe used to log two per page; the template stops it)."""
    return message.type == "error"


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
    # ERR_ABORTED is a request the page dropped itself (MathJax's font loads when the test moves on).
    page.on(
        "requestfailed",
        lambda r: (
            r.url.startswith("http")
            and "ERR_ABORTED" not in (r.failure or "")
            and log["failed"].append(f"{r.failure} {r.url}")
        ),
    )
    return page


def test_site_pages_sizes_math_and_sliders_offline(site, browser, capsys):
    base, sizes, seconds, out = site
    names = sorted(p.stem for p in NOTEBOOKS.glob("[0-9]*.ipynb"))
    assert set(sizes) == {"index.html", "contributing.html", *(f"notebooks/{n}.html" for n in names)}
    assert all(size <= MAX_PAGE_BYTES for size in sizes.values()), sizes
    log = {"outside": [], "errors": [], "failed": []}
    page = watched_page(browser.new_context(viewport={"width": 1300, "height": 900}), base, log)

    visited = crawl(page, base)
    assert {f"notebooks/{n}.html" for n in names} | {"index.html", "contributing.html"} <= visited
    for name in names:  # two clicks to any section: the index links the page, its contents the section
        page.goto(f"{base}/notebooks/{name}.html", wait_until="load")
        assert page.locator(".jp-Cell").count() > 0
        sections = page.locator("h2[id]").count()
        assert sections > 0 and page.locator(".realnvp-toc li.h2 a").count() == sections, name

    page.goto(f"{base}/notebooks/{MATH_PAGE}.html", wait_until="load")
    page.wait_for_function(
        "() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 "
        "&& document.querySelectorAll('.MathJax, .MathJax_Display').length > 0"
    )
    math = page.evaluate("""() => ({rendered: document.querySelectorAll('.MathJax, .MathJax_Display').length,
        sources: document.querySelectorAll('script[type^="math/tex"]').length,
        errors: document.querySelectorAll('.MathJax_Error, merror').length})""")
    assert math["rendered"] >= math["sources"] > 0 and math["errors"] == 0, math

    start = time.perf_counter()
    page.goto(f"{base}/notebooks/{DEPTH_PAGE}.html", wait_until="load")
    page.wait_for_selector(".realnvp-slider .widget-slider")  # rendered from the saved widget state
    widget_up = time.perf_counter() - start
    sliders = page.locator(".realnvp-slider")
    assert sliders.count() == 2, "notebook 06 should show the depth and the training slider"
    depth, training = sliders.nth(0), sliders.nth(1)
    assert page.locator(".realnvp-widget > img.jupyter-widget").first.is_hidden()  # the fallback frame
    depth.scroll_into_view_if_needed()
    titles = saved_titles(NOTEBOOKS / f"{DEPTH_PAGE}.ipynb")
    assert caption(depth) == titles[0][0]
    picture = depth.locator("img.widget-image")
    before = picture.screenshot(path=str(out / "before.png"))
    steps = scrub(page, depth, STEPS)
    assert [s["caption"] for s in steps] == titles[0][1 : STEPS + 1]
    after = picture.screenshot(path=str(out / "after.png"))
    assert before != after and changed_fraction(out / "before.png", out / "after.png") > 0.01

    depth.locator(".widget-toggle-button", has_text="generation").click()
    page.wait_for_function(
        "([r, t]) => r.querySelector('.widget-html-content').textContent === t",
        arg=[depth.element_handle(), titles[1][STEPS]],
    )
    flipped = picture.screenshot(path=str(out / "flipped.png"))
    assert flipped != after and changed_fraction(out / "after.png", out / "flipped.png") > 0.01

    training.scroll_into_view_if_needed()
    training.locator(".widget-slider .noUi-handle").focus()
    page.keyboard.press("End")
    page.wait_for_function(
        "([r, t]) => r.querySelector('.widget-html-content').textContent === t",
        arg=[training.element_handle(), titles[2][-1]],
    )

    ms = [s["ms"] for s in steps]
    with capsys.disabled():
        print(
            f"\nsite: built in {seconds:.1f} s; pages (MB): "
            + ", ".join(f"{p.split('/')[-1].split('_')[0]} {s / 1e6:.2f}" for p, s in sizes.items())
        )
        print(
            f"site: widget up {widget_up:.2f} s after the page was asked for; depth slider, key press to "
            f"new frame painted over {len(ms)} steps: median {statistics.median(ms):.1f} ms, "
            f"range {min(ms):.1f}-{max(ms):.1f} ms (target <= 50 ms)"
        )
    assert not log["outside"], f"requests tried to leave the machine: {log['outside']}"
    assert not log["failed"], log["failed"]
    assert not log["errors"], log["errors"]


def saved_titles(path: Path) -> list[list[str]]:
    """The captions of every slider a notebook displays, set by set (direction by direction), from
    its saved widget state: a slider's second-to-last child is its stack of caption stacks."""
    nb = json.loads(path.read_text())
    state = nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]

    def children(model_id: str) -> list[str]:
        return [c.removeprefix("IPY_MODEL_") for c in state[model_id]["state"].get("children", [])]

    def html(model_id: str) -> str:
        return state[model_id]["state"]["value"].removeprefix("<b>").removesuffix("</b>")

    out = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view:
                captions = children(view["model_id"])[-2]
                sets = children(captions)
                if state[sets[0]]["model_name"] == "HTMLModel":  # one set: no toggle, no outer stack
                    sets = [captions]
                out += [[html(c) for c in children(one)] for one in sets]
    return out


LOCAL_REFS = """() => [...document.querySelectorAll('a[href], img[src], link[href], script[src]')]
    .map(e => e.href || e.src).filter(u => u.startsWith(location.origin))"""


def crawl(page, base: str) -> set[str]:
    """Open every page the site links to, from the index; fail on a link to a missing file or anchor,
    and on an image that does not load. Returns the pages visited (paths under the site)."""
    todo, seen, pages, broken = [f"{base}/index.html"], set(), set(), []
    while todo:
        url = todo.pop()
        path, _, anchor = url.partition("#")
        if path.endswith(".html") and path not in pages:
            pages.add(path)
            response = page.goto(path, wait_until="networkidle")  # MathJax's files too
            if response is None or response.status != 200:
                broken.append(f"{response and response.status} {path}")
                continue
            assert page.evaluate("[...document.images].every(im => im.complete && im.naturalWidth > 0)"), path
            ids = set(page.eval_on_selector_all("[id]", "es => es.map(e => e.id)"))
            for ref in page.evaluate(LOCAL_REFS):
                target, _, hash_ = ref.partition("#")
                if target.split("?")[0] == path and hash_ and not {hash_, unquote(hash_)} & ids:
                    broken.append(f"#{hash_} on {path}")
                todo.append(ref)
        elif path not in seen and not path.endswith(".html"):
            seen.add(path)
            try:
                get(path.split("?")[0])
            except Exception as err:  # urllib's HTTPError for a 404
                broken.append(f"{err} {path}")
    assert not broken, broken
    return {p.removeprefix(base + "/") for p in pages}


def test_without_scripts_the_slider_shows_its_first_frame(site, browser):
    """What a renderer that runs no script gets: the first frame as an image, no dead controls."""
    base = site[0]
    log = {"outside": [], "errors": [], "failed": []}
    page = watched_page(browser.new_context(java_script_enabled=False), base, log)
    page.goto(f"{base}/notebooks/{DEPTH_PAGE}.html", wait_until="load")
    frames = page.locator(".realnvp-widget > img.jupyter-widget")
    assert frames.count() == 2 and frames.first.is_visible()
    assert frames.first.evaluate("im => im.complete && im.naturalWidth >= 600")
    assert page.locator(".widget-slider").count() == 0
    assert not log["outside"] and not log["failed"], log


# A stray numbered list: a paragraph line that starts with a number and a dot after a wrapped line
# ("... bookkeeping of\n01. **Run time:** ..." renders as a list "1. Run time:"). CommonMark lets an
# ordered list interrupt a paragraph only when it starts at 1, so it bites exactly such lines; a list
# the author meant starts after a blank line (or a heading).
ITEM = re.compile(r"^ {0,3}(\d{1,9})[.)](?:\s|$)")
NOT_PROSE = re.compile(r"^\s*(?:$|#|>|<|\||[-*+]\s|\d{1,9}[.)](?:\s|$))")
FENCE = re.compile(r"^\s*(```|~~~).*?^\s*\1", re.S | re.M)


def stray_lists(markdown: str, header: bool) -> list[str]:
    """The numbered lists ``markdown`` renders to (as the site renders it) by accident: a line starting
    ``1.`` (or ``01.``) that continues a paragraph; in a notebook's header cell, any numbered list."""
    from nbconvert.filters import markdown2html_mistune

    lines = FENCE.sub("", markdown).splitlines()
    found = [
        line.strip()[:80]
        for before, line in zip(["", *lines], lines)
        if (m := ITEM.match(line)) and int(m[1]) == 1 and not NOT_PROSE.match(before)
    ]
    if header and "<ol" in markdown2html_mistune(markdown) and not found:
        found.append("a numbered list in the header")
    return found


def test_stray_list_finder():
    assert stray_lists("bookkeeping of\n01. **Run time:** 5 s.", header=False) == ["01. **Run time:** 5 s."]
    assert stray_lists("In 2017 the paper\n2017. nothing\n3. either", header=True) == []
    assert stray_lists("Steps:\n\n1. one\n2. two", header=False) == []
    assert stray_lists("## Steps\n1. one\n\n<details>x</details>\n\n2. two", header=False) == []
    assert stray_lists("Steps:\n\n1. one\n2. two", header=True) == ["a numbered list in the header"]
    assert stray_lists("```\nx = (\n1. + y)\n```", header=False) == []


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9]*.ipynb")), ids=lambda p: p.stem)
def test_no_stray_numbered_list_in_rendered_markdown(path):
    nb = json.loads(path.read_text())
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    stray = {i: s for i, text in enumerate(cells) if (s := stray_lists(text, header=i == 0))}
    assert not stray, f"{path.name}: markdown cells render numbered lists by accident: {stray}"


SIZE = re.compile(r"`site/([^`\s]+)` is (\d+(?:\.\d+)?) MB")


def test_contributing_quotes_the_page_sizes(site):
    sizes = site[1]
    quoted = SIZE.findall((ROOT / "CONTRIBUTING.md").read_text())
    assert quoted, "CONTRIBUTING.md quotes no page size"
    for page, value in quoted:
        digits = len(value.split(".")[1]) if "." in value else 0
        actual = sizes[page] / 1e6
        assert abs(actual - float(value)) <= 0.5 * 10.0**-digits, (
            f"site/{page} is {actual:.2f} MB, not {value}"
        )
