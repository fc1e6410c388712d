"""The follow-up tasks behind the summary's follow-up figures that the working list
(/api/v1/follow-ups, open and overdue as of today) cannot show: those created in the range
(by state, as the «回访任务（按状态，期间新增）» table counts them), the 追评 given in the
range (by level), and the tasks at 已整改 still awaiting a 追评. Same scope as the figures:
the task's own area and channel."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.contracts.follow_ups import FollowUpStatus
from bot.persistence.models import FollowUp, Ticket
from bot.reports.summary import ReportFilter, follow_up_scope

KINDS = {
    "created": "期间新增的回访任务",
    "second_rated": "期间有追评的回访任务",
    "awaiting_second": "已整改、待追评的回访任务（当前）",
}
MAX_LISTED = 1000


class ListedFollowUp(NamedTuple):
    id: int
    case_number: str | None
    area: str
    channel: str
    score: int
    status: str
    due_on: dt.date
    created_at: dt.datetime
    second_score: int | None


class FollowUpList:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def search(
        self, scope: ReportFilter, kind: str = "created", status: str = "", second_score: int | None = None
    ) -> tuple[int, list[ListedFollowUp]]:
        """How many tasks the figure counted, and the latest MAX_LISTED of them."""
        start, end = scope.bounds()
        where = follow_up_scope(scope)
        if kind == "created":
            where += [FollowUp.created_at >= start, FollowUp.created_at < end]
        elif kind == "second_rated":
            where += [FollowUp.second_rated_at >= start, FollowUp.second_rated_at < end]
        else:
            where += [FollowUp.status == FollowUpStatus.rectified.value, FollowUp.second_score.is_(None)]
        if status:
            where.append(FollowUp.status == status)
        if second_score is not None:
            where.append(FollowUp.second_score == second_score)
        with Session(self._engine) as session:
            count = session.scalar(select(func.count()).select_from(FollowUp).where(*where)) or 0
            rows = session.execute(
                select(
                    FollowUp.id,
                    Ticket.case_number,
                    FollowUp.area,
                    FollowUp.channel,
                    FollowUp.score,
                    FollowUp.status,
                    FollowUp.due_on,
                    FollowUp.created_at,
                    FollowUp.second_score,
                )
                .outerjoin(Ticket, Ticket.id == FollowUp.ticket_id)
                .where(*where)
                .order_by(FollowUp.created_at.desc(), FollowUp.id.desc())
                .limit(MAX_LISTED)
            ).all()
        return count, [ListedFollowUp(*row) for row in rows]
