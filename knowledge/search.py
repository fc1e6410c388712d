"""Finding the service item a citizen means: exact names and aliases first, BM25 next.

Each hit carries a confidence in [0, 1] that callers compare with the thresholds below: a
name or alias found verbatim in the question is near certain; otherwise the BM25 ranking
and (when enabled) the dense-embedding ranking are fused by reciprocal rank, and a candidate
is as confident as the stronger of its two signals allows, never above TEXT_CONFIDENCE_CAP.

The reader works from the index alone (names in memory, item sources fetched on demand),
and notices within `REFRESH_SECONDS` when another process has changed the index.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from knowledge.chinese import to_simplified
from knowledge.dense import Embedder, item_passage
from knowledge.homophones import SoundSpeller
from knowledge.index.base import SearchBackend, StoredVectors
from knowledge.schema import FaqEntry, ServiceItem, ServicePlace
from knowledge.segment import Segmenter

NAME_CONFIDENCE = 0.97
ALIAS_CONFIDENCE = 0.93
TEXT_CONFIDENCE_CAP = 0.75
ANSWER_THRESHOLD = 0.8  # answer directly
CLARIFY_THRESHOLD = 0.3  # offer the top candidates; below this, offer a person
_BM25_HALF = 60.0  # tantivy BM25 score (title boost 4) that maps to half the text-match cap
_COSINE_FLOOR = 0.84  # e5 cosine at or below which a dense match says nothing
_COSINE_SPAN = 0.08  # cosine above the floor that reaches the cap
_RRF_K = 60
_CANDIDATES = 10
# A FAQ question is a paraphrase of the citizen's when their e5 cosine is high: on the
# authored FAQs, true paraphrases scored 0.94–0.96 and near misses 0.88–0.91.
_FAQ_COSINE_FLOOR = 0.88
_FAQ_COSINE_SPAN = 0.08
_FAQ_CANDIDATES = 5
FAQ_ANSWER_THRESHOLD = 0.6
_MAX_ALIAS_CHARS = 24
REFRESH_SECONDS = 2.0

MatchKind = Literal["name", "alias", "text"]


@dataclass(frozen=True)
class Hit:
    """One candidate item. `score` is the matched name length for name/alias hits and the BM25
    score for text hits; `bm25` and `cosine` are the raw signals (0 when absent), kept so that
    a caller can calibrate its own confidence from them."""

    item: ServiceItem
    confidence: float
    matched_by: MatchKind
    score: float = 0.0
    bm25: float = 0.0
    cosine: float = 0.0
    # The item's own wording, normalised: its names on the first line, then its passage (names,
    # aliases, situations, FAQ questions).
    about: str = ""

    @property
    def names_text(self) -> str:
        """The item's names and aliases, normalised (the first line of `about`)."""
        return self.about.split("\n", 1)[0]


@dataclass(frozen=True)
class FaqHit:
    faq: FaqEntry
    confidence: float
    score: float


def text_confidence(score: float) -> float:
    return round(TEXT_CONFIDENCE_CAP * score / (score + _BM25_HALF), 3) if score > 0 else 0.0


def faq_confidence(cosine: float) -> float:
    return round(min(max((cosine - _FAQ_COSINE_FLOOR) / _FAQ_COSINE_SPAN, 0.0), 1.0), 3)


def dense_confidence(cosine: float) -> float:
    share = min(max((cosine - _COSINE_FLOOR) / _COSINE_SPAN, 0.0), 1.0)
    return round(TEXT_CONFIDENCE_CAP * share, 3)


