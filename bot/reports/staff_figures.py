"""Staff figures per area and per staff member, and the tickets behind each of them.

- waiting: created → claimed, elapsed time;
- first response: created → first staff reply, elapsed, and in office time: only the seconds
  when staff are at their desks count (OFFICE_HOURS, on the Chinese calendar: a public holiday
  is closed, a 调休 Saturday keeps a Monday's hours). «Within 3 minutes» is the share of first
  responses within 180 s of office time, so a question asked at night is not counted late;
- handling: created → resolved, elapsed;
- resolved in time: resolved no later than RESOLUTION_WORKING_DAYS working days after the
  local day it was created, out of all tickets created in the range.
Per staff member means the person who claimed the ticket; unclaimed tickets count under
«（未接单）».

Both the figures and the tickets behind them come from one measuring of the range's tickets
(ticket_measures), the figures over its columns, the listing one ticket at a time, so a
number links to exactly the tickets it counted (MEASURES).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from pydantic import BaseModel
from sqlalchemy import Engine

from bot.reports.epoch import IntArray, as_datetime
from bot.reports.office_clock import OfficeClock
from bot.reports.summary import FIRST_RESPONSE_NORM_SECONDS, UNCLAIMED, ReportFilter, share
from bot.reports.ticket_measures import FloatArray, MeasuredTickets, TicketMeasurer
from bot.work_calendar import WorkCalendar

__all__ = ["MEASURES", "UNCLAIMED", "OfficeClock", "StaffFigures", "StaffReport", "TicketTimes"]

MAX_LISTED = 1000


class TicketTimes(NamedTuple):
    """One ticket with its measures (seconds; None when not reached yet). A named tuple, not a
    frozen dataclass: listing a month at scale makes ~35,000 of them, at a third of the cost."""

    case_number: str
    area: str
    channel: str
    reason: str
    status: str
    staff: str
    created_at: dt.datetime
    waiting: float | None
    first_response: float | None
    first_response_office: float | None
    handling: float | None
    resolved_in_time: bool


Keep = Callable[[TicketTimes], bool]
# What each figure counts, so its number links to exactly these tickets.
MEASURES: dict[str, tuple[str, Keep]] = {
    "all": ("全部工单", lambda t: True),
    "claimed": ("已接单", lambda t: t.waiting is not None),
    "unclaimed": ("未接单", lambda t: t.waiting is None),
    "responded": ("已首次响应", lambda t: t.first_response_office is not None),
    "within_norm": (
        "3 分钟内首次响应（工作时间）",
        lambda t: (
            t.first_response_office is not None and t.first_response_office <= FIRST_RESPONSE_NORM_SECONDS
        ),
    ),
    # the summary's «within 3 minutes»: elapsed time, night and holidays included
    "within_norm_elapsed": (
        "3 分钟内首次响应（自然时间）",
        lambda t: t.first_response is not None and t.first_response <= FIRST_RESPONSE_NORM_SECONDS,
    ),
    "resolved": ("已办结", lambda t: t.handling is not None),
    "resolved_in_time": ("按期办结", lambda t: t.resolved_in_time),
}


class StaffFigures(BaseModel):
    key: str
    tickets: int
    claimed: int
    waiting_median_seconds: float | None
    responded: int
    first_response_median_seconds: float | None
    first_response_office_median_seconds: float | None
    within_norm: int
    within_norm_share: float | None
    resolved: int
    handling_median_seconds: float | None
    resolved_in_time: int
    resolved_in_time_share: float | None


class StaffReportResult(BaseModel):
    date_from: dt.date
    date_to: dt.date
    resolution_working_days: int
    by_area: list[StaffFigures]
    by_staff: list[StaffFigures]


def _median(values: FloatArray) -> float | None:
    """As statistics.median did: the middle value, or the mean of the two middle ones."""
    present = values[~np.isnan(values)]
    return round(float(np.median(present)), 1) if len(present) else None


def figures(key: str, measured: MeasuredTickets, rows: IntArray) -> StaffFigures:
    """The figures of the tickets at `rows`; each count is what its MEASURES entry keeps."""
    office = measured.first_response_office[rows]
    responded = int(np.count_nonzero(~np.isnan(office)))
    within = int(np.count_nonzero(office <= FIRST_RESPONSE_NORM_SECONDS))  # NaN compares False
    in_time = int(np.count_nonzero(measured.resolved_in_time[rows]))
    return StaffFigures(
        key=key,
        tickets=len(rows),
        claimed=int(np.count_nonzero(~np.isnan(measured.waiting[rows]))),
        waiting_median_seconds=_median(measured.waiting[rows]),
        responded=responded,
        first_response_median_seconds=_median(measured.first_response[rows]),
        first_response_office_median_seconds=_median(office),
        within_norm=within,
        within_norm_share=share(within, responded),
        resolved=int(np.count_nonzero(~np.isnan(measured.handling[rows]))),
        handling_median_seconds=_median(measured.handling[rows]),
        resolved_in_time=in_time,
        resolved_in_time_share=share(in_time, len(rows)),
    )


def _groups(keys: list[str]) -> list[tuple[str, IntArray]]:
    """Each distinct key, sorted, with the rows that have it."""
    names = sorted(set(keys))
    position = {name: code for code, name in enumerate(names)}
    codes = np.array([position[key] for key in keys], dtype=np.int64)
    return [(name, np.flatnonzero(codes == code)) for code, name in enumerate(names)]


class StaffReport:
    def __init__(self, engine: Engine, clock: OfficeClock, calendar: WorkCalendar, working_days: int) -> None:
        self._measurer = TicketMeasurer(engine, clock, calendar, working_days)
        self.working_days = working_days

    def tickets(
        self, scope: ReportFilter, staff: str = "", keep: Keep | None = None, reason: str = ""
    ) -> list[TicketTimes]:
        """The tickets of the range (created in it), measured; `staff` narrows to who claimed
        them (UNCLAIMED for nobody); `keep` to those a figure counted; `reason` to one handoff
        reason (the list behind a row of «转人工原因», which counts the same tickets)."""
        m = self._measurer.measure(scope, staff, details=True)
        listed = (
            TicketTimes(case, area, channel, reason, status, who, as_datetime(created), *measures)
            for (case, channel, reason, status), area, who, created, *measures in zip(
                m.details,
                m.areas,
                m.staff,
                m.created.tolist(),
                _or_none(m.waiting),
                _or_none(m.first_response),
                _or_none(m.first_response_office),
                _or_none(m.handling),
                m.resolved_in_time.tolist(),
                strict=True,
            )
        )
        if reason:
            listed = (t for t in listed if t.reason == reason)
        return list(listed) if keep is None else [t for t in listed if keep(t)]

    def build(self, scope: ReportFilter) -> StaffReportResult:
        measured = self._measurer.measure(scope)
        return StaffReportResult(
            date_from=scope.date_from,
            date_to=scope.date_to,
            resolution_working_days=self.working_days,
            by_area=[figures(key, measured, rows) for key, rows in _groups(measured.areas)],
            by_staff=[figures(key, measured, rows) for key, rows in _groups(measured.staff)],
        )


def _or_none(values: FloatArray) -> list[float | None]:
    return [None if math.isnan(value) else value for value in values.tolist()]
