"""The headline figures of `GET /api/v1/reports/summary`, for a date range, channel and the
areas the caller may read.

Definitions (also in the README):
- a conversation counts when the citizen wrote in it during the range (one conversation per
  citizen and channel is kept, so «citizens» counts distinct senders over those);
- with an area (or for staff, who see only their areas) a conversation is in scope when it has
  a ticket in one of those areas; containment is then not given, since a conversation the bot
  handled alone has no area on record;
- tickets (handoffs, waiting, first response) count by their creation time, ratings by theirs;
- waiting time is created → claimed, first response created → first staff reply, both in
  elapsed seconds; «within 3 minutes» is the share of first responses within 180 s;
- rating response rate is rated conversations / conversations in scope; 差评 rate is ratings
  of 不满意 or 非常不满意 / all ratings;
- follow-ups: created in the range by state; open and overdue as of today, whatever the range.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, Engine, Select, Subquery, and_, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.contracts.conversation import Role
from bot.contracts.follow_ups import FOLLOW_UP_STATUS_LABELS, OPEN_FOLLOW_UP_STATUSES, FollowUpStatus
from bot.contracts.tickets import HANDOFF_REASON_LABELS
from bot.persistence.models import (
    Conversation,
    FollowUp,
    Message,
    Rating,
    Staff,
    Ticket,
    TicketTransfer,
)
from bot.ratings import BAD_SCORES, SATISFACTION_LEVELS
from bot.reports.epoch import SECOND, epoch_microseconds

DEFAULT_DAYS = 30  # a report given no dates covers the last 30 days up to today
UNCLAIMED = "（未接单）"  # the «staff member» of tickets nobody claimed
FIRST_RESPONSE_NORM_SECONDS = 180  # the national hotline norm for text channels: 3 minutes
HANDOFF_REASONS: dict[str, str] = {reason.value: label for reason, label in HANDOFF_REASON_LABELS.items()}


class ReportFilter(BaseModel):
    """What a report covers: local dates inclusive, the areas (None: all) and a channel."""

    model_config = ConfigDict(frozen=True)

    date_from: dt.date
    date_to: dt.date
    areas: tuple[str, ...] | None = None
    channel: str | None = None
    # who claimed the tickets (a username; UNCLAIMED: nobody): like an area, it narrows to
    # the conversations with such a ticket, and the tickets, transfers and tasks to those
    staff: str | None = None
    timezone: str = "Asia/Shanghai"

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start of date_from, start of the day after date_to) in UTC."""
        zone = ZoneInfo(self.timezone)
        start = dt.datetime.combine(self.date_from, dt.time(), tzinfo=zone)
        end = dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def default_dates(timezone: str) -> tuple[dt.date, dt.date]:
    """The range a report covers when given no dates: DEFAULT_DAYS up to today in the
    gateway's timezone (the one the figures are bucketed in), not the browser's."""
    today = dt.datetime.now(ZoneInfo(timezone)).date()
    return today - dt.timedelta(days=DEFAULT_DAYS - 1), today


class Count(BaseModel):
    key: str
    label: str
    count: int


class Durations(BaseModel):
    """Seconds; None when nothing was measured."""

    count: int
    median_seconds: float | None
    within_norm: int | None = None
    within_norm_share: float | None = None


class AreaPair(BaseModel):
    from_area: str
    to_area: str
    count: int


class FollowUpFigures(BaseModel):
    created: int
    by_status: list[Count]
    open: int
    overdue: int
    # 追评: the citizen's second rating after 已整改, by when it was given; awaiting: tasks at
    # 已整改 the citizen has not rated yet, as of now (like open and overdue)
    second_ratings: int
    second_satisfaction: list[Count]
    awaiting_second_rating: int


class ConversationFigures(BaseModel):
    """What is counted over the conversations the citizen wrote in (active_conversations),
    for the whole scope or one group of a breakdown."""

    conversations: int
    citizens: int
    messages: int
    citizen_messages: int
    handoff_conversations: int
    containment: float | None  # None where it cannot be told (with an area, see above)