class KnowledgeBase:
    """Read side of the knowledge base over one search backend."""

    def __init__(
        self, backend: SearchBackend, segmenter: Segmenter, embedder: Embedder | None = None
    ) -> None:
        self._backend = backend
        self._segmenter = segmenter
        self._embedder = embedder
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._load()

    def _load(self) -> None:
        # Several items may share a name (an imported catalog lists one matter per department or
        # window); each keeps it. An official name outranks another item's identical alias.
        names: dict[str, dict[str, Literal["name", "alias"]]] = {}
        spellings: set[str] = set()
        for item_id, item_names in self._backend.all_names():
            for name in item_names:
                spellings.add(to_simplified(name))
                spellings.update(self._segmenter.spelling_words(name))
            for position, name in enumerate(item_names):
                owners = names.setdefault(self._segmenter.normalise(name), {})
                if owners.get(item_id) != "name":
                    owners[item_id] = "name" if position == 0 else "alias"
        self._names = {
            name: owners
            if "name" not in owners.values()
            else {i: k for i, k in owners.items() if k == "name"}
            for name, owners in names.items()
        }
        self._names_text = "；".join(self._names)
        self._speller = SoundSpeller(spellings, self._segmenter.is_word, self._segmenter.cut)
        self.places = {s["id"]: ServicePlace.model_validate(s) for s in self._backend.sources("place")}
        self._items: dict[str, ServiceItem] = {}
        self._abouts: dict[str, str] = {}
        self._wording: str | None = None
        self._item_count = self._backend.count("item")
        self._vectors: StoredVectors | None = None
        if self._embedder is not None:
            self._vectors = self._backend.vectors()
        self._vector_ids = self._vectors.ids if self._vectors is not None else []
        self._vector_positions = {item_id: n for n, item_id in enumerate(self._vector_ids)}
        self._fingerprint = self._backend.fingerprint()

    def refresh(self, force: bool = False) -> None:
        """Reload when the index changed under us (checked at most every REFRESH_SECONDS,
        or now when `force`, e.g. right after this process changed it)."""
        now = time.monotonic()
        if not force and now - self._checked_at < REFRESH_SECONDS:
            return
        with self._lock:
            self._checked_at = now
            if self._backend.fingerprint() != self._fingerprint:
                self._load()

    @property
    def fingerprint(self) -> str | None:
        return self._fingerprint

    def respell(self, text: str) -> str:
        """The message with same-sounding mistypes of the guide's own words put right
        (身份正 → 身份证; `knowledge.homophones`)."""
        self.refresh()
        return self._speller.respell(to_simplified(text))

    def normalise(self, text: str) -> str:
        """The text as names are compared: simplified, lower case, synonyms applied."""
        return self._segmenter.normalise(text)

    def item_count(self) -> int:
        return self._item_count

    def item(self, item_id: str) -> ServiceItem | None:
        cached = self._items.get(item_id)
        if cached is None:
            source = self._backend.source(item_id)
            if source is None:
                return None
            cached = self._items[item_id] = ServiceItem.model_validate(source)
        return cached

    def places_of(self, item: ServiceItem) -> list[ServicePlace]:
        return [self.places[p] for p in item.places if p in self.places]

    def resolve_place(self, reference: str) -> ServicePlace | None:
        """A place from its id, name or alias (as the `place` entity carries it)."""
        self.refresh()
        if reference in self.places:
            return self.places[reference]
        for place in self.places.values():
            if reference == place.name or reference in place.aliases:
                return place
        return None

    def match_names(self, text: str) -> list[Hit]:
        """Items whose name or alias appears verbatim in the text, longest match first."""
        self.refresh()
        normalised = self._segmenter.normalise(text)
        found: dict[str, tuple[int, Literal["name", "alias"]]] = {}
        for start in range(len(normalised)):
            for end in range(start + 2, min(len(normalised), start + _MAX_ALIAS_CHARS) + 1):
                for item_id, kind in self._names.get(normalised[start:end], {}).items():
                    length = end - start
                    if (length, kind == "name") > (found.get(item_id, (0, kind))[0], False):
                        found[item_id] = (length, kind)
        hits = []
        # Longest match first; at equal length an official name before an alias.
        ranked = sorted(found.items(), key=lambda kv: (kv[1][0], kv[1][1] == "name"), reverse=True)
        for item_id, (length, kind) in ranked:
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

    def _similarities(self, query: str) -> npt.NDArray[np.float32] | None:
        """Per item (in `_vector_ids` order), the dense similarity (`StoredVectors.similarities`)."""
        vectors = self._vectors
        if self._embedder is None or vectors is None or not len(vectors.ids):
            return None
        return vectors.similarities(self._embedder.query(query))

    def _dense_ranking(self, query: str) -> list[tuple[str, float]]:
        similarities = self._similarities(query)
        if similarities is None:
            return []
        top = np.argsort(-similarities)[:_CANDIDATES]
        return [(self._vector_ids[i], float(similarities[i])) for i in top]

    def search(self, query: str, k: int = 3) -> list[Hit]:
        hits = self.match_names(query)
        if len(hits) >= k:
            return [replace(hit, about=self.about(hit.item)) for hit in hits[:k]]
        lexical = self._backend.search(self._segmenter.terms(query), _CANDIDATES)
        dense = self._dense_ranking(query)
        fused: dict[str, float] = {}
        confidence: dict[str, float] = {}
        scores: dict[str, float] = {}
        cosines: dict[str, float] = {}
        for rank, backend_hit in enumerate(lexical):
            fused[backend_hit.doc_id] = 1 / (_RRF_K + rank)
            confidence[backend_hit.doc_id] = text_confidence(backend_hit.score)
            scores[backend_hit.doc_id] = backend_hit.score
        for rank, (item_id, cosine) in enumerate(dense):
            fused[item_id] = fused.get(item_id, 0.0) + 1 / (_RRF_K + rank)
            confidence[item_id] = max(confidence.get(item_id, 0.0), dense_confidence(cosine))
            cosines[item_id] = cosine
        named = {hit.item.id: hit for hit in hits}
        hits = [
            Hit(
                h.item,
                h.confidence,
                h.matched_by,
                h.score,
                scores.get(h.item.id, 0.0),
                cosines.get(h.item.id, 0.0),
            )
            for h in hits
        ]
        for item_id in sorted(fused, key=lambda i: fused[i], reverse=True):
            item = None if item_id in named else self.item(item_id)
            if item is not None:
                hits.append(
                    Hit(
                        item,
                        confidence[item_id],
                        "text",
                        scores.get(item_id, 0.0),
                        scores.get(item_id, 0.0),
                        cosines.get(item_id, 0.0),
                    )
                )
                named[item_id] = hits[-1]
            if len(hits) >= k:
                break
        return [replace(hit, about=self.about(hit.item)) for hit in hits[:k]]

    def about(self, item: ServiceItem) -> str:
        """The item's own wording, normalised: names and aliases, then its passage."""
        about = self._abouts.get(item.id)
        if about is None:
            names = "；".join(item.names)
            about = self._segmenter.normalise(f"{names}\n{item_passage(item)}")
            self._abouts[item.id] = about
        return about

    def in_some_wording(self, term: str) -> bool:
        """The (normalised) term is written anywhere in the guide: some item's names, aliases,
        situations, passage or FAQ."""
        if self._wording is None:
            items = (self.item(item_id) for item_id, _ in self._backend.all_names())
            self._wording = "\n".join(self.about(item) for item in items if item is not None)
        return term in self._wording

    def is_common_noun(self, term: str) -> bool:
        return self._segmenter.is_common_noun(term)

    def is_verb(self, term: str) -> bool:
        return self._segmenter.is_verb(term)

    def in_some_name(self, term: str) -> bool:
        """The (normalised) term is written in some item's name or alias: a word citizens and
        the guide use to name matters (注销, 招聘会), not a detail of one (班主任, 手机)."""
        return term in self._names_text

    def items_named_with(self, term: str) -> set[str]:
        """The ids of the items one of whose names or aliases holds the (normalised) term: one
        for a word that names a single matter (年报), many for a general one (退休, 补贴)."""
        self.refresh()
        return {item_id for name, owners in self._names.items() if term in name for item_id in owners}

    def terms(self, text: str) -> list[str]:
        """Search terms of a text, as the index segments them."""
        return self._segmenter.terms(text)

    def cosine_to(self, query: str, item_ids: Sequence[str]) -> dict[str, float]:
        """The e5 cosine between a question and given items (0 without the dense signal)."""
        similarities = self._similarities(query) if item_ids else None
        if similarities is None:
            return {}
        positions = self._vector_positions
        return {i: float(similarities[positions[i]]) for i in item_ids if i in positions}

    def search_faqs(self, query: str, k: int = 3) -> list[FaqHit]:
        """FAQ pairs for a question: BM25 candidates, reranked by how close each FAQ question
        is in meaning to the citizen's (when the dense signal is on)."""
        self.refresh()
        hits = []
        candidates = self._backend.search(
            self._segmenter.terms(query), max(k, _FAQ_CANDIDATES), kinds=("faq",)
        )
        for backend_hit in candidates:
            source = self._backend.source(backend_hit.doc_id)
            if source is not None:
                faq = FaqEntry.model_validate(source)
                hits.append(FaqHit(faq, text_confidence(backend_hit.score), backend_hit.score))
        if self._embedder is not None and hits:
            cosines = self._embedder.passages([hit.faq.q for hit in hits]) @ self._embedder.query(query)
            hits = [
                FaqHit(hit.faq, faq_confidence(float(cosine)), hit.score)
                for hit, cosine in sorted(zip(hits, cosines, strict=True), key=lambda pair: -float(pair[1]))
            ]
        return hits[:k]
