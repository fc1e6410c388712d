"""The bot's answers by question type and its most asked-about items, proven against a
hand-counted week (2026-09-28 to 10-04, Asia/Shanghai) on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.persistence.migrate import upgrade_to_head
from bot.persistence.models import Conversation, KnowledgeItem, Message
from bot.persistence.store import create_db_engine
from bot.reports.bot_answers import BotAnswersReport, BotAnswersResult
from bot.reports.summary import ReportFilter
from tests.unit.test_reports import WEEK, at

START = at(9, 29, 12).astimezone(dt.UTC)
ID_CARD = {"type": "answer", "item_id": "id_card_reissue", "area": "certificates"}
FUND = {"type": "answer", "item_id": "fund_withdrawal", "area": "housing"}
REPLIES: list[tuple[str, dict[str, Any], Any]] = [  # conversation, the reply's data, local time
    ("a", {**ID_CARD, "question": "materials"}, at(9, 28, 10)),
    ("a", {**ID_CARD, "question": "fee"}, at(9, 28, 10, 5)),
    ("a", {**ID_CARD, "question": "materials"}, at(9, 29, 9)),
    ("b", {**FUND, "question": "materials"}, at(9, 30, 14)),
    ("b", {"type": "faq", "faq_id": "faq-1", "area": "housing", "confidence": 0.9}, at(10, 1, 8)),
    ("a", {"type": "place", "place_id": "hall", "question": "hours"}, at(10, 2, 16)),
    ("a", {"type": "honest_no", "question": "fee"}, at(10, 2, 16, 1)),  # not an answer
    ("b", {**FUND, "question": "materials"}, at(9, 27, 23, 59)),  # the day before the range
    ("a", {**ID_CARD, "question": "steps"}, at(10, 5, 0, 30)),  # the day after
]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        session.add(Conversation(id="a", channel="rest", external_id="u1"))
        session.add(Conversation(id="b", channel="widget", external_id="u2"))
        session.add(
            KnowledgeItem(
                id="id_card_reissue", area="certificates", name="居民身份证补领", origin="authored", data={}
            )
        )
        session.flush()
        for conversation, data, local in REPLIES:
            moment = local.astimezone(dt.UTC)  # SQLite keeps an aware datetime's wall clock as given
            session.add(
                Message(conversation_id=conversation, role="citizen", text="…", payload={}, created_at=moment)
            )
            session.add(
                Message(
                    conversation_id=conversation,
                    role="bot",
                    text="…",
                    payload={"data": data},
                    created_at=moment,
                )
            )
        no_data: list[dict[str, Any]] = [{}, {"buttons": []}]
        for payload in no_data:  # a bot reply without data is no answer
            session.add(Message(conversation_id="a", role="bot", text="…", payload=payload, created_at=START))
        session.commit()
    yield engine
    engine.dispose()


def counts(result: BotAnswersResult) -> list[tuple[str, str, int]]:
    return [(c.key, c.label, c.count) for c in result.by_question]


def test_answers_by_question_type_and_the_top_items(engine: Engine) -> None:
    result = BotAnswersReport(engine).build(ReportFilter(**WEEK))
    assert result.answers == 6
    assert counts(result) == [
        ("materials", "所需材料", 3),
        ("faq", "常见问题（FAQ）", 1),
        ("fee", "收费标准", 1),
        ("hours", "办公时间", 1),
    ]
    top = [
        (i.item_id, i.name, i.area, i.count, [(q.key, q.count) for q in i.by_question])
        for i in result.top_items
    ]
    assert top == [
        ("id_card_reissue", "居民身份证补领", "certificates", 3, [("materials", 2), ("fee", 1)]),
        ("fund_withdrawal", "fund_withdrawal", "housing", 1, [("materials", 1)]),  # not in the table: its id
    ]


def test_bot_answers_filtered_by_channel_and_by_the_answers_own_area(engine: Engine) -> None:
    widget = BotAnswersReport(engine).build(ReportFilter(**WEEK, channel="widget"))
    assert counts(widget) == [("faq", "常见问题（FAQ）", 1), ("materials", "所需材料", 1)]
    housing = BotAnswersReport(engine).build(ReportFilter(**WEEK, areas=("housing",)))
    assert (housing.answers, [i.item_id for i in housing.top_items]) == (2, ["fund_withdrawal"])
    certificates = BotAnswersReport(engine).build(ReportFilter(**WEEK, areas=("certificates",)))
    assert certificates.answers == 3  # the hall's hours have no area: left out
