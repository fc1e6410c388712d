"""The conversation store against real SQLite and real PostgreSQL (a throwaway database)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from bot.contracts.conversation import ConversationState, Role
from bot.persistence.follow_ups import FollowUpStore
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.store import ConversationStore, create_db_engine
from bot.work_calendar import WorkCalendar
from tests.postgres import throwaway_postgres_database


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
