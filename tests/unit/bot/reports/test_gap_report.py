"""The knowledge-gap report proven against a hand-made fortnight, on SQLite and PostgreSQL:
which replies count as gaps, topics by meaning (the real e5 vectors and scikit-learn), the
trend against the week before, masking; and through the real app: access, the closest items
from the real knowledge base, a topic turned into an FAQ draft or marked out of scope, export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.gateway.app import create_app
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.models import Conversation, Message, Staff, Ticket
from bot.persistence.store import create_db_engine
from bot.reports.gaps import GapReport
from bot.reports.summary import ReportFilter
from bot.settings import Settings
from knowledge.dense import embedder_for
from tests.conftest import make_settings
from tests.staff import add_staff, bearer

ZONE = ZoneInfo("Asia/Shanghai")
WEEK = {"date_from": dt.date(2026, 9, 28), "date_to": dt.date(2026, 10, 4)}
RANGE = "from=2026-09-28&to=2026-10-04"
MARRIAGE = "结婚证在哪里办"


def at(month: int, day: int, hour: int) -> dt.datetime:
    """Local time, stored as UTC like the app does (SQLite keeps a datetime's wall clock)."""
    return dt.datetime(2026, month, day, hour, tzinfo=ZONE).astimezone(dt.UTC)


def handoff(reason: str, area: str) -> dict[str, Any]:
    return {"data": {"type": "handoff", "reason": reason, "area": area}}


def reply(kind: str) -> dict[str, Any]:
    return {"data": {"type": kind}}


# (conversation, channel, local time, the citizen's words, the bot's replies' payloads)
TURNS: list[tuple[str, str, dt.datetime, str, list[dict[str, Any]]]] = [
    ("g1", "rest", at(9, 28, 10), MARRIAGE, [reply("honest_no")]),
    ("g1", "rest", at(9, 28, 11), "社保怎么交", [reply("answer")]),  # answered: no gap
    ("g2", "widget", at(9, 29, 9), "结婚登记去哪里办理", [handoff("unanswered", "certificates")]),
    # one message answered with two gap replies counts once, as the last (the handoff)
    ("g3", "rest", at(10, 1, 15), "去哪领结婚证", [reply("rephrase"), handoff("fallback", "certificates")]),
    ("g3", "rest", at(10, 2, 10), "养狗要办证吗", [reply("rephrase")]),
    ("g4", "rest", at(10, 4, 20), "狗证怎么办理", [reply("ask_item")]),
    ("g4", "rest", at(10, 4, 21), "今天天气怎么样，回电13812345678", [reply("honest_no")]),
    ("g4", "rest", at(10, 4, 22), "转人工", [handoff("request_human", "other")]),  # not a gap
    ("g5", "rest", at(9, 25, 10), MARRIAGE, [reply("honest_no")]),  # the week before
    ("g5", "rest", at(10, 5, 10), "狗证怎么办理", [reply("ask_item")]),  # the day after
]


def seed_gaps(engine: Engine) -> None:
    with Session(engine) as session:
        for key, channel in sorted({(t[0], t[1]) for t in TURNS}):
            session.add(Conversation(id=key, channel=channel, external_id=key, created_at=at(9, 1, 0)))
        session.flush()
        for key, _channel, moment, text, replies in TURNS:
            session.add(
                Message(conversation_id=key, role="citizen", text=text, payload={}, created_at=moment)
            )
            session.flush()
            for payload in replies:
                session.add(
                    Message(conversation_id=key, role="bot", text="…", payload=payload, created_at=moment)
                )
                session.flush()
        session.commit()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    seed_gaps(engine)
    yield engine
    engine.dispose()


def summary_of(report: Any) -> list[tuple[str, int, int, str, dict[str, int]]]:
    return [(t.label, t.count, t.previous, t.area, t.kinds) for t in report.topics]


def test_gaps_are_grouped_by_meaning_with_their_trend(engine: Engine, settings: Settings) -> None:
    gaps = GapReport(engine, embedder_for(settings.effective_embedding_cache), None)
    report = gaps.build(ReportFilter(**WEEK))
    assert (report.previous_from, report.previous_to, report.questions) == (
        dt.date(2026, 9, 21),
        dt.date(2026, 9, 27),
        6,
    )
    assert summary_of(report) == [
        (MARRIAGE, 3, 1, "certificates", {"fallback": 1, "unanswered": 1, "honest_no": 1}),
        ("狗证怎么办理", 2, 0, "other", {"rephrase": 1, "ask_item": 1}),
        ("今天天气怎么样，回电138****5678", 1, 0, "other", {"honest_no": 1}),
    ]
    marriage = report.topics[0]
    assert sorted(marriage.questions) == sorted([MARRIAGE, "结婚登记去哪里办理", "去哪领结婚证"])
    assert [e.text for e in marriage.examples] == ["去哪领结婚证", "结婚登记去哪里办理", MARRIAGE]
    widget = gaps.build(ReportFilter(**WEEK, channel="widget"))
    assert summary_of(widget) == [("结婚登记去哪里办理", 1, 0, "certificates", {"unanswered": 1})]
    certificates = gaps.build(ReportFilter(**WEEK, areas=("certificates",)))
    assert [(t.label, t.count) for t in certificates.topics] == [(MARRIAGE, 3)]


def test_by_staff_member_only_the_handoffs_they_claimed(engine: Engine, settings: Settings) -> None:
    """The bot's own gap replies reach nobody: with a staff member, only the handoffs whose
    ticket (same conversation, same reason) that person claimed, UNCLAIMED those nobody did."""
    with Session(engine) as session:
        li = Staff(username="li", password_hash="-", role="staff", areas=["certificates"], active=True)
        session.add(li)
        session.flush()
        for case, conversation, reason, claimer in [
            ("ZW-7", "g2", "unanswered", li.id),
            ("ZW-8", "g3", "fallback", None),
            ("ZW-9", "g4", "request_human", li.id),  # not a gap: g4's other questions stay out
        ]:
            session.add(
                Ticket(
                    case_number=case, conversation_id=conversation, channel="rest", area="certificates",
                    status="queued", reason=reason, priority=2, packet={}, note="", created_at=at(9, 29, 9),
                    claimed_by=claimer,
                )
            )  # fmt: skip
        session.commit()
    gaps = GapReport(engine, embedder_for(settings.effective_embedding_cache), None)
    mine = gaps.build(ReportFilter(**WEEK, staff="li"))
    assert summary_of(mine) == [("结婚登记去哪里办理", 1, 0, "certificates", {"unanswered": 1})]
    nobody = gaps.build(ReportFilter(**WEEK, staff="（未接单）"))
    assert summary_of(nobody) == [("去哪领结婚证", 1, 0, "certificates", {"fallback": 1})]
    assert gaps.build(ReportFilter(**WEEK, staff="wang")).topics == []


@pytest.fixture(scope="module")
def app_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("gaps") / "var")
    for username, args in [
        ("li", ("--areas", "certificates")),
        ("sup", ("--role", "supervisor")),
        ("boss", ("--role", "admin")),
    ]:
        assert add_staff(settings, username, *args).returncode == 0
    engine = create_db_engine(settings.effective_database_url)
    seed_gaps(engine)
    engine.dispose()
    return settings


