"""Ratings and the 差评 follow-up list (回访与整改).

A rating is stored with, when it is 不满意 or 非常不满意, a follow-up task in the same
transaction, so a 差评 can never be recorded without its task. The task belongs to the area of
the conversation's latest ticket, else of the last item the bot answered about, else `other`,
and is due a number of working days later (Chinese calendar, see bot/work_calendar.py). It
moves 待回访 → 已回访 → 整改中 → 已整改, or to 不属实 once the citizen has been called back
(the statuses, labels and moves are `bot.contracts.follow_ups`); every move keeps its note, who
and when. A task not finished by its due date is overdue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.contracts.conversation import Role
from bot.contracts.follow_ups import (
    DONE_FOLLOW_UP_STATUSES,
    FOLLOW_UP_STATUS_LABELS,
    OPEN_FOLLOW_UP_STATUSES,
    FollowUpStatus,
    FollowUpTransitionError,
    check_follow_up_transition,
    next_follow_up_statuses,
)
from bot.persistence.models import (
    Conversation,
    FollowUp,
    FollowUpNote,
    Message,
    Rating,
    Staff,
    Ticket,
    as_utc,
    utcnow,
)
from bot.ratings import BAD_SCORES
from bot.work_calendar import WorkCalendar

OPEN_STATUSES = tuple(s.value for s in OPEN_FOLLOW_UP_STATUSES)  # as stored
AREA_LOOKBACK_MESSAGES = 50


class FollowUpError(ValueError):
    """A follow-up step that is not allowed from the task's current state, or that someone
    else's step got in before (message in Chinese)."""


@dataclass(frozen=True)
class FollowUpNoteView:
    from_status: str
    to_status: str
    note: str
    staff: str
    at: str


@dataclass(frozen=True)
class FollowUpView:
    id: int
    conversation_id: str
    case_number: str | None
    area: str
    channel: str
    score: int
    status: FollowUpStatus
    due_on: dt.date
    created_at: dt.datetime
    updated_at: dt.datetime
    overdue: bool
    notes: list[FollowUpNoteView] = field(default_factory=list)
    second_score: int | None = None  # 追评

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["status_label"] = FOLLOW_UP_STATUS_LABELS[self.status]
        data["next_statuses"] = [
            {"status": s.value, "label": FOLLOW_UP_STATUS_LABELS[s]}
            for s in next_follow_up_statuses(self.status)
        ]
        data["due_on"] = self.due_on.isoformat()
        data["created_at"] = self.created_at.isoformat()
        data["updated_at"] = self.updated_at.isoformat()
        return data


