"""WeChat: callback deduplication, the shared access token, unpushed replies, WeCom cursors

Revision ID: 0006_wechat
Revises: 0005_supervision
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_wechat"
down_revision = "0005_supervision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_deliveries",
        sa.Column("key", sa.String(160), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reply", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_wechat_deliveries_created_at", "wechat_deliveries", ["created_at"])
    op.create_table(
        "wechat_credentials",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "wechat_unpushed",
        sa.Column(
            "message_id", sa.Integer, sa.ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_wechat_unpushed_conversation_id", "wechat_unpushed", ["conversation_id"])
    op.create_table(
        "wecom_cursors",
        sa.Column("open_kfid", sa.String(64), primary_key=True),
        sa.Column("cursor", sa.String(256), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("wecom_cursors")
    op.drop_table("wechat_unpushed")
    op.drop_table("wechat_credentials")
    op.drop_index("ix_wechat_deliveries_created_at", table_name="wechat_deliveries")
    op.drop_table("wechat_deliveries")
