"""The `make bench` table, the ours/raw ratios, and the issue's targets checked in one place."""

from __future__ import annotations

from typing import Any

from bot.benchmark.open_loop import Plan

MEMORY_LIMIT_MIB = 2048.0
START_LIMIT_SECONDS = 90.0
P95_LIMIT_MS = 250.0
THROUGHPUT_RATIO = 3.0
P50_RATIO = 0.4
OPEN_LOOP_P99_LIMIT_MS = 1000.0
SOAK_GROWTH_LIMIT_PERCENT = 10.0


def _phase(report: dict[str, Any], system: str, concurrency: int) -> dict[str, Any] | None:
    for row in report.get(system, {}).get("turns", []):
        if row["concurrency"] == concurrency:
            return dict(row)
    return None


def ratio(ours: float, raw: float) -> float | None:
    return round(ours / raw, 2) if raw else None


def target_checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value and whether it holds (None: not measured)."""
    seq_ours, seq_raw = _phase(report, "ours", 1), _phase(report, "raw", 1)
    c10_ours, c10_raw = _phase(report, "ours", 10), _phase(report, "raw", 10)
    ours = report.get("ours", {})
    checks: list[dict[str, Any]] = []

    def check(name: str, value: float | None, limit: float, at_least: bool) -> None:
        held = None if value is None else (value >= limit if at_least else value <= limit)
        checks.append({"target": name, "value": value, "limit": limit, "held": held})

    throughput = (
        ratio(c10_ours["turns_per_second"], c10_raw["turns_per_second"]) if c10_ours and c10_raw else None
    )
    check("并发10 吞吐 本系统/原生 ≥", throughput, THROUGHPUT_RATIO, True)
    p50 = ratio(seq_ours["p50_ms"], seq_raw["p50_ms"]) if seq_ours and seq_raw else None
    check("顺序 p50 本系统/原生 ≤", p50, P50_RATIO, False)
    check("并发10 p95 (ms) ≤", c10_ours["p95_ms"] if c10_ours else None, P95_LIMIT_MS, False)
    memory = ours.get("memory_mib")
    check("运行时总内存 (MiB) ≤", round(sum(memory.values()), 1) if memory else None, MEMORY_LIMIT_MIB, False)
    check("make run 到就绪 (秒) ≤", ours.get("seconds_to_ready"), START_LIMIT_SECONDS, False)
    if "open_loop" in ours:
        check("开放负载 p99 (ms) ≤", ours["open_loop"]["p99_ms"], OPEN_LOOP_P99_LIMIT_MS, False)
    if "soak" in ours:
        check("浸泡 p99 (ms) ≤", ours["soak"]["p99_ms"], OPEN_LOOP_P99_LIMIT_MS, False)
        growth = [role["growth_percent"] for role in ours["soak"]["memory_growth"].values()]
        check("浸泡内存增长 (%，各进程最大) ≤", max(growth, default=None), SOAK_GROWTH_LIMIT_PERCENT, False)
    return checks


def _row(cells: tuple[object, ...], width: int) -> str:
    return "".join(f"{cell!s:>{width}}" for cell in cells)


def print_report(report: dict[str, Any]) -> None:
    print("\n对话轮次（同一次运行、同一组对话；CPU 为每轮各进程所用 CPU 毫秒，bench 为压测端自身）")
    print(_row(("系统", "并发", "轮数", "错误", "轮/秒", "p50 ms", "p95 ms", "p99 ms", "  每轮 CPU ms"), 9))
    for system in ("raw", "ours"):
        for turn in report.get(system, {}).get("turns", []):
            cells = (system, *(turn[k] for k in ("concurrency", "turns", "errors", "turns_per_second")),
                     *(turn[k] for k in ("p50_ms", "p95_ms", "p99_ms")))  # fmt: skip
            cpu = " ".join(f"{role}={ms}" for role, ms in turn.get("cpu_ms_per_turn", {}).items())
            print(_row(cells, 9) + f"  {cpu}")
    rates = [
        f"{system} 并发 {turn['concurrency']} {turn['parse_cache_hit_rate']:.0%}"
        for system in ("raw", "ours")
        for turn in report.get(system, {}).get("turns", [])
        if turn.get("parse_cache_hit_rate") is not None
    ]
    if rates:
        print("Rasa 解析缓存命中率（原生 Rasa 没有这个缓存）：" + "，".join(rates))
    print("\n本系统/原生 Rasa 比值")
    for level in (1, 10):
        ours, raw = _phase(report, "ours", level), _phase(report, "raw", level)
        if ours and raw:
            names = ("turns_per_second", "p50_ms", "p95_ms", "p99_ms")
            print(f"  并发 {level:>2}：" + "，".join(f"{key} {ratio(ours[key], raw[key])}" for key in names))
    for system in ("raw", "ours"):
        memory = report.get(system, {}).get("memory_mib")
        if memory:
            parts = "，".join(f"{role} {mib:.0f}" for role, mib in memory.items())
            print(f"\n内存 {system}（MiB）：{parts}，合计 {sum(memory.values()):.0f}")
    for name, title in (("open_loop", "开放负载"), ("soak", "浸泡")):
        run = report.get("ours", {}).get(name)
        if run:
            print_open_loop(title, run)
    search = report.get("search")
    if search:
        print("\n检索")
        print(_row(("后端", "事项数", "建索引条/秒", "检索p50ms", "p95 ms", "引擎p50ms", "p95 ms"), 12))
        keys = ("backend", "items", "build_docs_per_second", "search_p50_ms", "search_p95_ms",
                "engine_p50_ms", "engine_p95_ms")  # fmt: skip
        for hit in search["search"]:
            print(_row(tuple(hit[k] for k in keys), 12))
        for note in search.get("skipped", []):
            print(f"  未测：{note}")
        if "import" in search:
            print(f"  导入 {search['import']['rows']} 行：{search['import']['rows_per_second']} 行/秒")
    print("\n目标")
    for check in report.get("targets", []):
        mark = {True: "达成", False: "未达成", None: "未测"}[check["held"]]
        print(f"  [{mark}] {check['target']} {check['limit']}：实测 {check['value']}")


def print_open_loop(title: str, run: dict[str, Any]) -> None:
    rate = run.get("parse_cache_hit_rate")
    plan = Plan(run["citizens"], run["seconds"], tuple(run["think_seconds"]))
    print(f"\n{title}（本系统）：{plan.describe()}")
    print(
        f"  {run['turns']} 轮（{run['turns_per_second']} 轮/秒），错误 {run['errors']}，迟发 {run['late']}，"
        f"p50 {run['p50_ms']} ms，p95 {run['p95_ms']} ms，p99 {run['p99_ms']} ms"
        + ("" if rate is None else f"，解析缓存命中 {rate:.0%}")
    )
    for role, memory in run.get("memory_growth", {}).items():
        print(
            f"  内存 {role}：{memory['start_mib']:.0f} → {memory['end_mib']:.0f} MiB"
            f"（峰值 {memory['peak_mib']:.0f}），增长 {memory['growth_percent']}%"
        )
