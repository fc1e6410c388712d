"""The measures of every ticket created in a range, as columns: what the staff figures are
computed from, and the tickets behind a figure are listed from.

Why columns: a 30-day range at scale holds ~35,000 tickets. Measured one by one in Python
(datetimes from the driver, a day-by-day walk for office time) the staff report took 1.5 s
on an idle machine; here the database hands over each moment as epoch microseconds, and
the arithmetic runs over whole arrays (numpy), with office time as a difference of two
lookups in the office clock's cumulative table. Every value is exact: durations are
differences of whole microseconds, divided once.

- waiting: created → claimed, elapsed;
- first response: created → first staff reply, elapsed, and in office time (OfficeClock);
- handling: created → resolved, elapsed;
- resolved in time: resolved no later than `working_days` working days after the local day
  it was created (in the report's time zone).
NaN marks a moment not reached yet.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.persistence.models import Staff, Ticket
from bot.reports.epoch import DAY, EPOCH_ORDINAL, SECOND, IntArray, WallClock
from bot.reports.epoch import epoch_microseconds as moment
from bot.reports.office_clock import OfficeClock
from bot.reports.summary import UNCLAIMED, ReportFilter, ticket_conditions
from bot.work_calendar import WorkCalendar

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
DETAILS = (Ticket.case_number, Ticket.channel, Ticket.reason, Ticket.status)


@dataclass(frozen=True)
class MeasuredTickets:
    """Ticket i of the range is element i of every column, in order of creation."""

    areas: list[str]
    staff: list[str]  # who claimed it, UNCLAIMED for nobody
    created: IntArray  # epoch µs
    waiting: FloatArray  # seconds
    first_response: FloatArray
    first_response_office: FloatArray
    handling: FloatArray
    resolved_in_time: BoolArray
    # case number, channel, reason, status: only when asked for (the figures do not need them)
    details: list[tuple[str, str, str, str]]


class TicketMeasurer:
    def __init__(self, engine: Engine, clock: OfficeClock, calendar: WorkCalendar, working_days: int) -> None:
        self._engine = engine
        self._clock = clock
        self._calendar = calendar
        self.working_days = working_days
        self._walls: dict[str, WallClock] = {}  # by zone name; kept, as they learn the offsets

    def measure(self, scope: ReportFilter, staff: str = "", details: bool = False) -> MeasuredTickets:
        """The tickets created in the scope's range; `staff` narrows to who claimed them."""
        rows = self._rows(scope, staff, details)
        columns: Sequence[Sequence[Any]] = (
            list(zip(*rows, strict=True)) if rows else [()] * (10 if details else 6)
        )
        areas, staff_names, created_at, claimed_at, replied_at, resolved_at = columns[:6]
        created = np.array(created_at, dtype=np.int64)
        claimed, replied, resolved = (
            np.array(c, dtype=np.float64) for c in (claimed_at, replied_at, resolved_at)
        )
        return MeasuredTickets(
            areas=list(areas),
            staff=[name or UNCLAIMED for name in staff_names],
            created=created,
            waiting=(claimed - created) / SECOND,  # NaN stays NaN; µs stay exact in a float64
            first_response=(replied - created) / SECOND,
            first_response_office=self._office_seconds(created, replied),
            handling=(resolved - created) / SECOND,
            resolved_in_time=self._in_time(created, resolved, ZoneInfo(scope.timezone)),
            details=list(zip(*columns[6:], strict=True)) if details else [],
        )

    def _rows(self, scope: ReportFilter, staff: str, details: bool) -> Sequence[Sequence[Any]]:
        start, end = scope.bounds()
        dialect = self._engine.dialect.name
        columns: list[Any] = [
            Ticket.area,
            Staff.username,
            moment(Ticket.created_at, dialect),
            moment(Ticket.claimed_at, dialect),
            moment(Ticket.first_reply_at, dialect),
            moment(Ticket.resolved_at, dialect),
        ]
        if details:
            columns += DETAILS
        query = (
            select(*columns)
            .outerjoin(Staff, Staff.id == Ticket.claimed_by)
            .where(*ticket_conditions(scope, start, end))
            .order_by(Ticket.created_at, Ticket.id)
        )
        if staff == UNCLAIMED:
            query = query.where(Staff.username.is_(None))  # as measured: no one's name
        elif staff:
            query = query.where(Staff.username == staff)
        with Session(self._engine) as session:
            return session.execute(query).all()

    def _office_seconds(self, created: IntArray, replied: FloatArray) -> FloatArray:
        office = np.full(len(created), np.nan)
        present = ~np.isnan(replied)
        wall = self._wall(self._clock.zone)
        first, last = wall.local_many(created[present]), wall.local_many(replied[present].astype(np.int64))
        office[present] = self._clock.office_microseconds_many(first, last) / SECOND
        return office

    def _in_time(self, created: IntArray, resolved: FloatArray, zone: ZoneInfo) -> BoolArray:
        in_time = np.zeros(len(created), dtype=np.bool_)
        present = ~np.isnan(resolved)
        wall = self._wall(zone)
        created_days = wall.local_many(created[present]) // DAY
        resolved_days = wall.local_many(resolved[present].astype(np.int64)) // DAY
        days, inverse = np.unique(created_days, return_inverse=True)
        deadlines = np.array([self._deadline_day(day) for day in days.tolist()], dtype=np.int64)
        in_time[present] = resolved_days <= deadlines[inverse]
        return in_time

    def _wall(self, zone: ZoneInfo) -> WallClock:
        found = self._walls.get(zone.key)
        if found is None:
            found = self._walls[zone.key] = WallClock(zone)
        return found

    @functools.lru_cache(maxsize=1024)  # noqa: B019  # one per app, a few hundred days
    def _deadline_day(self, created_day: int) -> int:
        """The last local day (days since 1970-01-01) to resolve a ticket of `created_day`."""
        created_on = dt.date.fromordinal(created_day + EPOCH_ORDINAL)
        return self._calendar.add_working_days(created_on, self.working_days).toordinal() - EPOCH_ORDINAL
