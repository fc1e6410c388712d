"""The interface every search backend implements (embedded SQLite FTS5, Elasticsearch).

Backends see already-segmented terms, so segmentation and synonyms stay in one place
(`knowledge.segment`) whatever engine sits behind this interface. Each backend also keeps
the source JSON of its documents (like Elasticsearch's `_source`), so the action server can
answer from the index alone, and a fingerprint saying which revision of the store it holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

DocKind = Literal["item", "place", "faq"]


@dataclass(frozen=True)
class IndexedDoc:
    """A document as stored in an index: weighted term fields plus the source JSON."""

    doc_id: str
    kind: DocKind
    names: Sequence[str]  # exact names/aliases (items only), for name matching
    title_terms: Sequence[str]
    body_terms: Sequence[str]
    source: dict[str, Any]
    text: str = ""  # the raw text, for engines that add their own CJK analysis
    vector: npt.NDArray[np.float32] | None = None  # dense embedding (items only, when enabled)


@dataclass(frozen=True)
class BackendHit:
    doc_id: str
    kind: DocKind
    score: float  # higher is better; scale is backend specific


class SearchBackend(Protocol):
    def rebuild(self, docs: Iterable[IndexedDoc], fingerprint: str) -> int:
        """Replace the whole index atomically; returns the number of documents."""
        ...

    def upsert(self, docs: Sequence[IndexedDoc], fingerprint: str) -> None: ...

    def delete(self, doc_ids: Sequence[str], fingerprint: str) -> None: ...

    def fingerprint(self) -> str | None:
        """The fingerprint given to the last write, or None when there is no index."""
        ...

    def search(
        self, terms: Sequence[str], k: int, kinds: Sequence[DocKind] = ("item",)
    ) -> list[BackendHit]: ...

    def source(self, doc_id: str) -> dict[str, Any] | None: ...

    def sources(self, kind: DocKind) -> list[dict[str, Any]]:
        """Every stored source of a kind; for the small kinds (places)."""
        ...

    def all_names(self) -> Iterable[tuple[str, Sequence[str]]]:
        """(item id, names and aliases) for every item, to build the name matcher."""
        ...

    def vectors(self) -> tuple[list[str], npt.NDArray[np.float32]]:
        """Item ids and their dense vectors (one row each), for items that have one."""
        ...

    def count(self, kind: DocKind | None = None) -> int: ...

    def close(self) -> None: ...
