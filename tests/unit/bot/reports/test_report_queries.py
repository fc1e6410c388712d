"""The report queries as the databases run them, on SQLite and PostgreSQL: the volume grouped
by the database agrees with counting each message in Python, in zones with daylight saving
and with a quarter-hour offset; every staff figure counts exactly the tickets listed behind
it; the knowledge-gap query reads the partial index of gap replies (migration 0009), so its
condition and the index's stay the same; the conversations behind each heat-map row and
cell hold exactly the messages it counted."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.office_hours import OfficeHours
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.models import Conversation, Message, Staff, Ticket
from bot.persistence.store import create_db_engine
from bot.reports.conversation_list import Containing, ConversationList
from bot.reports.gaps import GapReport
from bot.reports.staff_figures import MEASURES, OfficeClock, StaffReport
from bot.reports.summary import ReportFilter
from bot.reports.volume import VolumeReport
from bot.work_calendar import WorkCalendar
from tests.query_plans import query_plans

START = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)  # the range holds Europe's and America's switch


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    rng = random.Random(17)
    with Session(engine) as session:
        session.add_all(Staff(username=name, password_hash="-", areas=[]) for name in ("wang", "li"))
        for i in range(40):
            session.add(Conversation(id=f"c{i}", channel=("rest", "widget")[i % 2], external_id=f"u{i}"))
        for i in range(120):  # one open ticket per conversation at most (migration 0007)
            session.add(Conversation(id=f"t{i}", channel="rest", external_id=f"t{i}"))
        session.flush()
        for i in range(600):
            moment = START + dt.timedelta(
                seconds=rng.randrange(0, 20 * 86400), microseconds=rng.randrange(10**6)
            )
            role = "citizen" if i % 3 else "bot"
            session.add(
                Message(conversation_id=f"c{i % 40}", role=role, text="…", payload={}, created_at=moment)
            )
        for i in range(120):
            created = START + dt.timedelta(seconds=rng.randrange(0, 20 * 86400))

            def later(seconds: int, created: dt.datetime = created) -> dt.datetime | None:
                return created + dt.timedelta(seconds=rng.randrange(seconds)) if rng.random() < 0.7 else None

            claimed, replied, resolved = later(600), later(90_000), later(800_000)
            session.add(
                Ticket(
                    case_number=f"T{i}", conversation_id=f"t{i}", channel="rest",
                    area=("housing", "education", "employment")[i % 3], reason="fallback",
                    status="resolved" if resolved else "claimed", claimed_by=(None, 1, 2)[i % 3],
                    created_at=created, claimed_at=claimed, first_reply_at=replied, resolved_at=resolved,
                )
            )  # fmt: skip
        session.commit()
    yield engine
    engine.dispose()


def scope(zone: str, **more: object) -> ReportFilter:
    return ReportFilter(date_from=dt.date(2026, 10, 21), date_to=dt.date(2026, 11, 6), timezone=zone, **more)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Asia/Kathmandu"])
def test_volume_grouped_by_the_database_matches_counting_each_message(engine: Engine, zone: str) -> None:
    for channel in (None, "widget"):
        report = scope(zone, channel=channel)
        start, end = report.bounds()
        query = select(Message.created_at).join(Conversation).where(Message.role == "citizen")
        if channel:
            query = query.where(Conversation.channel == channel)
        with Session(engine) as session:
            moments = session.scalars(query).all()
        local = [
            (m if m.tzinfo else m.replace(tzinfo=dt.UTC)).astimezone(ZoneInfo(zone))
            for m in moments
            if start <= (m if m.tzinfo else m.replace(tzinfo=dt.UTC)) < end
        ]
        volume = VolumeReport(engine).build(report)
        days = Counter(moment.date() for moment in local)
        assert [(d.day, d.count) for d in volume.by_day] == [(d.day, days[d.day]) for d in volume.by_day]
        cells = Counter((moment.weekday(), moment.hour) for moment in local)
        assert volume.by_hour_of_week == [[cells[(day, hour)] for hour in range(24)] for day in range(7)]
        assert sum(days.values()) == len(local) > 0


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Asia/Kathmandu"])
def test_each_heat_map_row_and_cell_lists_the_messages_it_counted(engine: Engine, zone: str) -> None:
    """The conversations behind a heat-map row or cell hold exactly its messages, in zones
    with daylight saving (the range holds Europe's and America's switch, both on a Sunday,
    the day listed hour by hour) and with a quarter-hour offset."""
    report = scope(zone, channel="widget")
    cells = VolumeReport(engine).build(report).by_hour_of_week
    listing = ConversationList(engine)
    for weekday, hours in enumerate(cells):
        assert listing.search(report, containing=Containing(weekday=weekday)).counted == sum(hours)
    sunday = {hour: listing.search(report, containing=Containing(weekday=6, hour=hour)) for hour in range(24)}
    assert [found.counted for found in sunday.values()] == cells[6] and sum(cells[6]) > 0
    assert all(found.counted == sum(c.counted or 0 for c in found.conversations) for found in sunday.values())


def test_each_staff_figure_counts_the_tickets_listed_behind_it(engine: Engine) -> None:
    calendar = WorkCalendar()
    hours = OfficeHours.parse("mon-fri 09:00-12:00,13:30-17:30", [], [], "Asia/Shanghai")
    report = StaffReport(engine, OfficeClock(hours), calendar, 3)
    week = scope("Asia/Shanghai")
    result = report.build(week)
    counted = {
        "all": "tickets",
        "claimed": "claimed",
        "responded": "responded",
        "within_norm": "within_norm",
        "resolved": "resolved",
        "resolved_in_time": "resolved_in_time",
    }
    for figures in result.by_staff:
        for measure, field in counted.items():
            listed = report.tickets(week, figures.key, MEASURES[measure][1])
            assert len(listed) == getattr(figures, field), (figures.key, measure)
    for figures in result.by_area:
        area = week.model_copy(update={"areas": (figures.key,)})
        assert len(report.tickets(area, keep=MEASURES["within_norm"][1])) == figures.within_norm
    assert sum(f.tickets for f in result.by_area) == len(report.tickets(week)) > 0


class NoVectors:
    """The gap query is what is tested here, not the topics."""

    def queries(self, texts: list[str]) -> object:
        raise AssertionError("no gaps were seeded")


def test_the_gap_query_reads_the_partial_index_of_gap_replies(engine: Engine) -> None:
    with query_plans(engine, lambda statement: "LIMIT" in statement) as plans:
        result = GapReport(engine, NoVectors(), None).build(scope("Asia/Shanghai"))  # type: ignore[arg-type]
    assert result.topics == [] and len(plans) == 1
    assert "ix_messages_gap_replies" in plans[0]