@pytest.fixture(scope="module")
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_gap_report_api_drafts_and_scope(client: TestClient) -> None:
    assert client.get("/api/v1/reports/gaps").status_code == 401
    sup, li = bearer(client, "sup"), bearer(client, "li")
    report = client.get(f"/api/v1/reports/gaps?{RANGE}", headers=sup).json()
    labels = [t["label"] for t in report["topics"]]
    assert labels[0] == MARRIAGE and len(labels) == 3
    marriage = report["topics"][0]
    assert marriage["closest_items"], "the real search finds some item near a marriage question"
    assert report["table"]["rows"][0][:4] == [MARRIAGE, 3, 1, "证件办理"]
    exported = client.get(f"/api/v1/reports/export?report=gaps&format=csv&{RANGE}", headers=sup)
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["主题", "本期次数", "上期次数"] and rows[1][:3] == [MARRIAGE, "3", "1"]

    weather = next(t for t in report["topics"] if t["label"].startswith("今天天气"))
    refused = client.post(
        "/api/v1/reports/gaps/out-of-scope",
        json={"area": "housing", "questions": weather["questions"]},
        headers=li,
    )
    assert refused.status_code == 403
    out_of_scope = {"area": weather["area"], "questions": weather["questions"]}
    marked = client.post("/api/v1/reports/gaps/out-of-scope", json=out_of_scope, headers=sup)
    assert marked.json() == {"decided": 1}
    drafted = client.post(
        "/api/v1/reports/gaps/draft",
        json={
            "area": "certificates",
            "question": "结婚登记在哪里办理？",
            "answer": "请到户籍所在地的区民政局婚姻登记处办理。",
            "questions": marriage["questions"],
        },
        headers=li,
    )
    assert drafted.status_code == 201 and drafted.json()["decided"] == 4
    draft = drafted.json()["draft"]
    assert (draft["status"], draft["area"], draft["author"]) == ("draft", "certificates", "li")
    pending = client.get("/api/v1/kb/drafts", headers=bearer(client, "boss")).json()["drafts"]
    assert [d["question"] for d in pending] == ["结婚登记在哪里办理？"]  # in the admins' review flow
    left = client.get(f"/api/v1/reports/gaps?{RANGE}", headers=sup).json()
    assert [(t["label"], t["count"]) for t in left["topics"]] == [("狗证怎么办理", 2)]
