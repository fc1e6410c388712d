"""Fan-out of live events (new tickets, staff replies) to whoever is connected.

One interface, two implementations: in one process a `LocalBus` hands events to the
WebSocket handlers' queues; with `REDIS_URL` a `RedisBus` publishes through Redis pub/sub and
every replica's single listener hands what arrives to its own local queues, so a reply typed
on one replica reaches a citizen connected to another.

Topics: `console` (ticket changes and messages for the staff console) and
`conversation:<id>` (what a citizen should see).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as redis_asyncio

logger = logging.getLogger(__name__)

CONSOLE = "console"
QUEUE_SIZE = 1000


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class LocalBus:
    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def ping(self) -> None:
        return None

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        self._deliver(topic, event)

    def _deliver(self, topic: str, event: dict[str, Any]) -> None:
        for queue in list(self._queues.get(topic, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:  # a stalled client; it re-reads history on reconnect
                logger.warning("订阅者处理过慢，丢弃一条实时事件（%s）", topic)

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._queues[topic].add(queue)
        try:
            yield queue
        finally:
            self._queues[topic].discard(queue)
            if not self._queues[topic]:
                del self._queues[topic]


class RedisBus(LocalBus):
    RETRY_SECONDS = 1.0

    def __init__(self, url: str, prefix: str) -> None:
        super().__init__()
        self._redis = redis_asyncio.from_url(url)
        self._prefix = prefix + "events:"
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="redis-bus-listener")
        await asyncio.wait_for(self._subscribed.wait(), timeout=10)

    async def ping(self) -> None:
        """Raises unless Redis answers (for `/readyz`)."""
        async with asyncio.timeout(3.0):
            await self._redis.ping()

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._redis.aclose()

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        await self._redis.publish(self._prefix + topic, json.dumps(event, ensure_ascii=False))

    async def _listen(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub()
                await pubsub.psubscribe(self._prefix + "*")
                self._subscribed.set()
                async for message in pubsub.listen():
                    if message.get("type") != "pmessage":
                        continue
                    channel = message["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else str(channel)
                    self._deliver(channel.removeprefix(self._prefix), json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Redis 订阅中断，%.0f 秒后重连", self.RETRY_SECONDS)
                await asyncio.sleep(self.RETRY_SECONDS)


EventBus = LocalBus  # the interface; RedisBus is the scale-out implementation


def make_bus(redis_url: str, prefix: str) -> EventBus:
    return RedisBus(redis_url, prefix) if redis_url else LocalBus()
