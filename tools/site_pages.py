"""The site's pages around the notebooks: navigation bars, tables of contents, links, markdown pages.

``tools/build_site.py`` renders each notebook with nbconvert and then passes the page through here:
links between notebooks go to their pages, a bar links the index and the previous and next notebook,
and a table of contents lists the page's sections (every ``##`` and ``###`` heading), so a reader
finds any section in two clicks from the index. README.md (the index) and CONTRIBUTING.md are
rendered as pages of their own, with their links to each other rewritten.
"""

from __future__ import annotations

import html
import re

from nbconvert.filters import markdown2html_mistune

__all__ = ["CSS", "MARKDOWN_PAGES", "TOC_MARK", "links", "markdown_page", "nav", "title", "toc"]

TOC_MARK = "<!--realnvp-toc-->"  # where the template wants the table of contents
MARKDOWN_PAGES = {"README.md": "index.html", "CONTRIBUTING.md": "contributing.html"}
CSS = """body{margin:0}.realnvp-nav{font:14px/1.5 sans-serif;padding:8px 16px;background:#f3f5f7;
border-bottom:1px solid #dde}.realnvp-nav a{margin-right:1.2em}.realnvp-index{max-width:980px;
margin:0 auto;padding:16px 24px;font:16px/1.55 sans-serif}.realnvp-index table{border-collapse:collapse}
.realnvp-index td,.realnvp-index th{border:1px solid #ccd;padding:4px 8px;vertical-align:top}
.realnvp-index pre{background:#f6f8fa;padding:8px;overflow:auto}.realnvp-index img{max-width:100%}
.realnvp-toc{font:14px/1.5 sans-serif;margin:8px 16px;padding:4px 12px;border-left:3px solid #2f6db3}
.realnvp-toc ol{margin:2px 0;padding-left:1.4em}.realnvp-toc li.h3{margin-left:1.2em;list-style:circle}
.realnvp-widget:has(.widget-subarea)>img.jupyter-widget{display:none}"""
HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)<a class="anchor-link"', re.S)


def title(nb) -> str:
    """A notebook's ``#`` heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if match:
                return match.group(1).strip()
    return ""


def links(page: str, stems: set[str]) -> str:
    """Links between notebooks go to their pages; the README link goes to the index."""

    def to_page(m: re.Match) -> str:
        return f'href="{m.group(1)}.html{m.group(2) or ""}"' if m.group(1) in stems else m.group(0)

    page = re.sub(r'href="([0-9][^"/]*)\.ipynb(#[^"]*)?"', to_page, page)
    for source, target in MARKDOWN_PAGES.items():
        page = page.replace(f'href="../{source}"', f'href="../{target}"')
    return page


def nav(names: list[str], i: int, titles: dict[str, str]) -> str:
    """The bar on notebook page ``i``: the index, the previous and the next notebook."""
    parts = ['<a href="../index.html">RealNVP, layer by layer: all notebooks</a>']
    if i > 0:
        parts.append(f'<a href="{names[i - 1]}.html" rel="prev">← {html.escape(titles[names[i - 1]])}</a>')
    if i + 1 < len(names):
        parts.append(f'<a href="{names[i + 1]}.html" rel="next">{html.escape(titles[names[i + 1]])} →</a>')
    return "".join(parts)


def toc(page: str) -> str:
    """The page with a table of contents of its ``h2``/``h3`` sections where the template marked it."""
    items = []
    for level, anchor, text in HEADING.findall(page):
        label = re.sub(r"<[^>]+>", "", text).strip()
        items.append(f'<li class="h{level}"><a href="#{anchor}">{label}</a></li>')
    box = f'<nav class="realnvp-toc"><b>On this page</b><ol>{"".join(items)}</ol></nav>' if items else ""
    return page.replace(TOC_MARK, box, 1)


def markdown_page(text: str, heading: str, names: list[str], titles: dict[str, str]) -> str:
    """README.md or CONTRIBUTING.md as a page at the site's root, under a bar linking every notebook."""
    body = markdown2html_mistune(text)
    for name in names:
        link = f'<a href="notebooks/{name}.html"><code>{name}</code></a>'
        body = body.replace(f"<code>{name}</code>", link)
    for source, target in MARKDOWN_PAGES.items():
        body = body.replace(f'href="{source}"', f'href="{target}"')
    bar = [
        '<a href="index.html">Home</a>',
        *(f'<a href="notebooks/{n}.html">{html.escape(titles[n])}</a>' for n in names),
        '<a href="contributing.html">Contributing</a>',
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{html.escape(heading)}</title><link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="static/site.css"></head>'
        f'<body><nav class="realnvp-nav">{"".join(bar)}</nav>'
        f'<main class="realnvp-index">{body}</main></body></html>'
    )
