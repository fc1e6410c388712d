"""Reports: indexes for the report queries, what supervisors decided about knowledge gaps, and
the citizen's follow-up rating (追评) of a rectified 差评

Revision ID: 0008_report_indexes
Revises: 0007_one_open_ticket
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_report_indexes"
down_revision = "0007_one_open_ticket"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Reports read messages by time (and role): without this every report scanned them all.
    op.create_index("ix_messages_created_at_role", "messages", ["created_at", "role"])
    op.create_index("ix_tickets_area_created_at", "tickets", ["area", "created_at"])
    op.create_table(
        "gap_decisions",
        sa.Column("text_key", sa.String(40), primary_key=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("draft_id", sa.Integer, sa.ForeignKey("faq_drafts.id"), nullable=True),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )

    op.add_column("follow_ups", sa.Column("second_score", sa.Integer, nullable=True))
    op.add_column("follow_ups", sa.Column("second_rated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("follow_ups") as table:
        table.drop_column("second_rated_at")
        table.drop_column("second_score")
    op.drop_table("gap_decisions")
    op.drop_index("ix_tickets_area_created_at", table_name="tickets")
    op.drop_index("ix_messages_created_at_role", table_name="messages")
