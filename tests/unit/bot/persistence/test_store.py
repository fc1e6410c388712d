"""The conversation store against real SQLite and real PostgreSQL (a throwaway database)."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import JSON, DateTime, column, insert, inspect, select, table, text
from sqlalchemy.exc import IntegrityError

from bot.contracts.conversation import ConversationState, Role
from bot.persistence.follow_ups import FollowUpStore
from bot.persistence.migrate import alembic_config, upgrade_to_head
from bot.persistence.models import REPLY_FIELDS, Message
from bot.persistence.store import ConversationStore, create_db_engine
from bot.work_calendar import WorkCalendar
from tests.postgres import throwaway_postgres_database

RANGE_INDEX_0009 = "ix_messages_created_at_role_conversation"


@pytest.fixture
def store(database_url: str) -> Iterator[ConversationStore]:
    upgrade_to_head(database_url)
    store = ConversationStore(create_db_engine(database_url))
    yield store
    store.close()


def test_migrations_create_the_tables_and_are_idempotent(database_url: str) -> None:
    upgrade_to_head(database_url)
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    assert {"conversations", "messages", "ratings", "alembic_version"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_the_reply_fields_migration_fills_existing_replies_and_downgrades_cleanly(database_url: str) -> None:
    """Migration 0010 on a database already holding replies: the generated columns hold the
    fields of the rows written before it, its range index takes the place of 0009's, and
    the downgrade gives back 0009's schema with every row kept; upgrading again works."""
    config = alembic_config(database_url)
    command.upgrade(config, "0009_report_query_indexes")
    engine = create_db_engine(database_url)
    conversations = table(
        "conversations", *(column(name) for name in ("id", "channel", "external_id", "state")),
        column("created_at", DateTime(timezone=True)), column("updated_at", DateTime(timezone=True)),
    )  # fmt: skip
    messages = table(
        "messages", column("conversation_id"), column("role"), column("text"), column("payload", JSON),
        column("created_at", DateTime(timezone=True)),
    )  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    answer = {"type": "answer", "item_id": "id_card_reissue", "area": "certificates", "question": "fee"}
    payloads = [
        ("citizen", {}),
        ("bot", {"data": answer}),
        ("bot", {"data": {"type": "honest_no", "question": "steps"}}),
        ("bot", {"buttons": []}),
    ]
    with engine.begin() as connection:
        connection.execute(
            insert(conversations).values(
                id="c", channel="rest", external_id="u", state="bot", created_at=now, updated_at=now
            )
        )
        rows = [
            {"conversation_id": "c", "role": r, "text": "…", "payload": p, "created_at": now}
            for r, p in payloads
        ]
        connection.execute(insert(messages), rows)

    def schema() -> tuple[set[str], set[str]]:
        found = inspect(engine)
        columns = {c["name"] for c in found.get_columns("messages")}
        indexes = {str(i["name"]) for i in found.get_indexes("messages")}
        return columns & set(REPLY_FIELDS), indexes & {"ix_messages_range_reply", RANGE_INDEX_0009}

    def fields() -> list[tuple[str | None, ...]]:
        query = select(Message.reply_type, Message.reply_question, Message.reply_item_id, Message.reply_area)
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(query.order_by(Message.id))]

    expected = [
        (None, None, None, None),
        ("answer", "fee", "id_card_reissue", "certificates"),
        ("honest_no", "steps", None, None),
        (None, None, None, None),
    ]
    command.upgrade(config, "head")
    assert schema() == (set(REPLY_FIELDS), {"ix_messages_range_reply"})
    assert fields() == expected
    command.downgrade(config, "0009_report_query_indexes")
    assert schema() == (set(), {RANGE_INDEX_0009})
    with engine.connect() as connection:
        kept = connection.execute(select(messages.c.role, messages.c.payload).order_by(text("id"))).all()
    assert [tuple(row) for row in kept] == payloads
    command.upgrade(config, "head")
    assert schema() == (set(REPLY_FIELDS), {"ix_messages_range_reply"}) and fields() == expected
    engine.dispose()


def test_a_sender_has_one_conversation_per_channel(store: ConversationStore) -> None:
    first = store.open_conversation("rest", "t1")
    assert store.open_conversation("rest", "t1") == first
    other = store.open_conversation("telegram", "t1")
    assert other.id != first.id
    assert first.state is ConversationState.bot
    assert first.sender_key == "rest:t1"


def test_messages_come_back_in_order_after_an_id(store: ConversationStore) -> None:
    conversation = store.open_conversation("rest", "t2")
    asked = store.append(conversation.id, Role.citizen, "补办身份证要带什么材料")
    answer = store.append(conversation.id, Role.bot, "【居民身份证补领】…", {"buttons": [], "data": {"a": 1}})
    assert [m.text for m in store.messages_after(conversation.id)] == [
        "补办身份证要带什么材料",
        "【居民身份证补领】…",
    ]
    later = store.messages_after(conversation.id, after_id=asked.id, roles=(Role.bot,))
    assert [(m.id, m.payload) for m in later] == [(answer.id, {"buttons": [], "data": {"a": 1}})]


def test_unknown_sender_has_no_conversation(store: ConversationStore) -> None:
    assert store.find_conversation("rest", "nobody") is None
    store.ping()


def test_postgres_is_really_used_in_ci() -> None:
    """CI must exercise PostgreSQL, not silently skip it."""
    if os.environ.get("CI") != "true":
        pytest.skip("only enforced in CI")
    with throwaway_postgres_database() as url:
        assert url.startswith("postgresql+psycopg://")
        assert uuid.UUID(url.rsplit("_", 1)[1])


def test_ratings_are_kept_per_conversation_and_bounded(store: ConversationStore, database_url: str) -> None:
    conversation = store.open_conversation("rest", "rated")
    engine = create_db_engine(database_url)
    ratings = FollowUpStore(engine, WorkCalendar())
    ratings.record_rating(conversation.id, 4)
    ratings.record_rating(conversation.id, 5)
    assert store.ratings(conversation.id) == [4, 5]
    with pytest.raises(IntegrityError):
        ratings.record_rating(conversation.id, 6)
    assert store.ratings(conversation.id) == [4, 5]
    engine.dispose()
