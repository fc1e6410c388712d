"""What the WeChat channel keeps in the app DB, shared by every gateway replica: which
callbacks were already taken (so WeChat's retries are answered once), the access token, the
replies that could not be pushed, and when a citizen last wrote (WeChat's 48-hour window).

Synchronous like the other stores; the connector calls it from a worker thread.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute

from bot.contracts.conversation import Role
from bot.persistence.models import (
    Message,
    WechatCredential,
    WechatDelivery,
    WechatUnpushed,
    WecomCursor,
    as_utc,
    utcnow,
)

RUNNING = "running"
PASSIVE = "passive"
PUSHED = "pushed"
DELIVERY_RETENTION = dt.timedelta(days=2)  # WeChat retries within 15 s; two days is plenty


@dataclass(frozen=True)
class Delivery:
    status: str
    reply: str | None


class WechatStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # --- deduplication of callbacks ------------------------------------------------------
    def claim(self, key: str) -> bool:
        """True for the first caller with this key on any replica; False for a retry."""
        if random.random() < 0.01:  # now and then, forget deliveries nobody can retry any more
            with self._engine.begin() as connection:
                cutoff = utcnow() - DELIVERY_RETENTION
                connection.execute(delete(WechatDelivery).where(WechatDelivery.created_at < cutoff))
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(WechatDelivery).values(key=key, status=RUNNING, reply=None, created_at=utcnow())
                )
        except IntegrityError:
            return False
        return True

    def settle(self, key: str, status: str, reply: str | None = None) -> bool:
        """Move a running delivery to `status`; False when it had already left `running`."""
        with self._engine.begin() as connection:
            moved = connection.execute(
                update(WechatDelivery)
                .where(WechatDelivery.key == key, WechatDelivery.status == RUNNING)
                .values(status=status, reply=reply)
            )
            return bool(moved.rowcount)

    def delivery(self, key: str) -> Delivery | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(WechatDelivery.status, WechatDelivery.reply).where(WechatDelivery.key == key)
            ).first()
        return Delivery(row.status, row.reply) if row else None

    # --- shared credentials (wechatpy's session storage reads and writes these) ----------
    def credential(self, key: str) -> str | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(WechatCredential.value, WechatCredential.expires_at).where(WechatCredential.key == key)
            ).first()
        if row is None or as_utc(row.expires_at) <= utcnow():
            return None
        return str(row.value)

    def set_credential(self, key: str, value: str, ttl_seconds: float) -> None:
        expires_at = utcnow() + dt.timedelta(seconds=ttl_seconds)
        self._upsert(WechatCredential.key, key, {"value": value, "expires_at": expires_at})

    def delete_credential(self, key: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(delete(WechatCredential).where(WechatCredential.key == key))

    # --- WeChat's customer-service window ------------------------------------------------
    def last_citizen_message_at(self, conversation_id: str) -> dt.datetime | None:
        query = select(func.max(Message.created_at)).where(
            Message.conversation_id == conversation_id, Message.role == Role.citizen.value
        )
        with self._engine.connect() as connection:
            value = connection.execute(query).scalar()
        return as_utc(value) if value is not None else None

    def keep_unpushed(self, conversation_id: str, message_id: int) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                insert(WechatUnpushed).values(
                    message_id=message_id, conversation_id=conversation_id, created_at=utcnow()
                )
            )

    def take_unpushed(self, conversation_id: str) -> list[int]:
        """The ids of messages still owed to this citizen, oldest first, now handed over.

        Deleted row by row so that two replicas taking at once never both get one."""
        with self._engine.begin() as connection:
            ids = list(
                connection.execute(
                    select(WechatUnpushed.message_id)
                    .where(WechatUnpushed.conversation_id == conversation_id)
                    .order_by(WechatUnpushed.message_id)
                ).scalars()
            )
        taken = []
        for message_id in ids:
            with self._engine.begin() as connection:
                gone = connection.execute(
                    delete(WechatUnpushed).where(WechatUnpushed.message_id == message_id)
                )
                if gone.rowcount:
                    taken.append(message_id)
        return taken

    # --- WeCom 微信客服: where sync_msg stopped -------------------------------------------
    def cursor(self, open_kfid: str) -> str:
        with self._engine.connect() as connection:
            value = connection.execute(
                select(WecomCursor.cursor).where(WecomCursor.open_kfid == open_kfid)
            ).scalar()
        return str(value or "")

    def set_cursor(self, open_kfid: str, cursor: str) -> None:
        self._upsert(WecomCursor.open_kfid, open_kfid, {"cursor": cursor, "updated_at": utcnow()})

    def _upsert(self, key_column: InstrumentedAttribute[str], key: str, values: dict[str, Any]) -> None:
        """Update the row with this key, or insert it (the same on SQLite and PostgreSQL)."""
        table = key_column.class_
        with self._engine.begin() as connection:
            moved = connection.execute(update(table).where(key_column == key).values(**values))
            if not moved.rowcount:
                try:
                    with connection.begin_nested():
                        connection.execute(insert(table).values({key_column.key: key, **values}))
                except IntegrityError:  # another replica stored one at the same moment
                    pass
