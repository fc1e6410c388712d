"""Open-loop load: citizens who write at their own pace, whatever the system's speed.

The closed phases (`load.py`) send the next turn as soon as the answer is in, so a slow
system is simply offered less work. Here each citizen writes, reads for 10–20 s, writes
again: the messages arrive at a fixed rate (200 citizens every 15 s on average: 13.3 a
second) and a slow answer cannot slow the arrivals. A turn's time runs from when the
citizen meant to send it (so a late send, were one ever forced, is counted, not hidden).
With `pids`, each process's resident memory is sampled as the load runs (the soak).
"""

from __future__ import annotations

import asyncio
import random
import statistics
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.benchmark import processes
from bot.benchmark.conversations import Conversation
from bot.benchmark.load import TurnTarget
from bot.json_http import HttpError, JsonConnection
from knowledge.bench import percentile


@dataclass(frozen=True)
class Plan:
    """How many citizens, for how long, and how long each reads before writing again."""

    citizens: int
    seconds: float
    think_seconds: tuple[float, float]

    @property
    def offered_per_second(self) -> float:
        return self.citizens / statistics.fmean(self.think_seconds)

    def describe(self) -> str:
        low, high = self.think_seconds
        return (
            f"{self.citizens} 位市民，每人每 {low:g}–{high:g} 秒一句，"
            f"{self.seconds:g} 秒，约 {self.offered_per_second:.1f} 句/秒"
        )


OPEN_LOOP = Plan(citizens=200, seconds=150.0, think_seconds=(10.0, 20.0))
SMOKE_OPEN_LOOP = Plan(citizens=10, seconds=8.0, think_seconds=(1.0, 2.0))


@dataclass
class Outcome:
    times_ms: list[float] = field(default_factory=list)
    errors: int = 0
    late: int = 0  # turns the citizen could only send after the think time, waiting for an answer
    conversations: int = 0
    memory_mib: list[dict[str, float]] = field(default_factory=list)  # {"second": …, role: MiB}

    def summary(self, plan: Plan) -> dict[str, Any]:
        times = self.times_ms or [0.0]
        return {
            "citizens": plan.citizens,
            "seconds": plan.seconds,
            "think_seconds": list(plan.think_seconds),
            "offered_per_second": round(plan.offered_per_second, 1),
            "turns": len(self.times_ms),
            "turns_per_second": round(len(self.times_ms) / plan.seconds, 1),
            "conversations": self.conversations,
            "errors": self.errors,
            "late": self.late,
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "p99_ms": round(percentile(times, 0.99), 1),
        }


async def run(
    target: TurnTarget,
    stream: Iterator[Conversation],
    plan: Plan,
    label: str,
    pids: Mapping[str, int] | None = None,
    sample_every: float = 30.0,
    seed: int = 2026,
) -> Outcome:
    """`plan.citizens` citizens, their first messages spread over one think time, each taking
    the next conversation of `stream` when theirs is done, until `plan.seconds` are up."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    end = start + plan.seconds
    outcome = Outcome()
    numbers = iter(range(1 << 62))

    async def citizen(index: int) -> None:
        rng = random.Random(seed * 100_003 + index)
        due = start + rng.uniform(0, plan.think_seconds[1])
        connection = JsonConnection(target.base_url)
        try:
            while due < end:
                conversation, number = next(stream), next(numbers)
                outcome.conversations += 1
                for text in conversation.turns:
                    if due >= end:
                        return
                    await asyncio.sleep(max(0.0, due - loop.time()))
                    try:
                        ok = await target.turn(connection, f"bench-{label}-{number}", text)
                    except HttpError:
                        ok = False
                    answered = loop.time()
                    outcome.times_ms.append((answered - due) * 1000)
                    outcome.errors += not ok
                    due += rng.uniform(*plan.think_seconds)
                    if answered > due:
                        outcome.late += 1
                        due = answered
        finally:
            await connection.close()

    def memory_row(pids: Mapping[str, int]) -> dict[str, float]:
        return {
            "second": round(loop.time() - start, 1),
            **{r: processes.memory_mib(p) for r, p in pids.items()},
        }

    async def sample_memory(pids: Mapping[str, int]) -> None:
        while True:
            outcome.memory_mib.append(memory_row(pids))
            await asyncio.sleep(sample_every)

    sampler = asyncio.create_task(sample_memory(pids)) if pids else None
    await asyncio.gather(*(citizen(index) for index in range(plan.citizens)))
    if sampler is not None and pids:
        sampler.cancel()
        outcome.memory_mib.append(memory_row(pids))
    return outcome


def memory_growth(samples: list[dict[str, float]], warm_seconds: float) -> dict[str, dict[str, float]]:
    """Each process's RSS after the warm-up (the first sample at or past `warm_seconds`), at
    the end, its peak, and the growth from the first to the last in percent."""
    if not samples:
        return {}
    after = [row for row in samples if row["second"] >= warm_seconds] or samples[-1:]
    first, last = after[0], after[-1]
    growth = {}
    for role in (key for key in first if key != "second"):
        growth[role] = {
            "start_mib": first[role],
            "end_mib": last[role],
            "peak_mib": max(row[role] for row in after),
            "growth_percent": round((last[role] - first[role]) * 100 / first[role], 1),
        }
    return growth
