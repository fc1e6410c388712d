"""`make bench` (`python -m bot.benchmark`): one run, one machine, every number in a table
and in `var/bench/bench.json`.

1. Raw Rasa: Rasa 3.6 with the default recipe's policies (`bot/benchmark/baseline.py`) and
   the same action server, spoken to through Rasa's REST webhook, sequentially and with 10
   citizens at once.
2. Ours: `make run`, timed to ready, then the same conversations through `POST /api/v1/chat`
   sequentially and with 10 and 50 citizens at once; the ratio ours/raw for each figure.
3. Memory of every process of both, after the load.
4. Search latency and index build rate at 1k/10k/100k items (`knowledge/bench.py`).

The machine is shared and noisy: the two systems run one after the other in the same
process, never at the same time, and latencies are medians and nearest-rank percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.benchmark import processes
from bot.benchmark.baseline import baseline_model, stock_site_packages
from bot.benchmark.conversations import Conversation, conversation_mix
from bot.benchmark.load import GatewayChat, LoadResult, RasaWebhook, TurnTarget, replay, split_mix
from bot.benchmark.report import print_report, target_checks
from bot.runner import Supervisor, children, free_port
from bot.settings import Settings, load_settings
from bot.training import ensure_model
from knowledge import bench as search_bench
from knowledge.service import prepare_knowledge


@dataclass(frozen=True)
class Phases:
    """How many conversations each phase replays (about four turns each)."""

    warm: int
    sequential: int
    concurrent: dict[int, int]

    def sizes(self) -> list[int]:
        return [self.warm, self.sequential, *self.concurrent.values()]


FULL = Phases(warm=10, sequential=40, concurrent={10: 150, 50: 250})
SMOKE = Phases(warm=1, sequential=2, concurrent={10: 10, 50: 50})
RAW_CONCURRENCY = (10,)


def run_phases(
    target: TurnTarget,
    mix: list[Conversation],
    phases: Phases,
    concurrency: tuple[int, ...],
    pids: dict[str, int],
) -> list[LoadResult]:
    warm, sequential, *concurrent = split_mix(mix, phases.sizes())
    by_level = dict(zip(phases.concurrent, concurrent, strict=True))
    results = []
    asyncio.run(replay(target, warm, 1, f"{target.name}-warm"))
    for level, conversations in [(1, sequential), *((c, by_level[c]) for c in concurrency)]:
        before = processes.cpu_seconds(pids)
        result = asyncio.run(replay(target, conversations, level, f"{target.name}-c{level}"))
        after = processes.cpu_seconds(pids)
        cpu = {
            role: round((after[role] - before[role]) * 1000 / result.turns, 1)
            for role in after
            if role in before
        }
        result = replace(result, cpu_ms_per_turn=cpu)
        print(
            f"  {target.name} 并发 {level:>2}：{result.turns} 轮，{result.turns_per_second} 轮/秒，"
            f"p50 {result.p50_ms} ms，p95 {result.p95_ms} ms，p99 {result.p99_ms} ms，错误 {result.errors}；"
            f"每轮 CPU ms {cpu}",
            flush=True,
        )
        results.append(result)
    return results


def bench_raw_rasa(
    settings: Settings, mix: list[Conversation], phases: Phases, smoke: bool, profile_dir: Path | None
) -> dict[str, Any]:
    model = baseline_model(settings, policy_epochs=2 if smoke else None)
    kids = [kid for kid in children(settings, model, stock_rasa=True) if kid.name != "gateway"]
    for kid in kids:
        if kid.name == "rasa":  # Rasa as it installs: its own CLI, stock dependencies
            kid.env["PYTHONPATH"] = str(stock_site_packages(settings))
    supervisor = Supervisor(kids)
    print(f"原生 Rasa 基线：{model.name}", flush=True)
    supervisor.start()
    try:
        supervisor.wait_ready()
        pids = {kid.name: kid.process.pid for kid in supervisor.kids if kid.process}
        measured = measure(RasaWebhook(settings.rasa_url), pids, mix, phases, RAW_CONCURRENCY, profile_dir)
    finally:
        supervisor.stop()
    return {"model": model.name, **measured}


def bench_ours(
    settings: Settings, mix: list[Conversation], phases: Phases, profile_dir: Path | None
) -> dict[str, Any]:
    log = settings.var_dir / "make-run.log"
    started = processes.start_make_run(settings.as_environment(), settings.gateway_url, log)
    print(f"make run → 就绪：{started.seconds_to_ready} 秒", flush=True)
    try:
        pids = processes.pids_by_role(started.process.pid)
        target = GatewayChat(settings.gateway_url)
        measured = measure(target, pids, mix, phases, tuple(phases.concurrent), profile_dir)
    finally:
        processes.stop_process_group(started.process)
    return {"seconds_to_ready": started.seconds_to_ready, **measured}


def measure(
    target: TurnTarget,
    pids: dict[str, int],
    mix: list[Conversation],
    phases: Phases,
    concurrency: tuple[int, ...],
    profile_dir: Path | None,
) -> dict[str, Any]:
    """The load phases, then each process's memory after them, then (optionally) a profile."""
    results = run_phases(target, mix, phases, concurrency, pids)
    memory = {role: processes.memory_mib(pid) for role, pid in pids.items()}
    profile = None
    if profile_dir is not None:
        profile = profile_load(target, pids, mix[-phases.concurrent[10] :], profile_dir / target.name)
    return {"turns": [r.as_dict() for r in results], "memory_mib": memory, "profile": profile}


