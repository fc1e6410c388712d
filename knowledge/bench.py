"""`make bench` (search part): latency at 1k, 10k and 100k items for the embedded index and
the Elasticsearch-API server, index build rate, and a 10k-row catalog import.

Items are synthetic variants of the authored ones (each variant keeps its base item's terms
and gets its own distinguishing terms), queried with the held-out questions, so the engines
see realistic Chinese term statistics at every size. This machine is noisy: medians of the
per-query times are reported, and each size is measured in the same process.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from bot.settings import REPO_ROOT, Settings, load_settings
from knowledge.configure import knowledge_paths
from knowledge.evaluate import load_questions
from knowledge.index.base import IndexedDoc, SearchBackend
from knowledge.index.elastic import ElasticsearchIndex
from knowledge.index.embedded import EmbeddedIndex
from knowledge.indexing import item_document
from knowledge.search import KnowledgeBase
from knowledge.service import import_catalog, open_store, prepare_knowledge

SIZES = (1_000, 10_000, 100_000)
SMOKE_SIZES = (200,)
# osmem-server is an in-memory test server: at 100k documents it took 11.5 GB of RAM on this
# 24 GB machine and indexed ~300 docs/s, so the 100k point runs only against a real cluster
# (ELASTICSEARCH_URL).
OSMEM_MAX_ITEMS = 10_000
QUERY_REPEATS = 2
_VARIANT_WORDS = [
    "城区",
    "街道",
    "乡镇",
    "开发区",
    "新区",
    "园区",
    "老城",
    "东区",
    "西区",
    "南区",
    "北区",
    "中心",
    "分中心",
    "一站式",
    "线上",
    "线下",
    "预约",
    "加急",
    "延期",
    "变更",
]


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (no interpolation: a p99 is a turn someone really waited)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def variants(base: Sequence[IndexedDoc], count: int, seed: int = 7) -> Iterator[IndexedDoc]:
    """`count` documents cycling over the base items, each with a distinct id and name."""
    rng = random.Random(seed)
    for n in range(count):
        doc = base[n % len(base)]
        extra = [rng.choice(_VARIANT_WORDS) for _ in range(3)] + [f"v{n}"]
        source = {
            **doc.source,
            "id": f"{doc.source['area']}.bench_{n}",
            "name": f"{doc.source['name']}（{n}）",
        }
        yield replace(
            doc,
            doc_id=source["id"],
            names=[source["name"]],
            title_terms=[*doc.title_terms, *extra],
            source=source,
        )


def timed(function: Callable[[], Any]) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def measure_backend(
    name: str, backend: SearchBackend, base: Sequence[IndexedDoc], size: int, settings: Settings,
    queries: Sequence[str],
) -> dict[str, Any]:  # fmt: skip
    started = time.perf_counter()
    backend.rebuild(variants(base, size), f"bench-{size}")
    build_seconds = time.perf_counter() - started
    segmenter = knowledge_paths(settings).segmenter()
    knowledge = KnowledgeBase(backend, segmenter)
    term_lists = [segmenter.terms(q) for q in queries]
    for terms in term_lists[:20]:  # warm caches and connections
        backend.search(terms, 3)
    backend_ms, full_ms = [], []
    for _ in range(QUERY_REPEATS):
        for terms in term_lists:
            backend_ms.append(timed(partial(backend.search, terms, 3)))
        for question in queries:
            full_ms.append(timed(partial(knowledge.search, question, 3)))
    return {
        "backend": name,
        "items": size,
        "build_seconds": round(build_seconds, 2),
        "build_docs_per_second": round(size / build_seconds),
        "engine_p50_ms": round(statistics.median(backend_ms), 2),
        "engine_p95_ms": round(percentile(backend_ms, 0.95), 2),
        "search_p50_ms": round(statistics.median(full_ms), 2),
        "search_p95_ms": round(percentile(full_ms, 0.95), 2),
    }


def synthetic_catalog_rows(count: int) -> Iterator[dict[str, Any]]:
    """Rows of the provincial portal's export shape (as knowledge/mappings/gd_catalog.yml reads)."""
    themes = ["找工作", "交通出行", "医疗卫生", "证件办理", "职业资格", "其他", "升学", "抵押质押"]
    for n in range(count):
        yield {
            "matter_name": f"合成事项{n}：{themes[n % len(themes)]}相关业务办理",
            "matter_short": "无",
            "DEPT_NAME": f"示例市第{n % 40}局",
            "matter_type": "公共服务",
            "handle_location": f"办理地点：示例市人民路{n % 300}号（合成数据）",
            "handle_time": f"{5 + n % 30}(工作日)",
            "handle_time_limit": f"{1 + n % 10}(工作日)",
            "accept_standard": "符合条件的申请人。",
            "consult_phone": "0000-00000000",
            "complain_phone": "12345",
            "bear_paltform": "示例统一申办受理平台",
            "theme_category": [themes[n % len(themes)]],
            "URL": f"http://example.invalid/guide?seq={n}",
            "material_intro": ["申请表", "身份证件"],
        }