class FollowUpStore:
    def __init__(
        self, engine: Engine, calendar: WorkCalendar, working_days: int = 5, timezone: str = "Asia/Shanghai"
    ) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._calendar = calendar
        self._working_days = working_days
        self._zone = ZoneInfo(timezone)

    def today(self) -> dt.date:
        return dt.datetime.now(self._zone).date()

    # --- writes ------------------------------------------------------------------------
    def record_rating(
        self, conversation_id: str, score: int, at: dt.datetime | None = None
    ) -> FollowUpView | None:
        """Store the rating; a 差评 also opens its follow-up task (returned)."""
        moment = at or utcnow()
        with self._sessions() as session:
            rating = Rating(conversation_id=conversation_id, score=score, created_at=moment)
            session.add(rating)
            session.flush()
            task = None
            if score in BAD_SCORES:
                conversation = session.get(Conversation, conversation_id)
                if conversation is None:
                    raise LookupError(conversation_id)
                ticket_id, area = self._area_of(session, conversation_id)
                local_day = moment.astimezone(self._zone).date()
                task = FollowUp(
                    rating_id=rating.id,
                    conversation_id=conversation_id,
                    ticket_id=ticket_id,
                    area=area,
                    channel=conversation.channel,
                    score=score,
                    status=FollowUpStatus.pending.value,
                    due_on=self._calendar.add_working_days(local_day, self._working_days),
                    created_at=moment,
                    updated_at=moment,
                )
                session.add(task)
            session.commit()
            return self._view(session, task) if task is not None else None

    def advance(self, task_id: int, staff_id: int, target: FollowUpStatus, note: str) -> FollowUpView:
        """One step along 待回访 → 已回访 → 整改中 → 已整改 (or 不属实), with its note. The
        guarded UPDATE makes two people stepping the same task at once safe: one wins."""
        with self._sessions() as session:
            task = session.get(FollowUp, task_id)
            if task is None:
                raise LookupError(task_id)
            current = FollowUpStatus(task.status)
            try:
                check_follow_up_transition(current, target)
            except FollowUpTransitionError as exc:
                raise FollowUpError(str(exc)) from exc
            now = utcnow()
            result = session.execute(
                update(FollowUp)
                .where(FollowUp.id == task_id, FollowUp.status == current.value)
                .values(status=target.value, updated_at=now)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                raise FollowUpError("回访任务刚被其他人更新，请刷新后重试")
            session.add(
                FollowUpNote(
                    follow_up_id=task_id,
                    from_status=current.value,
                    to_status=target.value,
                    note=note,
                    staff_id=staff_id,
                    created_at=now,
                )
            )
            session.commit()
            session.refresh(task)
            return self._view(session, task)

    def record_second_rating(self, task_id: int, conversation_id: str, score: int) -> bool:
        """追评: once, by the task's own citizen, after 已整改. False when it does not apply
        (another conversation's task, not rectified, or already rated)."""
        with self._sessions() as session:
            result = session.execute(
                update(FollowUp)
                .where(
                    FollowUp.id == task_id,
                    FollowUp.conversation_id == conversation_id,
                    FollowUp.status == FollowUpStatus.rectified.value,
                    FollowUp.second_score.is_(None),
                )
                .values(second_score=score, second_rated_at=utcnow())
            )
            session.commit()
            return bool(result.rowcount)  # type: ignore[attr-defined]

    # --- reads -------------------------------------------------------------------------
    def get(self, task_id: int) -> FollowUpView | None:
        with self._sessions() as session:
            task = session.get(FollowUp, task_id)
            return self._view(session, task) if task is not None else None

    def search(
        self,
        areas: list[str] | None = None,
        statuses: list[str] | None = None,
        overdue_only: bool = False,
        limit: int = 200,
        created: tuple[dt.datetime, dt.datetime] | None = None,
        claimed_by: str | None = None,
    ) -> list[FollowUpView]:
        """Earliest due first: the order they should be worked in. `created` narrows to the
        tasks created in [start, end) and `claimed_by` to those of a ticket claimed by that
        username ("": by nobody), as the reports' date range and staff filter count them
        (bot.reports.summary.follow_up_scope), so the list and the figures read the same."""
        query = select(FollowUp)
        if created is not None:
            query = query.where(FollowUp.created_at >= created[0], FollowUp.created_at < created[1])
        if claimed_by is not None:
            owner = (
                Ticket.claimed_by.in_(select(Staff.id).where(Staff.username == claimed_by))
                if claimed_by
                else Ticket.claimed_by.is_(None)
            )
            query = query.where(FollowUp.ticket_id.in_(select(Ticket.id).where(owner)))
        if areas is not None:
            query = query.where(FollowUp.area.in_(areas))
        if statuses:
            query = query.where(FollowUp.status.in_(statuses))
        if overdue_only:
            query = query.where(FollowUp.status.in_(OPEN_STATUSES), FollowUp.due_on < self.today())
        query = query.order_by(FollowUp.due_on, FollowUp.id).limit(limit)
        with self._sessions() as session:
            return [self._view(session, task) for task in session.scalars(query)]

    # --- helpers -----------------------------------------------------------------------
    @staticmethod
    def _area_of(session: Session, conversation_id: str) -> tuple[int | None, str]:
        ticket = session.execute(
            select(Ticket.id, Ticket.area)
            .where(Ticket.conversation_id == conversation_id)
            .order_by(Ticket.id.desc())
            .limit(1)
        ).first()
        if ticket is not None:
            return ticket.id, ticket.area
        payloads = session.scalars(
            select(Message.payload)
            .where(Message.conversation_id == conversation_id, Message.role == Role.bot.value)
            .order_by(Message.id.desc())
            .limit(AREA_LOOKBACK_MESSAGES)
        )
        for payload in payloads:
            area = (payload or {}).get("data", {}).get("area")
            if area:
                return None, str(area)
        return None, "other"

    def _view(self, session: Session, task: FollowUp) -> FollowUpView:
        case_number = (
            session.scalar(select(Ticket.case_number).where(Ticket.id == task.ticket_id))
            if task.ticket_id
            else None
        )
        notes = [
            FollowUpNoteView(
                row.from_status, row.to_status, row.note, username, as_utc(row.created_at).isoformat()
            )
            for row, username in session.execute(
                select(FollowUpNote, Staff.username)
                .join(Staff, Staff.id == FollowUpNote.staff_id)
                .where(FollowUpNote.follow_up_id == task.id)
                .order_by(FollowUpNote.id)
            )
        ]
        status = FollowUpStatus(task.status)
        return FollowUpView(
            id=task.id,
            conversation_id=task.conversation_id,
            case_number=case_number,
            area=task.area,
            channel=task.channel,
            score=task.score,
            status=status,
            due_on=task.due_on,
            created_at=as_utc(task.created_at),
            updated_at=as_utc(task.updated_at),
            overdue=status not in DONE_FOLLOW_UP_STATUSES and task.due_on < self.today(),
            notes=notes,
            second_score=task.second_score,
        )