def profile_load(
    target: TurnTarget, pids: dict[str, int], conversations: list[Conversation], out_dir: Path
) -> dict[str, Any]:
    """Replays a concurrency-10 phase again under py-spy, and keeps each process's hottest frames."""
    with processes.sampling_profiles(pids, out_dir, seconds=600):
        asyncio.run(replay(target, conversations, 10, f"{target.name}-profile"))
    return {
        role: processes.hot_code(out_dir / f"{role}.txt")
        for role in pids
        if (out_dir / f"{role}.txt").exists()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.benchmark", description="性能基准测试（make bench）")
    parser.add_argument("--smoke", action="store_true", help="极小规模，只检查能跑通（CI 用）")
    parser.add_argument("--skip-search", action="store_true", help="不跑检索基准")
    parser.add_argument("--skip-raw", action="store_true", help="不跑原生 Rasa 基线（只看本系统）")
    parser.add_argument(
        "--profile", action="store_true", help="再用 py-spy 采样一轮并发 10，写入 var/bench/profile/"
    )
    args = parser.parse_args(argv)
    phases = SMOKE if args.smoke else FULL
    base = load_settings()
    out_dir = base.var_dir / "bench"
    began = time.perf_counter()
    report: dict[str, Any] = {"smoke": args.smoke, "phases": phases.__dict__}
    mix = conversation_mix(sum(phases.sizes()))
    print(
        f"消息组合：{len(mix)} 段对话，{sum(len(c.turns) for c in mix)} 轮（问事项、追问、问候、转人工）",
        flush=True,
    )
    profile_dir = out_dir / "profile" if args.profile else None
    with tempfile.TemporaryDirectory(prefix="zw-bench-") as tmp:
        settings = base.model_copy(
            update={
                "var_dir": Path(tmp) / "var",
                "embedding_cache": base.effective_embedding_cache,
                "port": free_port(),
                "rasa_port": free_port(),
                "actions_port": free_port(),
                "telegram_token": "",
            }
        )
        prepare_knowledge(settings)
        ensure_model(settings)
        if not args.skip_raw:
            report["raw"] = bench_raw_rasa(settings, mix, phases, args.smoke, profile_dir)
        report["ours"] = bench_ours(settings, mix, phases, profile_dir)
    if not args.skip_search:
        report["search"] = search_bench.run(smoke=args.smoke)
    report["seconds"] = round(time.perf_counter() - began, 1)
    report["targets"] = target_checks(report)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / ("bench-smoke.json" if args.smoke else "bench.json")
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print_report(report)
    print(f"结果已写入 {out}（总用时 {report['seconds']} 秒）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
