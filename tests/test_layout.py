"""The package layout shows the pipeline: stages are folders, and imports only go down.

Reads every module's imports (top-level and inside functions) with `ast`, so a cycle that
hides in a function body or behind TYPE_CHECKING is still caught.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "monitor"

# Lowest first. A module may import its own layer and the layers before it, never after.
LAYERS = [
    {"models", "durations", "logs", "config", "systemd"},  # shared pieces
    {"topic"},  # pure text logic; the store indexes text with its normalisation
    {"store"},
    {"fetch"},
    {"parse"},
    {"alert"},
    {"story"},
    {"pipeline"},
    {"desk"},  # triage, search, backtests, the web view, metrics: read what the pipeline stored
    {"daemon"},
    {"demo"},
    {"cli", "__main__"},
]
STAGES = ["fetch", "parse", "topic", "story", "alert", "store", "cli"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("monitor"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("monitor"):
            found.add(node.module)
            # `from monitor.story import grouping` imports the module monitor.story.grouping
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {dep for dep in _imports(path) if dep in modules and dep != name}
            for name, path in modules.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None  # the package itself: only __version__
    for index, layer in enumerate(LAYERS):
        if parts[1] in layer:
            return index
    raise AssertionError(f"{module} belongs to no layer of tests/test_layout.py")


def test_at_most_ten_modules_at_the_top_and_every_stage_is_a_folder():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 10, top
    for stage in STAGES:
        assert (PACKAGE / stage / "__init__.py").is_file(), stage


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    # Tarjan's strongly connected components: any component of two or more is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in graph[node]:
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_module_imports_one_that_imports_it_back():
    assert _cycles(_graph()) == []


def test_a_stage_imports_only_stages_below_it():
    wrong = []
    for module, deps in _graph().items():
        mine = _layer(module)
        for dep in deps:
            theirs = _layer(dep)
            if mine is not None and theirs is not None and theirs > mine:
                wrong.append(f"{module} -> {dep}")
    assert wrong == []


def test_the_layout_check_sees_a_cycle(tmp_path, monkeypatch):
    """The checker itself: two modules importing each other are reported."""
    pkg = tmp_path / "monitor"
    (pkg / "alert").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "alert" / "__init__.py").write_text("")
    (pkg / "alert" / "a.py").write_text("from monitor.alert.b import x\n")
    (pkg / "alert" / "b.py").write_text("def f():\n    from monitor.alert import a\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", pkg)
    assert _cycles(_graph()) == [["monitor.alert.a", "monitor.alert.b"]]
