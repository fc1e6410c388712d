"""`python -m bot demo-data`: marked sample rows that fill every report, only into an empty
database, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.contracts.conversation import Role
from bot.contracts.replies import ReplyType, parse_reply, reply_type
from bot.demo_data import MARK, DemoDataError, fill
from bot.persistence.models import Conversation, FollowUp, Message, Ticket
from bot.persistence.store import create_db_engine
from bot.reports.bot_answers import BotAnswersReport
from bot.reports.summary import ReportFilter, SummaryReport
from tests.conftest import make_settings

TODAY = dt.date(2026, 10, 9)


def test_demo_data_fills_an_empty_database_once(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "var", DATABASE_URL=database_url)
    done = fill(settings, days=5, today=TODAY)
    assert done.conversations > 30 and done.tickets > 0 and done.ratings > 0
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == done.conversations
        assert set(session.scalars(select(Conversation.channel))) == {"demo"}
        assert all(text.startswith(MARK) for text in session.scalars(select(Message.text)))
        assert all(case.startswith("DEMO-") for case in session.scalars(select(Ticket.case_number)))
        assert session.scalar(select(func.count()).select_from(FollowUp))  # some 差评 among them
        said = session.scalars(select(Message.payload).where(Message.role != Role.citizen.value)).all()
        for payload in said:  # the bot's and staff's data: a reply model's, dumped
            reply = parse_reply(payload["data"])
            assert reply is not None and reply.dump() == payload["data"], payload
        assert {reply_type(payload["data"]) for payload in said} >= {
            ReplyType.answer,
            ReplyType.handoff,
            ReplyType.staff_reply,
        }
    week = SummaryReport(engine).build(ReportFilter(date_from=dt.date(2026, 10, 5), date_to=TODAY), TODAY)
    assert week.conversations == done.conversations and week.ratings == done.ratings
    answers = BotAnswersReport(engine).build(ReportFilter(date_from=dt.date(2026, 10, 5), date_to=TODAY))
    assert {c.key for c in answers.by_question} <= {
        "materials",
        "steps",
    } and answers.top_items  # a full chart
    engine.dispose()
    with pytest.raises(DemoDataError, match="数据库中已有会话"):
        fill(settings, days=5, today=TODAY)
