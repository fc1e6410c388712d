"""The bot's own answers: how many it gave by question type (材料、收费、流程…), and the
service items it was asked about most.

An answer is a bot reply whose data says so (bot/actions/answer_question.py): `answer` (a
service item's field: item_id, area and question), `faq` (a loose FAQ pair, with its area) or
`place` (a service hall's address or hours: question, no area). Counted by the time of the
reply, in the conversations of the scope's channel. The area filter reads the answer's own
area, not the conversation's tickets as the other reports do: most answered conversations
never reach staff, so they have no ticket to take an area from. A place answer has no area
and is left out once an area is chosen.

The database groups the range's answers by (type, question, item) — a few hundred rows for a
month — so the messages themselves never leave it; the range is read through the
(created_at, role, conversation_id) index of migration 0009. Names come from the knowledge
tables, for the listed items only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from pydantic import BaseModel
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.persistence.models import KnowledgeItem, Message, Role
from bot.reports.summary import ReportFilter, SummaryReport
from knowledge.render import QUESTION_LABELS, QuestionType

ANSWER_TYPES = ("answer", "faq", "place")
FAQ = "faq"
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
        kind = Message.payload[("data", "type")].as_string()
        area = Message.payload[("data", "area")].as_string()
        answers = select(
            kind.label("kind"),
            Message.payload[("data", "question")].as_string().label("question"),
            Message.payload[("data", "item_id")].as_string().label("item"),
            area.label("area"),
        ).where(
            Message.created_at >= start,
            Message.created_at < end,
            Message.role == Role.bot.value,
            kind.in_(ANSWER_TYPES),
            *SummaryReport.in_scope(Message.conversation_id, scope.model_copy(update={"areas": None})),
        )
        if scope.areas is not None:
            answers = answers.where(area.in_(scope.areas))
        # grouped outside: PostgreSQL would not see the JSON expressions of a GROUP BY as the
        # selected ones (each path is its own bound parameter)
        inner = answers.subquery("answers")
        query = select(inner.c.kind, inner.c.question, inner.c.item, inner.c.area, func.count()).group_by(
            inner.c.kind, inner.c.question, inner.c.item, inner.c.area
        )
        with Session(self._engine) as session:
            rows = session.execute(query).all()
            questions: Counter[str] = Counter()
            items: dict[tuple[str, str], Counter[str]] = {}
            for kind_, question_, item_, area_, count in rows:
                key = FAQ if kind_ == FAQ else (question_ or "")
                questions[key] += count
                if kind_ == "answer" and item_:
                    items.setdefault((item_, area_ or ""), Counter())[key] += count
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


def _counts(counter: Counter[str]) -> list[QuestionCount]:
    ordered = sorted(counter.items(), key=lambda pair: (-pair[1], pair[0]))
    return [QuestionCount(key=key, label=question_label(key), count=count) for key, count in ordered]
