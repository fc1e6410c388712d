"""Command line: `python -m knowledge {search,import,prepare,reindex,export-nlu}`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bot.persistence.migrate import upgrade_to_head
from bot.settings import Settings, load_settings
from knowledge.catalog import CatalogError, load_catalog
from knowledge.configure import knowledge_paths
from knowledge.importer import MAX_REPORTED_PROBLEMS, ImportFileError
from knowledge.indexing import rebuild_index, seed_authored
from knowledge.nlu_export import generated_files, write_generated
from knowledge.segment import quiet_jieba
from knowledge.service import import_catalog, make_backend, open_knowledge_base, open_store, prepare_knowledge


def _search(settings: Settings, args: argparse.Namespace) -> int:
    prepare_knowledge(settings)
    knowledge = open_knowledge_base(settings)
    hits = knowledge.search(args.query, k=args.k)
    if args.json:
        rows = [
            {
                "id": h.item.id,
                "name": h.item.name,
                "area": h.item.area.value,
                "confidence": h.confidence,
                "matched_by": h.matched_by,
            }
            for h in hits
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not hits:
        print("没有找到相关事项。")
    else:
        for rank, hit in enumerate(hits, start=1):
            print(f"{rank}. {hit.item.name}（{hit.item.id}） 置信度 {hit.confidence:.2f} [{hit.matched_by}]")
    return 0


def _import(settings: Settings, args: argparse.Namespace) -> int:
    def echo(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    report = import_catalog(
        settings,
        Path(args.file),
        Path(args.mapping) if args.mapping else None,
        args.dry_run,
        echo,
        skip_invalid=args.skip_invalid,
        report_path=Path(args.report) if args.report else None,
    )
    for warning in report.warnings[:MAX_REPORTED_PROBLEMS]:
        print(f"提示：{warning}")
    if len(report.warnings) > MAX_REPORTED_PROBLEMS:
        print(f"……另有 {len(report.warnings) - MAX_REPORTED_PROBLEMS} 条提示未列出")
    label = "未导入" if report.accepted else "错误"
    for problem in report.problems[:MAX_REPORTED_PROBLEMS]:
        print(f"{label}：{problem}")
    hidden = len(report.problems) - MAX_REPORTED_PROBLEMS
    if hidden > 0:
        print(f"……另有 {hidden} 个问题未列出" + ("，见导入报告" if report.report_path else ""))
    if not report.accepted:
        print(f"共 {report.rows} 行，{len(report.problems)} 个问题：未导入任何数据。")
        if report.rejected and report.valid and not args.skip_invalid:
            print(f"其余 {len(report.valid)} 个事项有效；加 --skip-invalid 可只导入有效的行。")
        if report.report_path:
            print(f"导入报告：{report.report_path}")
        return 1
    verb = "将" if args.dry_run else "已"
    summary = (
        f"共 {report.rows} 行：{verb}导入 {len(report.valid)} 个事项（新增 {report.new_ids} 个，"
        f"更新 {report.updated_ids} 个）；未通过校验 {len(report.rejected)} 行"
    )
    if report.duplicates:
        summary += f"；完全重复 {len(report.duplicates)} 行，已合并"
    print(summary + "。" + ("（试运行，未写入）" if args.dry_run else ""))
    if report.report_path:
        print(f"导入报告：{report.report_path}")
    if not args.dry_run:
        print(_retrain_notice(report.new_names))
    return 0


def _retrain_notice(new_names: int) -> str:
    """After an import: what the assistant knows now, and when Rasa learns the new names."""
    now = "现在即可识别和回答（检索索引已更新，正在运行的助手无需重启）"
    if not new_names:
        return f"导入的事项{now}；没有新的事项名称，无需为此重新训练 Rasa。"
    return (
        f"导入的 {new_names} 个新事项名称（含别名）{now}。"
        "Rasa 的词典和查找表将在下次 make run 时学到这些名称：训练数据已变化，会自动重新训练模型"
        "（两核机器上约需 6–8 分钟）；也可以现在运行 python -m bot train。"
    )


def _prepare(settings: Settings, _args: argparse.Namespace) -> int:
    seeded, reindexed = prepare_knowledge(settings)
    print("知识库文件有变化，已导入数据库。" if seeded else "知识库文件未变化。", flush=True)
    print("检索索引已重建。" if reindexed else "检索索引已是最新。", flush=True)
    return 0


def _reindex(settings: Settings, _args: argparse.Namespace) -> int:
    started = time.perf_counter()
    print("正在校验知识库并重建索引……", flush=True)
    upgrade_to_head(settings.effective_database_url)
    store, paths = open_store(settings), knowledge_paths(settings)
    seed_authored(paths, store)
    backend = make_backend(settings, progress=lambda n: print(f"  已写入 {n} 条", flush=True))
    count = rebuild_index(paths, store, backend)
    backend.close()
    elapsed = time.perf_counter() - started
    print(f"索引已重建：{count} 条文档，用时 {elapsed:.2f} 秒 → {settings.effective_index_path}")
    return 0


def _export_nlu(settings: Settings, args: argparse.Namespace) -> int:
    paths = knowledge_paths(settings)
    files = generated_files(
        load_catalog(paths.data_dir), paths.userdict, settings.generated_nlu_dir, paths.synonyms
    )
    if args.check:
        stale = [
            p for p, content in files.items() if not p.exists() or p.read_text(encoding="utf-8") != content
        ]
        for path in stale:
            print(f"已过期，请运行 python -m knowledge export-nlu：{path}")
        return 1 if stale else 0
    for path in write_generated(files):
        print(f"已生成 {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description="政务咨询助手 知识库工具")
    commands = parser.add_subparsers(dest="command", required=True)
    search = commands.add_parser("search", help="检索事项")
    search.add_argument("query")
    search.add_argument("--json", action="store_true", help="以 JSON 输出")
    search.add_argument("-k", type=int, default=3, help="返回条数（默认 3）")
    search.set_defaults(handler=_search)
    commands.add_parser("reindex", help="校验知识库并重建检索索引").set_defaults(handler=_reindex)
    commands.add_parser("prepare", help="迁移数据库、导入变化的知识库文件、按需更新索引").set_defaults(
        handler=_prepare
    )
    importer = commands.add_parser("import", help="导入办事指南目录（JSON、JSONL、YAML、CSV、XLSX）")
    importer.add_argument("file")
    importer.add_argument("--mapping", help="字段映射文件（YAML），见 knowledge/mappings/")
    importer.add_argument("--dry-run", action="store_true", help="只校验，不写入")
    importer.add_argument(
        "--skip-invalid",
        action="store_true",
        help="跳过未通过校验的行，只导入有效的行；未导入的行及原因写入导入报告（默认：任何一行有错就整个文件不导入）",
    )
    importer.add_argument(
        "--report", help="导入报告（CSV）的保存路径，默认 var/import/<文件名>-<时间>-report.csv"
    )
    importer.set_defaults(handler=_import)
    export = commands.add_parser("export-nlu", help="生成 jieba 用户词典和 service_item 查找表")
    export.add_argument("--check", action="store_true", help="只检查生成文件是否最新")
    export.set_defaults(handler=_export_nlu)

    args = parser.parse_args(argv)
    quiet_jieba()
    try:
        return int(args.handler(load_settings(), args))
    except (CatalogError, ImportFileError) as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
