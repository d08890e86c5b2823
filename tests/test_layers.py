"""The rooms import downward only, and no two rooms import each other (directly or round a loop)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Each room's layer: a room imports rooms of its own layer or below, never above
# (cli -> audit/reports/fleet/lifecycle/accounts -> engine/components/store/policy_packs -> blueprints).
LAYERS = {
    "blueprints": 0,
    "store": 1, "engine": 1, "components": 1, "policy_packs": 1,
    "audit": 2, "reports": 2, "fleet": 2, "lifecycle": 2, "accounts": 2, "cost": 2, "portal": 2,
    "cli": 3,
}


def _imports(path: Path) -> set[str]:
    """The rooms a module imports, at any depth of its code (lazy imports count)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(LAYERS)


def _edges() -> dict[str, set[tuple[str, str]]]:
    """room -> {(imported room, importing file)} for imports across rooms."""
    edges: dict[str, set[tuple[str, str]]] = {room: set() for room in LAYERS}
    for room in LAYERS:
        for path in (ROOT / room).rglob("*.py"):
            for other in _imports(path) - {room}:
                edges[room].add((other, str(path.relative_to(ROOT))))
    return edges


def test_every_room_is_a_package_the_layers_know():
    rooms = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench", "stacks", "scripts"}
    assert rooms <= set(LAYERS), f"rooms without a layer: {sorted(rooms - set(LAYERS))}"


def test_no_room_imports_a_room_above_it():
    upward = sorted(f"{where} ({room}) imports {other}" for room, found in _edges().items()
                    for other, where in found if LAYERS[other] > LAYERS[room])
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_the_rooms_import_each_other_without_a_cycle():
    graph = {room: {other for other, _ in found} for room, found in _edges().items()}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"rooms import each other round a loop: {' -> '.join(exc.args[1])}") from None
