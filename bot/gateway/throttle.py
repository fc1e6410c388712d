"""Rate limits on what anyone on the internet can call (chat, login), with the `limits` library.

Moving windows (no burst at a window's edge), kept in memory by default and in Redis when
`REDIS_URL` is set, so every gateway replica counts against the same budget. A limit set to
an empty string is off (the benchmark and the test suite drive many turns from one address).
A refusal is `RateLimitedError`: a 429 with `Retry-After` over HTTP, an error frame on a
WebSocket.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from bot.settings import Settings

TOO_MANY = "请求过于频繁，请 {seconds} 秒后再试；急事请拨打 12345 政务服务便民热线。"


class RateLimitedError(Exception):
    """Refused for now; `retry_after` whole seconds until trying again makes sense."""

    def __init__(self, retry_after: float, detail: str = "") -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        self.detail = detail or TOO_MANY.format(seconds=self.retry_after)
        super().__init__(self.detail)


def parse_limit(value: str) -> RateLimitItem | None:
    """`"20/minute"` → a limit; empty → no limit. Raises ValueError on anything else."""
    return parse(value) if value.strip() else None


@dataclass(frozen=True)
class Rule:
    """One budget: a limit on one kind of key (a sender, an address, an account)."""

    name: str
    limit: RateLimitItem | None


def open_storage(settings: Settings) -> Storage:
    """Redis when `REDIS_URL` is set (keys under `REDIS_PREFIX`), else this process's memory."""
    if not settings.redis_url:
        return MemoryStorage()
    return RedisStorage(
        f"async+{settings.redis_url}", implementation="redispy", key_prefix=f"{settings.redis_prefix}limits"
    )


class Throttle:
    """Counts hits per (rule, key) and refuses the one over any rule's limit."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, *checks: tuple[Rule, str]) -> None:
        """Count one request against each rule for its key; RateLimitedError if any is spent."""
        for rule, key in checks:
            if rule.limit is None:
                continue
            if not await self._limiter.hit(rule.limit, rule.name, key):
                stats = await self._limiter.get_window_stats(rule.limit, rule.name, key)
                raise RateLimitedError(stats.reset_time - time.time())

    async def clear(self, rule: Rule, key: str) -> None:
        """Forget what this key has spent under this rule (an admin lifting a login lock)."""
        if rule.limit is not None:
            await self._limiter.clear(rule.limit, rule.name, key)


@dataclass(frozen=True)
class ChatRules:
    """Citizen chat: messages (REST and WebSocket frames) and reads of the history, each per
    sender and per client address. Reads have their own budget: the widget polls every 3 s."""

    send_per_sender: Rule
    send_per_address: Rule
    read_per_sender: Rule
    read_per_address: Rule

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatRules:
        return cls(
            Rule("chat-sender", parse_limit(settings.rate_chat_per_sender)),
            Rule("chat-address", parse_limit(settings.rate_chat_per_address)),
            Rule("read-sender", parse_limit(settings.rate_read_per_sender)),
            Rule("read-address", parse_limit(settings.rate_read_per_address)),
        )
