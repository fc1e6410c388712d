"""FAQ drafts: the learning loop. A staff member saves an answer they gave as a draft; an admin
reviews it and publishes it into the knowledge base (or rejects it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import sessionmaker

from bot.persistence.models import FaqDraft, Staff, as_utc, utcnow


class DraftStatus(StrEnum):
    draft = "draft"
    published = "published"
    rejected = "rejected"


@dataclass(frozen=True)
class DraftView:
    id: int
    area: str
    question: str
    answer: str
    ticket_id: int | None
    author: str
    status: DraftStatus
    faq_id: str | None
    created_at: dt.datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "area": self.area,
            "question": self.question,
            "answer": self.answer,
            "ticket_id": self.ticket_id,
            "author": self.author,
            "status": self.status.value,
            "faq_id": self.faq_id,
            "created_at": self.created_at.isoformat(),
        }


class FaqDraftStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def add(self, area: str, question: str, answer: str, author_id: int, ticket_id: int | None) -> DraftView:
        with self._sessions() as session:
            row = FaqDraft(
                area=area,
                question=question,
                answer=answer,
                author_id=author_id,
                ticket_id=ticket_id,
                status=DraftStatus.draft.value,
            )
            session.add(row)
            session.commit()
        found = self.get(row.id)
        assert found is not None
        return found

    def get(self, draft_id: int) -> DraftView | None:
        found = self._select(select(FaqDraft).where(FaqDraft.id == draft_id))
        return found[0] if found else None

    def listing(self, status: DraftStatus | None = None) -> list[DraftView]:
        query = select(FaqDraft)
        if status is not None:
            query = query.where(FaqDraft.status == status.value)
        return self._select(query.order_by(FaqDraft.id.desc()).limit(200))

    def review(self, draft_id: int, status: DraftStatus, faq_id: str | None = None) -> bool:
        """Only a pending draft can be reviewed (two admins cannot publish it twice)."""
        with self._sessions() as session:
            result = session.execute(
                update(FaqDraft)
                .where(FaqDraft.id == draft_id, FaqDraft.status == DraftStatus.draft.value)
                .values(status=status.value, faq_id=faq_id, reviewed_at=utcnow())
            )
            session.commit()
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def _select(self, query: Any) -> list[DraftView]:
        with self._sessions() as session:
            names = {row.id: row.username for row in session.execute(select(Staff.id, Staff.username))}
            return [
                DraftView(
                    row.id,
                    row.area,
                    row.question,
                    row.answer,
                    row.ticket_id,
                    names.get(row.author_id, "?"),
                    DraftStatus(row.status),
                    row.faq_id,
                    as_utc(row.created_at),
                )
                for row in session.scalars(query)
            ]
