"""What supervisors decided about the questions of a knowledge-gap topic: turned into an FAQ
draft (for the admins' review desk) or out of scope. One row per question text; a later
decision replaces an earlier one."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy import Engine, delete
from sqlalchemy.orm import sessionmaker

from bot.persistence.faq_drafts import DraftView, FaqDraftStore
from bot.persistence.models import GapDecision, utcnow


def question_key(text: str) -> str:
    """The digest a decision is kept under: the same question in other spacing is the same."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()


class GapVerdict(StrEnum):
    drafted = "drafted"
    out_of_scope = "out_of_scope"


class GapDecisionStore:
    def __init__(self, engine: Engine, drafts: FaqDraftStore) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._drafts = drafts

    def out_of_scope(self, questions: Sequence[str], staff_id: int) -> int:
        return self._decide(questions, GapVerdict.out_of_scope, staff_id, None)

    def draft(
        self, area: str, question: str, answer: str, questions: Sequence[str], staff_id: int
    ) -> tuple[DraftView, int]:
        """The FAQ draft goes to the existing review flow; its questions leave the report."""
        draft = self._drafts.add(area, question, answer, staff_id, None)
        return draft, self._decide([question, *questions], GapVerdict.drafted, staff_id, draft.id)

    def _decide(
        self, questions: Sequence[str], verdict: GapVerdict, staff_id: int, draft_id: int | None
    ) -> int:
        rows = {question_key(q): " ".join(q.split()) for q in questions if q.strip()}
        now = utcnow()
        with self._sessions() as session:
            session.execute(delete(GapDecision).where(GapDecision.text_key.in_(list(rows))))
            session.add_all(
                GapDecision(
                    text_key=key,
                    question=text,
                    decision=verdict.value,
                    draft_id=draft_id,
                    staff_id=staff_id,
                    created_at=now,
                )
                for key, text in rows.items()
            )
            session.commit()
        return len(rows)
