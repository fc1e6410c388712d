"""One open ticket per conversation: a partial unique index on tickets(conversation_id) over
the open statuses (queued, claimed), so two handoffs racing in one conversation (two
replicas, two browser tabs) can never open two cases; the loser's INSERT fails and the
ticket store returns the winner's ticket.

A database that already holds several open tickets for one conversation keeps the oldest
open and closes the later ones with a note, since the index could not be built otherwise.

Revision ID: 0007_one_open_ticket
Revises: 0006_wechat
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_one_open_ticket"
down_revision = "0006_wechat"
branch_labels = None
depends_on = None

OPEN = "status IN ('queued', 'claimed')"


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE tickets SET status = 'closed', note = '重复的人工服务工单（迁移 0007 关闭）' "
            f"WHERE {OPEN} AND id NOT IN ("
            f"SELECT MIN(id) FROM tickets WHERE {OPEN} GROUP BY conversation_id)"
        )
    )
    op.create_index(
        "uq_tickets_open_conversation",
        "tickets",
        ["conversation_id"],
        unique=True,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("uq_tickets_open_conversation", table_name="tickets")
