"""A Jupyter server pre-save hook: a notebook is never saved with widget outputs whose state it lacks.

JupyterLab with ipywidgets' ``saveState`` (which `make lab` turns on, so that the sliders a Run All
made are saved with the notebook) writes the state of the widgets the running kernel created only:
a widget shown from the notebook's saved state, which no kernel created, is dropped from the file
at the next save, even an autosave after merely opening the notebook, and reopening it shows "Error
displaying widget: model not found". `make lab` starts Lab with this hook
(``--ContentsManager.pre_save_hook``): before a notebook is written, every widget model that one of
its outputs shows and the new state lacks is kept from the file on disk, with the models it names
(children, layout, style) and the links (``jslink``) between them. So opening and saving a
notebook changes nothing, and a notebook saved after Run All holds the new widgets and no others.
"""

from __future__ import annotations

import json
import os

__all__ = ["keep_shown_widgets"]

VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"


def _names(model: dict) -> set[str]:
    """Every model id a model's state names (``IPY_MODEL_<id>``)."""
    text = json.dumps(model.get("state", {}))
    return {part.split('"')[0] for part in text.split("IPY_MODEL_")[1:]}


def _shown(nb: dict) -> list[str]:
    """Model ids of the widget views in the notebook's outputs."""
    return [
        out["data"][VIEW]["model_id"]
        for cell in nb.get("cells", [])
        for out in cell.get("outputs", [])
        if isinstance(out.get("data"), dict) and VIEW in out["data"]
    ]


def keep_shown_widgets(model: dict, path: str, contents_manager, **kwargs) -> None:
    """Fill ``model``'s widget state, in place, with what its outputs show and the saved file holds."""
    nb = model.get("content")
    if model.get("type") != "notebook" or not isinstance(nb, dict):
        return
    widgets = nb.setdefault("metadata", {}).get("widgets", {}).get(STATE, {})
    state = widgets.get("state", {})
    missing = [m for m in _shown(nb) if m not in state]
    if not missing:
        return
    try:
        with open(os.path.join(contents_manager.root_dir, path), encoding="utf-8") as f:
            old = json.load(f)["metadata"]["widgets"][STATE]
    except (OSError, ValueError, KeyError, TypeError):
        return  # a new notebook, or one whose file holds no widget state: nothing to keep
    old_state = old.get("state", {})
    kept, todo = set(), [m for m in missing if m in old_state]
    while todo:
        m = todo.pop()
        if m not in kept and m not in state and m in old_state:
            kept.add(m)
            todo += _names(old_state[m])
    everything = kept | set(state)
    links = {m for m, v in old_state.items() if m not in everything and _names(v) and _names(v) <= everything}
    if not kept:
        return
    merged = {**{m: old_state[m] for m in kept | links}, **state}
    nb["metadata"]["widgets"] = {
        STATE: {
            "state": merged,
            "version_major": widgets.get("version_major", old.get("version_major", 2)),
            "version_minor": widgets.get("version_minor", old.get("version_minor", 0)),
        }
    }
