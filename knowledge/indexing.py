"""Deriving the search index from the catalog; the index can be rebuilt at any time.

The fingerprint covers the knowledge files, the synonym table and the jieba dictionary, so
`ensure_index` rebuilds exactly when something that changes search results has changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from knowledge.catalog import Catalog, content_hash, data_files, load_catalog
from knowledge.index.base import IndexedDoc, SearchBackend
from knowledge.schema import AREA_LABELS, ServiceItem
from knowledge.segment import Segmenter
from knowledge.synonyms import load_synonyms

INDEX_FORMAT = "1"
USERDICT_NAME = "userdict.txt"


@dataclass(frozen=True)
class KnowledgePaths:
    data_dir: Path
    userdict: Path
    synonyms: Path

    def fingerprint(self) -> str:
        inputs = [*data_files(self.data_dir), *(p for p in (self.userdict, self.synonyms) if p.exists())]
        return f"{INDEX_FORMAT}-{content_hash((p.name, p) for p in inputs)}"

    def segmenter(self) -> Segmenter:
        return Segmenter(self.userdict, load_synonyms(self.synonyms))


def _item_body(item: ServiceItem) -> list[str]:
    parts = [AREA_LABELS[item.area], item.department, item.type, *item.eligibility, *item.steps]
    parts += [m.name for m in item.materials] + [f.name for f in item.fees]
    parts += [faq.q for faq in item.faqs]
    return parts


def build_documents(catalog: Catalog, segmenter: Segmenter) -> Iterator[IndexedDoc]:
    for item in catalog.items.values():
        yield IndexedDoc(
            doc_id=item.id,
            kind="item",
            title_terms=[t for name in item.names for t in segmenter.terms(name)],
            body_terms=[t for part in _item_body(item) for t in segmenter.terms(part)],
            source=item.model_dump(mode="json"),
        )
    for place in catalog.places.values():
        yield IndexedDoc(f"place:{place.id}", "place", (), (), place.model_dump(mode="json"))


def rebuild_index(paths: KnowledgePaths, backend: SearchBackend) -> int:
    """Validate the knowledge files, then replace the index; returns the document count."""
    catalog = load_catalog(paths.data_dir)
    return backend.rebuild(build_documents(catalog, paths.segmenter()), paths.fingerprint())


def ensure_index(paths: KnowledgePaths, backend: SearchBackend) -> bool:
    """Rebuild only when the inputs changed since the last build; True when it rebuilt."""
    if backend.fingerprint() == paths.fingerprint():
        return False
    rebuild_index(paths, backend)
    return True
