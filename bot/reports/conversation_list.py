"""The conversations behind a figure counted over conversations: the summary's conversations,
citizens and messages, the bot's own share, ratings and 差评, and each row of the
breakdowns, so a number opens on exactly the conversations it counted.

The list starts from the same `active_conversations` as the figures (the citizen wrote in
the range, in the scope's channel, areas and staff member: with a staff member, a ticket in
the areas claimed by that person, UNCLAIMED for nobody, as the breakdown by staff member
counts them) and narrows by kind: all; bot_only (no ticket of the scope created in the
range: containment's numerator); handed (the summary's «handed to staff»); rated (a rating
in the range); bad_rated (a 差评 in the range: the conversations behind the 差评 rate, which
counts ratings). `score` narrows «rated» to the conversations with a rating of that level in
the range: the list behind one row of the five 好差评 levels. The level's figure counts
ratings, the list conversations: the two differ only for a conversation rated twice at the
same level in the range (listed once), or rated in the range without the citizen writing in
it (not an active conversation); the fixtures pin that they agree otherwise.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import ColumnElement, Engine, func, select
from sqlalchemy.orm import Session

from bot.persistence.models import Conversation, Rating, Ticket
from bot.ratings import BAD_SCORES
from bot.reports.summary import ReportFilter, active_conversations, ticket_conditions

KINDS: dict[str, str] = {
    "all": "全部会话",
    "bot_only": "机器人独立解决的会话",
    "handed": "转人工的会话",
    "rated": "有评价的会话",
    "bad_rated": "有差评的会话",
}
MAX_LISTED = 1000


class ListedConversation(NamedTuple):
    id: str
    channel: str
    messages: int
    citizen_messages: int
    updated_at: dt.datetime
    case_numbers: list[str]  # every ticket of the conversation, oldest first
    scores: list[int]  # the ratings given in the range, in order


class ConversationList:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def search(
        self, scope: ReportFilter, kind: str = "all", score: int | None = None
    ) -> tuple[int, list[ListedConversation]]:
        """How many conversations the figure counted, and the most recent MAX_LISTED of them."""
        start, end = scope.bounds()
        active = active_conversations(scope, start, end)
        where: list[ColumnElement[bool]] = []
        handed = select(Ticket.conversation_id).where(*ticket_conditions(scope, start, end))
        rated = select(Rating.conversation_id).where(Rating.created_at >= start, Rating.created_at < end)
        if score is not None:
            rated = rated.where(Rating.score == score)
        if kind == "bot_only":
            where.append(active.c.id.not_in(handed))
        elif kind == "handed":
            where.append(active.c.id.in_(handed))
        elif kind == "rated":
            where.append(active.c.id.in_(rated))
        elif kind == "bad_rated":
            where.append(active.c.id.in_(rated.where(Rating.score.in_(BAD_SCORES))))
        with Session(self._engine) as session:
            count = session.scalar(select(func.count()).select_from(active).where(*where)) or 0
            rows = session.execute(
                select(
                    active.c.id,
                    Conversation.channel,
                    active.c.messages,
                    active.c.citizen_messages,
                    Conversation.updated_at,
                )
                .join(Conversation, Conversation.id == active.c.id)
                .where(*where)
                .order_by(Conversation.updated_at.desc(), Conversation.id)
                .limit(MAX_LISTED)
            ).all()
            ids = [row[0] for row in rows]
            cases: dict[str, list[str]] = {}
            for conversation_id, case in session.execute(
                select(Ticket.conversation_id, Ticket.case_number)
                .where(Ticket.conversation_id.in_(ids))
                .order_by(Ticket.id)
            ):
                cases.setdefault(conversation_id, []).append(case)
            scores: dict[str, list[int]] = {}
            for conversation_id, score in session.execute(
                select(Rating.conversation_id, Rating.score)
                .where(Rating.conversation_id.in_(ids), Rating.created_at >= start, Rating.created_at < end)
                .order_by(Rating.id)
            ):
                scores.setdefault(conversation_id, []).append(score)
        listed = [
            ListedConversation(
                id=id_,
                channel=channel,
                messages=messages,
                citizen_messages=citizen_messages,
                updated_at=updated_at,
                case_numbers=cases.get(id_, []),
                scores=scores.get(id_, []),
            )
            for id_, channel, messages, citizen_messages, updated_at in rows
        ]
        return count, listed
