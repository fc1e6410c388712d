"""Replaying the conversation mix against one HTTP endpoint, sequentially or with N citizens
at once, and summarising the turn times.

Each simulated citizen takes the next whole conversation from a shared list and sends its
turns one after another, waiting for every answer (as a person in a chat does), so
concurrency N means N conversations in flight. Every answer is checked: a failed or empty
turn counts as an error and is reported, never silently averaged in.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.benchmark.conversations import Conversation
from bot.benchmark.processes import hit_rate
from bot.gateway.conversation import NO_REPLY
from bot.json_http import HttpError, JsonConnection
from knowledge.bench import percentile


class TurnTarget(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def base_url(self) -> str: ...

    async def turn(self, connection: JsonConnection, sender: str, text: str) -> bool:
        """Send one citizen message; True when a proper answer came back."""
        ...


@dataclass(frozen=True)
class RasaWebhook:
    """Rasa's own REST channel, as a bare Rasa deployment is spoken to."""

    base_url: str
    name: str = "rasa"

    async def turn(self, connection: JsonConnection, sender: str, text: str) -> bool:
        status, body = await connection.post("/webhooks/rest/webhook", {"sender": sender, "message": text})
        return status == 200 and bool(body)


@dataclass(frozen=True)
class GatewayChat:
    """Our contract's `POST /api/v1/chat`: masking, storage, routing, Rasa, handoff."""

    base_url: str
    name: str = "gateway"

    async def turn(self, connection: JsonConnection, sender: str, text: str) -> bool:
        status, body = await connection.post("/api/v1/chat", {"sender_id": sender, "text": text})
        if status != 200 or not isinstance(body, dict):
            return False
        texts = [message.get("text") for message in body.get("messages") or []]
        # The gateway says NO_REPLY when Rasa came back empty (an action failed): not an answer.
        return bool(texts) and texts != [NO_REPLY]


@dataclass(frozen=True)
class Sample:
    """One replay: every turn's time, the failed turns, the wall time, and the CPU seconds
    each process spent meanwhile."""

    times_ms: list[float]
    errors: int
    seconds: float
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    parse_cache: dict[str, int] = field(default_factory=dict)  # Rasa's cache hits and misses


@dataclass(frozen=True)
class LoadResult:
    target: str
    concurrency: int
    turns: int
    errors: int
    seconds: float
    turns_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    # CPU time each process spent per turn ("bench" is the load generator).
    cpu_ms_per_turn: dict[str, float] = field(default_factory=dict)
    rounds: int = 1
    # Share of Rasa's parses answered from its text-keyed cache (None: a Rasa without one).
    parse_cache_hit_rate: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def pooled(cls, target: str, concurrency: int, samples: Sequence[Sample]) -> LoadResult:
        """The rounds of one system at one concurrency as one phase: percentiles over all
        their turns, turns per second over their summed wall time."""
        times = [t for sample in samples for t in sample.times_ms]
        seconds = sum(sample.seconds for sample in samples)
        roles = set.intersection(*(set(sample.cpu_seconds) for sample in samples))
        cache = {
            key: sum(sample.parse_cache[key] for sample in samples)
            for key in ("hits", "misses")
            if all(sample.parse_cache for sample in samples)
        }
        return cls(
            target=target,
            concurrency=concurrency,
            turns=len(times),
            errors=sum(sample.errors for sample in samples),
            seconds=round(seconds, 2),
            turns_per_second=round(len(times) / seconds, 1),
            p50_ms=round(statistics.median(times), 1),
            p95_ms=round(percentile(times, 0.95), 1),
            p99_ms=round(percentile(times, 0.99), 1),
            cpu_ms_per_turn={
                role: round(sum(sample.cpu_seconds[role] for sample in samples) * 1000 / len(times), 1)
                for role in sorted(roles)
            },
            rounds=len(samples),
            parse_cache_hit_rate=hit_rate(cache),
        )


async def replay(
    target: TurnTarget, conversations: Sequence[Conversation], concurrency: int, label: str
) -> Sample:
    """Replay `conversations` with `concurrency` citizens; senders are unique per `label`."""
    pending = iter(enumerate(conversations))
    times: list[float] = []
    errors = 0

    async def citizen() -> None:
        nonlocal errors
        connection = JsonConnection(target.base_url)  # a browser's kept-alive connection
        try:
            for number, conversation in pending:  # shared iterator: each conversation once
                sender = f"bench-{label}-{number}"
                for text in conversation.turns:
                    started = time.perf_counter()
                    try:
                        ok = await target.turn(connection, sender, text)
                    except HttpError:
                        ok = False
                    times.append((time.perf_counter() - started) * 1000)
                    errors += not ok
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(citizen() for _ in range(concurrency)))
    return Sample(times, errors, time.perf_counter() - started)


def split_mix(conversations: Sequence[Conversation], sizes: Sequence[int]) -> list[list[Conversation]]:
    """Consecutive slices of the mix (warm-up, sequential, concurrent …), never overlapping,
    so no phase benefits from a tracker or cache another phase filled."""
    cuts = list(itertools.accumulate(sizes))
    if cuts and cuts[-1] > len(conversations):
        raise ValueError(f"mix has {len(conversations)} conversations, phases need {cuts[-1]}")
    return [list(conversations[start:end]) for start, end in zip([0, *cuts], cuts, strict=False)]
