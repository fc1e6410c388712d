"""Both SearchBackend implementations pass the same tests: the embedded SQLite FTS5 index and
Elasticsearch, here an OpenSearch-API server from PyPI (osmem-server) on loopback, or a real
cluster when ELASTICSEARCH_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from osmem_server import OsmemServer

from bot.settings import Settings
from knowledge.configure import knowledge_paths
from knowledge.index.base import IndexedDoc, SearchBackend
from knowledge.index.elastic import ElasticsearchIndex
from knowledge.index.embedded import EmbeddedIndex
from knowledge.indexing import all_documents, index_fingerprint, item_document
from knowledge.search import KnowledgeBase
from knowledge.service import open_store, prepare_knowledge
from tests.conftest import make_settings


@pytest.fixture(scope="session")
def elasticsearch_url() -> Iterator[str]:
    configured = os.environ.get("ELASTICSEARCH_URL")
    if configured:
        yield configured
        return
    with OsmemServer.start(japanese=False) as server:
        yield server.url


@pytest.fixture(params=["embedded", "elasticsearch"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    made: SearchBackend
    if request.param == "embedded":
        made = EmbeddedIndex(tmp_path / "index")
    else:
        made = ElasticsearchIndex(request.getfixturevalue("elasticsearch_url"), f"test-{uuid.uuid4().hex}")
    yield made
    made.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One seeded store for the module: the tests read it and build their own index from it."""
    settings = make_settings(tmp_path_factory.mktemp("backends") / "var")
    prepare_knowledge(settings)
    return settings


def test_rebuild_search_sources_and_names(backend: SearchBackend, seeded: Settings) -> None:
    store, paths = open_store(seeded), knowledge_paths(seeded)
    assert backend.fingerprint() is None
    count = backend.rebuild(all_documents(store, paths.segmenter()), "fp-1")
    assert count == backend.count() >= 9 + 3
    assert backend.fingerprint() == "fp-1"
    assert backend.count("item") == len(store.items())

    terms = paths.segmenter().terms("驾驶证丢了怎么补")
    hits = backend.search(terms, 3)
    assert hits[0].doc_id == "transport.driving_license_reissue"
    assert all(hit.kind == "item" for hit in hits)
    source = backend.source("transport.driving_license_reissue")
    assert source is not None and source["name"] == "机动车驾驶证补领"
    assert {p["id"] for p in backend.sources("place")} >= {"district_service_center"}
    names = dict(backend.all_names())
    assert names["certificates.id_card_reissue"][0] == "居民身份证补领"


def test_incremental_upsert_and_delete(backend: SearchBackend, seeded: Settings) -> None:
    store, paths = open_store(seeded), knowledge_paths(seeded)
    backend.rebuild(all_documents(store, paths.segmenter()), "fp-1")
    original = store.item("housing.provident_fund_rent_withdrawal")
    assert original is not None
    renamed = original.model_copy(update={"aliases": [*original.aliases, "租房子提取积金"]})
    backend.upsert([item_document(renamed, paths.segmenter())], "fp-2")
    assert backend.count("item") == len(store.items())
    assert "租房子提取积金" in dict(backend.all_names())[original.id]

    backend.delete([original.id], "fp-3")
    assert backend.source(original.id) is None
    assert backend.fingerprint() == "fp-3"
    assert backend.count("item") == len(store.items()) - 1


def test_knowledge_base_reader_works_on_either_backend(backend: SearchBackend, seeded: Settings) -> None:
    store, paths = open_store(seeded), knowledge_paths(seeded)
    backend.rebuild(all_documents(store, paths.segmenter()), index_fingerprint(store.revision(), paths))
    kb = KnowledgeBase(backend, paths.segmenter())
    assert kb.search("补办身份证要带什么材料")[0].item.id == "certificates.id_card_reissue"
    assert kb.resolve("驾照补办") is not None
    assert kb.item_count() == len(store.items())


def test_each_items_passage_and_phrase_vectors_come_back_as_written(
    backend: SearchBackend, seeded: Settings
) -> None:
    store, paths = open_store(seeded), knowledge_paths(seeded)
    rng = np.random.default_rng(7)
    docs = [
        item_document(
            item, paths.segmenter(), rng.random(8, dtype=np.float32), rng.random((n, 8), dtype=np.float32)
        )
        for n, item in enumerate(store.items()[:3])  # 0, 1 and 2 phrases
    ]
    backend.rebuild(docs, "vectors")
    stored = backend.vectors()
    assert sorted(stored.ids) == sorted(doc.doc_id for doc in docs)
    for doc in docs:
        row = stored.ids.index(doc.doc_id)
        assert doc.vector is not None and doc.phrase_vectors is not None
        np.testing.assert_allclose(stored.passages[row], doc.vector)
        np.testing.assert_allclose(stored.phrases[stored.phrase_owner == row], doc.phrase_vectors)


def test_a_rebuild_replaces_rather_than_adds(backend: SearchBackend, seeded: Settings) -> None:
    store, paths = open_store(seeded), knowledge_paths(seeded)
    docs: list[IndexedDoc] = list(all_documents(store, paths.segmenter()))
    backend.rebuild(docs, "a")
    backend.rebuild(docs[:3], "b")
    assert backend.count() == 3
    assert backend.fingerprint() == "b"
