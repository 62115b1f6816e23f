"""The house: folders by stage, imports that only run down the pipeline, no circle, small modules.

Read from the code with ``ast`` (nothing is imported): every ``import`` and ``from ... import`` of
ours, wherever it stands (top level, inside a function, under ``TYPE_CHECKING``), is an edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("rag_app", "loaders", "prompts")
MAX_LINES = 400
MAX_TOP_LEVEL_MODULES = 6

# Each room of the house, lowest first: a room may import rooms below it and itself, never above.
# The faces (ui, api, cli) stand above the service; sharing wires people to the service.
FLOORS: list[tuple[str, ...]] = [
    ("prompts", "loaders", "rag_app.settings", "rag_app.text"),
    ("rag_app.embeddings", "rag_app.store"),
    ("rag_app.pages", "rag_app.ingest", "rag_app.retrieval"),
    ("rag_app.answer",),
    ("rag_app.conversation",),
    ("rag_app.faces",),
    ("rag_app.service",),
    ("rag_app.sharing",),
    ("rag_app.ui", "rag_app.api"),
    ("rag_app.cli",),
    ("rag_app",),  # the package face: lazy names only
]
# Rooms on one floor that one of them may still use (an edge along the floor, never both ways).
ALONG_THE_FLOOR = {("rag_app.ingest", "rag_app.pages")}
FACES = {"rag_app.ui", "rag_app.api"}
FACES_MAY_USE = {"rag_app.service", "rag_app.settings"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules() -> dict[str, Path]:
    return {
        module_name(p): p
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if "__pycache__" not in p.parts
    }


def imports_of(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """Our modules ``path`` imports (``from pkg import sub`` counts as importing ``pkg.sub``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known}
    return {m for m in found if m in known and m != name}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = our_modules()
    return {name: imports_of(path, name, known) for name, path in known.items()}


def room_of(module: str) -> str:
    rooms = sorted((r for floor in FLOORS for r in floor), key=len, reverse=True)
    return next(r for r in rooms if module == r or module.startswith(r + "."))


def floor_of(room: str) -> int:
    return next(i for i, floor in enumerate(FLOORS) if room in floor)


def test_no_import_circle(graph):
    """Tarjan's strongly connected components: any with more than one module is a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert circles == []


def test_imports_run_down_the_pipeline(graph):
    upward = []
    for module, targets in graph.items():
        here = room_of(module)
        for target in targets:
            there = room_of(target)
            if there == here or there == "rag_app":
                continue
            if floor_of(there) > floor_of(here) or (
                floor_of(there) == floor_of(here) and (here, there) not in ALONG_THE_FLOOR
            ):
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_faces_reach_the_core_only_through_the_service(graph):
    reached = {
        f"{module} -> {target}"
        for module, targets in graph.items()
        if room_of(module) in FACES
        for target in targets
        if room_of(target) != room_of(module) and not any(target.startswith(m) for m in FACES_MAY_USE)
    }
    assert reached == set()


def test_gradio_only_in_the_ui():
    users = []
    for name, path in our_modules().items():
        tops = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                tops |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                tops.add(node.module.split(".")[0])
        if "gradio" in tops and room_of(name) != "rag_app.ui":
            users.append(name)
    assert users == []


def test_loaders_import_no_model_ui_or_index_library_and_nothing_of_the_app(graph):
    forbidden = {"torch", "gradio", "faiss", "transformers", "rag_app"}
    offenders = []
    for name, path in our_modules().items():
        if not name.startswith("loaders"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            offenders += [f"{name} imports {n}" for n in names if n.split(".")[0] in forbidden]
    assert offenders == []


def test_modules_are_small():
    big = {
        name: n
        for name, path in our_modules().items()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert big == {}


def test_the_top_level_holds_only_the_package_face_settings_service_and_the_faces():
    modules = sorted(p.name for p in (ROOT / "rag_app").glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules
    assert {"__init__.py", "settings.py", "service.py"} <= set(modules)
