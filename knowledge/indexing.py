"""Deriving the search index from the store of record; the index can be rebuilt any time.

The index records a fingerprint made of the store's revision and a digest of the jieba
dictionary and synonym table, so `ensure_index` rebuilds exactly when something that changes
search results has changed, and an incremental update is applied only on top of the
revision it follows (otherwise the index is rebuilt from the store).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

from bot.contracts.areas import AREA_LABELS
from knowledge.catalog import load_catalog
from knowledge.dense import Embedder, Vector, item_passage, item_phrases
from knowledge.index.base import IndexedDoc, SearchBackend
from knowledge.paths import KnowledgePaths
from knowledge.schema import FaqEntry, ServiceItem, ServicePlace
from knowledge.segment import Segmenter
from knowledge.store import KnowledgeStore

INDEX_FORMAT = "5"  # 5: a dense vector per phrase citizens use for an item
_EMBED_BATCH = 256


def index_fingerprint(revision: int, paths: KnowledgePaths) -> str:
    dense = "d1" if paths.embedding_cache else "d0"
    return f"{INDEX_FORMAT}-r{revision}-{dense}-{paths.segmentation_fingerprint()}"


def _item_body(item: ServiceItem) -> list[str]:
    parts = [AREA_LABELS[item.area], item.department, item.type, *item.situations, *item.eligibility]
    parts += [*item.steps, *item.benefits]
    parts += [m.name for m in item.materials] + [f.name for f in item.fees]
    parts += [faq.q for faq in item.faqs]
    return parts


def item_document(
    item: ServiceItem,
    segmenter: Segmenter,
    vector: Vector | None = None,
    phrase_vectors: npt.NDArray[np.float32] | None = None,
) -> IndexedDoc:
    return IndexedDoc(
        doc_id=item.id,
        kind="item",
        names=item.names,
        title_terms=[t for name in item.names for t in segmenter.terms(name)],
        body_terms=[t for part in _item_body(item) for t in segmenter.terms(part)],
        source=item.model_dump(mode="json"),
        text=" ".join([*item.names, *_item_body(item)]),
        vector=vector,
        phrase_vectors=phrase_vectors,
    )


def item_documents(
    items: Sequence[ServiceItem], segmenter: Segmenter, embedder: Embedder | None
) -> Iterator[IndexedDoc]:
    """Item documents, with dense vectors computed a batch at a time when enabled."""
    for start in range(0, len(items), _EMBED_BATCH):
        batch = items[start : start + _EMBED_BATCH]
        if embedder is None:
            yield from (item_document(item, segmenter) for item in batch)
            continue
        vectors = embedder.passages([item_passage(i) for i in batch])
        phrases = [item_phrases(i) for i in batch]
        phrase_vectors = embedder.queries([text for texts in phrases for text in texts])
        offsets = np.cumsum([0, *(len(texts) for texts in phrases)])
        for n, (item, vector) in enumerate(zip(batch, vectors, strict=True)):
            yield item_document(item, segmenter, vector, phrase_vectors[offsets[n] : offsets[n + 1]])


def place_document(place: ServicePlace) -> IndexedDoc:
    return IndexedDoc(f"place:{place.id}", "place", (), (), (), place.model_dump(mode="json"))


def faq_document(faq: FaqEntry, segmenter: Segmenter) -> IndexedDoc:
    return IndexedDoc(
        doc_id=f"faq:{faq.id}",
        kind="faq",
        names=(),
        title_terms=segmenter.terms(faq.q),
        body_terms=segmenter.terms(faq.a),
        source=faq.model_dump(mode="json"),
        text=f"{faq.q} {faq.a}",
    )


def all_documents(
    store: KnowledgeStore, segmenter: Segmenter, embedder: Embedder | None = None
) -> Iterator[IndexedDoc]:
    yield from item_documents(store.items(), segmenter, embedder)
    for place in store.places():
        yield place_document(place)
    for faq in store.faqs():
        yield faq_document(faq, segmenter)


def seed_authored(paths: KnowledgePaths, store: KnowledgeStore) -> bool:
    """Validate knowledge/data/ and load it into the store when the files changed."""
    fingerprint = paths.authored_fingerprint()
    return store.seed_authored(load_catalog(paths.data_dir), fingerprint)


def rebuild_index(paths: KnowledgePaths, store: KnowledgeStore, backend: SearchBackend) -> int:
    fingerprint = index_fingerprint(store.revision(), paths)
    return backend.rebuild(all_documents(store, paths.segmenter(), paths.embedder()), fingerprint)


def ensure_index(paths: KnowledgePaths, store: KnowledgeStore, backend: SearchBackend) -> bool:
    """Rebuild only when the store or the segmentation changed; True when it rebuilt."""
    if backend.fingerprint() == index_fingerprint(store.revision(), paths):
        return False
    rebuild_index(paths, store, backend)
    return True


def apply_item_changes(
    paths: KnowledgePaths,
    store: KnowledgeStore,
    backend: SearchBackend,
    revision: int,
    upserted: Sequence[ServiceItem] = (),
    deleted: Sequence[str] = (),
) -> None:
    """Bring the index to `revision` after a write to the store: incrementally when it holds
    the revision just before, by a full rebuild otherwise (another writer came between)."""
    if backend.fingerprint() != index_fingerprint(revision - 1, paths):
        rebuild_index(paths, store, backend)
        return
    fingerprint = index_fingerprint(revision, paths)
    segmenter = paths.segmenter()
    if upserted:
        backend.upsert(list(item_documents(upserted, segmenter, paths.embedder())), fingerprint)
    if deleted or not upserted:
        backend.delete(list(deleted), fingerprint)


def apply_faq_change(
    paths: KnowledgePaths, store: KnowledgeStore, backend: SearchBackend, revision: int, faq: FaqEntry
) -> None:
    """Like `apply_item_changes`, for one FAQ pair written to the store."""
    if backend.fingerprint() != index_fingerprint(revision - 1, paths):
        rebuild_index(paths, store, backend)
        return
    backend.upsert([faq_document(faq, paths.segmenter())], index_fingerprint(revision, paths))
