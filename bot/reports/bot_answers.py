"""The bot's own answers: how many it gave by question type (材料、收费、流程…), and the
service items it was asked about most.

An answer is a bot reply whose data says so (bot/actions/answer_question.py): `answer` (a
service item's field: item_id, area and question), `faq` (a loose FAQ pair, with its area) or
`place` (a service hall's address or hours: question, no area). Counted by the time of the
reply, in the conversations of the scope's channel. The area filter reads the answer's own
area, not the conversation's tickets as the other reports do: most answered conversations
never reach staff, so they have no ticket to take an area from. A place answer has no area
and is left out once an area is chosen.

The database groups the range's answers by (type, question, item, area) — a few hundred rows
for a month — so the messages themselves never leave it. The four are read from the columns
the database generates from each reply's data (models.REPLY_FIELDS, migration 0010), not by
parsing the JSON of every reply in the range: on SQLite the range and the four come from the
index ix_messages_range_reply alone. Names come from the knowledge tables, for the listed
items only. `answers_counted` is the same selection as a condition on one reply, for the
conversations behind a row (bot/reports/conversation_list.py).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Engine, and_, func, select
from sqlalchemy.orm import Session

from bot.contracts.conversation import Role
from bot.contracts.replies import ANSWER_TYPES as REPLY_ANSWER_TYPES
from bot.contracts.replies import ReplyType
from bot.persistence.models import KnowledgeItem, Message
from bot.reports.summary import ReportFilter, SummaryReport
from knowledge.render import QUESTION_LABELS, QuestionType

ANSWER_TYPES = tuple(kind.value for kind in REPLY_ANSWER_TYPES)
FAQ = ReplyType.faq.value
ANSWER = ReplyType.answer.value
FAQ_LABEL = "常见问题（FAQ）"
TOP_ITEMS = 20


def question_label(key: str) -> str:
    if key == FAQ:
        return FAQ_LABEL
    try:
        return QUESTION_LABELS[QuestionType(key)]
    except ValueError:
        return key or "（未注明）"


class QuestionCount(BaseModel):
    key: str  # a QuestionType value, or «faq»
    label: str
    count: int


class ItemCount(BaseModel):
    item_id: str
    name: str
    area: str
    count: int
    by_question: list[QuestionCount]  # most asked first


class BotAnswersResult(BaseModel):
    date_from: dt.date
    date_to: dt.date
    answers: int
    by_question: list[QuestionCount]  # most first
    top_items: list[ItemCount]  # the TOP_ITEMS most answered about, most first


class BotAnswersReport:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def build(self, scope: ReportFilter) -> BotAnswersResult:
        start, end = scope.bounds()
        where = [
            Message.created_at >= start,
            Message.created_at < end,
            Message.role == Role.bot.value,
            *SummaryReport.in_scope(Message.conversation_id, scope.model_copy(update={"areas": None})),
        ]
        fields = (Message.reply_type, Message.reply_question, Message.reply_item_id, Message.reply_area)
        with Session(self._engine) as session:
            questions: Counter[str] = Counter()
            items: dict[tuple[str, str], Counter[str]] = {}
            for kind, question, item, area, count in session.execute(
                select(*fields, func.count())
                .where(*where, Message.reply_type.in_(ANSWER_TYPES))
                .group_by(*fields)
            ):
                if scope.areas is not None and area not in scope.areas:
                    continue
                key = FAQ if kind == FAQ else (question or "")
                questions[key] += count
                if kind == ANSWER and item:
                    items.setdefault((item, area or ""), Counter())[key] += count
            top = sorted(items.items(), key=lambda pair: (-pair[1].total(), pair[0]))[:TOP_ITEMS]
            names = dict(
                session.execute(
                    select(KnowledgeItem.id, KnowledgeItem.name).where(
                        KnowledgeItem.id.in_([item_id for (item_id, _), _ in top])
                    )
                ).all()
            )
        return BotAnswersResult(
            date_from=scope.date_from,
            date_to=scope.date_to,
            answers=questions.total(),
            by_question=_counts(questions),
            top_items=[
                ItemCount(
                    item_id=item_id,
                    name=names.get(item_id, item_id),
                    area=item_area,
                    count=asked.total(),
                    by_question=_counts(asked),
                )
                for (item_id, item_area), asked in top
            ],
        )


def answers_counted(
    question_type: str | None, item: str | None, areas: tuple[str, ...] | None
) -> ColumnElement[bool]:
    """That a message is one of the answers `build` counts in the row of that question type
    (a QuestionType value, or «faq») and/or about that item, within the areas (the answer's
    own, as `build` reads them; None: all). The range and channel are the caller's. Read
    from the generated columns, as `build` reads them: no reply's JSON is parsed."""
    kind = Message.reply_type
    where: list[ColumnElement[bool]] = [Message.role == Role.bot.value, kind.in_(ANSWER_TYPES)]
    if question_type == FAQ:
        where.append(kind == FAQ)
    elif question_type:
        where += [kind != FAQ, Message.reply_question == question_type]
    if item:
        where += [kind == ANSWER, Message.reply_item_id == item]
    if areas is not None:
        where.append(Message.reply_area.in_(areas))
    return and_(*where)


def _counts(counter: Counter[str]) -> list[QuestionCount]:
    ordered = sorted(counter.items(), key=lambda pair: (-pair[1], pair[0]))
    return [QuestionCount(key=key, label=question_label(key), count=count) for key, count in ordered]
