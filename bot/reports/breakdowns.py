"""Volume and satisfaction broken down by channel, by area and by staff member.

Each row counts what the summary would show filtered by that key, so a row and the filtered
summary never disagree:
- by channel: the conversations of that channel;
- by area: the conversations with a ticket in that area (at any time; «handed to staff»
  counts those whose ticket in that area was created in the range); a conversation the bot
  handled alone has no area and appears under channels only;
- by staff member: the conversations with a ticket claimed by that person (UNCLAIMED: a
  ticket nobody claimed).
A conversation with tickets in two areas, or claimed by two people, counts once in each.

Conversations are those in which the citizen wrote during the range (`active_conversations`);
ratings count by their own time, as in the summary. Everything is grouped by the database:
one statement reads the range's messages once (the costly part, as for the summary) and
groups the result three ways; a second groups the range's ratings three ways.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Engine,
    Select,
    and_,
    case,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from bot.persistence.models import Conversation, Rating, Staff, Ticket
from bot.ratings import BAD_SCORES, SATISFACTION_LEVELS
from bot.reports.summary import (
    UNCLAIMED,
    ConversationFigures,
    ReportFilter,
    SummaryReport,
    active_conversations,
    share,
    ticket_conditions,
    ticket_owner,
)

DIMENSIONS = ("channel", "area", "staff")
Rows = Select[*tuple[Any, ...]]  # a statement of untyped rows


class GroupFigures(ConversationFigures):
    """A channel's, area's or staff member's row; containment by channel only (an area or a
    staff member is known only once staff took the case)."""

    key: str
    rated_conversations: int
    ratings: int
    satisfaction: list[int]  # ratings per level, in SATISFACTION_LEVELS order (非常满意 first)
    rating_response_rate: float | None  # rated conversations / conversations
    bad_rating_rate: float | None  # 不满意 and 非常不满意 / ratings


class BreakdownResult(BaseModel):
    date_from: dt.date
    date_to: dt.date
    by_channel: list[GroupFigures]
    by_area: list[GroupFigures]
    by_staff: list[GroupFigures]


class BreakdownReport:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def build(self, scope: ReportFilter) -> BreakdownResult:
        start, end = scope.bounds()
        with Session(self._engine) as session:
            if self._engine.dialect.name == "postgresql":
                # The planner's row estimates for the joins of the CTE are far too high (16M
                # for 87k at scale), which switches on JIT compilation: 1.5 s spent compiling
                # a statement that runs in less. The sorts also spill to disk at the default
                # 4 MB. Both for this transaction only.
                session.execute(text("SET LOCAL jit = off"))
                session.execute(text("SET LOCAL work_mem = '32MB'"))
            volume = session.execute(self._volume(scope, start, end)).all()
            ratings = session.execute(self._ratings(scope, start, end)).all()
        groups: dict[tuple[str, str], dict[str, Any]] = defaultdict(
            lambda: {"volume": (0, 0, 0, 0, 0, 0), "levels": {}}
        )
        for dimension, key, *counts in volume:
            # PostgreSQL sums as numerics
            groups[dimension, key]["volume"] = tuple(int(c or 0) for c in counts)
        for dimension, key, score, count in ratings:
            groups[dimension, key]["levels"][int(score)] = int(count)
        by: dict[str, list[GroupFigures]] = {dimension: [] for dimension in DIMENSIONS}
        for (dimension, key), group in groups.items():
            by[dimension].append(self._figures(dimension, key, group["volume"], group["levels"]))
        for rows in by.values():
            rows.sort(key=lambda g: (-g.conversations, -g.ratings, g.key))
        return BreakdownResult(
            date_from=scope.date_from,
            date_to=scope.date_to,
            by_channel=by["channel"],
            by_area=by["area"],
            by_staff=by["staff"],
        )

    @staticmethod
    def _figures(dimension: str, key: str, volume: tuple[int, ...], levels: dict[int, int]) -> GroupFigures:
        conversations, citizens, messages, citizen_messages, handed, rated = volume
        ratings = sum(levels.values())
        return GroupFigures(
            key=key,
            conversations=conversations,
            citizens=citizens,
            messages=messages,
            citizen_messages=citizen_messages,
            handoff_conversations=handed,
            containment=share(conversations - handed, conversations) if dimension == "channel" else None,
            rated_conversations=rated,
            ratings=ratings,
            satisfaction=[levels.get(score, 0) for score in SATISFACTION_LEVELS],
            rating_response_rate=share(rated, conversations),
            bad_rating_rate=share(sum(levels.get(s, 0) for s in BAD_SCORES), ratings),
        )

    @staticmethod
    def _volume(
        scope: ReportFilter, start: dt.datetime, end: dt.datetime
    ) -> CompoundSelect[*tuple[Any, ...]]:
        """(dimension, key, conversations, citizens, messages, citizen messages, handed,
        rated) for every channel, area and staff member: the range's active conversations
        are worked out once (a CTE used three times, which both databases materialise)."""
        active = active_conversations(scope, start, end)
        handed = select(Ticket.conversation_id).where(*ticket_conditions(scope, start, end))
        rated = select(Rating.conversation_id).where(Rating.created_at >= start, Rating.created_at < end)
        base = (
            select(
                active.c.id,
                active.c.messages,
                active.c.citizen_messages,
                Conversation.channel,
                Conversation.external_id,
                case((active.c.id.in_(handed), 1), else_=0).label("handed"),
                case((active.c.id.in_(rated), 1), else_=0).label("rated"),
            )
            .join(Conversation, Conversation.id == active.c.id)
            .cte("base")
        )

        def counted(dimension: str, rows: Any, key: ColumnElement[Any], citizens: ColumnElement[int]) -> Rows:
            return select(
                literal(dimension),
                key,
                func.count(),
                citizens,
                func.sum(rows.c.messages),
                func.sum(rows.c.citizen_messages),
                func.sum(rows.c.handed),
                func.sum(rows.c.rated),
            ).group_by(key)

        # each active conversation with each of its tickets of the scope (areas, staff
        # member), read once
        in_range = case((and_(Ticket.created_at >= start, Ticket.created_at < end), 1), else_=0)
        on_ticket = and_(Ticket.conversation_id == base.c.id, *ticket_owner(scope))
        tagged = (
            select(
                base.c.id,
                base.c.external_id,
                base.c.messages,
                base.c.citizen_messages,
                base.c.rated,
                Ticket.area,
                func.coalesce(Staff.username, UNCLAIMED).label("staff"),
                in_range.label("in_range"),
            )
            .select_from(base)
            .join(Ticket, on_ticket)
            .outerjoin(Staff, Staff.id == Ticket.claimed_by)
            .cte("tagged")
        )
        # within one channel each conversation is a different citizen (uq_conversation_channel_sender),
        # so the channel rows need no count of distinct senders (a sort of every conversation)
        parts = [counted("channel", base, base.c.channel, func.count())]
        for dimension, key in (("area", tagged.c.area), ("staff", tagged.c.staff)):
            # one row per conversation and key: handed when one of its tickets there was
            # created in the range
            same = (
                tagged.c.id,
                tagged.c.external_id,
                tagged.c.messages,
                tagged.c.citizen_messages,
                tagged.c.rated,
            )
            per_key = (
                select(*same, key.label("key"), func.max(tagged.c.in_range).label("handed"))
                .group_by(*same, key)
                .subquery(f"by_{dimension}")
            )
            citizens = func.count(func.distinct(per_key.c.external_id))
            parts.append(counted(dimension, per_key, per_key.c.key, citizens))
        return union_all(*parts)

    @staticmethod
    def _ratings(
        scope: ReportFilter, start: dt.datetime, end: dt.datetime
    ) -> CompoundSelect[*tuple[Any, ...]]:
        """(dimension, key, score, ratings) for the ratings given in the range: each rating
        (~17,000 a month at scale) looks its conversation and tickets up once, and is then
        counted once per channel, area and staff member it has."""
        # tickets outside the scope give no key (in the join, not the WHERE)
        ticket = and_(Ticket.conversation_id == Rating.conversation_id, *ticket_owner(scope))
        tagged = (
            select(
                Rating.id,
                Rating.score,
                Conversation.channel,
                Ticket.area,
                case((Ticket.id.is_(None), None), else_=func.coalesce(Staff.username, UNCLAIMED)).label(
                    "staff"
                ),
            )
            .join(Conversation, Conversation.id == Rating.conversation_id)
            .outerjoin(Ticket, ticket)
            .outerjoin(Staff, Staff.id == Ticket.claimed_by)
            .where(
                Rating.created_at >= start,
                Rating.created_at < end,
                *SummaryReport.in_scope(Rating.conversation_id, scope),
            )
            .cte("tagged_ratings")
        )
        parts: list[Rows] = []
        for dimension, key in (
            ("channel", tagged.c.channel),
            ("area", tagged.c.area),
            ("staff", tagged.c.staff),
        ):
            parts.append(
                select(literal(dimension), key, tagged.c.score, func.count(func.distinct(tagged.c.id)))
                .where(key.is_not(None))
                .group_by(key, tagged.c.score)
            )
        return union_all(*parts)
