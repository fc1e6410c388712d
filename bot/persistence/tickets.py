"""Ticket store: the conversation state machine and the tickets that carry it.

`bot` → `queued` (a ticket is opened) → `human` (a staff member claimed it) → `bot` (resolved)
or `closed`. Every transition is one transaction that moves the conversation, the ticket and
an audit row (`handoff_events`, with the reason) together, so a crash never leaves a
conversation queued without a ticket. Claiming is a guarded UPDATE (`… WHERE status =
'queued'`): whichever of two staff members commits first wins, the other gets None.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.contracts.conversation import ConversationState, check_transition
from bot.contracts.tickets import OPEN_TICKET_STATUSES
from bot.persistence.models import (
    Conversation,
    HandoffEvent,
    Staff,
    Ticket,
    TicketStatus,
    TicketTransfer,
    as_utc,
    utcnow,
)

CASE_PREFIX = "ZW"
OPEN_STATUSES = tuple(s.value for s in OPEN_TICKET_STATUSES)
# handoff_events.reason when an open case is answered outside the console (by a WeCom member
# in the WeCom app): the conversation's state does not change, but who answers does.
ELSEWHERE = "handled_elsewhere"


class TicketConflictError(Exception):
    """The ticket is not in a state that allows this (already claimed, already finished, or
    claimed by someone else)."""


@dataclass(frozen=True)
class TicketView:
    id: int
    case_number: str
    conversation_id: str
    channel: str
    area: str
    status: TicketStatus
    reason: str
    priority: int
    service_item: str | None
    question_type: str | None
    packet: dict[str, Any]
    claimed_by: int | None
    claimed_by_name: str | None
    note: str
    created_at: dt.datetime
    claimed_at: dt.datetime | None
    first_reply_at: dt.datetime | None
    resolved_at: dt.datetime | None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        for key in ("created_at", "claimed_at", "first_reply_at", "resolved_at"):
            value = data[key]
            data[key] = as_utc(value).isoformat() if value is not None else None
        return data


@dataclass(frozen=True)
class NewTicket:
    """What the gateway knows when it opens a ticket (the packet is stored as given)."""

    conversation_id: str
    channel: str
    area: str
    reason: str
    priority: int
    service_item: str | None
    question_type: str | None
    packet: dict[str, Any]


def _view(row: Ticket, staff_name: str | None) -> TicketView:
    return TicketView(
        id=row.id,
        case_number=row.case_number,
        conversation_id=row.conversation_id,
        channel=row.channel,
        area=row.area,
        status=TicketStatus(row.status),
        reason=row.reason,
        priority=row.priority,
        service_item=row.service_item,
        question_type=row.question_type,
        packet=dict(row.packet or {}),
        claimed_by=row.claimed_by,
        claimed_by_name=staff_name,
        note=row.note,
        created_at=as_utc(row.created_at),
        claimed_at=as_utc(row.claimed_at) if row.claimed_at else None,
        first_reply_at=as_utc(row.first_reply_at) if row.first_reply_at else None,
        resolved_at=as_utc(row.resolved_at) if row.resolved_at else None,
    )


class TicketStore:
    def __init__(self, engine: Engine, timezone: str = "Asia/Shanghai") -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._zone = ZoneInfo(timezone)

    # --- reads -------------------------------------------------------------------------
    def get(self, case_number: str) -> TicketView | None:
        with self._sessions() as session:
            row = session.scalars(select(Ticket).where(Ticket.case_number == case_number)).first()
            return self._view(session, row) if row else None

    def open_ticket_of(self, conversation_id: str) -> TicketView | None:
        with self._sessions() as session:
            return self._open_ticket(session, conversation_id)

    def queue_position(self, ticket: TicketView) -> int:
        """1 for the first in its area's queue; 0 once it is no longer queued."""
        if ticket.status != TicketStatus.queued:
            return 0
        query = select(func.count(Ticket.id)).where(
            Ticket.status == TicketStatus.queued.value, Ticket.area == ticket.area, Ticket.id <= ticket.id
        )
        with self._sessions() as session:
            return int(session.scalar(query) or 0)

    def search(
        self,
        areas: list[str] | None = None,
        statuses: list[str] | None = None,
        text: str = "",
        limit: int = 100,
    ) -> list[TicketView]:
        """Oldest first for open tickets (the queue order), newest first otherwise."""
        query = select(Ticket)
        if areas is not None:
            query = query.where(Ticket.area.in_(areas))
        if statuses:
            query = query.where(Ticket.status.in_(statuses))
        if text:
            pattern = f"%{text}%"
            query = query.where(or_(Ticket.case_number.ilike(pattern), Ticket.note.ilike(pattern)))
        only_open = bool(statuses) and set(statuses or ()) <= set(OPEN_STATUSES)
        query = query.order_by(Ticket.priority, Ticket.id) if only_open else query.order_by(Ticket.id.desc())
        with self._sessions() as session:
            return [self._view(session, row) for row in session.scalars(query.limit(limit))]

    def events(self, conversation_id: str) -> list[dict[str, Any]]:
        query = select(HandoffEvent).where(HandoffEvent.conversation_id == conversation_id)
        with self._sessions() as session:
            return [
                {
                    "from": row.from_state,
                    "to": row.to_state,
                    "reason": row.reason,
                    "ticket_id": row.ticket_id,
                    "staff_id": row.staff_id,
                    "at": as_utc(row.created_at).isoformat(),
                }
                for row in session.scalars(query.order_by(HandoffEvent.id))
            ]

    # --- transitions -------------------------------------------------------------------
    def open_ticket(self, new: NewTicket) -> tuple[TicketView, bool]:
        """Queue the conversation with a new ticket; an already open ticket is returned as it
        is (False) so a second trigger never makes a second case."""
        for _attempt in range(5):
            with self._sessions() as session:
                existing = self._open_ticket(session, new.conversation_id)
                if existing is not None:
                    return existing, False
                row = Ticket(
                    case_number=self._next_case_number(session),
                    conversation_id=new.conversation_id,
                    channel=new.channel,
                    area=new.area,
                    status=TicketStatus.queued.value,
                    reason=new.reason,
                    priority=new.priority,
                    service_item=new.service_item,
                    question_type=new.question_type,
                    packet=new.packet,
                    note="",
                )
                session.add(row)
                try:
                    session.flush()
                except IntegrityError:
                    # Another handoff won: it took this case number (try the next) or opened
                    # this conversation's ticket first (the partial unique index of migration
                    # 0007; the next attempt finds and returns that ticket).
                    session.rollback()
                    continue
                self._move(session, new.conversation_id, ConversationState.queued, new.reason, row.id)
                session.commit()
                return self._view(session, row), True
        raise RuntimeError("无法生成受理编号（并发冲突过多）")

    def claim(self, case_number: str, staff_id: int) -> TicketView:
        with self._sessions() as session:
            now = utcnow()
            result = session.execute(
                update(Ticket)
                .where(Ticket.case_number == case_number, Ticket.status == TicketStatus.queued.value)
                .values(status=TicketStatus.claimed.value, claimed_by=staff_id, claimed_at=now)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                raise TicketConflictError("该工单已被其他工作人员接单或已结束")
            row = self._ticket(session, case_number)
            self._move(session, row.conversation_id, ConversationState.human, "claimed", row.id, staff_id)
            session.commit()
            return self._view(session, row)

    def record_reply(self, case_number: str, staff_id: int) -> TicketView:
        """Only the staff member holding the ticket (or an admin, by passing their id after
        the check) may answer; the first answer's time is kept for the waiting statistics."""
        with self._sessions() as session:
            row = self._ticket(session, case_number)
            if row.status != TicketStatus.claimed.value or row.claimed_by != staff_id:
                raise TicketConflictError("请先接单再回复")
            if row.first_reply_at is None:
                row.first_reply_at = utcnow()
            session.commit()
            return self._view(session, row)

    def finish(self, case_number: str, staff_id: int | None, status: TicketStatus, note: str) -> TicketView:
        """Resolve (the conversation goes back to the bot) or close (it ends). `staff_id`
        None: the case ended outside the console (see `hand_elsewhere`), whoever claimed it."""
        target = ConversationState.bot if status == TicketStatus.resolved else ConversationState.closed
        holder = (
            true() if staff_id is None else or_(Ticket.claimed_by == staff_id, Ticket.claimed_by.is_(None))
        )
        with self._sessions() as session:
            now = utcnow()
            result = session.execute(
                update(Ticket)
                .where(Ticket.case_number == case_number, Ticket.status.in_(OPEN_STATUSES), holder)
                .values(status=status.value, note=note, resolved_at=now)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                raise TicketConflictError("该工单已结束，或由其他工作人员处理")
            row = self._ticket(session, case_number)
            self._move(session, row.conversation_id, target, status.value, row.id, staff_id)
            session.commit()
            return self._view(session, row)

    def transfer(self, case_number: str, staff_id: int, to_area: str, reason: str) -> tuple[TicketView, str]:
        """转办: the open ticket moves to `to_area`'s queue (unclaimed again, so that area's staff
        take it), keeping its case number, its id (so its place by age in the queue) and its
        creation time (the waiting clock). Audited twice: a `ticket_transfers` row with both
        areas and the reason, and a handoff event. Returns the ticket and the area it left."""
        with self._sessions() as session:
            row = self._ticket(session, case_number)
            from_area = row.area
            if to_area == from_area:
                raise TicketConflictError("工单已在该领域，无需转办")
            result = session.execute(
                update(Ticket)
                .where(
                    Ticket.case_number == case_number,
                    Ticket.area == from_area,
                    Ticket.status.in_(OPEN_STATUSES),
                    or_(Ticket.claimed_by == staff_id, Ticket.claimed_by.is_(None)),
                )
                .values(area=to_area, status=TicketStatus.queued.value, claimed_by=None, claimed_at=None)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                raise TicketConflictError("该工单已结束，或由其他工作人员处理，不能转办")
            session.add(
                TicketTransfer(
                    ticket_id=row.id, from_area=from_area, to_area=to_area, reason=reason, staff_id=staff_id
                )
            )
            queued = ConversationState.queued
            self._move(session, row.conversation_id, queued, "transferred", row.id, staff_id)
            session.commit()
            session.refresh(row)
            return self._view(session, row), from_area

    def hand_elsewhere(self, case_number: str, note: str) -> TicketView:
        """The open case is answered outside the console (a WeCom member): the note says by
        whom, so console staff do not answer it a second time, and the audit trail says when.
        The ticket stays open until the case comes back (`finish` with no staff member)."""
        with self._sessions() as session:
            row = self._ticket(session, case_number)
            if row.status not in OPEN_STATUSES:
                raise TicketConflictError("该工单已结束")
            row.note = note
            self._move(session, row.conversation_id, None, ELSEWHERE, row.id)
            session.commit()
            return self._view(session, row)

    def handed_elsewhere(self, ticket_id: int) -> bool:
        query = select(HandoffEvent.id).where(
            HandoffEvent.reason == ELSEWHERE, HandoffEvent.ticket_id == ticket_id
        )
        with self._sessions() as session:
            return session.scalars(query.limit(1)).first() is not None

    def transfers(self, ticket_id: int) -> list[dict[str, Any]]:
        query = select(TicketTransfer, Staff.username).join(Staff, Staff.id == TicketTransfer.staff_id)
        with self._sessions() as session:
            return [
                {
                    "from_area": move.from_area,
                    "to_area": move.to_area,
                    "reason": move.reason,
                    "staff": username,
                    "at": as_utc(move.created_at).isoformat(),
                }
                for move, username in session.execute(
                    query.where(TicketTransfer.ticket_id == ticket_id).order_by(TicketTransfer.id)
                )
            ]

    def reopen_closed(self, conversation_id: str) -> bool:
        """A citizen writing again after «closed» starts over with the bot."""
        with self._sessions() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None or conversation.state != ConversationState.closed.value:
                return False
            self._move(session, conversation_id, ConversationState.bot, "citizen_returned", None)
            session.commit()
            return True

    # --- helpers -----------------------------------------------------------------------
    def _next_case_number(self, session: Session) -> str:
        """ZW-YYYYMMDD-NNNN, numbered per local day; the unique index settles races."""
        day = dt.datetime.now(self._zone).strftime("%Y%m%d")
        prefix = f"{CASE_PREFIX}-{day}-"
        latest = session.scalar(
            select(func.max(Ticket.case_number)).where(Ticket.case_number.like(f"{prefix}%"))
        )
        number = int(latest.rsplit("-", 1)[1]) + 1 if latest else 1
        return f"{prefix}{number:04d}"

    @staticmethod
    def _ticket(session: Session, case_number: str) -> Ticket:
        row = session.scalars(select(Ticket).where(Ticket.case_number == case_number)).first()
        if row is None:
            raise LookupError(case_number)
        return row

    def _open_ticket(self, session: Session, conversation_id: str) -> TicketView | None:
        row = session.scalars(
            select(Ticket)
            .where(Ticket.conversation_id == conversation_id, Ticket.status.in_(OPEN_STATUSES))
            .order_by(Ticket.id.desc())
        ).first()
        return self._view(session, row) if row else None

    @staticmethod
    def _view(session: Session, row: Ticket) -> TicketView:
        name = (
            session.scalar(select(Staff.username).where(Staff.id == row.claimed_by))
            if row.claimed_by
            else None
        )
        return _view(row, name)

    @staticmethod
    def _move(
        session: Session,
        conversation_id: str,
        target: ConversationState | None,
        reason: str,
        ticket_id: int | None,
        staff_id: int | None = None,
    ) -> None:
        """The state change (one `STATE_TRANSITIONS` allows) and its audit row; `target`
        None: the state stays, who answers changes (an event all the same)."""
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise LookupError(conversation_id)
        if target is not None:
            check_transition(ConversationState(conversation.state), target)
        to_state = conversation.state if target is None else target.value
        session.add(
            HandoffEvent(
                conversation_id=conversation_id,
                ticket_id=ticket_id,
                from_state=conversation.state,
                to_state=to_state,
                reason=reason,
                staff_id=staff_id,
            )
        )
        conversation.state = to_state
        conversation.updated_at = utcnow()
