"""Committed notebooks hold the saved state of exactly the widgets they display, and it stays small.

A widget view in an output names its model; the model names its children, layout and style
(``IPY_MODEL_<id>``); a ``jslink`` is a model of its own that names the two it ties. So the models a
notebook needs are those reached from its views, plus the links whose ends are both reached. A model
no view reaches is an orphan (a slider re-run in Lab and saved, say): dead weight in the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
MAX_NOTEBOOK_BYTES = 3_000_000
MAX_SLIDER_STATE_BYTES = 1_500_000


def views(nb: dict) -> list[str]:
    """Model ids of the widget views in the outputs, in order."""
    return [
        out["data"][VIEW]["model_id"]
        for cell in nb["cells"]
        for out in cell.get("outputs", [])
        if VIEW in out.get("data", {})
    ]


def references(model: dict) -> set[str]:
    """Every model id a model's state names."""
    text = json.dumps(model["state"])
    return {part.split('"')[0] for part in text.split("IPY_MODEL_")[1:]}


def reached(state: dict, roots: list[str]) -> set[str]:
    """The models reached from ``roots``, plus the links tying two of them."""
    seen, todo = set(), list(roots)
    while todo:
        model_id = todo.pop()
        if model_id in seen or model_id not in state:
            continue
        seen.add(model_id)
        todo += references(state[model_id])
    links = {k for k, m in state.items() if m["model_name"] in ("LinkModel", "DirectionalLinkModel")}
    return seen | {k for k in links if references(state[k]) <= seen}


def test_orphans_and_missing_models_are_found():
    state = {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_a"]}},
        "a": {"model_name": "IntSliderModel", "state": {"layout": "IPY_MODEL_l"}},
        "l": {"model_name": "LayoutModel", "state": {}},
        "link": {
            "model_name": "LinkModel",
            "state": {"source": ["IPY_MODEL_a", "value"], "target": ["IPY_MODEL_box", "x"]},
        },
        "old": {"model_name": "IntSliderModel", "state": {}},
        "oldlink": {
            "model_name": "LinkModel",
            "state": {"source": ["IPY_MODEL_old", "value"], "target": ["IPY_MODEL_a", "value"]},
        },
    }
    assert reached(state, ["box"]) == {"box", "a", "l", "link"}
    assert set(state) - reached(state, ["box"]) == {"old", "oldlink"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_saved_widget_state_is_exactly_what_the_views_need(path):
    nb = json.loads(path.read_text())
    shown = views(nb)
    state = nb["metadata"].get("widgets", {}).get(STATE, {}).get("state", {})
    if not shown:
        assert not state, f"{path.name} saves {len(state)} widget models but displays no widget"
        return
    missing = [m for m in shown if m not in state]
    assert not missing, f"{path.name}: views without a saved model ({missing}): run `make notebooks`"
    orphans = set(state) - reached(state, shown)
    assert not orphans, (
        f"{path.name}: {len(orphans)} saved widget models no view reaches "
        "(a cell re-run in Lab and saved?): refresh it with `make notebooks`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_and_their_sliders_stay_small(path):
    size = path.stat().st_size
    assert size <= MAX_NOTEBOOK_BYTES, f"{path.name} is {size / 1e6:.2f} MB"
    nb = json.loads(path.read_text())
    state = nb["metadata"].get("widgets", {}).get(STATE, {}).get("state", {})
    for model_id in views(nb):
        own = reached(state, [model_id])
        nbytes = sum(len(json.dumps(state[m])) for m in own)
        assert nbytes <= MAX_SLIDER_STATE_BYTES, f"{path.name}: widget {model_id} saves {nbytes / 1e6:.2f} MB"
