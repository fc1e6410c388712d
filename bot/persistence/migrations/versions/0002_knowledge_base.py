"""knowledge base tables: items, places, FAQ pairs, meta

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_items",
        sa.Column("id", sa.String(96), primary_key=True),
        sa.Column("area", sa.String(32), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kb_items_area", "kb_items", ["area"])
    op.create_table(
        "kb_places",
        sa.Column("id", sa.String(96), primary_key=True),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "kb_faqs",
        sa.Column("id", sa.String(96), primary_key=True),
        sa.Column("area", sa.String(32), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kb_faqs_area", "kb_faqs", ["area"])
    op.create_table(
        "kb_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kb_meta")
    op.drop_index("ix_kb_faqs_area", table_name="kb_faqs")
    op.drop_table("kb_faqs")
    op.drop_table("kb_places")
    op.drop_index("ix_kb_items_area", table_name="kb_items")
    op.drop_table("kb_items")
