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
"""

from __future__ import annotations

import datetime as dt
import functools
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.gateway.office_hours import OfficeHours
from bot.persistence.models import Staff, Ticket, as_utc
from bot.reports.summary import FIRST_RESPONSE_NORM_SECONDS, ReportFilter, ticket_conditions
from bot.work_calendar import WorkCalendar

UNCLAIMED = "（未接单）"
MAX_LISTED = 1000


class OfficeClock:
    """Office seconds between two moments, on the Chinese working-day calendar."""

    def __init__(self, hours: OfficeHours, calendar: WorkCalendar) -> None:
        self._hours = hours
        self._calendar = calendar
        self._days: dict[dt.date, tuple[tuple[int, int], ...]] = {}  # a report asks about few days, often

    def _periods(self, day: dt.date) -> tuple[tuple[int, int], ...]:
        found = self._days.get(day)
        if found is None:
            weekday = day.weekday()
            open_day = self._calendar.is_workday(day)
            found = (
                self._hours.weekly.get(weekday if weekday < 5 else 0, ()) if open_day else ()
            )  # 调休: Monday's
            self._days[day] = found
        return found

    def seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        zone = self._hours.zone
        first, last = start.astimezone(zone), end.astimezone(zone)
        total = 0.0
        day = first.date()
        while day <= last.date():
            midnight = dt.datetime.combine(day, dt.time(), tzinfo=zone)
            for opens, closes in self._periods(day):
                lower = max(first, midnight + dt.timedelta(minutes=opens))
                upper = min(last, midnight + dt.timedelta(minutes=closes))
                total += max(0.0, (upper - lower).total_seconds())
            day += dt.timedelta(days=1)
        return total


@dataclass(frozen=True)
class TicketTimes:
    """One ticket with its measures (seconds; None when not reached yet)."""

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


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 1) if present else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(key: str, tickets: list[TicketTimes]) -> StaffFigures:
    office = [t.first_response_office for t in tickets if t.first_response_office is not None]
    within = sum(1 for t in tickets if MEASURES["within_norm"][1](t))
    in_time = sum(1 for t in tickets if t.resolved_in_time)
    return StaffFigures(
        key=key,
        tickets=len(tickets),
        claimed=sum(1 for t in tickets if t.waiting is not None),
        waiting_median_seconds=_median(t.waiting for t in tickets),
        responded=len(office),
        first_response_median_seconds=_median(t.first_response for t in tickets),
        first_response_office_median_seconds=_median(office),
        within_norm=within,
        within_norm_share=_share(within, len(office)),
        resolved=sum(1 for t in tickets if t.handling is not None),
        handling_median_seconds=_median(t.handling for t in tickets),
        resolved_in_time=in_time,
        resolved_in_time_share=_share(in_time, len(tickets)),
    )


class StaffReport:
    def __init__(self, engine: Engine, clock: OfficeClock, calendar: WorkCalendar, working_days: int) -> None:
        self._engine = engine
        self._clock = clock
        self._calendar = calendar
        self.working_days = working_days

    def tickets(self, scope: ReportFilter, staff: str = "", keep: Keep | None = None) -> list[TicketTimes]:
        """The tickets of the range (created in it), measured; `staff` narrows to who claimed
        them (UNCLAIMED for nobody); `keep` to those a figure counted."""
        start, end = scope.bounds()
        query = (
            select(Ticket, Staff.username)
            .outerjoin(Staff, Staff.id == Ticket.claimed_by)
            .where(*ticket_conditions(scope, start, end))
            .order_by(Ticket.created_at, Ticket.id)
        )
        with Session(self._engine) as session:
            rows = session.execute(query).all()
        measured = [self._measure(ticket, username or UNCLAIMED, scope) for ticket, username in rows]
        return [t for t in measured if (not staff or t.staff == staff) and (keep is None or keep(t))]

    def _measure(self, ticket: Ticket, username: str, scope: ReportFilter) -> TicketTimes:
        created = as_utc(ticket.created_at)

        def since(moment: dt.datetime | None) -> float | None:
            return (as_utc(moment) - created).total_seconds() if moment is not None else None

        office = (
            self._clock.seconds_between(created, as_utc(ticket.first_reply_at))
            if ticket.first_reply_at
            else None
        )
        zone = ZoneInfo(scope.timezone)
        deadline = self._deadline(created.astimezone(zone).date())
        resolved = as_utc(ticket.resolved_at) if ticket.resolved_at else None
        return TicketTimes(
            case_number=ticket.case_number,
            area=ticket.area,
            channel=ticket.channel,
            reason=ticket.reason,
            status=ticket.status,
            staff=username,
            created_at=created,
            waiting=since(ticket.claimed_at),
            first_response=since(ticket.first_reply_at),
            first_response_office=office,
            handling=since(ticket.resolved_at),
            resolved_in_time=resolved is not None and resolved.astimezone(zone).date() <= deadline,
        )

    @functools.lru_cache(maxsize=1024)  # noqa: B019  # one per app, a few hundred days
    def _deadline(self, created_on: dt.date) -> dt.date:
        return self._calendar.add_working_days(created_on, self.working_days)

    def build(self, scope: ReportFilter) -> StaffReportResult:
        tickets = self.tickets(scope)
        by_area: dict[str, list[TicketTimes]] = defaultdict(list)
        by_staff: dict[str, list[TicketTimes]] = defaultdict(list)
        for ticket in tickets:
            by_area[ticket.area].append(ticket)
            by_staff[ticket.staff].append(ticket)
        return StaffReportResult(
            date_from=scope.date_from,
            date_to=scope.date_to,
            resolution_working_days=self.working_days,
            by_area=[figures(key, rows) for key, rows in sorted(by_area.items())],
            by_staff=[figures(key, rows) for key, rows in sorted(by_staff.items())],
        )
