"""The transfers (转办) behind the summary's count and each area pair of its table: which
tickets went from which queue to which, why, by whom and when, so a supervisor sees what
was routed wrongly. Same scope as the count: transfers made in the range, of tickets on the
channel, from or to one of the areas; `from_area` and `to_area` narrow to one pair."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.persistence.models import Staff, Ticket, TicketTransfer
from bot.reports.summary import ReportFilter, SummaryReport

MAX_LISTED = 1000


class ListedTransfer(NamedTuple):
    case_number: str
    from_area: str
    to_area: str
    reason: str
    staff: str
    at: dt.datetime


class TransferList:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def search(
        self, scope: ReportFilter, from_area: str = "", to_area: str = ""
    ) -> tuple[int, list[ListedTransfer]]:
        """How many transfers the figure counted, and the most recent MAX_LISTED of them."""
        start, end = scope.bounds()
        where = [
            TicketTransfer.created_at >= start,
            TicketTransfer.created_at < end,
            *SummaryReport.transfer_scope(scope),
        ]
        if from_area:
            where.append(TicketTransfer.from_area == from_area)
        if to_area:
            where.append(TicketTransfer.to_area == to_area)
        joined = select(TicketTransfer).join(Ticket, Ticket.id == TicketTransfer.ticket_id).where(*where)
        with Session(self._engine) as session:
            count = session.scalar(select(func.count()).select_from(joined.subquery())) or 0
            rows = session.execute(
                select(
                    Ticket.case_number,
                    TicketTransfer.from_area,
                    TicketTransfer.to_area,
                    TicketTransfer.reason,
                    Staff.username,
                    TicketTransfer.created_at,
                )
                .join(Ticket, Ticket.id == TicketTransfer.ticket_id)
                .join(Staff, Staff.id == TicketTransfer.staff_id)
                .where(*where)
                .order_by(TicketTransfer.created_at.desc(), TicketTransfer.id.desc())
                .limit(MAX_LISTED)
            ).all()
        return count, [ListedTransfer(*row) for row in rows]
