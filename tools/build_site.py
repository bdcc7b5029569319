"""Build the static site: ``python tools/build_site.py site`` (what ``make site`` runs).

Renders the committed, executed notebooks as they are (nothing is re-executed) with nbconvert's
``lab`` template, so a page looks like the notebook in JupyterLab; a small template on top of it
(``tools/site_template/realnvp``) drops the scripts the lab template fetches from a CDN (require.js,
mermaid: the series uses neither), loads the widget manager from the site itself, and adds a
navigation bar. The sliders are ipywidgets: ``@jupyter-widgets/html-manager``'s ``embed.js`` (pinned
and hash-checked by ``tools/html_manager.py``, fetched with npm) renders them from the notebooks'
saved widget state, and each keeps its first frame as an image for a reader with no script.
nbconvert is the Jupyter project's own converter, already installed for the tests, and renders
every output type the notebooks have; Sphinx/myst-nb or mkdocs would add a second page style and a
larger toolchain for six pages. Math is rendered by MathJax 2.7 from the ``jupyter-server-mathjax``
wheel (the Jupyter project's packaged MathJax) copied into ``static/``, so a page needs no network.

Layout (the notebooks' own ``../figures/x.gif`` links keep working)::

    site/index.html            the README, with the series' table linking to every page
    site/contributing.html     CONTRIBUTING.md
    site/notebooks/NN_x.html   one page per notebook
    site/figures/              a copy of figures/
    site/static/               MathJax, the widget manager and site.css
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path

import jupyter_server_mathjax
import nbformat
from nbconvert import HTMLExporter

__all__ = ["build", "main"]

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = Path(__file__).resolve().parent / "site_template"
MATHJAX = Path(jupyter_server_mathjax.__file__).parent / "static"
MATHJAX_URL = "../static/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
WIDGET_RENDERER_URL = "../static/html-manager/embed.js"  # the widget manager, copied into the site


def _other_languages(folder: str, names: list[str]) -> list[str]:
    return [n for n in names if Path(folder).name == "localization" and n != "en"]


def _sibling(name: str):
    """A module beside this script (run as a script or loaded by a test, ``tools/`` is no package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check_output(out: Path, inputs: list[Path]) -> None:
    """Refuse an output folder that is, holds or sits inside the inputs, or is not a site: replacing it
    would delete them (the repository root, ``notebooks/``) or someone's other files."""
    for place in inputs:
        place = place.resolve()
        # Inside the repository is fine (site/ is the default), inside notebooks/ or figures/ is not.
        if out == place or out in place.parents or (place != ROOT and place in out.parents):
            raise ValueError(
                f"refusing to build the site into {out}: it is, holds or lies inside the "
                f"input {place}; choose a separate folder such as {ROOT / 'site'}"
            )
    if out.is_file() or (out.is_dir() and any(out.iterdir()) and not (out / "index.html").is_file()):
        raise ValueError(
            f"refusing to replace {out}: it is not empty and not a site built by this script "
            "(no index.html); remove it yourself or choose another folder"
        )


def _read(path: Path):
    """One notebook, with an error that names its file (nbformat's alone does not)."""
    try:
        return nbformat.read(path, as_version=4)
    except Exception as err:
        raise ValueError(f"{path}: not a readable notebook ({type(err).__name__}: {err})") from err


def build(
    out: Path,
    notebooks: Path = ROOT / "notebooks",
    figures: Path = ROOT / "figures",
    readme: Path = ROOT / "README.md",
) -> dict[str, int]:
    """Write the site into ``out`` (replaced); return each page's size in bytes, by path under ``out``.

    Everything is read and checked first, then the site is built in a temporary folder beside
    ``out`` and swapped in only when complete: a build that fails halfway leaves the previous site.
    """
    out = Path(out).resolve()
    _check_output(out, [ROOT, Path(notebooks), Path(figures), Path(readme)])
    paths = sorted(Path(notebooks).glob("[0-9]*.ipynb"))
    books = {p.stem: _read(p) for p in paths}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide the site from a web server run by another user
        sizes = _write(tmp, books, Path(figures), Path(readme), paths)
        old = tmp.with_name(tmp.name + ".old")
        if out.exists():
            out.rename(old)
        try:
            tmp.rename(out)
        except OSError:
            if old.exists():
                old.rename(out)  # the previous site back where it was
            raise
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return sizes


def _write(out: Path, books: dict, figures: Path, readme: Path, paths: list[Path]) -> dict[str, int]:
    """The site's files under ``out`` (an empty folder); each page's size in bytes."""
    (out / "notebooks").mkdir(parents=True)
    shutil.copytree(figures, out / "figures")
    shutil.copytree(MATHJAX, out / "static" / "mathjax", ignore=_other_languages)
    pages = _sibling("site_pages")
    (out / "static" / "site.css").write_text(pages.CSS)
    _sibling("html_manager").copy_into(out / "static" / "html-manager")
    names, titles = list(books), {name: pages.title(nb) or name for name, nb in books.items()}
    exporter = HTMLExporter(
        template_name="realnvp",
        extra_template_basedirs=[str(TEMPLATES)],
        mathjax_url=MATHJAX_URL,
        widget_renderer_url=WIDGET_RENDERER_URL,
    )
    sizes = {}
    for i, (name, nb) in enumerate(books.items()):
        resources = {"metadata": {"name": titles[name]}, "realnvp_nav": pages.nav(names, i, titles)}
        try:
            page, _ = exporter.from_notebook_node(nb, resources=resources)
        except Exception as err:
            raise ValueError(f"{paths[i]}: nbconvert cannot render it ({type(err).__name__}: {err})") from err
        path = out / "notebooks" / f"{name}.html"
        path.write_text(pages.toc(pages.links(page, set(names))), encoding="utf-8")
        sizes[f"notebooks/{name}.html"] = path.stat().st_size
    for source, target in pages.MARKDOWN_PAGES.items():
        source = Path(readme) if target == "index.html" else Path(readme).parent / source
        if not source.is_file():  # a test's bare README: no contributing page to render
            continue
        text = source.read_text()
        heading = "RealNVP, layer by layer" + ("" if target == "index.html" else f": {source.name}")
        (out / target).write_text(pages.markdown_page(text, heading, names, titles), encoding="utf-8")
        sizes[target] = (out / target).stat().st_size
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", default=ROOT / "site")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    sizes = build(args.out)
    for path, size in sizes.items():
        print(f"{size / 1e6:6.2f} MB  {path}")
    print(
        f"site written to {args.out} in {time.perf_counter() - start:.1f} s; "
        f"open it with: python -m http.server -d {args.out} -b 127.0.0.1"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
