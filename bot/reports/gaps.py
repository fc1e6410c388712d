"""The knowledge-gap report: what citizens asked that the assistant could not answer, grouped
into topics by meaning, so the district writes the answers that are missing most.

A gap is a citizen message the bot answered with an honest «not in the guide» (`honest_no`),
a request to rephrase (`rephrase`, fallback), «which item do you mean» (`ask_item`, nothing
matched well enough), or a handoff for one of those reasons (`fallback`, `unanswered`,
`low_confidence`). The bot's reply carries that kind in its stored payload (`data.type`,
`data.reason`), the question is the citizen's message just before it.

Questions are grouped by their multilingual-e5 query vectors (the ones the search computes,
cached on disk by text, model and engine, so a question is embedded once) with
scikit-learn's agglomerative clustering: average cosine linkage, cut at TOPIC_DISTANCE. No
number of topics is fixed in advance: a period with three distinct questions gets three
topics, not ten.

Questions a supervisor already turned into an FAQ draft or marked out of scope
(`gap_decisions`, by text) are left out, so the report shows what is still to do.

The staff filter keeps only the handoff-derived gaps: the bot's own gap replies (honest no,
rephrase, ask_item) reach nobody, so no staff member stands behind them, and counting them
under every person (or under «nobody») would say something false. With a staff member, a
handoff gap counts when its conversation has a ticket for the same reason claimed by that
person (UNCLAIMED: by nobody), as the other reports narrow tickets (ticket_owner): the
questions handed to that person that the knowledge base could not answer.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel
from sqlalchemy import Engine, and_, or_, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, aliased

from bot.contracts.conversation import Role
from bot.contracts.replies import GAP_REPLY_TYPES, ReplyType
from bot.contracts.tickets import HandoffReason
from bot.persistence.gap_decisions import question_key
from bot.persistence.models import GAP_REPLY_CONDITION, Conversation, GapDecision, Message, Ticket, as_utc
from bot.privacy import mask_personal_data
from bot.reports.summary import ReportFilter, ticket_owner
from knowledge.dense import Embedder
from knowledge.search import Hit

# Cosine distance at which two groups of questions stop merging. On e5-small, paraphrases of
# one question («结婚证在哪里办» / «结婚登记去哪里办理») sit at 0.03–0.04, different matters of
# one kind («结婚证» / «养狗办证») at 0.09–0.14, unrelated ones above 0.15.
TOPIC_DISTANCE = 0.08
MAX_QUESTIONS = 3000  # the most recent gaps of a range; a longer list is marked truncated
EXAMPLES = 3
CLOSEST_ITEMS = 3

GAP_REPLIES = tuple(kind.value for kind in GAP_REPLY_TYPES)
GAP_HANDOFF_REASONS = tuple(
    reason.value
    for reason in (HandoffReason.fallback, HandoffReason.unanswered, HandoffReason.low_confidence)
)
HANDOFF = ReplyType.handoff.value
GAP_KINDS: dict[str, str] = {
    "honest_no": "如实告知指南中没有",
    "rephrase": "未理解，请市民换个说法",
    "ask_item": "未找到匹配事项",
    "fallback": "转人工：连续未理解",
    "unanswered": "转人工：知识库无答案",
    "low_confidence": "转人工：未找到匹配事项",
}

Search = Callable[[str, int], list[Hit]]


@dataclass(frozen=True)
class GapQuestion:
    text: str  # masked
    kind: str
    area: str | None  # known for handoffs only
    asked_at: dt.datetime
    current: bool  # in the range (else in the period before it, for the trend)


class ClosestItem(BaseModel):
    id: str
    name: str
    area: str
    confidence: float


class GapExample(BaseModel):
    text: str
    asked_at: dt.datetime


class GapTopic(BaseModel):
    key: str
    label: str
    count: int
    previous: int
    area: str
    kinds: dict[str, int]
    examples: list[GapExample]
    questions: list[str]
    closest_items: list[ClosestItem]


class GapReportResult(BaseModel):
    date_from: dt.date
    date_to: dt.date
    previous_from: dt.date
    previous_to: dt.date
    questions: int
    topics: list[GapTopic]
    truncated: bool


class GapReport:
    def __init__(self, engine: Engine, embedder: Embedder, search: Search | None) -> None:
        self._engine = engine
        self._embedder = embedder
        self._search = search

    def build(self, scope: ReportFilter) -> GapReportResult:
        days = (scope.date_to - scope.date_from).days + 1
        previous = scope.model_copy(
            update={
                "date_from": scope.date_from - dt.timedelta(days=days),
                "date_to": scope.date_from - dt.timedelta(days=1),
            }
        )
        questions, truncated = self._questions(scope, previous)
        topics = [
            topic
            for topic in self._topics(questions)
            if topic.count and (scope.areas is None or topic.area in scope.areas)
        ]
        topics.sort(key=lambda t: (-t.count, -t.previous, t.label))
        return GapReportResult(
            date_from=scope.date_from,
            date_to=scope.date_to,
            previous_from=previous.date_from,
            previous_to=previous.date_to,
            questions=sum(t.count for t in topics),
            topics=topics,
            truncated=truncated,
        )

    # --- the questions -----------------------------------------------------------------
    def _questions(self, scope: ReportFilter, previous: ReportFilter) -> tuple[list[GapQuestion], bool]:
        start, end = scope.bounds()
        earliest, _ = previous.bounds()
        reply = aliased(Message)
        kind = reply.payload[("data", "type")].as_string()
        reason = reply.payload[("data", "reason")].as_string()
        area = reply.payload[("data", "area")].as_string()
        asked = (
            select(Message.id)
            .where(
                Message.conversation_id == reply.conversation_id,
                Message.role == Role.citizen.value,
                Message.id < reply.id,
            )
            .order_by(Message.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = (
            select(asked, kind, reason, area, reply.created_at)
            .join(Conversation, Conversation.id == reply.conversation_id)
            .where(
                reply.role == Role.bot.value,
                reply.created_at >= earliest,
                reply.created_at < end,
                sql_text(GAP_REPLY_CONDITION[self._engine.dialect.name]),  # ix_messages_gap_replies
                or_(kind.in_(GAP_REPLIES), and_(kind == HANDOFF, reason.in_(GAP_HANDOFF_REASONS))),
            )
            .order_by(reply.id.desc())
            .limit(MAX_QUESTIONS + 1)
        )
        if scope.channel:
            query = query.where(Conversation.channel == scope.channel)
        if scope.staff:  # the handoffs only: see the module's docstring
            handed = select(Ticket.id).where(
                Ticket.conversation_id == reply.conversation_id,
                Ticket.reason == reason,
                *ticket_owner(scope.model_copy(update={"areas": None})),
            )
            query = query.where(kind == HANDOFF, handed.exists())
        with Session(self._engine) as session:
            replies = session.execute(query).all()
            truncated = len(replies) > MAX_QUESTIONS
            replies = replies[:MAX_QUESTIONS]
            wanted = sorted({row[0] for row in replies if row[0] is not None})
            texts: dict[int, str] = {}
            for first in range(0, len(wanted), 500):
                chunk = wanted[first : first + 500]
                rows = session.execute(select(Message.id, Message.text).where(Message.id.in_(chunk)))
                texts.update((row.id, row.text) for row in rows)
            decided = set(session.scalars(select(GapDecision.text_key)))
        found: list[GapQuestion] = []
        seen: set[int] = set()
        for asked_id, reply_kind, reply_reason, reply_area, created_at in replies:
            text = mask_personal_data(" ".join(texts.get(asked_id, "").split()))
            if asked_id is None or asked_id in seen or not text or question_key(text) in decided:
                continue  # a message answered with two gap replies counts once
            seen.add(asked_id)
            moment = as_utc(created_at)
            found.append(
                GapQuestion(
                    text=text,
                    kind=reply_reason if reply_kind == HANDOFF else reply_kind,
                    area=reply_area if reply_kind == HANDOFF else None,
                    asked_at=moment,
                    current=moment >= start,
                )
            )
        return found, truncated

    # --- the topics --------------------------------------------------------------------
    def _topics(self, questions: Sequence[GapQuestion]) -> list[GapTopic]:
        unique = sorted({q.text for q in questions})
        if not unique:
            return []
        vectors = self._embedder.queries(unique).astype(np.float64)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        if len(unique) == 1:
            labels = np.zeros(1, dtype=int)
        else:
            # Imported here: scikit-learn is ~80 MiB the gateway would otherwise hold for a
            # report a supervisor opens now and then.
            from sklearn.cluster import AgglomerativeClustering

            clustering = AgglomerativeClustering(
                n_clusters=None, distance_threshold=TOPIC_DISTANCE, metric="cosine", linkage="average"
            )
            labels = clustering.fit_predict(vectors)
        position = {text: i for i, text in enumerate(unique)}
        topics = []
        for label in sorted(set(labels.tolist())):
            members = [i for i, value in enumerate(labels) if value == label]
            texts = {unique[i] for i in members}
            asked = [q for q in questions if q.text in texts]
            topics.append(self._topic(asked, [unique[i] for i in members], vectors[members], position))
        return topics

    def _topic(
        self,
        asked: list[GapQuestion],
        texts: list[str],
        vectors: np.ndarray,
        position: dict[str, int],
    ) -> GapTopic:
        """The label is the question nearest the topic's centre (ties: the most asked)."""
        centre = vectors.mean(axis=0)
        frequency = Counter(q.text for q in asked if q.current)
        nearness = {t: round(float(v @ centre), 6) for t, v in zip(texts, vectors, strict=True)}
        label = max(texts, key=lambda t: (nearness[t], frequency[t], t))
        current = [q for q in asked if q.current]
        closest = self._closest(label)
        known_areas = Counter(q.area for q in asked if q.area)
        area = known_areas.most_common(1)[0][0] if known_areas else (closest[0].area if closest else "other")
        recent = sorted(current, key=lambda q: q.asked_at, reverse=True)
        examples: list[GapExample] = []
        for q in recent:
            if all(e.text != q.text for e in examples):
                examples.append(GapExample(text=q.text, asked_at=q.asked_at))
            if len(examples) == EXAMPLES:
                break
        return GapTopic(
            key=question_key(label)[:12],
            label=label,
            count=len(current),
            previous=len(asked) - len(current),
            area=area,
            kinds=dict(Counter(q.kind for q in current).most_common()),
            examples=examples,
            questions=sorted(texts, key=lambda t: (-frequency[t], position[t])),
            closest_items=closest,
        )

    def _closest(self, question: str) -> list[ClosestItem]:
        if self._search is None:
            return []
        return [
            ClosestItem(
                id=hit.item.id,
                name=hit.item.name,
                area=hit.item.area.value,
                confidence=round(hit.confidence, 3),
            )
            for hit in self._search(question, CLOSEST_ITEMS)
        ]
