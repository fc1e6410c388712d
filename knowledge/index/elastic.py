"""Elasticsearch backend (elasticsearch-py 8), for districts that outgrow one machine.

Documents carry the same jieba terms as the embedded index (whitespace-analysed `title` and
`body`, so no server plugin is needed) plus the raw text in a `cjk`-analysed field that
catches what segmentation missed. A rebuild fills a fresh physical index with bulk requests
and then moves the alias to it, so searches never see a half-built index; the fingerprint is
kept in the index mapping's `_meta`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from elastic_transport import HttpHeaders, Urllib3HttpNode
from elastic_transport._node._base import NodeApiResponse
from elasticsearch import Elasticsearch, NotFoundError, helpers

from knowledge.index.base import BackendHit, DocKind, IndexedDoc, StoredVectors

TITLE_BOOST = 4.0
CJK_BOOST = 0.5
_BULK_CHUNK = 500

MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "doc_id": {"type": "keyword"},
        "kind": {"type": "keyword"},
        "names": {"type": "keyword"},
        "title": {"type": "text", "analyzer": "whitespace"},
        "body": {"type": "text", "analyzer": "whitespace"},
        "cjk": {"type": "text", "analyzer": "cjk"},
        "source": {"type": "object", "enabled": False},
        "vector": {"type": "float", "index": False, "doc_values": False},
        "phrase_vectors": {"type": "float", "index": False, "doc_values": False},  # rows, flattened
    },
}


class PlainJsonNode(Urllib3HttpNode):
    """Sends plain `application/json` instead of elasticsearch-py 8's versioned media type
    (`application/vnd.elasticsearch+json; compatible-with=8`), which OpenSearch-API servers
    reject; a real Elasticsearch accepts both."""

    def perform_request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: Any = None,
    ) -> NodeApiResponse:
        plain = HttpHeaders(headers or {})
        for name in ("accept", "content-type"):
            value = plain.get(name)
            if value and "compatible-with" in value:
                plain[name] = "application/x-ndjson" if "ndjson" in value else "application/json"
        if request_timeout is None:
            return super().perform_request(method, target, body=body, headers=plain)
        return super().perform_request(
            method, target, body=body, headers=plain, request_timeout=request_timeout
        )


def _action(index: str, doc: IndexedDoc) -> dict[str, Any]:
    return {
        "_index": index,
        "_id": doc.doc_id,
        "_source": {
            "doc_id": doc.doc_id,
            "kind": doc.kind,
            "names": list(doc.names),
            "title": " ".join(doc.title_terms),
            "body": " ".join(doc.body_terms),
            "cjk": doc.text,
            "source": doc.source,
            **({"vector": doc.vector.tolist()} if doc.vector is not None else {}),
            **(
                {"phrase_vectors": doc.phrase_vectors.ravel().tolist()}
                if doc.phrase_vectors is not None
                else {}
            ),
        },
    }


class ElasticsearchIndex:
    def __init__(self, url: str, alias: str, progress: Callable[[int], None] | None = None) -> None:
        self._client = Elasticsearch(url, node_class=PlainJsonNode, request_timeout=30)
        self._alias = alias
        self._progress = progress

    def _bulk(self, actions: Iterable[dict[str, Any]]) -> int:
        count = 0
        for ok, result in helpers.streaming_bulk(self._client, actions, chunk_size=_BULK_CHUNK):
            if not ok:
                raise RuntimeError(f"Elasticsearch 批量写入失败：{result}")
            count += 1
            if self._progress and count % 1000 == 0:
                self._progress(count)
        return count

    def rebuild(self, docs: Iterable[IndexedDoc], fingerprint: str) -> int:
        physical = f"{self._alias}-{time.time_ns()}"
        self._client.indices.create(
            index=physical,
            mappings={**MAPPING, "_meta": {"fingerprint": fingerprint}},
            settings={"number_of_replicas": 0},
        )
        count = self._bulk(_action(physical, doc) for doc in docs)
        self._client.indices.refresh(index=physical)
        previous = self._physical_indices()
        actions: list[dict[str, Any]] = [{"add": {"index": physical, "alias": self._alias}}]
        actions += [{"remove": {"index": old, "alias": self._alias}} for old in previous]
        self._client.indices.update_aliases(actions=actions)
        for old in previous:
            self._client.indices.delete(index=old)
        return count

    def _physical_indices(self) -> list[str]:
        try:
            return list(self._client.indices.get_alias(name=self._alias))
        except NotFoundError:
            return []

    def _set_fingerprint(self, fingerprint: str) -> None:
        self._client.indices.put_mapping(index=self._alias, meta={"fingerprint": fingerprint})

    def upsert(self, docs: Sequence[IndexedDoc], fingerprint: str) -> None:
        self._bulk(_action(self._alias, doc) for doc in docs)
        self._client.indices.refresh(index=self._alias)
        self._set_fingerprint(fingerprint)

    def delete(self, doc_ids: Sequence[str], fingerprint: str) -> None:
        actions = ({"_op_type": "delete", "_index": self._alias, "_id": doc_id} for doc_id in doc_ids)
        for ok, result in helpers.streaming_bulk(self._client, actions, raise_on_error=False):
            if not ok and result.get("delete", {}).get("status") != 404:
                raise RuntimeError(f"Elasticsearch 删除失败：{result}")
        self._client.indices.refresh(index=self._alias)
        self._set_fingerprint(fingerprint)

    def fingerprint(self) -> str | None:
        try:
            mappings = self._client.indices.get_mapping(index=self._alias)
        except NotFoundError:
            return None
        for description in mappings.values():
            meta = description.get("mappings", {}).get("_meta", {})
            return str(meta["fingerprint"]) if "fingerprint" in meta else None
        return None

    def search(self, terms: Sequence[str], k: int, kinds: Sequence[DocKind] = ("item",)) -> list[BackendHit]:
        if not terms:
            return []
        text = " ".join(dict.fromkeys(terms))
        query = {
            "bool": {
                "should": [
                    {"multi_match": {"query": text, "fields": [f"title^{TITLE_BOOST}", "body"]}},
                    {"match": {"cjk": {"query": "".join(terms), "boost": CJK_BOOST}}},
                ],
                "minimum_should_match": 1,
                "filter": [{"terms": {"kind": list(kinds)}}],
            }
        }
        try:
            response = self._client.search(index=self._alias, query=query, size=k, source_includes=["kind"])
        except NotFoundError:
            return []
        return [
            BackendHit(hit["_id"], hit["_source"]["kind"], float(hit["_score"]))
            for hit in response["hits"]["hits"]
        ]

    def source(self, doc_id: str) -> dict[str, Any] | None:
        try:
            response = self._client.get(index=self._alias, id=doc_id, source=["source"])
        except NotFoundError:
            return None
        return dict(response["_source"]["source"])

    def sources(self, kind: DocKind) -> list[dict[str, Any]]:
        return [hit["_source"]["source"] for hit in self._scan(kind, ["source"])]

    def all_names(self) -> Iterator[tuple[str, Sequence[str]]]:
        for hit in self._scan("item", ["names"]):
            yield hit["_id"], list(hit["_source"].get("names") or [])

    def vectors(self) -> StoredVectors:
        rows = []
        for hit in self._scan("item", ["vector", "phrase_vectors"]):
            vector = hit["_source"].get("vector")
            if vector:
                phrases = np.asarray(hit["_source"].get("phrase_vectors") or [], dtype=np.float32)
                rows.append(
                    (hit["_id"], np.asarray(vector, dtype=np.float32), phrases.reshape(-1, len(vector)))
                )
        return StoredVectors.collect(rows)

    def _scan(self, kind: DocKind, fields: list[str]) -> Iterator[dict[str, Any]]:
        try:
            yield from helpers.scan(
                self._client, index=self._alias, query={"query": {"term": {"kind": kind}}}, _source=fields
            )
        except NotFoundError:
            return

    def count(self, kind: DocKind | None = None) -> int:
        query = {"term": {"kind": kind}} if kind else {"match_all": {}}
        try:
            return int(self._client.count(index=self._alias, query=query)["count"])
        except NotFoundError:
            return 0

    def close(self) -> None:
        self._client.close()
