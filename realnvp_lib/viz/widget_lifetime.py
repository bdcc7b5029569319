"""One live widget per notebook cell: close a widget's whole tree, and the one a re-run cell replaces."""

from __future__ import annotations

import weakref

import ipywidgets as widgets

__all__ = ["close_previous_in_cell", "close_tree"]


def close_tree(widget: widgets.Widget) -> None:
    """Close a widget, its children and its layout/style models (Lab would save them as orphans)."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    for part in ("layout", "style"):
        model = getattr(widget, part, None)
        if isinstance(model, widgets.Widget):
            model.close()
    widgets.Widget.close(widget)


def close_previous_in_cell(widget: widgets.Widget) -> None:
    """Re-running a cell in Lab leaves its old widget's models alive (and saved as orphans): close them.

    The previous widget of the same cell (JupyterLab names the cell in each execute request) is
    remembered on the running IPython shell — the notebook session, not this library — weakly.
    Outside a kernel (a script, pytest) this does nothing.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    if kernel is None or not hasattr(kernel, "get_parent"):
        return
    cell = (kernel.get_parent("shell").get("metadata") or {}).get("cellId")
    if not cell:
        return
    shown = shell.__dict__.setdefault("_realnvp_sliders", weakref.WeakValueDictionary())
    previous = shown.get(cell)
    if previous is not None and previous is not widget:
        previous.close()
    shown[cell] = widget
