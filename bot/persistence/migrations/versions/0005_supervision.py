"""supervision: ticket transfers (转办), 差评 follow-up tasks and their notes, report indexes

Revision ID: 0005_supervision
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_supervision"
down_revision = "0004"
branch_labels = None
depends_on = None


def _timestamp(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "ticket_transfers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("from_area", sa.String(32), nullable=False),
        sa.Column("to_area", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id"), nullable=False),
        _timestamp("created_at"),
    )
    op.create_index("ix_ticket_transfers_ticket_id", "ticket_transfers", ["ticket_id"])
    op.create_index("ix_ticket_transfers_created_at", "ticket_transfers", ["created_at"])
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rating_id", sa.Integer, sa.ForeignKey("ratings.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=True),
        sa.Column("area", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
    )
    op.create_index("ix_follow_ups_rating_id", "follow_ups", ["rating_id"], unique=True)
    op.create_index("ix_follow_ups_status_area", "follow_ups", ["status", "area"])
    op.create_index("ix_follow_ups_created_at", "follow_ups", ["created_at"])
    op.create_table(
        "follow_up_notes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "follow_up_id", sa.Integer, sa.ForeignKey("follow_ups.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id"), nullable=False),
        _timestamp("created_at"),
    )
    op.create_index("ix_follow_up_notes_follow_up_id", "follow_up_notes", ["follow_up_id"])
    # The reports filter every table by its creation time.
    op.create_index("ix_conversations_created_at", "conversations", ["created_at"])
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
    op.create_index("ix_ratings_created_at", "ratings", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_ratings_created_at", table_name="ratings")
    op.drop_index("ix_tickets_created_at", table_name="tickets")
    op.drop_index("ix_conversations_created_at", table_name="conversations")
    op.drop_index("ix_follow_up_notes_follow_up_id", table_name="follow_up_notes")
    op.drop_table("follow_up_notes")
    op.drop_index("ix_follow_ups_created_at", table_name="follow_ups")
    op.drop_index("ix_follow_ups_status_area", table_name="follow_ups")
    op.drop_index("ix_follow_ups_rating_id", table_name="follow_ups")
    op.drop_table("follow_ups")
    op.drop_index("ix_ticket_transfers_created_at", table_name="ticket_transfers")
    op.drop_index("ix_ticket_transfers_ticket_id", table_name="ticket_transfers")
    op.drop_table("ticket_transfers")
