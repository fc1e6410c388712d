"""`make bench` (`python -m bot.benchmark`): one run, one machine, every number in a table
and in `var/bench/bench.json`.

1. Raw Rasa: Rasa 3.6 with the default recipe's policies (`bot/benchmark/baseline.py`) and
   the same action server, spoken to through Rasa's REST webhook, sequentially and with 10
   citizens at once.
2. Ours: `make run`, timed to ready, then the same conversations through `POST /api/v1/chat`
   sequentially and with 10 and 50 citizens at once; the ratio ours/raw for each figure.
3. Memory of every process of both, after the load.
4. Open loop: 200 citizens on ours, each writing every 10–20 s for 2.5 minutes
   (`open_loop.py`), p50/p95/p99 and errors.
5. Search latency and index build rate at 1k/10k/100k items (`knowledge/bench.py`).

No first question is sent twice in a run (`questions.py`), and every phase reports how many
of Rasa's parses its text-keyed cache answered. `--soak 30m` instead runs ours alone under
the open-loop load for that long and reports each process's memory growth.

The machine is shared and noisy: both systems are up at once but never loaded at once; each
phase they share is cut into rounds taken in turn (raw, ours, ours, raw, …), so drift in the
machine's speed falls on both. Latencies are medians and nearest-rank percentiles over all
rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.benchmark import open_loop, processes
from bot.benchmark.baseline import baseline_model, stock_site_packages
from bot.benchmark.conversations import GREETINGS, Conversation, conversation_stream
from bot.benchmark.load import GatewayChat, LoadResult, RasaWebhook, Sample, TurnTarget, replay, split_mix
from bot.benchmark.report import print_report, target_checks
from bot.runner import Supervisor, children, free_port
from bot.settings import UNTHROTTLED, Settings, load_settings
from bot.training import ensure_model
from knowledge import bench as search_bench
from knowledge.service import prepare_knowledge


@dataclass(frozen=True)
class Phases:
    """How many conversations each phase replays (about four turns each), and in how many
    alternating rounds the phases both systems run are split."""

    warm: int
    sequential: int
    concurrent: dict[int, int]
    rounds: int

    def sizes(self) -> list[int]:
        return [self.warm, self.sequential, *self.concurrent.values()]


FULL = Phases(warm=10, sequential=42, concurrent={10: 150, 50: 250}, rounds=3)
SMOKE = Phases(warm=1, sequential=2, concurrent={10: 10, 50: 50}, rounds=2)
RAW_LEVELS = (1, 10)


@dataclass
class System:
    """One running system under test: how to talk to it, its processes, what it runs."""

    name: str
    target: TurnTarget
    pids: dict[str, int]
    levels: tuple[int, ...]
    rasa_url: str
    facts: dict[str, Any] = field(default_factory=dict)


@contextmanager
def raw_rasa(settings: Settings, smoke: bool) -> Iterator[System]:
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
        facts = {"model": model.name}
        yield System("raw", RasaWebhook(settings.rasa_url), pids, RAW_LEVELS, settings.rasa_url, facts)
    finally:
        supervisor.stop()


@contextmanager
def our_system(
    settings: Settings,
    levels: tuple[int, ...],
    name: str = "ours",
    extra: Mapping[str, str] | None = None,
    command: Sequence[str] = processes.MAKE_RUN,
) -> Iterator[System]:
    """`make run` (or `command`) with `settings` and `extra` environment (e.g. the A/B tool's
    `RASA_STOCK_PATHS`), timed to ready; stopped when the block ends."""
    log = settings.var_dir / "make-run.log"
    # Many citizens from one address as fast as they can go: unthrottled, as before limits.
    environment = {**settings.as_environment(), **UNTHROTTLED, **(extra or {})}
    started = processes.start_make_run(environment, settings.gateway_url, log, command)
    started_by = "make run" if tuple(command) == processes.MAKE_RUN else " ".join(["python", *command[1:]])
    print(f"{name}：{started_by} → 就绪：{started.seconds_to_ready} 秒", flush=True)
    try:
        pids = processes.pids_by_role(started.process.pid)
        target = GatewayChat(settings.gateway_url)
        facts = {"seconds_to_ready": started.seconds_to_ready}
        yield System(name, target, pids, levels, settings.rasa_url, facts)
    finally:
        processes.stop_process_group(started.process)


def timed_replay(system: System, conversations: list[Conversation], level: int, label: str) -> Sample:
    before, cache_before = processes.cpu_seconds(system.pids), processes.parse_cache_counts(system.rasa_url)
    sample = asyncio.run(replay(system.target, conversations, level, label))
    after, cache_after = processes.cpu_seconds(system.pids), processes.parse_cache_counts(system.rasa_url)
    return replace(
        sample,
        cpu_seconds={role: after[role] - before[role] for role in after if role in before},
        parse_cache=processes.cache_use(cache_before, cache_after),
    )


def run_phases(systems: list[System], mix: list[Conversation], phases: Phases) -> dict[str, list[LoadResult]]:
    """Every system replays the same conversations at each of its concurrency levels. Where
    several systems share a level, the phase is cut into rounds and the systems take turns
    (ABBA…), so a slow minute of this shared machine falls on both rather than on one."""
    warm, sequential, *concurrent = split_mix(mix, phases.sizes())
    by_level = {1: sequential, **dict(zip(phases.concurrent, concurrent, strict=True))}
    for system in systems:
        timed_replay(system, warm, 1, f"{system.name}-warm")
    results: dict[str, list[LoadResult]] = {system.name: [] for system in systems}
    for level, conversations in by_level.items():
        running = [system for system in systems if level in system.levels]
        rounds = phases.rounds if len(running) > 1 else 1
        samples: dict[str, list[Sample]] = {system.name: [] for system in running}
        for number in range(rounds):
            part = conversations[number::rounds]
            for system in running if number % 2 == 0 else running[::-1]:
                sample = timed_replay(system, part, level, f"{system.name}-c{level}-r{number}")
                samples[system.name].append(sample)
                turns = len(sample.times_ms)
                print(
                    f"  {system.name} 并发 {level:>2} 第 {number + 1}/{rounds} 轮：{turns} 轮，"
                    f"{turns / sample.seconds:.1f} 轮/秒，错误 {sample.errors}"
                    + cache_note(sample.parse_cache),
                    flush=True,
                )
        for system in running:
            results[system.name].append(LoadResult.pooled(system.target.name, level, samples[system.name]))
    return results


def cache_note(use: dict[str, int]) -> str:
    rate = processes.hit_rate(use)
    return "" if rate is None else f"，解析缓存命中 {rate:.0%}"


def measure(
    systems: list[System],
    mix: list[Conversation],
    phases: Phases,
    profile_dir: Path | None,
    rest: Iterator[Conversation],
    plan: open_loop.Plan,
) -> dict[str, Any]:
    """The load phases, then each process's memory after them, then the open loop on ours
    (with conversations the phases never sent), then (optionally) a profile."""
    results = run_phases(systems, mix, phases)
    measured: dict[str, Any] = {}
    for system in systems:
        memory = {role: processes.memory_mib(pid) for role, pid in system.pids.items()}
        profile = None
        if profile_dir is not None:
            last = mix[-phases.concurrent[10] :]
            profile = profile_load(system.target, system.pids, last, profile_dir / system.target.name)
        measured[system.name] = {
            **system.facts,
            "turns": [r.as_dict() for r in results[system.name]],
            "memory_mib": memory,
            "profile": profile,
        }
    ours = systems[-1]
    measured["ours"]["open_loop"] = open_loop_phase(ours, rest, plan)
    return measured


def open_loop_phase(
    system: System, rest: Iterator[Conversation], plan: open_loop.Plan, pids: dict[str, int] | None = None
) -> dict[str, Any]:
    """Open-loop load on one system, with its parse-cache use (and memory samples with `pids`)."""
    print(f"开放负载：{plan.describe()}……", flush=True)
    cache_before = processes.parse_cache_counts(system.rasa_url)
    outcome = asyncio.run(open_loop.run(system.target, rest, plan, f"{system.name}-open", pids))
    use = processes.cache_use(cache_before, processes.parse_cache_counts(system.rasa_url))
    summary = outcome.summary(plan)
    summary["parse_cache_hit_rate"] = processes.hit_rate(use)
    if pids:
        summary["memory_samples"] = outcome.memory_mib
    print(
        f"  {summary['turns']} 轮，错误 {summary['errors']}，p50 {summary['p50_ms']} ms，"
        f"p95 {summary['p95_ms']} ms，p99 {summary['p99_ms']} ms" + cache_note(use),
        flush=True,
    )
    return summary


def duration_seconds(text: str) -> float:
    """`30m`, `5m`, `90s`, `1h` (a bare number is minutes)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"时长写作 30m、90s 或 1h，而不是「{text}」")
    return float(match[1]) * {"s": 1, "m": 60, "": 60, "h": 3600}[match[2]]


