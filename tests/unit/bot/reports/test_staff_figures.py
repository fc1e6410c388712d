"""Staff figures, volume and the tickets behind a figure, proven against a hand-computed week
(2026-09-28 to 10-04: 国庆 from 10-01 to 10-07, the 调休 Saturday 10-10 a working day), on
SQLite and PostgreSQL, with the default OFFICE_HOURS (mon-fri 09:00-12:00,13:30-17:30) and
RESOLUTION_WORKING_DAYS=3; and the endpoints through the real app."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.gateway.app import create_app
from bot.office_hours import OfficeHours
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.models import Conversation, Message, Staff, Ticket
from bot.persistence.store import create_db_engine
from bot.reports.staff_figures import MEASURES, OfficeClock, StaffReport
from bot.reports.summary import ReportFilter
from bot.reports.volume import VolumeReport
from bot.settings import REPO_ROOT, Settings
from bot.work_calendar import WorkCalendar
from tests.conftest import make_settings
from tests.staff import add_staff, bearer

ZONE = ZoneInfo("Asia/Shanghai")
WEEK = ReportFilter(date_from=dt.date(2026, 9, 28), date_to=dt.date(2026, 10, 4))
RANGE = "from=2026-09-28&to=2026-10-04"
CALENDAR = WorkCalendar()
CLOCK = OfficeClock(OfficeHours.parse("mon-fri 09:00-12:00,13:30-17:30", [], [], "Asia/Shanghai"))


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """Local time, stored as UTC like the app does (SQLite keeps a datetime's wall clock)."""
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=ZONE).astimezone(dt.UTC)


# case, area, claimed by, created, claimed, first reply, resolved; the comments give the measures
TICKETS = [
    # waiting 120, first response 240 (office 240: over 3 minutes), handling 3600, in time
    ("T1", "housing", "wang", at(9, 28, 10), at(9, 28, 10, 2), at(9, 28, 10, 4), at(9, 28, 11)),
    # waiting 30; first response overnight: office 60 + 60 = 120; resolved 10-09, after the
    # deadline 10-08 (9-29, 9-30, then 国庆, 10-08); handling 923460
    ("T2", "housing", "wang", at(9, 28, 17, 29), at(9, 28, 17, 29, 30), at(9, 29, 9, 1), at(10, 9, 10)),
    # created in the lunch break: waiting 60, first response 3720 (office 120); resolved on the
    # 调休 Saturday 10-10, the deadline (10-08, 10-09, 10-10): in time; handling 853200
    ("T3", "social_security", "li", at(9, 30, 12, 30), at(9, 30, 12, 31), at(9, 30, 13, 32),
     at(10, 10, 9, 30)),
    # created on a holiday: waiting 300, first response 601320 (office 120: 10-08 09:00-09:02)
    ("T4", "social_security", "li", at(10, 1, 10), at(10, 1, 10, 5), at(10, 8, 9, 2), None),
    ("T5", "housing", None, at(10, 3, 10), None, None, None),  # nobody claimed it
    ("T6", "housing", "wang", at(9, 27, 10), at(9, 27, 10, 1), None, None),  # the day before the range
]  # fmt: skip


def seed(engine: Engine) -> None:
    with Session(engine) as session:
        staff = {
            name: Staff(username=name, password_hash="-", role="staff", areas=[], active=True)
            for name in ("wang", "li")
        }
        session.add_all(staff.values())
        session.add(Conversation(id="v1", channel="rest", external_id="v1", created_at=at(9, 1, 0)))
        # A conversation has one open ticket at most (migration 0007): the open ones get their own.
        open_cases = [case for case, *_, resolved in TICKETS if resolved is None]
        for case in open_cases:
            session.add(
                Conversation(id=f"v-{case}", channel="rest", external_id=case, created_at=at(9, 1, 0))
            )
        session.flush()
        for moment in (at(9, 28, 10), at(9, 28, 10, 30), at(10, 1, 10), at(9, 27, 23, 59)):
            session.add(
                Message(conversation_id="v1", role="citizen", text="…", payload={}, created_at=moment)
            )
        session.add(Message(conversation_id="v1", role="bot", text="…", payload={}, created_at=at(9, 28, 10)))
        for case, area, who, created, claimed, replied, resolved in TICKETS:
            session.add(
                Ticket(
                    case_number=case, conversation_id=f"v-{case}" if case in open_cases else "v1",
                    channel="rest", area=area,
                    status="resolved" if resolved else ("claimed" if claimed else "queued"),
                    reason="fallback", priority=2, packet={}, note="",
                    claimed_by=staff[who].id if who else None, created_at=created, claimed_at=claimed,
                    first_reply_at=replied, resolved_at=resolved,
                )
            )  # fmt: skip
        session.commit()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    seed(engine)
    yield engine
    engine.dispose()


def test_office_time_follows_the_chinese_calendar() -> None:
    # Friday 17:00 → the 调休 Saturday 09:05, which keeps a Monday's hours: 1800 + 300
    assert CLOCK.seconds_between(at(10, 9, 17), at(10, 10, 9, 5)) == 2100
    # a week from the holiday Saturday: only 10-08, 10-09 and 10-10 are open, 7 hours each
    assert CLOCK.seconds_between(at(10, 3, 0), at(10, 11, 0)) == 3 * 7 * 3600
    assert CLOCK.seconds_between(at(10, 1, 9), at(10, 7, 18)) == 0  # 国庆


