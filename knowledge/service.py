"""Wiring the knowledge base for a running process (runner, gateway, action server, CLI)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

from bot.persistence.migrate import upgrade_to_head
from bot.persistence.store import create_db_engine
from bot.settings import Settings
from knowledge.configure import knowledge_paths
from knowledge.importer import ImportReport, load_mapping, read_rows, validate_rows, write_report
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
    paths = knowledge_paths(settings)
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
    paths = knowledge_paths(settings)
    return KnowledgeBase(make_backend(settings), paths.segmenter(), paths.embedder())


def default_report_path(settings: Settings, file: Path) -> Path:
    """`var/import/<file>-<timestamp>-report.csv`, never overwriting an earlier report."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = settings.var_dir / "import"
    path = folder / f"{file.stem}-{stamp}-report.csv"
    counter = 2
    while path.exists():
        path = folder / f"{file.stem}-{stamp}-{counter}-report.csv"
        counter += 1
    return path


def import_catalog(
    settings: Settings,
    file: Path,
    mapping_file: Path | None,
    dry_run: bool,
    echo: Callable[[str], None],
    *,
    skip_invalid: bool = False,
    report_path: Path | None = None,
) -> ImportReport:
    """Validate every row, then (unless a dry run) upsert the valid items in one transaction
    and update the index incrementally.

    By default any bad row refuses the whole file, so a half-imported catalog is never an
    accident. `skip_invalid` imports the valid rows instead: a real export of two thousand
    rows should not wait on a handful of incomplete ones, and the report file lists each row
    left out with its reasons, so nothing is dropped silently. The report is written whenever
    rows were rejected or `skip_invalid` is set (`report_path`, else under var/import/)."""
    started = time.perf_counter()
    mapping = load_mapping(mapping_file)
    echo(f"读取并校验 {file.name} ……")
    report = validate_rows(read_rows(file), mapping, progress=lambda n: echo(f"  已校验 {n} 行"))
    echo(
        f"校验完成：共 {report.rows} 行，有效 {len(report.valid)} 个事项，"
        f"未通过 {len(report.rejected)} 行，重复 {len(report.duplicates)} 行。"
    )
    if skip_invalid or report.rejected:
        report.report_path = write_report(report, report_path or default_report_path(settings, file))
        echo(f"导入报告已写入 {report.report_path}")
    if report.file_problems or not report.valid or (report.rejected and not skip_invalid):
        return report
    prepare_knowledge(settings)
    store = open_store(settings)
    existing = store.existing_ids(item.id for item in report.valid)
    report.updated_ids = len(existing)
    report.new_ids = len(report.valid) - len(existing)
    report.new_names = len({name for item in report.valid for name in item.names} - store.item_names())
    report.accepted = True
    if dry_run:
        return report
    echo(f"写入数据库：{len(report.valid)} 个事项 ……")
    revision = store.upsert_items(report.valid, "imported")
    echo("更新检索索引 ……")
    backend = make_backend(settings, progress=lambda n: echo(f"  已写入索引 {n} 条"))
    try:
        apply_item_changes(knowledge_paths(settings), store, backend, revision, upserted=report.valid)
    finally:
        backend.close()
    echo(f"完成，用时 {time.perf_counter() - started:.1f} 秒。")
    return report
