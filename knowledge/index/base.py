"""The interface every search backend implements (embedded SQLite FTS5 now, Elasticsearch later).

Backends see already-segmented terms, so segmentation and synonyms stay in one place
(`knowledge.segment`) whatever engine sits behind this interface.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class IndexedDoc:
    """A document as stored in an index: weighted term fields plus the source JSON."""

    doc_id: str
    kind: str
    title_terms: Sequence[str]
    body_terms: Sequence[str]
    source: dict[str, Any]


@dataclass(frozen=True)
class BackendHit:
    doc_id: str
    score: float  # higher is better; scale is backend specific


class SearchBackend(Protocol):
    def rebuild(self, docs: Iterable[IndexedDoc], fingerprint: str) -> int:
        """Replace the whole index atomically; returns the number of documents."""
        ...

    def fingerprint(self) -> str | None:
        """The fingerprint given to the last rebuild, or None when there is no index."""
        ...

    def search(self, terms: Sequence[str], k: int) -> list[BackendHit]: ...

    def sources(self, kind: str) -> list[dict[str, Any]]:
        """Every stored source document of a kind (items, places)."""
        ...

    def count(self) -> int: ...

    def close(self) -> None: ...