class Summary(ConversationFigures):
    date_from: dt.date
    date_to: dt.date
    areas: list[str] | None
    channel: str | None
    handoffs: int
    handoffs_by_reason: list[Count]
    waiting: Durations
    first_response: Durations
    ratings: int
    satisfaction: list[Count]
    rating_response_rate: float | None
    bad_rating_rate: float | None
    transfers: list[AreaPair]
    follow_ups: FollowUpFigures


def levels(scores: Counter[int]) -> list[Count]:
    """Counts per 好差评 level, 非常满意 first, every level present."""
    return [
        Count(key=str(score), label=label, count=scores.get(score, 0))
        for score, label in SATISFACTION_LEVELS.items()
    ]


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _durations(microseconds: list[int | None], norm: int | None = None) -> Durations:
    """The median (and the count within `norm` seconds) of the durations reached so far."""
    seconds = [value / SECOND for value in microseconds if value is not None]
    median = round(statistics.median(seconds), 1) if seconds else None
    if norm is None:
        return Durations(count=len(seconds), median_seconds=median)
    within = sum(1 for s in seconds if s <= norm)
    return Durations(
        count=len(seconds),
        median_seconds=median,
        within_norm=within,
        within_norm_share=share(within, len(seconds)),
    )


def ticket_conditions(scope: ReportFilter, start: dt.datetime, end: dt.datetime) -> list[ColumnElement[bool]]:
    """Tickets created in [start, end) of the scope's channel, areas and staff member."""
    where: list[ColumnElement[bool]] = [Ticket.created_at >= start, Ticket.created_at < end]
    if scope.channel:
        where.append(Ticket.channel == scope.channel)
    return where + ticket_owner(scope)


def ticket_owner(scope: ReportFilter) -> list[ColumnElement[bool]]:
    """Tickets of the scope's areas and claimed by its staff member (none: any)."""
    where: list[ColumnElement[bool]] = []
    if scope.areas is not None:
        where.append(Ticket.area.in_(scope.areas))
    if scope.staff == UNCLAIMED:
        where.append(Ticket.claimed_by.is_(None))
    elif scope.staff:
        where.append(Ticket.claimed_by.in_(select(Staff.id).where(Staff.username == scope.staff)))
    return where


def claimed_by(member: str | None) -> str | None:
    """The staff filter as FollowUpStore.search takes it: None for anyone, "" for nobody
    (UNCLAIMED), else the username, so the working list narrows as follow_up_scope does."""
    if not member:
        return None
    return "" if member == UNCLAIMED else member


def follow_up_scope(scope: ReportFilter) -> list[ColumnElement[bool]]:
    """Follow-up tasks of the scope: by their own channel and area (the area the 差评 was
    filed under), and with a staff member, those of a ticket that person claimed."""
    where: list[ColumnElement[bool]] = []
    if scope.channel:
        where.append(FollowUp.channel == scope.channel)
    if scope.areas is not None:
        where.append(FollowUp.area.in_(scope.areas))
    if scope.staff:
        owner = ticket_owner(scope.model_copy(update={"areas": None}))
        where.append(FollowUp.ticket_id.in_(select(Ticket.id).where(*owner)))
    return where