def soak(settings: Settings, seconds: float, rest: Iterator[Conversation]) -> dict[str, Any]:
    """Ours alone under the open-loop load for `seconds`, each process's RSS sampled every
    30 s; growth counts from the first sample after a warm-up (a fifth of the run, at most
    a minute), once the caches and pools have filled."""
    plan = replace(open_loop.OPEN_LOOP, seconds=seconds)
    with our_system(settings, (1,)) as ours:
        result = open_loop_phase(ours, rest, plan, pids=ours.pids)
    warm = min(60.0, seconds / 5)
    result["warm_seconds"] = warm
    result["memory_growth"] = open_loop.memory_growth(result["memory_samples"], warm)
    return {"ours": {"seconds_to_ready": ours.facts["seconds_to_ready"], "soak": result}}


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
    parser.add_argument(
        "--soak",
        type=duration_seconds,
        metavar="时长",
        help="只跑本系统的浸泡测试：开放负载持续该时长（如 30m），报告各进程内存增长；不跑其他阶段",
    )
    args = parser.parse_args(argv)
    phases = SMOKE if args.smoke else FULL
    plan = open_loop.SMOKE_OPEN_LOOP if args.smoke else open_loop.OPEN_LOOP
    base = load_settings()
    out_dir = base.var_dir / "bench"
    began = time.perf_counter()
    report: dict[str, Any] = {"smoke": args.smoke, "phases": phases.__dict__}
    stream = conversation_stream()  # one stream per run: no first question is sent twice
    mix = [] if args.soak else list(itertools.islice(stream, sum(phases.sizes())))
    describe(mix)
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
        if args.soak:
            report = {"soak_seconds": args.soak, **soak(settings, args.soak, stream)}
        else:
            # The baseline runs beside ours (its own ports), idle while ours is measured.
            raw_settings = settings.model_copy(update={"rasa_port": free_port(), "actions_port": free_port()})
            with contextlib.ExitStack() as running:
                systems = [] if args.skip_raw else [running.enter_context(raw_rasa(raw_settings, args.smoke))]
                systems.append(running.enter_context(our_system(settings, (1, *phases.concurrent))))
                report.update(measure(systems, mix, phases, profile_dir, stream, plan))
    if not args.skip_search and not args.soak:
        report["search"] = search_bench.run(smoke=args.smoke)
    report["seconds"] = round(time.perf_counter() - began, 1)
    report["targets"] = target_checks(report)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = "bench-soak.json" if args.soak else "bench-smoke.json" if args.smoke else "bench.json"
    out = out_dir / name
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print_report(report)
    print(f"结果已写入 {out}（总用时 {report['seconds']} 秒）")
    return 0


def describe(mix: Iterable[Conversation]) -> None:
    mix = list(mix)
    if mix:
        turns = sum(len(c.turns) for c in mix)
        firsts = len({next(t for t in c.turns if t not in GREETINGS) for c in mix})
        print(
            f"消息组合：{len(mix)} 段对话，{turns} 轮（问事项、追问、问候、转人工），{firsts} 个不同的首问",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
