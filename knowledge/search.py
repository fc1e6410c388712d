"""Finding the service item a citizen means: exact names and aliases first, BM25 next.

Each hit carries a confidence in [0, 1] that callers compare with thresholds: a name or alias
found verbatim in the question is near certain; a BM25 match is only a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from knowledge.index.base import SearchBackend
from knowledge.schema import ServiceItem, ServicePlace
from knowledge.segment import Segmenter

NAME_CONFIDENCE = 0.97
ALIAS_CONFIDENCE = 0.93
TEXT_CONFIDENCE_CAP = 0.75
_BM25_HALF = 6.0  # BM25 score that maps to half the text-match cap
_MAX_ALIAS_CHARS = 24


@dataclass(frozen=True)
class Hit:
    item: ServiceItem
    confidence: float
    matched_by: Literal["name", "alias", "text"]
    score: float = 0.0


class KnowledgeBase:
    """Read side of the knowledge base, loaded from a search backend's stored sources."""

    def __init__(self, backend: SearchBackend, segmenter: Segmenter) -> None:
        self._backend = backend
        self._segmenter = segmenter
        self.items = {s["id"]: ServiceItem.model_validate(s) for s in backend.sources("item")}
        self.places = {s["id"]: ServicePlace.model_validate(s) for s in backend.sources("place")}
        self._names: dict[str, tuple[str, Literal["name", "alias"]]] = {}
        for item in self.items.values():
            for name in item.names:
                kind: Literal["name", "alias"] = "name" if name == item.name else "alias"
                self._names.setdefault(segmenter.normalise(name), (item.id, kind))

    def item(self, item_id: str) -> ServiceItem | None:
        return self.items.get(item_id)

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
        ranked = sorted(found.items(), key=lambda kv: kv[1][0], reverse=True)
        return [
            Hit(
                self.items[item_id],
                NAME_CONFIDENCE if kind == "name" else ALIAS_CONFIDENCE,
                kind,
                float(length),
            )
            for item_id, (length, kind) in ranked
        ]

    def resolve(self, reference: str) -> ServiceItem | None:
        """An item from an id or a name/alias (as an entity or slot value carries it)."""
        if reference in self.items:
            return self.items[reference]
        hits = self.match_names(reference)
        return hits[0].item if hits else None

    def search(self, query: str, k: int = 3) -> list[Hit]:
        hits = self.match_names(query)
        seen = {hit.item.id for hit in hits}
        for backend_hit in self._backend.search(self._segmenter.terms(query), k + len(seen)):
            item = self.items.get(backend_hit.doc_id)
            if item is None or item.id in seen:
                continue
            confidence = TEXT_CONFIDENCE_CAP * backend_hit.score / (backend_hit.score + _BM25_HALF)
            hits.append(Hit(item, round(confidence, 3), "text", backend_hit.score))
            seen.add(item.id)
        return hits[:k]
