"""The knowledge base's store of record: items, places and FAQ pairs in the app DB.

Authored files are seeded into it, catalogs are imported into it and the admin API edits it;
every change bumps `revision`, which is what the search index records to know it is current.
Writes of many items go in one transaction, so an import either lands whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.contracts.areas import Area
from bot.persistence.models import KnowledgeFaq, KnowledgeItem, KnowledgeMeta, KnowledgePlace, utcnow
from knowledge.catalog import Catalog
from knowledge.schema import FaqEntry, ServiceItem, ServicePlace

Origin = Literal["authored", "imported", "api", "staff"]
REVISION = "revision"
AUTHORED_FINGERPRINT = "authored_fingerprint"
_BATCH = 1000


def _item_row(item: ServiceItem, origin: Origin) -> dict[str, object]:
    return {
        "id": item.id,
        "area": item.area.value,
        "name": item.name,
        "origin": origin,
        "data": item.model_dump(mode="json"),
        "updated_at": utcnow(),
    }


class KnowledgeStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # --- reads -------------------------------------------------------------------------
    def revision(self) -> int:
        with self._sessions() as session:
            return int(self._meta(session, REVISION) or 0)

    def items(self) -> list[ServiceItem]:
        with self._sessions() as session:
            rows = session.scalars(select(KnowledgeItem.data).order_by(KnowledgeItem.id))
            return [ServiceItem.model_validate(data) for data in rows]

    def added_items(self) -> list[ServiceItem]:
        """Items that did not come from the authored files (imported, or added or edited
        through the API), by id."""
        with self._sessions() as session:
            rows = session.scalars(
                select(KnowledgeItem.data)
                .where(KnowledgeItem.origin != "authored")
                .order_by(KnowledgeItem.id)
            )
            return [ServiceItem.model_validate(data) for data in rows]

    def item_names(self) -> set[str]:
        """Every item's name and aliases."""
        with self._sessions() as session:
            rows = session.scalars(select(KnowledgeItem.data))
            return {name for data in rows for name in (data["name"], *data.get("aliases", []))}

    def item(self, item_id: str) -> ServiceItem | None:
        with self._sessions() as session:
            row = session.get(KnowledgeItem, item_id)
            return ServiceItem.model_validate(row.data) if row else None

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        wanted = list(ids)
        found: set[str] = set()
        with self._sessions() as session:
            for start in range(0, len(wanted), _BATCH):
                chunk = wanted[start : start + _BATCH]
                found.update(session.scalars(select(KnowledgeItem.id).where(KnowledgeItem.id.in_(chunk))))
        return found

    def places(self) -> list[ServicePlace]:
        with self._sessions() as session:
            rows = session.scalars(select(KnowledgePlace.data).order_by(KnowledgePlace.id))
            return [ServicePlace.model_validate(data) for data in rows]

    def faqs(self) -> list[FaqEntry]:
        with self._sessions() as session:
            rows = session.scalars(select(KnowledgeFaq).order_by(KnowledgeFaq.id))
            return [FaqEntry(id=r.id, area=Area(r.area), q=r.question, a=r.answer) for r in rows]

    # --- writes ------------------------------------------------------------------------
    def seed_authored(self, catalog: Catalog, fingerprint: str) -> bool:
        """Make the DB hold exactly the authored catalog (imported and API items are kept).
        Returns False when this version of the files was seeded already."""
        with self._sessions.begin() as session:
            if self._meta(session, AUTHORED_FINGERPRINT) == fingerprint:
                return False
            self._upsert_items(session, list(catalog.items.values()), "authored")
            session.execute(
                delete(KnowledgeItem).where(
                    KnowledgeItem.origin == "authored", KnowledgeItem.id.not_in(list(catalog.items))
                )
            )
            session.execute(delete(KnowledgePlace).where(KnowledgePlace.origin == "authored"))
            session.execute(
                insert(KnowledgePlace),
                [
                    {
                        "id": p.id,
                        "origin": "authored",
                        "data": p.model_dump(mode="json"),
                        "updated_at": utcnow(),
                    }
                    for p in catalog.places.values()
                ],
            )
            session.execute(delete(KnowledgeFaq).where(KnowledgeFaq.origin == "authored"))
            if catalog.faqs:
                session.execute(
                    insert(KnowledgeFaq),
                    [
                        {
                            "id": f.id,
                            "area": f.area.value,
                            "origin": "authored",
                            "question": f.q,
                            "answer": f.a,
                            "updated_at": utcnow(),
                        }
                        for f in catalog.faqs.values()
                    ],
                )
            self._set_meta(session, AUTHORED_FINGERPRINT, fingerprint)
            self._bump(session)
        return True

    def upsert_items(self, items: Sequence[ServiceItem], origin: Origin) -> int:
        """Insert or replace items by id, all in one transaction; returns the new revision."""
        with self._sessions.begin() as session:
            self._upsert_items(session, items, origin)
            return self._bump(session)

    def upsert_faq(self, faq: FaqEntry, origin: Origin) -> int:
        """Insert or replace one loose FAQ pair; returns the new revision."""
        with self._sessions.begin() as session:
            row = session.get(KnowledgeFaq, faq.id)
            if row is None:
                session.add(
                    KnowledgeFaq(id=faq.id, area=faq.area.value, origin=origin, question=faq.q, answer=faq.a)
                )
            else:
                row.area, row.origin, row.question, row.answer = faq.area.value, origin, faq.q, faq.a
                row.updated_at = utcnow()
            return self._bump(session)

    def delete_item(self, item_id: str) -> int | None:
        """Delete one item; returns the new revision, or None when there was no such item."""
        with self._sessions.begin() as session:
            deleted = session.execute(delete(KnowledgeItem).where(KnowledgeItem.id == item_id))
            if not deleted.rowcount:  # type: ignore[attr-defined]
                return None
            return self._bump(session)

    # --- helpers -----------------------------------------------------------------------
    def _upsert_items(self, session: Session, items: Sequence[ServiceItem], origin: Origin) -> None:
        for start in range(0, len(items), _BATCH):
            batch = items[start : start + _BATCH]
            existing = set(
                session.scalars(select(KnowledgeItem.id).where(KnowledgeItem.id.in_([i.id for i in batch])))
            )
            new_rows = [_item_row(i, origin) for i in batch if i.id not in existing]
            changed_rows = [_item_row(i, origin) for i in batch if i.id in existing]
            if new_rows:
                session.execute(insert(KnowledgeItem), new_rows)
            if changed_rows:
                session.execute(update(KnowledgeItem), changed_rows)

    @staticmethod
    def _meta(session: Session, key: str) -> str | None:
        row = session.get(KnowledgeMeta, key)
        return row.value if row else None

    def _set_meta(self, session: Session, key: str, value: str) -> None:
        row = session.get(KnowledgeMeta, key)
        if row is None:
            session.add(KnowledgeMeta(key=key, value=value))
        else:
            row.value = value

    def _bump(self, session: Session) -> int:
        revision = int(self._meta(session, REVISION) or 0) + 1
        self._set_meta(session, REVISION, str(revision))
        session.flush()
        return revision
