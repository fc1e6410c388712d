"""The arithmetic the reports were sped up with, proven against the slow, obvious versions:
office time (cumulative table, one moment or whole arrays) against a walk over the days,
wall-clock readings against `astimezone`, in zones with daylight saving and with
quarter-hour offsets; and the database's epoch microseconds against Python's."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.office_hours import OfficeHours
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.models import Conversation, Message
from bot.persistence.store import create_db_engine
from bot.reports.epoch import SECOND, WallClock, as_datetime, epoch_microseconds, wall_microseconds
from bot.reports.office_clock import OfficeClock
from bot.work_calendar import WorkCalendar

ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe"]
SPECS = ["mon-fri 09:00-12:00,13:30-17:30", "mon-sat 08:00-20:00; sun 10:00-11:00", "mon 00:00-24:00"]


def walked_seconds(hours: OfficeHours, calendar: WorkCalendar, start: dt.datetime, end: dt.datetime) -> float:
    """Office seconds the slow way: day by day, period by period, on the wall clock."""
    first, last = start.astimezone(hours.zone), end.astimezone(hours.zone)
    total, day = 0, first.date()
    while day <= last.date():
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=hours.zone)
        if calendar.is_public_holiday(day):
            periods: tuple[tuple[int, int], ...] = ()
        elif calendar.is_makeup_workday(day):  # 调休: a Monday's hours
            periods = hours.weekly.get(0, ())
        else:  # an ordinary day, weekends included: the weekly schedule (open Saturdays too)
            periods = hours.weekly.get(day.weekday(), ())
        for opens, closes in periods:
            lower = max(first, midnight + dt.timedelta(minutes=opens))
            upper = min(last, midnight + dt.timedelta(minutes=closes))
            total += max(0, (upper - lower) // dt.timedelta(microseconds=1))
        day += dt.timedelta(days=1)
    return total / SECOND


def random_moments(rng: random.Random, count: int) -> list[int]:
    """Epoch µs over 2026, a year the installed calendar package covers."""
    start = int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()) * SECOND
    return [start + rng.randrange(0, 360 * 86400 * SECOND) for _ in range(count)]


@pytest.mark.parametrize("zone", ZONES)
def test_office_time_matches_the_walk_over_the_days(zone: str) -> None:
    rng = random.Random(zone)
    calendar = WorkCalendar()
    for spec in SPECS:
        hours = OfficeHours.parse(spec, [], [], zone)
        clock, wall = OfficeClock(hours), WallClock(ZoneInfo(zone))
        firsts = random_moments(rng, 300)
        lasts = [
            moment
            + rng.choice([rng.randrange(0, 3600), rng.randrange(0, 40 * 86400), -rng.randrange(0, 86400)])
            * SECOND
            for moment in firsts
        ]
        many = clock.office_microseconds_many(
            wall.local_many(np.array(firsts, dtype=np.int64)),
            wall.local_many(np.array(lasts, dtype=np.int64)),
        )
        for first, last, from_arrays in zip(firsts, lasts, many.tolist(), strict=True):
            expected = walked_seconds(hours, calendar, as_datetime(first), as_datetime(last))
            assert clock.seconds_between(as_datetime(first), as_datetime(last)) == expected
            assert from_arrays / SECOND == expected


def test_the_office_table_grows_both_ways_and_keeps_its_values() -> None:
    hours = OfficeHours.parse("mon-fri 09:00-12:00,13:30-17:30", [], [], "Asia/Shanghai")
    clock = OfficeClock(hours)
    week = (dt.datetime(2026, 6, 1, tzinfo=dt.UTC), dt.datetime(2026, 6, 8, tzinfo=dt.UTC))
    assert clock.seconds_between(*week) == 5 * 7 * 3600
    # far later, then far earlier: the table is extended on either side, the answers stay
    assert clock.seconds_between(
        dt.datetime(2029, 6, 4, tzinfo=dt.UTC), dt.datetime(2029, 6, 5, tzinfo=dt.UTC)
    )
    assert clock.seconds_between(
        dt.datetime(2021, 6, 7, tzinfo=dt.UTC), dt.datetime(2026, 6, 8, tzinfo=dt.UTC)
    )
    assert clock.seconds_between(*week) == 5 * 7 * 3600


@pytest.mark.parametrize("zone", ZONES)
def test_wall_clock_readings_match_astimezone(zone: str) -> None:
    rng = random.Random(zone)
    wall = WallClock(ZoneInfo(zone))
    # every quarter-hour of 2026 and 2027 near a moment of each month (the switches included)
    moments = [
        int(dt.datetime(year, month, day, tzinfo=dt.UTC).timestamp()) * SECOND
        + quarter * 900 * SECOND
        + rng.randrange(0, 900 * SECOND)
        for year in (2026, 2027)
        for month in range(1, 13)
        for day in (1, 8, 15, 22, 29 if month != 2 else 28)
        for quarter in range(0, 96 * 2)
    ]
    expected = [wall_microseconds(as_datetime(moment), ZoneInfo(zone)) for moment in moments]
    assert wall.local_many(np.array(moments, dtype=np.int64)).tolist() == expected


def test_the_database_counts_epoch_microseconds_exactly(database_url: str) -> None:
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    moments = [
        dt.datetime(2026, 9, 28, 10, 0, 0, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 9, 28, 10, 0, 0, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(1999, 1, 1, 0, 0, 0, 500000, tzinfo=ZoneInfo("Asia/Shanghai")),
    ]
    with Session(engine) as session:
        session.add(Conversation(id="c", channel="rest", external_id="u"))
        session.flush()
        for moment in moments:
            session.add(Message(conversation_id="c", role="citizen", text="", payload={}, created_at=moment))
        session.commit()
        column = epoch_microseconds(Message.created_at, engine.dialect.name)
        read = session.scalars(select(column).order_by(Message.id)).all()
        stored = session.scalars(select(Message.created_at).order_by(Message.id)).all()
    engine.dispose()
    # as the app reads them back (SQLite keeps the wall clock written, read as UTC)
    expected = [
        ((moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)) - as_datetime(0))
        // dt.timedelta(microseconds=1)
        for moment in stored
    ]
    assert read == expected
