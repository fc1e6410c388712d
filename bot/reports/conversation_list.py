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

`Containing` narrows the list behind a figure that counts messages, not conversations: the
bot-answers report's rows (answers of a question type, or about an item) and the heat map's
rows and cells (citizen messages on a weekday, or in one of its hours). The list keeps the
conversations holding at least one such message and gives each one's number of them, which
add up to the figure: the list's count is of conversations, and a conversation holding
several is listed once. The bot's answers take the area from the answer itself, as their
report does, so their conversations are not narrowed by ticket area; the one case where the
sum can fall short is an answer in the range to a citizen who last wrote before it (just
after midnight), since the list keeps the conversations the citizen wrote in.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, Engine, func, null, select
from sqlalchemy.orm import Session

from bot.persistence.models import Conversation, Rating, Ticket
from bot.ratings import BAD_SCORES
from bot.reports.bot_answers import answers_counted
from bot.reports.summary import ReportFilter, active_conversations, ticket_conditions
from bot.reports.volume import in_hour_of_week

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
    counted: int | None  # with `Containing`: how many of the figure's messages it holds


class Containing(BaseModel):
    """The messages behind a figure that counts messages (see above); empty: none."""

    model_config = ConfigDict(frozen=True)

    question_type: str | None = None  # a QuestionType value, or «faq»
    item: str | None = None  # a service item's id
    weekday: int | None = None  # 0: Monday, local time
    hour: int | None = None  # 0–23, with a weekday

    @property
    def answers(self) -> bool:
        """Whether it selects the bot's answers (else citizen messages, or nothing)."""
        return bool(self.question_type or self.item)

    def counted(self, scope: ReportFilter) -> ColumnElement[bool] | None:
        """The condition on one message, None when the figure counts conversations."""
        if self.answers:
            return answers_counted(self.question_type, self.item, scope.areas)
        if self.weekday is not None:
            return in_hour_of_week(scope, self.weekday, self.hour)
        return None


EVERY_MESSAGE = Containing()  # no narrowing: the figure counts conversations


class ConversationListing(NamedTuple):
    total: int  # conversations
    counted: int | None  # with `Containing`: the messages they hold, the figure's number
    conversations: list[ListedConversation]  # the most recent MAX_LISTED


class ConversationList:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def search(
        self,
        scope: ReportFilter,
        kind: str = "all",
        score: int | None = None,
        containing: Containing = EVERY_MESSAGE,
    ) -> ConversationListing:
        """How many conversations the figure counted, and the most recent MAX_LISTED of them."""
        start, end = scope.bounds()
        counted = containing.counted(scope)
        # an answer's area narrows it (in `counted`), not its conversation's tickets
        base = scope.model_copy(update={"areas": None}) if containing.answers else scope
        active = active_conversations(base, start, end, counted)
        held = null() if counted is None else active.c.counted
        held_in_all = null() if counted is None else func.coalesce(func.sum(held), 0)
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
            count, total = session.execute(
                select(func.count(), held_in_all).select_from(active).where(*where)
            ).one()
            rows = session.execute(
                select(
                    active.c.id,
                    Conversation.channel,
                    active.c.messages,
                    active.c.citizen_messages,
                    Conversation.updated_at,
                    held,
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
                counted=holds,
            )
            for id_, channel, messages, citizen_messages, updated_at, holds in rows
        ]
        return ConversationListing(count, None if total is None else int(total), listed)