class SummaryReport:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        """The database, for the reports built per request from the same one (breakdowns,
        the bot's answers, the lists behind a figure), which hold no state of their own."""
        return self._engine

    def build(self, scope: ReportFilter, today: dt.date) -> Summary:
        start, end = scope.bounds()
        tickets = ticket_conditions(scope, start, end)
        dialect = self._engine.dialect.name
        with Session(self._engine) as session:
            conversations, citizens, messages, citizen_messages, handed, rated = map(
                int,  # PostgreSQL sums bigints as numerics
                session.execute(self._conversation_figures(scope, start, end, tickets)).one(),
            )
            created = epoch_microseconds(Ticket.created_at, dialect)
            handoffs = session.execute(
                select(
                    Ticket.reason,
                    epoch_microseconds(Ticket.claimed_at, dialect) - created,
                    epoch_microseconds(Ticket.first_reply_at, dialect) - created,
                ).where(*tickets)
            ).all()  # one read of the range's tickets for the reasons and both durations
            reasons = Counter(reason for reason, _, _ in handoffs)
            ratings = Counter(
                dict(
                    session.execute(
                        select(Rating.score, func.count())
                        .where(
                            *self.in_scope(Rating.conversation_id, scope),
                            Rating.created_at >= start,
                            Rating.created_at < end,
                        )
                        .group_by(Rating.score)
                    ).all()
                )
            )
            transfers = session.execute(
                select(TicketTransfer.from_area, TicketTransfer.to_area, func.count())
                .join(Ticket, Ticket.id == TicketTransfer.ticket_id)
                .where(
                    TicketTransfer.created_at >= start,
                    TicketTransfer.created_at < end,
                    *self.transfer_scope(scope),
                )
                .group_by(TicketTransfer.from_area, TicketTransfer.to_area)
                .order_by(func.count().desc(), TicketTransfer.from_area, TicketTransfer.to_area)
            ).all()
            follow_ups = self._follow_ups(session, scope, start, end, today)
        total_ratings = sum(ratings.values())
        return Summary(
            date_from=scope.date_from,
            date_to=scope.date_to,
            areas=list(scope.areas) if scope.areas is not None else None,
            channel=scope.channel,
            conversations=conversations,
            citizens=citizens,
            messages=messages,
            citizen_messages=citizen_messages,
            handoff_conversations=handed,
            containment=None
            if scope.areas is not None or scope.staff
            else share(conversations - handed, conversations),
            handoffs=sum(reasons.values()),
            handoffs_by_reason=[
                Count(key=key, label=HANDOFF_REASONS.get(key, key), count=reasons.get(key, 0))
                for key in [*HANDOFF_REASONS, *sorted(set(reasons) - set(HANDOFF_REASONS))]
            ],
            waiting=_durations([waited for _, waited, _ in handoffs]),
            first_response=_durations([replied for _, _, replied in handoffs], FIRST_RESPONSE_NORM_SECONDS),
            ratings=total_ratings,
            satisfaction=levels(ratings),
            rating_response_rate=share(rated, conversations),
            bad_rating_rate=share(sum(ratings.get(s, 0) for s in BAD_SCORES), total_ratings),
            transfers=[AreaPair(from_area=a, to_area=b, count=n) for a, b, n in transfers],
            follow_ups=follow_ups,
        )

    def _conversation_figures(
        self, scope: ReportFilter, start: dt.datetime, end: dt.datetime, tickets: list[ColumnElement[bool]]
    ) -> Select[Any]:
        """One statement for everything counted over the conversations in scope in which the
        citizen wrote during the range: how many, their citizens, their messages, and how
        many of them were handed to staff or rated in the range.

        The range's messages are read once and grouped by conversation (the report's largest
        cost: at scale a month holds ~320,000 messages); each group is then joined to its
        conversation and looked up in the sets of conversations with a ticket and with a
        rating in the range, which the database builds once each. The previous version
        worked the same conversations out four times, in four statements."""
        active = active_conversations(scope, start, end)
        handed = select(Ticket.conversation_id).where(*tickets)
        rated = select(Rating.conversation_id).where(Rating.created_at >= start, Rating.created_at < end)
        return (
            select(
                func.count(),
                func.count(func.distinct(Conversation.external_id)),
                func.coalesce(func.sum(active.c.messages), 0),
                func.coalesce(func.sum(active.c.citizen_messages), 0),
                func.count().filter(active.c.id.in_(handed)),
                func.count().filter(active.c.id.in_(rated)),
            )
            .select_from(active)
            .join(Conversation, Conversation.id == active.c.id)
        )

    # --- scopes ------------------------------------------------------------------------
    @staticmethod
    def conversations(scope: ReportFilter) -> Select[Any]:
        """Conversations of the channel and, with areas or a staff member, with a ticket in
        one of the areas claimed by that person."""
        query = select(Conversation.id)
        if scope.channel:
            query = query.where(Conversation.channel == scope.channel)
        owner = ticket_owner(scope)
        if owner:
            query = query.where(Conversation.id.in_(select(Ticket.conversation_id).where(*owner)))
        return query

    @classmethod
    def in_scope(
        cls, conversation_id: InstrumentedAttribute[str], scope: ReportFilter
    ) -> list[ColumnElement[bool]]:
        """The condition that a row's conversation is in `conversations(scope)`; none when
        the scope takes every conversation (the foreign key already guarantees it), so the
        database is not asked to match every row against the whole conversations table."""
        if not scope.channel and scope.areas is None and not scope.staff:
            return []
        return [conversation_id.in_(cls.conversations(scope))]

    @staticmethod
    def transfer_scope(scope: ReportFilter) -> list[ColumnElement[bool]]:
        """Transfers of tickets on the channel, from or to one of the areas (either side
        concerns the area: the wrong queue and the right one)."""
        where: list[ColumnElement[bool]] = []
        if scope.channel:
            where.append(Ticket.channel == scope.channel)
        if scope.areas is not None:
            where.append(TicketTransfer.from_area.in_(scope.areas) | TicketTransfer.to_area.in_(scope.areas))
        return where + ticket_owner(scope.model_copy(update={"areas": None}))

    @staticmethod
    def _follow_ups(
        session: Session, scope: ReportFilter, start: dt.datetime, end: dt.datetime, today: dt.date
    ) -> FollowUpFigures:
        where = follow_up_scope(scope)
        created = Counter(
            dict(
                session.execute(
                    select(FollowUp.status, func.count())
                    .where(*where, FollowUp.created_at >= start, FollowUp.created_at < end)
                    .group_by(FollowUp.status)
                ).all()
            )
        )
        still_open = and_(*where, FollowUp.status.in_([s.value for s in OPEN_FOLLOW_UP_STATUSES]))
        open_now, overdue = session.execute(
            select(func.count(), func.count().filter(FollowUp.due_on < today)).where(still_open)
        ).one()
        second: Counter[int] = Counter()
        for score, count in session.execute(
            select(FollowUp.second_score, func.count())
            .where(*where, FollowUp.second_rated_at >= start, FollowUp.second_rated_at < end)
            .group_by(FollowUp.second_score)
        ):
            if score is not None:  # set together with second_rated_at
                second[score] = count
        awaiting = session.scalar(
            select(func.count()).where(
                *where, FollowUp.status == FollowUpStatus.rectified.value, FollowUp.second_score.is_(None)
            )
        )
        return FollowUpFigures(
            created=sum(created.values()),
            by_status=[
                Count(key=s.value, label=FOLLOW_UP_STATUS_LABELS[s], count=created.get(s.value, 0))
                for s in FollowUpStatus
            ],
            open=open_now,
            overdue=overdue,
            second_ratings=sum(second.values()),
            second_satisfaction=levels(second),
            awaiting_second_rating=awaiting or 0,
        )


def active_conversations(
    scope: ReportFilter, start: dt.datetime, end: dt.datetime, counted: ColumnElement[bool] | None = None
) -> Subquery:
    """The conversations in scope in which the citizen wrote during [start, end), each with
    its number of messages and of citizen messages in the range: the base of every figure
    counted over conversations (the summary's, the breakdowns', the lists behind them), so
    they all count the same conversations.

    With `counted` (the messages a figure counted, when it counts messages: a heat-map cell,
    a row of the bot's answers), only the conversations holding at least one of them, each
    with how many, read in the same pass over the range's messages."""
    citizen = Message.role == Role.citizen.value
    query = (
        select(
            Message.conversation_id.label("id"),
            func.count().label("messages"),
            func.count().filter(citizen).label("citizen_messages"),
        )
        .where(
            Message.created_at >= start,
            Message.created_at < end,
            *SummaryReport.in_scope(Message.conversation_id, scope),
        )
        .group_by(Message.conversation_id)
        .having(func.count().filter(citizen) > 0)
    )
    if counted is not None:
        query = query.add_columns(func.count().filter(counted).label("counted")).having(
            func.count().filter(counted) > 0
        )
    return query.subquery("active")