def test_staff_figures_of_the_week(engine: Engine) -> None:
    report = StaffReport(engine, CLOCK, CALENDAR, working_days=3).build(WEEK)
    rows = {f.key: f for f in [*report.by_area, *report.by_staff]}
    housing = rows["housing"]
    assert (housing.tickets, housing.claimed, housing.waiting_median_seconds) == (3, 2, 75.0)
    assert (housing.responded, housing.first_response_median_seconds) == (2, 28080.0)
    assert (housing.first_response_office_median_seconds, housing.within_norm, housing.within_norm_share) == (
        180.0,
        1,
        0.5,
    )
    assert (housing.resolved, housing.handling_median_seconds) == (2, 463530.0)
    assert (housing.resolved_in_time, housing.resolved_in_time_share) == (1, 0.3333)
    social = rows["social_security"]
    assert (social.tickets, social.waiting_median_seconds, social.first_response_median_seconds) == (
        2,
        180.0,
        302520.0,
    )
    assert (social.first_response_office_median_seconds, social.within_norm_share) == (120.0, 1.0)
    assert (social.resolved, social.handling_median_seconds, social.resolved_in_time_share) == (
        1,
        853200.0,
        0.5,
    )
    assert [f.key for f in report.by_staff] == ["li", "wang", "（未接单）"]
    assert (rows["wang"].tickets, rows["wang"].resolved_in_time, rows["（未接单）"].tickets) == (2, 1, 1)
    one_day = StaffReport(engine, CLOCK, CALENDAR, working_days=1).build(WEEK)
    assert [f.resolved_in_time for f in one_day.by_area] == [1, 0]  # T1 the same day; T3 needed 3


def test_the_tickets_behind_a_figure(engine: Engine) -> None:
    report = StaffReport(engine, CLOCK, CALENDAR, working_days=3)
    assert [t.case_number for t in report.tickets(WEEK)] == ["T1", "T2", "T3", "T4", "T5"]
    within = report.tickets(WEEK, keep=MEASURES["within_norm"][1])
    assert [t.case_number for t in within] == ["T2", "T3", "T4"]
    wang_in_time = report.tickets(WEEK, "wang", MEASURES["resolved_in_time"][1])
    assert [t.case_number for t in wang_in_time] == ["T1"]
    housing = WEEK.model_copy(update={"areas": ("housing",)})
    assert [t.case_number for t in report.tickets(housing, "（未接单）")] == ["T5"]


def test_volume_by_day_and_hour_of_week(engine: Engine) -> None:
    volume = VolumeReport(engine).build(WEEK)
    assert [d.count for d in volume.by_day] == [2, 0, 0, 1, 0, 0, 0]
    assert (volume.by_hour_of_week[0][10], volume.by_hour_of_week[3][10]) == (2, 1)
    assert sum(map(sum, volume.by_hour_of_week)) == 3  # 9-27 23:59 is outside


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings: Settings = make_settings(tmp_path_factory.mktemp("staff") / "var", RESOLUTION_WORKING_DAYS=3)
    for username, args in [("zhao", ("--areas", "housing")), ("sup", ("--role", "supervisor"))]:
        assert add_staff(settings, username, *args).returncode == 0
    engine = create_db_engine(settings.effective_database_url)
    seed(engine)
    engine.dispose()
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_staff_endpoints(client: TestClient) -> None:
    for path in ("/api/v1/reports/staff", "/api/v1/reports/volume", "/api/v1/reports/tickets"):
        assert client.get(path).status_code == 401
    sup, zhao = bearer(client, "sup"), bearer(client, "zhao")
    figures = client.get(f"/api/v1/reports/staff?{RANGE}", headers=sup).json()
    assert figures["tables"]["staff_by_area"]["rows"][0][:3] == ["住房", 3, 2]
    assert figures["tables"]["staff_by_area"]["rows"][0][6] == "1/2（50.0%）"
    mine = client.get(f"/api/v1/reports/staff?{RANGE}", headers=zhao).json()
    assert [f["key"] for f in mine["by_area"]] == ["housing"]
    behind = client.get(f"/api/v1/reports/tickets?{RANGE}&measure=within_norm", headers=zhao).json()
    assert (behind["count"], [r[0] for r in behind["table"]["rows"]]) == (1, ["T2"])
    assert client.get(f"/api/v1/reports/tickets?{RANGE}&measure=everything", headers=sup).status_code == 422
    heat = client.get(f"/api/v1/reports/volume?{RANGE}", headers=sup).json()
    assert heat["table"]["rows"][0][11] == 2 and heat["table"]["rows"][0][-1] == 2
    exported = client.get(f"/api/v1/reports/export?report=staff_by_member&format=csv&{RANGE}", headers=sup)
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["li", "wang", "（未接单）"]
    listed = client.get(
        f"/api/v1/reports/export?report=tickets&format=csv&staff=wang&measure=resolved_in_time&{RANGE}",
        headers=sup,
    )
    assert [r[0] for r in csv.reader(io.StringIO(listed.content.decode("utf-8-sig")))] == ["受理编号", "T1"]


def test_the_gateway_serves_the_pinned_echarts(client: TestClient) -> None:
    """make setup installs it from charts/package-lock.json; the reports page loads it from here."""
    script = client.get("/console/vendor/echarts.min.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert b"Apache" in script.content[:2000] and len(script.content) > 500_000
    page = (REPO_ROOT / "bot" / "console" / "static" / "reports.html").read_text(encoding="utf-8")
    assert '<script src="/console/vendor/echarts.min.js"></script>' in page
