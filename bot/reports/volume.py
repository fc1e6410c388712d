"""Volume: citizen messages per local day and per hour of the week (the heat map's cells), in
the conversations a report covers.

The database counts them per local hour, so a month at scale (~170,000 citizen messages)
comes back as ~720 rows instead of one row per message. PostgreSQL knows the time zones and
groups by the local hour itself (`date_trunc('hour', created_at AT TIME ZONE …)`). SQLite
knows none: it groups by the UTC quarter-hour, read off the text it stores datetimes as
('YYYY-MM-DD HH:MM:…', UTC), and each quarter-hour is put into its local hour here. That is
exact in every zone whose offsets are whole quarter-hours, as all of today's are.

`in_hour_of_week` selects the messages of one row (a weekday) or cell (a weekday's hour) of
the heat map, for the conversations behind it (bot/reports/conversation_list.py).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Engine, Integer, and_, cast, false, func, or_, select
from sqlalchemy.orm import Session

from bot.contracts.conversation import Role
from bot.persistence.models import Message
from bot.reports.summary import ReportFilter, SummaryReport

Conditions = list[ColumnElement[bool]]
QUARTER_HOUR = dt.timedelta(minutes=15)


class DayCount(BaseModel):
    day: dt.date
    count: int


class VolumeResult(BaseModel):
    by_day: list[DayCount]
    # [weekday 0 = Monday][hour 0–23], local time
    by_hour_of_week: list[list[int]]


class VolumeReport:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def build(self, scope: ReportFilter) -> VolumeResult:
        start, end = scope.bounds()
        where = [
            Message.role == Role.citizen.value,
            Message.created_at >= start,
            Message.created_at < end,
            *SummaryReport.in_scope(Message.conversation_id, scope),
        ]
        zone = ZoneInfo(scope.timezone)
        with Session(self._engine) as session:
            if self._engine.dialect.name == "postgresql":
                hours = self._by_local_hour(session, where, zone)
            else:
                hours = self._by_utc_quarter_hour(session, where, zone)
        days: Counter[dt.date] = Counter()
        cells = [[0] * 24 for _ in range(7)]
        for hour, count in hours.items():
            days[hour.date()] += count
            cells[hour.weekday()][hour.hour] += count
        span = (scope.date_to - scope.date_from).days + 1
        every_day = [scope.date_from + dt.timedelta(days=i) for i in range(span)]
        return VolumeResult(by_day=[DayCount(day=d, count=days[d]) for d in every_day], by_hour_of_week=cells)

    @staticmethod
    def _by_local_hour(session: Session, where: Conditions, zone: ZoneInfo) -> Counter[dt.datetime]:
        """Messages per local hour (naive local datetimes), grouped by PostgreSQL."""
        hour = func.date_trunc("hour", func.timezone(zone.key, Message.created_at))
        rows = session.execute(select(hour, func.count()).where(*where).group_by(hour)).all()
        return Counter({moment: count for moment, count in rows})

    @staticmethod
    def _by_utc_quarter_hour(session: Session, where: Conditions, zone: ZoneInfo) -> Counter[dt.datetime]:
        """Messages per local hour, from SQLite's counts per UTC quarter-hour."""
        utc_hour = func.substr(Message.created_at, 1, 13)  # 'YYYY-MM-DD HH'
        quarter = cast(func.substr(Message.created_at, 15, 2), Integer) // 15
        rows = session.execute(
            select(utc_hour, quarter, func.count()).where(*where).group_by(utc_hour, quarter)
        )
        hours: Counter[dt.datetime] = Counter()
        for text, part, count in rows:
            moment = dt.datetime.fromisoformat(f"{text}:{part * 15:02d}+00:00").astimezone(zone)
            hours[moment.replace(minute=0, tzinfo=None)] += count
        return hours


def hour_of_week_spans(
    scope: ReportFilter, weekday: int, hour: int | None = None
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The UTC spans of the scope's range whose local time falls on `weekday` (0: Monday)
    and, given one, in `hour`: the moments a heat-map row or cell counts.

    Each local day of that weekday is walked by UTC quarter-hours, the unit the SQLite
    grouping above puts into local hours, so both agree: a daylight-saving day's repeated
    hour gives two spans, its skipped hour none. Kept as spans (at most 53 days × 2) so the
    database compares timestamps and needs no time zones, which SQLite lacks."""
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    zone = ZoneInfo(scope.timezone)
    day = scope.date_from + dt.timedelta(days=(weekday - scope.date_from.weekday()) % 7)
    while day <= scope.date_to:
        moment, stop = scope.model_copy(update={"date_from": day, "date_to": day}).bounds()
        while moment < stop:
            if hour is None or moment.astimezone(zone).hour == hour:
                if spans and spans[-1][1] == moment:
                    spans[-1] = (spans[-1][0], moment + QUARTER_HOUR)
                else:
                    spans.append((moment, moment + QUARTER_HOUR))
            moment += QUARTER_HOUR
        day += dt.timedelta(days=7)
    return spans


def in_hour_of_week(scope: ReportFilter, weekday: int, hour: int | None = None) -> ColumnElement[bool]:
    """That a message is one the heat map counts in that row or cell: a citizen's, in one of
    its spans (the scope's conversations are the caller's)."""
    spans = (
        and_(Message.created_at >= a, Message.created_at < b)
        for a, b in hour_of_week_spans(scope, weekday, hour)
    )
    return and_(Message.role == Role.citizen.value, or_(false(), *spans))
