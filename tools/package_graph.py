"""The packages of `bot`, `knowledge` and `connectors`, their layers, and the imports between
them: the one definition tests/unit/test_import_layers.py checks, and the diagram
docs/package-layers.md shows.

    .venv/bin/python -m tools.package_graph [CHECKOUT]

prints the package-level import graph of CHECKOUT (default: this one) as a Mermaid
`graph TD`, one subgraph per layer, bottom (core) to top (entry points). An import that points
to a layer above its own, or that closes a cycle between packages, is drawn red and dashed.
The source is read with `ast`, nothing is imported, so an old commit checked out elsewhere
(`git worktree add /tmp/old-tree <commit>`) is drawn with today's layers.

Granularity: a *package* is one of the names in `LAYERS`; a module belongs to the longest
name that is it or one of its parents. So

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

The test fails on a module that belongs to no declared package. The diagram of an older tree
draws such a module's package by its first-level name (`bot.<name>`, `knowledge`,
`connectors`), outside the layers.

Imports inside functions count like any other (a lazy import still ties the packages
together); so do imports under `if TYPE_CHECKING:`.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = ("bot", "knowledge", "connectors")

# Bottom to top. A package may import packages of its own layer (never in a cycle) and of
# the layers below.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        # Imports nothing above it, and no NLP or numeric library (the test checks it).
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
                "bot.startup_gc",
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

Edge = tuple[str, str, str]  # (from package, to package, "module:line imports target")


def module_name(path: Path, root: Path = REPO_ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules(root: Path = REPO_ROOT) -> dict[str, Path]:
    return {
        module_name(path, root): path
        for top in SOURCE_ROOTS
        for path in sorted((root / top).rglob("*.py"))
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
    """The declared package `module` belongs to (None: none, which the test refuses)."""
    candidates = [
        name for name in LEVEL if module == name or (name not in EXACT_ONLY and module.startswith(f"{name}."))
    ]
    return max(candidates, key=len, default=None)


def drawn_package(module: str) -> str:
    """The declared package, else (in an older tree) the first-level name: `bot.<name>`,
    `knowledge` or `connectors`."""
    declared = package_of(module)
    if declared is not None:
        return declared
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "bot" else parts[0]


def scan(root: Path, group: Callable[[str], str | None]) -> tuple[list[Edge], list[str]]:
    """Every import that crosses from one package to another, and the modules (or imported
    names) `group` puts in no package."""
    modules = source_modules(root)
    edges: list[Edge] = []
    ungrouped: list[str] = []
    for module, path in modules.items():
        source = group(module)
        if source is None:
            ungrouped.append(module)
            continue
        for line, target in imported_names(module, path, modules):
            if target.split(".")[0] not in SOURCE_ROOTS:
                continue
            destination = group(target)
            if destination is None:
                ungrouped.append(target)
            elif destination != source:
                edges.append((source, destination, f"{module}:{line} imports {target}"))
    return sorted(set(edges)), sorted(set(ungrouped))


@cache
def package_edges(root: Path = REPO_ROOT) -> tuple[list[Edge], list[str]]:
    """The edges between declared packages, and the modules (or imported names) that belong
    to no declared package."""
    return scan(root, package_of)


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


def wrong_way(edges: list[Edge]) -> set[tuple[str, str]]:
    """The package pairs whose imports break a rule: to a layer above, or within a cycle."""
    upward = {(a, b) for a, b, _ in edges if a in LEVEL and b in LEVEL and LEVEL[b] > LEVEL[a]}
    component = {package: i for i, members in enumerate(cycles(edges)) for package in members}
    cyclic = {(a, b) for a, b, _ in edges if a in component and component[a] == component.get(b)}
    return upward | cyclic


def node_id(package: str) -> str:
    return package.replace(".", "_")


def mermaid(root: Path = REPO_ROOT) -> str:
    """The graph of `root` as a Mermaid `graph TD`."""
    edges, _ = scan(root, drawn_package)
    packages = {drawn_package(module) for module in source_modules(root)}
    pairs = sorted({(a, b) for a, b, _ in edges})
    bad = wrong_way(edges)
    lines = [
        "graph TD",
        f"  %% tools/package_graph.py: {len(packages)} packages, {len(pairs)} import edges, "
        f"{len(bad)} against the layers",
    ]
    for level in reversed(range(len(LAYERS))):
        title, declared = LAYERS[level]
        present = sorted(declared & packages)
        if not present:
            continue
        lines.append(f'  subgraph layer{level}["{level}. {title}"]')
        lines += [f'    {node_id(p)}["{p}"]' for p in present]
        lines.append("  end")
    undeclared = sorted(packages - set(LEVEL))
    if undeclared:
        lines.append('  subgraph undeclared["in no layer of today\'s LAYERS"]')
        lines += [f'    {node_id(p)}["{p}"]' for p in undeclared]
        lines.append("  end")
    red: list[str] = []
    for number, (a, b) in enumerate(pairs):
        if (a, b) in bad:
            lines.append(f"  {node_id(a)} -.-> {node_id(b)}")
            red.append(str(number))
        else:
            lines.append(f"  {node_id(a)} --> {node_id(b)}")
    if red:
        lines.append(f"  linkStyle {','.join(red)} stroke:#c00,stroke-width:2px")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print("用法：python -m tools.package_graph [检出目录]", file=sys.stderr)
        return 2
    root = Path(argv[0]).resolve() if argv else REPO_ROOT
    if not (root / "bot").is_dir():
        print(f"{root} 中没有 bot/", file=sys.stderr)
        return 2
    sys.stdout.write(mermaid(root))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