def measure_import(settings: Settings, rows: int, workdir: Path) -> dict[str, Any]:
    file = workdir / "catalog.jsonl"
    with file.open("w", encoding="utf-8") as handle:
        for row in synthetic_catalog_rows(rows):
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    prepare_knowledge(settings)  # seed and index the authored catalog first: not part of the import
    mapping = REPO_ROOT / "knowledge" / "mappings" / "gd_catalog.yml"
    started = time.perf_counter()
    report = import_catalog(settings, file, mapping, dry_run=False, echo=lambda _line: None)
    seconds = time.perf_counter() - started
    assert report.ok and len(report.valid) == rows, report.problems[:3]
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds)}


def run(
    smoke: bool = False, use_elasticsearch: bool = True, osmem_max_items: int = OSMEM_MAX_ITEMS
) -> dict[str, Any]:
    """Every search measurement, printed as it comes; returns them for the report."""
    sizes = SMOKE_SIZES if smoke else SIZES
    import_rows = 300 if smoke else 10_000
    results: dict[str, Any] = {"search": [], "sizes": list(sizes)}
    with tempfile.TemporaryDirectory(prefix="zw-bench-") as tmp:
        workdir = Path(tmp)
        settings = load_settings().model_copy(
            update={"var_dir": workdir / "var", "database_url": "", "dense_search": False}
        )
        prepare_knowledge(settings)
        segmenter = knowledge_paths(settings).segmenter()
        base = [item_document(item, segmenter) for item in open_store(settings).items()]
        queries = [q for _, q, _ in load_questions()]
        print(
            f"检索基准：{len(base)} 个基础事项生成变体，{len(queries)} 个问题 × {QUERY_REPEATS} 轮",
            flush=True,
        )

        server = None
        es_url = settings.elasticsearch_url
        if use_elasticsearch and not es_url:
            from osmem_server import OsmemServer

            server = OsmemServer.start(japanese=False)
            es_url = server.url
        try:
            for size in sizes:
                row = measure_backend(
                    "embedded", EmbeddedIndex(workdir / f"bench-{size}"), base, size, settings, queries
                )
                results["search"].append(row)
                print(json.dumps(row, ensure_ascii=False), flush=True)
                if es_url and server is not None and size > osmem_max_items:
                    results.setdefault("skipped", []).append(
                        f"elasticsearch-api {size} 个事项：osmem-server 是内存型测试服务器，"
                        "10 万条时占用约 11.5 GB 内存、约 300 条/秒建索引（超出 10 分钟预算）；"
                        "设置 ELASTICSEARCH_URL 即在真实集群上测"
                    )
                elif es_url:
                    es = ElasticsearchIndex(es_url, f"bench-{uuid.uuid4().hex[:8]}")
                    row = measure_backend("elasticsearch-api", es, base, size, settings, queries)
                    es.close()
                    results["search"].append(row)
                    print(json.dumps(row, ensure_ascii=False), flush=True)
        finally:
            if server is not None:
                server.close()

        results["import"] = measure_import(
            settings.model_copy(update={"var_dir": workdir / "import"}), import_rows, workdir
        )
        print(f"导入：{json.dumps(results['import'], ensure_ascii=False)}", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    """`python -m knowledge.bench`: the search part of `make bench` on its own."""
    parser = argparse.ArgumentParser(prog="python -m knowledge.bench", description="检索基准测试")
    parser.add_argument("--smoke", action="store_true", help="极小规模，只检查能跑通（CI 用）")
    parser.add_argument("--no-elasticsearch", action="store_true")
    parser.add_argument(
        "--osmem-max-items", type=int, default=OSMEM_MAX_ITEMS, help="osmem-server 测试服务器上的最大规模"
    )
    args = parser.parse_args(argv)
    results = run(args.smoke, not args.no_elasticsearch, args.osmem_max_items)
    out_dir = load_settings().var_dir / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / ("search-smoke.json" if args.smoke else "search.json")
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"结果已写入 {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
