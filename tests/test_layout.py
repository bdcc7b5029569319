"""The library's plan, read from its imports: no cycle, and no arrow from the core up to an extension.

The core is ``realnvp_lib``'s top-level modules; ``instruments/`` may import the core; ``images/``
the core and the instruments; ``viz/`` any of them. ``tools/`` scripts are outside the package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "realnvp_lib"
# Which folders each ring may import from (the package facade, realnvp_lib/__init__.py, imports all).
RINGS = {
    "core": {"core"},
    "instruments": {"core", "instruments"},
    "images": {"core", "instruments", "images"},
}
RINGS["viz"] = {"core", "instruments", "images", "viz"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def ring(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()) else "core"


def imports(path: Path) -> set[str]:
    """The package modules ``path`` imports (a ``from . import x`` counts as the module ``x``)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("realnvp_lib")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("realnvp_lib"):
                target = node.module
            else:
                continue
            for alias in node.names:  # `from pkg import mod` imports the module pkg.mod
                sub = f"{target}.{alias.name}"
                found.add(
                    sub
                    if (PACKAGE.parent / Path(*sub.split("."))).with_suffix(".py").exists()
                    or (PACKAGE.parent / Path(*sub.split("."))).is_dir()
                    else target
                )
    return found - {module}


GRAPH = {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_the_graph_is_read_from_every_module():
    assert "realnvp_lib.flow" in GRAPH and "realnvp_lib.images.model" in GRAPH
    assert "realnvp_lib.flow" in GRAPH["realnvp_lib.train"]  # a known arrow is seen
    assert "realnvp_lib.checkpoint" in GRAPH["realnvp_lib.images.model"]  # the builder registry's


def test_no_import_cycle():
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = path[path.index(module) :] + [module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done or module not in GRAPH:
            return
        for target in sorted(GRAPH[module]):
            if GRAPH.get(target) is not None and target != "realnvp_lib":
                visit(target, [*path, module])
        done.add(module)

    for module in GRAPH:
        if module != "realnvp_lib":  # the facade imports everything and nothing imports it
            visit(module, [])


@pytest.mark.parametrize("module", [m for m in GRAPH if m != "realnvp_lib"])
def test_no_import_points_back_up(module):
    allowed = RINGS[ring(module)]
    wrong = sorted(t for t in GRAPH[module] if t == "realnvp_lib" or ring(t) not in allowed)
    assert not wrong, f"{module} ({ring(module)}) imports {wrong}: only {sorted(allowed)} may be imported"


def test_the_core_is_small_enough_to_read_in_one_sitting():
    core = [p for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert len(core) <= 12, sorted(p.name for p in core)
