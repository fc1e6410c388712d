"""The hand-computed week the report tests are proven against (2026-09-28 to 10-04: 国庆 from
10-01, and the 调休 Saturday 10-10 inside the follow-up deadlines): five conversations, their
tickets, a transfer and their ratings, shared by the report test modules."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.persistence.follow_ups import FollowUpStore
from bot.persistence.models import Conversation, Message, Staff, Ticket, TicketTransfer
from bot.work_calendar import WorkCalendar

ZONE = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 12, 4)
WEEK = {"date_from": dt.date(2026, 9, 28), "date_to": dt.date(2026, 10, 4)}


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """Local time, as UTC like the app stores it (SQLite keeps a datetime's wall clock as
    given, which would shift the week's hours by eight on SQLite alone)."""
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=ZONE).astimezone(dt.UTC)


def seed_week(engine: Engine) -> None:
    """Five conversations; the comments give what each adds to the figures."""
    with Session(engine) as session:
        session.add(Staff(username="seed", password_hash="-", role="staff", areas=["housing"], active=True))
        rows = [  # id, channel, sender, [(role, local time)]
            ("c1", "rest", "u1", [("citizen", at(9, 28, 10)), ("bot", at(9, 28, 10, 0, 1))]),  # the bot alone
            ("c2", "rest", "u2", [("citizen", at(9, 28, 11)), ("bot", at(9, 28, 11, 0, 1))]),
            ("c3", "widget", "u3", [("citizen", at(9, 30, 9))]),
            ("c4", "rest", "u4", [("citizen", at(10, 2, 15))]),  # on a public holiday
            ("c5", "rest", "u5", [("citizen", at(9, 27, 10))]),  # the day before the range
        ]
        for key, channel, sender, messages in rows:
            session.add(Conversation(id=key, channel=channel, external_id=sender, created_at=messages[0][1]))
            session.flush()
            for role, moment in messages:
                session.add(Message(conversation_id=key, role=role, text="…", payload={}, created_at=moment))
        tickets = [  # case, conversation, channel, area, reason, created, claimed, first reply
            ("ZW-1", "c2", "rest", "housing", "complaint", at(9, 28, 11, 1), at(9, 28, 11, 3),
             at(9, 28, 11, 5)),
            ("ZW-2", "c3", "widget", "social_security", "request_human", at(9, 30, 9, 0, 30),
             at(9, 30, 9, 1, 30), at(9, 30, 9, 2, 30)),
            ("ZW-3", "c4", "rest", "housing", "fallback", at(10, 2, 15, 0, 10), None, None),
            ("ZW-5", "c5", "rest", "housing", "complaint", at(9, 27, 10, 1), None, None),
        ]  # fmt: skip
        for case, conversation_id, channel, area, reason, created, claimed, replied in tickets:
            session.add(
                Ticket(
                    case_number=case, conversation_id=conversation_id, channel=channel, area=area,
                    status="queued" if claimed is None else "claimed", reason=reason, priority=2, packet={},
                    note="", created_at=created, claimed_at=claimed, first_reply_at=replied,
                )
            )  # fmt: skip
        session.flush()
        moved = session.query(Ticket).filter_by(case_number="ZW-2").one()
        moved.area = "employment"
        session.add(
            TicketTransfer(
                ticket_id=moved.id, from_area="social_security", to_area="employment", reason="就业补贴",
                staff_id=1, created_at=at(9, 30, 9, 10),
            )
        )  # fmt: skip
        session.commit()
    ratings = FollowUpStore(engine, WorkCalendar(), working_days=5)
    for conversation_id, score, moment in [
        ("c1", 5, at(9, 28, 10, 5)),
        ("c2", 1, at(9, 28, 11, 30)),  # due 10-10: 9-29, 9-30, 10-08, 10-09 and the 调休 Saturday
        ("c3", 2, at(9, 30, 9, 40)),  # due 10-13, in employment (where the ticket went)
        ("c4", 3, at(10, 2, 16)),
        ("c5", 4, at(9, 27, 10, 5)),  # outside the range
    ]:
        ratings.record_rating(conversation_id, score, at=moment)
