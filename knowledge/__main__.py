"""Command line: `python -m knowledge {search,reindex,export-nlu}`."""

from __future__ import annotations

import argparse
import json
import sys
import time

from bot.settings import Settings, load_settings
from knowledge.catalog import CatalogError, load_catalog
from knowledge.index.embedded import EmbeddedIndex
from knowledge.indexing import rebuild_index
from knowledge.nlu_export import generated_files, write_generated
from knowledge.segment import quiet_jieba
from knowledge.service import open_knowledge_base


def _search(settings: Settings, args: argparse.Namespace) -> int:
    knowledge = open_knowledge_base(settings.knowledge_paths(), settings.effective_index_path)
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


def _reindex(settings: Settings, _args: argparse.Namespace) -> int:
    started = time.perf_counter()
    print("正在校验知识库并重建索引……", flush=True)
    count = rebuild_index(settings.knowledge_paths(), EmbeddedIndex(settings.effective_index_path))
    elapsed = time.perf_counter() - started
    print(f"索引已重建：{count} 条文档，用时 {elapsed:.2f} 秒 → {settings.effective_index_path}")
    return 0


def _export_nlu(settings: Settings, args: argparse.Namespace) -> int:
    paths = settings.knowledge_paths()
    files = generated_files(
        load_catalog(paths.data_dir), paths.userdict, settings.lookup_path, paths.synonyms
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
    export = commands.add_parser("export-nlu", help="生成 jieba 用户词典和 service_item 查找表")
    export.add_argument("--check", action="store_true", help="只检查生成文件是否最新")
    export.set_defaults(handler=_export_nlu)

    args = parser.parse_args(argv)
    quiet_jieba()
    try:
        return int(args.handler(load_settings(), args))
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
