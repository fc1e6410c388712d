"""ORM tables of the app DB. The schema itself is owned by the Alembic migrations next door."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.contracts.conversation import ConversationState
from bot.contracts.tickets import TicketStatus as TicketStatus  # re-exported: its old home


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    pass


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_conversation_channel_sender"),
        # the summary report's citizens, read from the index alone (migration 0009)
        Index("ix_conversations_id_external_id", "id", "external_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default=ConversationState.bot.value)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def sender_key(self) -> str:
        """The id Rasa knows this conversation by: namespaced by channel."""
        return f"{self.channel}:{self.external_id}"


# The bot replies the knowledge-gap report reads (see bot.reports.gaps), as each database
# spells the condition: the partial index ix_messages_gap_replies holds just these (~2% of
# messages), and the report's query repeats the condition word for word, since SQLite uses a
# partial index only for a WHERE term it sees is the same (not for a bound parameter).
GAP_REPLY_CONDITION = {
    "postgresql": "role = 'bot' AND CAST((payload #>> '{data, type}') AS VARCHAR) "
    "IN ('honest_no', 'rephrase', 'ask_item', 'handoff')",
    "sqlite": "role = 'bot' AND CAST(JSON_EXTRACT(payload, '$.\"data\".\"type\"') AS VARCHAR) "
    "IN ('honest_no', 'rephrase', 'ask_item', 'handoff')",
}


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        # the reports' ranges, read from the index alone (migration 0009)
        Index("ix_messages_created_at_role_conversation", "created_at", "role", "conversation_id"),
        Index(
            "ix_messages_gap_replies",
            "created_at",
            postgresql_where=text(GAP_REPLY_CONDITION["postgresql"]),
            sqlite_where=text(GAP_REPLY_CONDITION["sqlite"]),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Rating(Base):
    """A citizen's 1–5 satisfaction score for a conversation (asked for at goodbye)."""

    __tablename__ = "ratings"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="ck_ratings_score"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


# The statuses of a ticket still being worked on (OPEN_TICKET_STATUSES), as SQL.
OPEN_TICKET_CONDITION = "status IN ('queued', 'claimed')"


class StaffRole(StrEnum):
    """staff work their areas' queues; supervisors read every ticket and report but never act
    on a ticket; admins do both, everywhere, and review FAQ drafts."""

    staff = "staff"
    supervisor = "supervisor"
    admin = "admin"


class Ticket(Base):
    """The handoff packet: everything a staff member needs to take over without asking the
    citizen to repeat themselves. `claimed_by` is set by a guarded UPDATE (see TicketStore)."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_area", "status", "area"),
        Index("ix_tickets_area_created_at", "area", "created_at"),
        # One open ticket per conversation (migration 0007): the race of two handoffs is
        # settled by the database, not by the check-then-insert in TicketStore.open_ticket.
        Index(
            "uq_tickets_open_conversation",
            "conversation_id",
            unique=True,
            postgresql_where=text(OPEN_TICKET_CONDITION),
            sqlite_where=text(OPEN_TICKET_CONDITION),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_number: Mapped[str] = mapped_column(String(24), unique=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(32))
    area: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.queued.value)
    reason: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer, default=2)  # 1 high, 2 normal, 3 low
    service_item: Mapped[str | None] = mapped_column(String(96), nullable=True)
    question_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    packet: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    first_reply_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class HandoffEvent(Base):
    """Every change of a conversation's owner, with its reason (the audit trail)."""

    __tablename__ = "handoff_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64))
    staff_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TicketTransfer(Base):
    """A ticket moved to another area (转办), by whom and why; counted per area pair."""

    __tablename__ = "ticket_transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    from_area: Mapped[str] = mapped_column(String(32))
    to_area: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class FollowUpStatus(StrEnum):
    """回访与整改: 待回访 → 已回访 → 整改中 → 已整改, or 不属实 once the facts are checked."""

    pending = "pending"  # 待回访
    contacted = "contacted"  # 已回访
    rectifying = "rectifying"  # 整改中
    rectified = "rectified"  # 已整改
    unfounded = "unfounded"  # 不属实


class FollowUp(Base):
    """The task a 不满意 / 非常不满意 rating opens: call the citizen back and put things right
    before `due_on` (a deadline in working days)."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_status_area", "status", "area"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rating_id: Mapped[int] = mapped_column(
        ForeignKey("ratings.id", ondelete="CASCADE"), unique=True, index=True
    )
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    area: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=FollowUpStatus.pending.value)
    due_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # 追评: the citizen's one rating of the outcome, asked for once the task is 已整改
    second_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    second_rated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class FollowUpNote(Base):
    """One step of a follow-up task: the new state, the note, who and when."""

    __tablename__ = "follow_up_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=StaffRole.staff.value)
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffSession(Base):
    """A login (console cookie or API token): only the SHA-256 of the secret is kept."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # cookie | token
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class FaqDraft(Base):
    """A staff answer proposed as an FAQ; an admin publishes it into the knowledge base."""

    __tablename__ = "faq_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    area: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | published | rejected
    faq_id: Mapped[str | None] = mapped_column(String(96), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class GapDecision(Base):
    """What a supervisor decided about a question the assistant could not answer: made into
    an FAQ draft, or out of scope. Kept per question text (by digest), so the knowledge-gap
    report leaves decided questions out however its topics are regrouped later."""

    __tablename__ = "gap_decisions"

    text_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16))  # drafted | out_of_scope
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("faq_drafts.id"), nullable=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class KnowledgeItem(Base):
    """A service item, the store of record; the search index is derived from these rows."""

    __tablename__ = "kb_items"

    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    area: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(300))
    origin: Mapped[str] = mapped_column(String(16))  # authored | imported | api
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class KnowledgePlace(Base):
    __tablename__ = "kb_places"

    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    origin: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class KnowledgeFaq(Base):
    """A loose FAQ pair (not tied to one item's fields), indexed for retrieval too."""

    __tablename__ = "kb_faqs"

    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    area: Mapped[str] = mapped_column(String(32), index=True)
    origin: Mapped[str] = mapped_column(String(16))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class KnowledgeMeta(Base):
    """Bookkeeping: `revision` grows with every change; `authored_fingerprint` names the
    version of knowledge/data/ last seeded."""

    __tablename__ = "kb_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class WechatDelivery(Base):
    """One WeChat callback (by MsgId, or sender + CreateTime for events), claimed by the
    first replica that sees it: WeChat retries a callback it got no answer to within 5 s,
    and the primary key is what makes a retry on any replica answer at most once.

    `status`: running → passive (answered in the HTTP reply; `reply` keeps the XML text so a
    retry of a reply WeChat never received can repeat it) or pushed (sent through the
    customer-service API)."""

    __tablename__ = "wechat_deliveries"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    reply: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class WechatCredential(Base):
    """Shared short-lived credentials (the access token): one fetch serves every replica."""

    __tablename__ = "wechat_credentials"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WechatUnpushed(Base):
    """A message for a WeChat citizen that could not be pushed (outside WeChat's window):
    it goes out with the reply to their next message."""

    __tablename__ = "wechat_unpushed"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WecomCursor(Base):
    """How far `kf/sync_msg` has read, per WeCom customer-service account (open_kfid)."""

    __tablename__ = "wecom_cursors"

    open_kfid: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str] = mapped_column(String(256))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
