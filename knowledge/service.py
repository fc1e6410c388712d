"""Opening the knowledge base for a running process (gateway, action server, CLI)."""

from __future__ import annotations

from pathlib import Path

from knowledge.index.embedded import EmbeddedIndex
from knowledge.indexing import KnowledgePaths, ensure_index
from knowledge.search import KnowledgeBase
from knowledge.segment import quiet_jieba


def open_knowledge_base(paths: KnowledgePaths, index_path: Path) -> KnowledgeBase:
    """Load the knowledge base from the index, building the index first when it is stale."""
    quiet_jieba()
    backend = EmbeddedIndex(index_path)
    ensure_index(paths, backend)
    return KnowledgeBase(backend, paths.segmenter())
