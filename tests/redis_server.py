"""The Redis on 127.0.0.1:6379, with a key prefix of its own per use (deleted afterwards).

Skips outside CI when Redis is not reachable; in CI an unreachable Redis is an error, so the
scale-out path can never be skipped silently there."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextmanager
def throwaway_redis_prefix() -> Iterator[tuple[str, str]]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"Redis 不可用：{exc}")
    prefix = f"zwtest:{uuid.uuid4().hex}:"
    try:
        yield REDIS_URL, prefix
    finally:
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()
