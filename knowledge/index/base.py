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
    # One query-side vector per phrase citizens use for the item (name, aliases, situations,
    # FAQ questions), rows of DIM; items only, when enabled.
    phrase_vectors: npt.NDArray[np.float32] | None = None


@dataclass(frozen=True)
class StoredVectors:
    """Every item's dense vectors: its passage vector (one row per item, `ids`) and its
    phrase vectors (`phrase_owner[n]` is the row in `ids` that phrase row n belongs to; an
    item's phrase rows are consecutive)."""

    ids: list[str]
    passages: npt.NDArray[np.float32]
    phrases: npt.NDArray[np.float32]
    phrase_owner: npt.NDArray[np.int64]

    def similarities(self, query: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Per item (in `ids` order): the mean of the cosine to its whole passage and to its
        closest phrase (the passage stands in for an item without phrases). The passage alone
        blurs an item with many situations; the closest phrase alone over-rewards one shared
        word. Together, on the dev questions and the retrieval questions, the right item came
        first 3–5 points more often than with the passage alone."""
        passages = self.passages @ query
        closest = passages.copy()
        starts = np.flatnonzero(np.diff(self.phrase_owner, prepend=-1))  # each item's first row
        if len(starts):
            closest[self.phrase_owner[starts]] = np.maximum.reduceat(self.phrases @ query, starts)
        return ((passages + closest) / 2).astype(np.float32)

    @classmethod
    def collect(
        cls, rows: Iterable[tuple[str, npt.NDArray[np.float32], npt.NDArray[np.float32]]]
    ) -> StoredVectors:
        """From (item id, passage vector, phrase matrix) triples."""
        ids: list[str] = []
        passages, phrases, owners = [], [], []
        for item_id, passage, item_phrases in rows:
            owners += [len(ids)] * len(item_phrases)
            ids.append(item_id)
            passages.append(passage)
            if len(item_phrases):
                phrases.append(item_phrases)
        dim = len(passages[0]) if passages else 0
        return cls(
            ids,
            np.stack(passages) if passages else np.empty((0, dim), dtype=np.float32),
            np.concatenate(phrases) if phrases else np.empty((0, dim), dtype=np.float32),
            np.asarray(owners, dtype=np.int64),
        )


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

    def vectors(self) -> StoredVectors:
        """The dense vectors of every item that has them."""
        ...

    def count(self, kind: DocKind | None = None) -> int: ...

    def close(self) -> None: ...
