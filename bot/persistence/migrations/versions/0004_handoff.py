"""human handoff: tickets, handoff events, staff accounts and sessions, FAQ drafts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _timestamp(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("areas", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        _timestamp("created_at"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _timestamp("created_at"),
        _timestamp("expires_at"),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_number", sa.String(24), nullable=False, unique=True),
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("area", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("service_item", sa.String(96), nullable=True),
        sa.Column("question_type", sa.String(32), nullable=True),
        sa.Column("packet", sa.JSON, nullable=False),
        sa.Column("claimed_by", sa.Integer, sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("note", sa.Text, nullable=False),
        _timestamp("created_at"),
        _timestamp("claimed_at", nullable=True),
        _timestamp("first_reply_at", nullable=True),
        _timestamp("resolved_at", nullable=True),
    )
    op.create_index("ix_tickets_conversation_id", "tickets", ["conversation_id"])
    op.create_index("ix_tickets_status_area", "tickets", ["status", "area"])
    op.create_table(
        "handoff_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=True),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer, nullable=True),
        _timestamp("created_at"),
    )
    op.create_index("ix_handoff_events_conversation_id", "handoff_events", ["conversation_id"])
    op.create_table(
        "faq_drafts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("area", sa.String(32), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=True),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("faq_id", sa.String(96), nullable=True),
        _timestamp("created_at"),
        _timestamp("reviewed_at", nullable=True),
    )


def downgrade() -> None:
    op.drop_table("faq_drafts")
    op.drop_index("ix_handoff_events_conversation_id", table_name="handoff_events")
    op.drop_table("handoff_events")
    op.drop_index("ix_tickets_status_area", table_name="tickets")
    op.drop_index("ix_tickets_conversation_id", table_name="tickets")
    op.drop_table("tickets")
    op.drop_index("ix_staff_sessions_staff_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff")
