"""Finding the service item a citizen means: exact names and aliases first, BM25 next.

Each hit carries a confidence in [0, 1] that callers compare with the thresholds below: a
name or alias found verbatim in the question is near certain; a BM25 match is a candidate
whose confidence grows with its score and its lead over the runner-up.

The reader works from the index alone (names in memory, item sources fetched on demand),
and notices within `REFRESH_SECONDS` when another process has changed the index.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Literal

from knowledge.index.base import SearchBackend
from knowledge.schema import FaqEntry, ServiceItem, ServicePlace
from knowledge.segment import Segmenter

NAME_CONFIDENCE = 0.97
ALIAS_CONFIDENCE = 0.93
TEXT_CONFIDENCE_CAP = 0.75
ANSWER_THRESHOLD = 0.8  # answer directly
CLARIFY_THRESHOLD = 0.3  # offer the top candidates; below this, offer a person
_BM25_HALF = 6.0  # BM25 score that maps to half the text-match cap
_MAX_ALIAS_CHARS = 24
REFRESH_SECONDS = 2.0

MatchKind = Literal["name", "alias", "text"]


@dataclass(frozen=True)
class Hit:
    item: ServiceItem
    confidence: float
    matched_by: MatchKind
    score: float = 0.0


@dataclass(frozen=True)
class FaqHit:
    faq: FaqEntry
    confidence: float
    score: float


def text_confidence(score: float) -> float:
    return round(TEXT_CONFIDENCE_CAP * score / (score + _BM25_HALF), 3) if score > 0 else 0.0


class KnowledgeBase:
    """Read side of the knowledge base over one search backend."""

    def __init__(self, backend: SearchBackend, segmenter: Segmenter) -> None:
        self._backend = backend
        self._segmenter = segmenter
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._load()

    def _load(self) -> None:
        names: dict[str, tuple[str, Literal["name", "alias"]]] = {}
        for item_id, item_names in self._backend.all_names():
            for position, name in enumerate(item_names):
                names.setdefault(
                    self._segmenter.normalise(name), (item_id, "name" if position == 0 else "alias")
                )
        self._names = names
        self.places = {s["id"]: ServicePlace.model_validate(s) for s in self._backend.sources("place")}
        self._items: dict[str, ServiceItem] = {}
        self._item_count = self._backend.count("item")
        self._fingerprint = self._backend.fingerprint()

    def refresh(self) -> None:
        """Reload when the index changed under us (checked at most every REFRESH_SECONDS)."""
        now = time.monotonic()
        if now - self._checked_at < REFRESH_SECONDS:
            return
        with self._lock:
            self._checked_at = now
            if self._backend.fingerprint() != self._fingerprint:
                self._load()

    @property
    def fingerprint(self) -> str | None:
        return self._fingerprint

    def item_count(self) -> int:
        return self._item_count

    def item(self, item_id: str) -> ServiceItem | None:
        cached = self._items.get(item_id)
        if cached is None:
            source = self._backend.source(item_id)
            if source is None or "/" in item_id:
                return None
            cached = self._items[item_id] = ServiceItem.model_validate(source)
        return cached

    def places_of(self, item: ServiceItem) -> list[ServicePlace]:
        return [self.places[p] for p in item.places if p in self.places]

    def match_names(self, text: str) -> list[Hit]:
        """Items whose name or alias appears verbatim in the text, longest match first."""
        normalised = self._segmenter.normalise(text)
        found: dict[str, tuple[int, Literal["name", "alias"]]] = {}
        for start in range(len(normalised)):
            for end in range(start + 2, min(len(normalised), start + _MAX_ALIAS_CHARS) + 1):
                entry = self._names.get(normalised[start:end])
                if entry is not None:
                    item_id, kind = entry
                    length = end - start
                    if length > found.get(item_id, (0, kind))[0]:
                        found[item_id] = (length, kind)
        hits = []
        for item_id, (length, kind) in sorted(found.items(), key=lambda kv: kv[1][0], reverse=True):
            item = self.item(item_id)
            if item is not None:
                confidence = NAME_CONFIDENCE if kind == "name" else ALIAS_CONFIDENCE
                hits.append(Hit(item, confidence, kind, float(length)))
        return hits

    def resolve(self, reference: str) -> ServiceItem | None:
        """An item from an id or a name/alias (as an entity or slot value carries it)."""
        item = self.item(reference) if "." in reference else None
        if item is not None:
            return item
        hits = self.match_names(reference)
        return hits[0].item if hits else None

    def search(self, query: str, k: int = 3) -> list[Hit]:
        self.refresh()
        hits = self.match_names(query)
        seen = {hit.item.id for hit in hits}
        for backend_hit in self._backend.search(self._segmenter.terms(query), k + len(seen)):
            if backend_hit.doc_id in seen:
                continue
            item = self.item(backend_hit.doc_id)
            if item is None:
                continue
            hits.append(Hit(item, text_confidence(backend_hit.score), "text", backend_hit.score))
            seen.add(item.id)
        return hits[:k]

    def search_faqs(self, query: str, k: int = 3) -> list[FaqHit]:
        self.refresh()
        hits = []
        for backend_hit in self._backend.search(self._segmenter.terms(query), k, kinds=("faq",)):
            source = self._backend.source(backend_hit.doc_id)
            if source is not None:
                faq = FaqEntry.model_validate(source)
                hits.append(FaqHit(faq, text_confidence(backend_hit.score), backend_hit.score))
        return hits
