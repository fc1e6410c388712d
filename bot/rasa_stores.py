"""Where Rasa keeps its conversations and locks, as entries of its endpoints file.

The tracker store is the application database (Rasa's own `SQLTrackerStore`, its table
`events` next to ours), so a Rasa that crashed and came back, or another Rasa server behind
the same gateway, goes on with each conversation where it was. With `REDIS_URL` the lock
store is Redis: two Rasa servers never handle one conversation's turns at the same time.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import make_url

from bot.settings import Settings

# Rasa runs in its own virtualenv, which has psycopg2 (SQLAlchemy's default PostgreSQL driver).
RASA_POSTGRES_DRIVER = "postgresql"

# Rasa's SQL tracker store that keeps each recent conversation's tracker between turns
# (bot/scripts/kept_tracker_store.py, importable from the launcher's folder). Rasa would fall
# back to its in-memory store without a word if it could not load it; the launcher imports it
# first so that a missing module stops Rasa instead.
KEPT_SQL_TRACKER_STORE = "kept_tracker_store.KeptSQLTrackerStore"


def rasa_database_url(database_url: str) -> str:
    """Our database URL as Rasa's SQLAlchemy 1.4 connects to it (its own driver)."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername=RASA_POSTGRES_DRIVER)
    return url.render_as_string(hide_password=False)


def lock_key_prefix(redis_prefix: str) -> str:
    """Rasa accepts only an alphanumeric key prefix (it appends `:lock:` itself)."""
    return re.sub(r"[^0-9A-Za-z]", "", redis_prefix) or "zhengwu"


def tracker_store_entry(settings: Settings) -> dict[str, Any] | None:
    """Rasa's `tracker_store` entry; None keeps Rasa's in-memory default."""
    if settings.rasa_tracker_store == "memory":
        return None
    # Rasa takes a complete URL (one with `://`) as the whole connection string.
    return {"type": KEPT_SQL_TRACKER_STORE, "url": rasa_database_url(settings.effective_database_url)}


def lock_store_entry(settings: Settings) -> dict[str, Any] | None:
    """Rasa's `lock_store` entry on `REDIS_URL`; None keeps Rasa's in-memory default."""
    if not settings.redis_url:
        return None
    parts = urlsplit(settings.redis_url)
    entry: dict[str, Any] = {
        "type": "redis",
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(parts.path.strip("/") or 0),
        "key_prefix": lock_key_prefix(settings.redis_prefix),
        "use_ssl": parts.scheme == "rediss",
    }
    if parts.username:
        entry["username"] = unquote(parts.username)
    if parts.password:
        entry["password"] = unquote(parts.password)
    return entry
