"""Wiring the knowledge base for a running process (runner, gateway, action server, CLI)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bot.persistence.migrate import upgrade_to_head
from bot.persistence.store import create_db_engine
from bot.settings import Settings
from knowledge.importer import ImportReport, load_mapping, read_rows, validate_rows
from knowledge.index.base import SearchBackend
from knowledge.index.embedded import EmbeddedIndex
from knowledge.indexing import apply_item_changes, ensure_index, seed_authored
from knowledge.search import KnowledgeBase
from knowledge.segment import quiet_jieba
from knowledge.store import KnowledgeStore


def make_backend(settings: Settings, progress: Callable[[int], None] | None = None) -> SearchBackend:
    """The embedded index by default; Elasticsearch when `ELASTICSEARCH_URL` is set.
    `progress` is told the number of documents written so far during bulk writes."""
    if settings.elasticsearch_url:
        from knowledge.index.elastic import ElasticsearchIndex

        return ElasticsearchIndex(settings.elasticsearch_url, settings.elasticsearch_index, progress)
    return EmbeddedIndex(settings.effective_index_path)


def open_store(settings: Settings) -> KnowledgeStore:
    return KnowledgeStore(create_db_engine(settings.effective_database_url))


def prepare_knowledge(settings: Settings) -> tuple[bool, bool]:
    """Migrate the DB, seed it from knowledge/data/ when the files changed, and bring the
    index up to date. Returns (seeded, reindexed)."""
    quiet_jieba()
    upgrade_to_head(settings.effective_database_url)
    store = open_store(settings)
    paths = settings.knowledge_paths()
    seeded = seed_authored(paths, store)
    backend = make_backend(settings)
    try:
        reindexed = ensure_index(paths, store, backend)
    finally:
        backend.close()
    return seeded, reindexed


def open_knowledge_base(settings: Settings) -> KnowledgeBase:
    """The read side, from the index alone (the action server never touches the DB)."""
    quiet_jieba()
    paths = settings.knowledge_paths()
    return KnowledgeBase(make_backend(settings), paths.segmenter(), paths.embedder())


def import_catalog(
    settings: Settings, file: Path, mapping_file: Path | None, dry_run: bool, echo: Callable[[str], None]
) -> ImportReport:
    """Validate every row, then (unless a dry run, and only if all rows are valid) upsert
    them in one transaction and update the index incrementally."""
    started = time.perf_counter()
    mapping = load_mapping(mapping_file)
    echo(f"读取并校验 {file.name} ……")
    report = validate_rows(read_rows(file), mapping, progress=lambda n: echo(f"  已校验 {n} 行"))
    if not report.ok:
        return report
    prepare_knowledge(settings)
    store = open_store(settings)
    existing = store.existing_ids(item.id for item in report.valid)
    report.updated_ids = len(existing)
    report.new_ids = len(report.valid) - len(existing)
    if dry_run:
        return report
    echo(f"写入数据库：{len(report.valid)} 个事项 ……")
    revision = store.upsert_items(report.valid, "imported")
    echo("更新检索索引 ……")
    backend = make_backend(settings, progress=lambda n: echo(f"  已写入索引 {n} 条"))
    try:
        apply_item_changes(settings.knowledge_paths(), store, backend, revision, upserted=report.valid)
    finally:
        backend.close()
    echo(f"完成，用时 {time.perf_counter() - started:.1f} 秒。")
    return report
