"""Volume: citizen messages per local day and per hour of the week (the heat map's cells), in
the conversations a report covers. Grouped in Python after one narrow query, since SQLite and
PostgreSQL name their time-zone functions differently."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.persistence.models import Message, Role, as_utc
from bot.reports.summary import ReportFilter, SummaryReport


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
        zone = ZoneInfo(scope.timezone)
        query = select(Message.created_at).where(
            Message.role == Role.citizen.value,
            Message.created_at >= start,
            Message.created_at < end,
            Message.conversation_id.in_(SummaryReport.conversations(scope)),
        )
        days: Counter[dt.date] = Counter()
        cells = [[0] * 24 for _ in range(7)]
        with Session(self._engine) as session:
            for moment in session.scalars(query.execution_options(yield_per=10_000)):
                local = as_utc(moment).astimezone(zone)
                days[local.date()] += 1
                cells[local.weekday()][local.hour] += 1
        span = (scope.date_to - scope.date_from).days + 1
        every_day = [scope.date_from + dt.timedelta(days=i) for i in range(span)]
        return VolumeResult(by_day=[DayCount(day=d, count=days[d]) for d in every_day], by_hour_of_week=cells)
