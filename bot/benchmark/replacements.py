"""A/B of our Rasa launcher's replacements (`python -m bot.benchmark.replacements --stock NAME`):
what one (or a few) of them is worth, measured with `make bench`'s own workload and code.

Our launcher (bot/scripts/rasa_server.py) replaces Rasa and TensorFlow internals for speed;
each replacement must earn its upkeep. This starts our whole system twice (`python -m bot
run`, what `make run` runs once set up), side by side on their own ports and data folders:
arm A as it runs in production, arm B with the named replacements left out
(`RASA_STOCK_PATHS`, which the launcher checks and `/status` confirms).
Both arms then replay the same conversations, sequentially and with 10 citizens, in
alternating rounds (A B B A …, `run_phases`) so that this shared machine's slow minutes fall on
both, and the report gives per arm: Rasa's CPU per turn (from /proc of the Rasa process),
throughput, p50/p95, Rasa's resident memory and time to ready, and the gain of the
replacement in % (stock / ours − 1 for costs, ours / stock − 1 for throughput).

Without `--stock` both arms are the same (A/A): the differences are then this machine's noise,
the yardstick for any gain.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bot.benchmark import processes
from bot.benchmark.__main__ import Phases, System, describe, our_system, run_phases
from bot.benchmark.conversations import conversation_stream
from bot.benchmark.load import LoadResult
from bot.runner import RASA_SERVER, free_port
from bot.settings import Settings, load_settings
from bot.training import ensure_model, rasa_environment
from knowledge.service import prepare_knowledge

STOCK_PATHS_VARIABLE = "RASA_STOCK_PATHS"
# Sequential and 10 citizens, as `make bench` measures Rasa's share; more rounds than there
# because a gain of a few % needs the alternation to average the machine's drift away.
DEFAULT = Phases(warm=6, sequential=24, concurrent={10: 120}, rounds=4)
SHORT = Phases(warm=2, sequential=8, concurrent={10: 40}, rounds=2)


def checked_names(settings: Settings, stock: str) -> list[str]:
    """The names in `stock` as the launcher reads them (its own `stock_paths`, run in Rasa's
    environment): an unknown name stops here, with the launcher's message and its list."""
    program = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(RASA_SERVER.parent)!r})\n"
        "import rasa_server\n"
        "print(json.dumps(rasa_server.stock_paths(sys.argv[1])))\n"
    )
    done = subprocess.run(
        [str(settings.rasa_venv / "bin" / "python"), "-c", program, stock],
        env=rasa_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        sys.exit(done.stderr.strip() or f"无法检查替换名（退出码 {done.returncode}）")
    names: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return names


def stock_paths_of(system: System) -> list[str]:
    """What the running Rasa says it left out (its `/status`)."""
    body = httpx.get(f"{system.rasa_url}/status", timeout=10).json()
    return list(body.get("stock_paths", []))


def arm_settings(base: Settings, var_dir: Path) -> Settings:
    return base.model_copy(
        update={
            "var_dir": var_dir,
            "embedding_cache": base.effective_embedding_cache,
            "port": free_port(),
            "rasa_port": free_port(),
            "actions_port": free_port(),
            "telegram_token": "",
        }
    )


def gain(ours: float, stock: float, cost: bool = True) -> float | None:
    """The replacement's gain in %: for a cost (CPU, latency) how much more the stock path
    spends, for a rate (throughput) how much more ours does."""
    if not ours or not stock:
        return None
    return round(((stock / ours) if cost else (ours / stock)) * 100 - 100, 1)


def compare(ours: LoadResult, stock: LoadResult) -> dict[str, Any]:
    rasa_ours, rasa_stock = ours.cpu_ms_per_turn.get("rasa", 0.0), stock.cpu_ms_per_turn.get("rasa", 0.0)
    return {
        "concurrency": ours.concurrency,
        "turns": {"ours": ours.turns, "stock": stock.turns},
        "errors": {"ours": ours.errors, "stock": stock.errors},
        "rasa_cpu_ms_per_turn": {
            "ours": rasa_ours,
            "stock": rasa_stock,
            "gain_pct": gain(rasa_ours, rasa_stock),
        },
        "turns_per_second": {
            "ours": ours.turns_per_second,
            "stock": stock.turns_per_second,
            "gain_pct": gain(ours.turns_per_second, stock.turns_per_second, cost=False),
        },
        "p50_ms": {"ours": ours.p50_ms, "stock": stock.p50_ms, "gain_pct": gain(ours.p50_ms, stock.p50_ms)},
        "p95_ms": {"ours": ours.p95_ms, "stock": stock.p95_ms, "gain_pct": gain(ours.p95_ms, stock.p95_ms)},
        "parse_cache_hit_rate": {"ours": ours.parse_cache_hit_rate, "stock": stock.parse_cache_hit_rate},
    }


def print_comparison(report: dict[str, Any]) -> None:
    left_out = "、".join(report["stock_paths"]) or "无（A/A：两组相同，差异即噪声）"
    print(f"\n替换 A/B：B 组不安装 {left_out}；收益 = 原生路径多花的 %（吞吐量：本系统多出的 %）")
    arms = report["arms"]
    print(
        f"  Rasa 内存 {arms['ours']['rasa_memory_mib']} / {arms['stock']['rasa_memory_mib']} MiB，"
        f"就绪 {arms['ours']['seconds_to_ready']} / {arms['stock']['seconds_to_ready']} 秒（A / B）"
    )
    for row in report["turns"]:
        print(f"  并发 {row['concurrency']:>2}（{row['turns']['ours']} / {row['turns']['stock']} 轮）")
        for key, label in (
            ("rasa_cpu_ms_per_turn", "Rasa CPU 毫秒/轮"),
            ("turns_per_second", "吞吐量 轮/秒"),
            ("p50_ms", "p50 毫秒"),
            ("p95_ms", "p95 毫秒"),
        ):
            figure = row[key]
            change = "—" if figure["gain_pct"] is None else f"{figure['gain_pct']:+.1f}%"
            print(f"    {label:<16} A {figure['ours']:>8}  B {figure['stock']:>8}  收益 {change}")
        if row["errors"]["ours"] or row["errors"]["stock"]:
            print(f"    错误：A {row['errors']['ours']}，B {row['errors']['stock']}")


@contextlib.contextmanager
def shown_logs_on_failure(*arms: Settings) -> Iterator[None]:
    """The end of each arm's log when starting or measuring fails: the folder that holds them
    is removed on the way out."""
    try:
        yield
    except BaseException:
        for settings in arms:
            log = settings.var_dir / "make-run.log"
            if log.exists():
                tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
                print(f"--- {log} 的结尾 ---\n{tail}", file=sys.stderr, flush=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.benchmark.replacements",
        description="Rasa 启动器替换项的 A/B 测量：本系统 对比 不安装指定替换项的本系统",
    )
    parser.add_argument(
        "--stock",
        default="",
        metavar="名称[,名称]",
        help="B 组不安装、改走 Rasa 原生代码的替换项（见 bot/scripts/rasa_server.py 的 REPLACEMENTS）；"
        "不给则两组相同（A/A，测噪声）",
    )
    parser.add_argument("--rounds", type=int, help=f"每个并发级别交替的轮数（默认 {DEFAULT.rounds}）")
    parser.add_argument("--short", action="store_true", help="少量对话，只看能跑通、粗看数字")
    args = parser.parse_args(argv)
    base = load_settings()
    names = checked_names(base, args.stock)
    phases = SHORT if args.short else DEFAULT
    if args.rounds:
        phases = Phases(phases.warm, phases.sequential, phases.concurrent, args.rounds)
    mix = list(itertools.islice(conversation_stream(), sum(phases.sizes())))
    describe(mix)
    with tempfile.TemporaryDirectory(prefix="zw-ab-") as tmp:
        ours_settings = arm_settings(base, Path(tmp) / "ours" / "var")
        stock_settings = arm_settings(base, Path(tmp) / "stock" / "var")
        for settings in (ours_settings, stock_settings):  # the vectors come from the shared cache
            prepare_knowledge(settings)
        ensure_model(ours_settings)
        with contextlib.ExitStack() as running, shown_logs_on_failure(ours_settings, stock_settings):
            # `python -m bot run`, what `make run` runs after `make setup`: this checkout's
            # environments are left as they are (they may be another checkout's, linked).
            ours = running.enter_context(our_system(ours_settings, (1, 10), "ours", {}, processes.BOT_RUN))
            left_out = {STOCK_PATHS_VARIABLE: ",".join(names)}
            stock = running.enter_context(
                our_system(stock_settings, (1, 10), "stock", left_out, processes.BOT_RUN)
            )
            for system, expected in ((ours, []), (stock, names)):
                reported = stock_paths_of(system)
                if reported != expected:
                    sys.exit(f"错误：{system.name} 组的 Rasa 报告 stock_paths={reported}，应为 {expected}")
            results = run_phases([ours, stock], mix, phases)
            arms = {
                system.name: {
                    **system.facts,
                    "rasa_memory_mib": processes.memory_mib(system.pids["rasa"]),
                    "memory_mib": {role: processes.memory_mib(pid) for role, pid in system.pids.items()},
                }
                for system in (ours, stock)
            }
    report = {
        "stock_paths": names,
        "phases": phases.__dict__,
        "arms": arms,
        "turns": [compare(a, b) for a, b in zip(results["ours"], results["stock"], strict=True)],
    }
    out_dir = base.var_dir / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"replacements-{'+'.join(names) or 'aa'}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print_comparison(report)
    print(f"结果已写入 {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
