"""Conversation store: the only code that reads or writes conversations and messages.

Synchronous SQLAlchemy on purpose: calls are short, and the gateway runs them in a worker
thread so the event loop never waits on the database. SQLite and PostgreSQL differ only in
the URL (and SQLite's WAL pragma, set once per connection).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    bindparam,
    create_engine,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from bot.contracts.conversation import ConversationState, ConversationView, Role, StoredMessage
from bot.persistence.models import Conversation, Message, Rating, as_utc, utcnow


def _set_sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL syncs at checkpoints instead of on every commit: a crashed or
    # restarted process loses nothing; only a power cut can lose the last moments. The fsync
    # per commit was the gateway's largest single cost per turn in a py-spy profile.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_db_engine(database_url: str) -> Engine:
    """An engine for the URL; for SQLite the file's folder is created first."""
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(database_url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    return create_engine(database_url, pool_pre_ping=True)


# The statements every turn runs, built once: SQLAlchemy memoises a statement's cache key on
# the statement object, so a statement built per call paid for its key (and the lookup of its
# compiled form) on every turn. A sender is found by `{"channel": …, "external_id": …}`.
_SENDER_MATCHES: tuple[ColumnElement[bool], ...] = (
    Conversation.channel == bindparam("channel"),
    Conversation.external_id == bindparam("external_id"),
)
_FIND_SENDER = select(Conversation.id, Conversation.state).where(*_SENDER_MATCHES)
_INSERT_MESSAGES = insert(Message).returning(Message.id, sort_by_parameter_order=True)
_TOUCH_CONVERSATION = (
    update(Conversation)
    .where(Conversation.id == bindparam("conversation"))
    .values(updated_at=bindparam("touched_at"))
)


@dataclass(frozen=True)
class Received:
    conversation: ConversationView
    message: StoredMessage
    opened: bool  # no conversation of this sender before: the message opened it


def _view(row: Conversation) -> ConversationView:
    return ConversationView(row.id, row.channel, row.external_id, ConversationState(row.state))


def _found(connection: Connection, channel: str, external_id: str) -> ConversationView | None:
    row = connection.execute(_FIND_SENDER, {"channel": channel, "external_id": external_id}).first()
    return ConversationView(row.id, channel, external_id, ConversationState(row.state)) if row else None


def _stored(row: Message) -> StoredMessage:
    return StoredMessage(row.id, Role(row.role), row.text, dict(row.payload or {}), as_utc(row.created_at))


class ConversationStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def close(self) -> None:
        self._engine.dispose()

    def ping(self) -> None:
        """Raises when the database cannot be reached."""
        with self._engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def find_conversation(self, channel: str, external_id: str) -> ConversationView | None:
        """One SQL statement, no ORM object: the citizen's socket and the channels ask this for
        every message they deliver."""
        with self._engine.connect() as connection:
            return _found(connection, channel, external_id)

    def get_conversation(self, conversation_id: str) -> ConversationView:
        with self._sessions() as session:
            row = session.get(Conversation, conversation_id)
            if row is None:
                raise LookupError(conversation_id)
            return _view(row)

    def open_conversation(self, channel: str, external_id: str) -> ConversationView:
        """The conversation of this sender on this channel, created on first contact."""
        with self._sessions() as session:
            row = self._select_conversation(session, channel, external_id)
            if row is not None:
                return _view(row)
            row = Conversation(
                id=uuid.uuid4().hex,
                channel=channel,
                external_id=external_id,
                state=ConversationState.bot.value,
            )
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # another request created it first
                session.rollback()
                existing = self._select_conversation(session, channel, external_id)
                assert existing is not None
                return _view(existing)
            return _view(row)

    def receive(self, channel: str, external_id: str, text_: str) -> Received:
        """A citizen's message (already masked) stored in their conversation: one transaction
        for a known sender (the common turn), the conversation created first on first contact.

        This and `append_many` run on every turn, so they use SQL statements rather than ORM
        objects (the ORM's unit of work was most of the gateway's CPU per turn)."""
        with self._engine.begin() as connection:
            view = _found(connection, channel, external_id)
            if view is not None:
                message = self._insert_messages(connection, view.id, Role.citizen, [(text_, {})])[0]
                return Received(view, message, opened=False)
        conversation = self.open_conversation(channel, external_id)
        return Received(conversation, self.append(conversation.id, Role.citizen, text_), opened=True)

    def append(
        self, conversation_id: str, role: Role, text_: str, payload: dict[str, Any] | None = None
    ) -> StoredMessage:
        """Store one message (already masked by the caller) and touch the conversation."""
        return self.append_many(conversation_id, role, [(text_, payload or {})])[0]

    def append_many(
        self, conversation_id: str, role: Role, messages: list[tuple[str, dict[str, Any]]]
    ) -> list[StoredMessage]:
        """Store several messages of one speaker in one transaction (the bot's replies to a turn)."""
        if not messages:
            return []
        with self._engine.begin() as connection:
            return self._insert_messages(connection, conversation_id, role, messages)

    @staticmethod
    def _insert_messages(
        connection: Connection, conversation_id: str, role: Role, messages: list[tuple[str, dict[str, Any]]]
    ) -> list[StoredMessage]:
        now = utcnow()
        rows = [
            {"conversation_id": conversation_id, "role": role.value, "text": text_, "payload": payload,
             "created_at": now}
            for text_, payload in messages
        ]  # fmt: skip
        ids = list(connection.execute(_INSERT_MESSAGES, rows).scalars())
        connection.execute(_TOUCH_CONVERSATION, {"conversation": conversation_id, "touched_at": now})
        return [
            StoredMessage(message_id, role, text_, dict(payload), now)
            for message_id, (text_, payload) in zip(ids, messages, strict=True)
        ]

    def ratings(self, conversation_id: str) -> list[int]:
        query = select(Rating.score).where(Rating.conversation_id == conversation_id).order_by(Rating.id)
        with self._sessions() as session:
            return list(session.scalars(query))

    def messages_after(
        self, conversation_id: str, after_id: int = 0, limit: int = 100, roles: tuple[Role, ...] = ()
    ) -> list[StoredMessage]:
        query = (
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.id > after_id)
            .order_by(Message.id)
            .limit(limit)
        )
        if roles:
            query = query.where(Message.role.in_([role.value for role in roles]))
        with self._sessions() as session:
            return [_stored(row) for row in session.scalars(query)]

    def message_in(self, channel: str, external_id: str, message_id: int) -> StoredMessage | None:
        """One message of this sender's conversation (None for anyone else's)."""
        query = (
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Message.id == message_id,
                Conversation.channel == channel,
                Conversation.external_id == external_id,
            )
        )
        with self._sessions() as session:
            row = session.scalars(query).first()
            return _stored(row) if row else None

    def recent(self, conversation_id: str, limit: int) -> list[StoredMessage]:
        """The last `limit` messages, oldest first (the transcript handed to staff)."""
        query = (
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.id.desc())
            .limit(limit)
        )
        with self._sessions() as session:
            return [_stored(row) for row in reversed(list(session.scalars(query)))]

    @staticmethod
    def _select_conversation(session: Session, channel: str, external_id: str) -> Conversation | None:
        query = select(Conversation).where(*_SENDER_MATCHES)
        return session.scalars(query, {"channel": channel, "external_id": external_id}).first()
