"""Reports: indexes for the report queries at scale

- (created_at, role, conversation_id), in place of (created_at, role): the summary report
  groups a range's messages by conversation (which conversations the citizen wrote in, and
  how many messages they hold). With the conversation in the index the range is read from
  the index alone: on SQLite, which has no bitmap scans, that saves one table lookup per
  message (~320,000 for a month at scale); on PostgreSQL it allows an index-only scan once
  VACUUM has marked the pages visible. It starts with the old index's columns, so the volume
  report's range (created_at, role = 'citizen') is served as before, and the old one goes,
  so an insert still maintains the same number of indexes on messages as before this one;
- ix_messages_gap_replies: a partial index by created_at of the bot replies the
  knowledge-gap report reads (honest no, rephrase, ask item, handoff: ~2% of messages).
  Without it both databases read every bot reply of the two periods (~330,000 at scale) to
  find them. The condition is the one the report's query spells out
  (models.GAP_REPLY_CONDITION), copied here as it stood;
- conversations (id, external_id): the summary counts the citizens (distinct senders) of the
  ~86,000 conversations of a month at scale; on SQLite each lookup by id then reads the index
  alone instead of the index and the table (a quarter of the summary's time there). Small:
  one row per conversation.

Revision ID: 0009_report_query_indexes
Revises: 0008_report_indexes
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_report_query_indexes"
down_revision = "0008_report_indexes"
branch_labels = None
depends_on = None

GAP_KINDS = "IN ('honest_no', 'rephrase', 'ask_item', 'handoff')"


def upgrade() -> None:
    op.create_index(
        "ix_messages_created_at_role_conversation", "messages", ["created_at", "role", "conversation_id"]
    )
    op.drop_index("ix_messages_created_at_role", table_name="messages")
    op.create_index(
        "ix_messages_gap_replies",
        "messages",
        ["created_at"],
        postgresql_where=sa.text(
            f"role = 'bot' AND CAST((payload #>> '{{data, type}}') AS VARCHAR) {GAP_KINDS}"
        ),
        sqlite_where=sa.text(
            f"""role = 'bot' AND CAST(JSON_EXTRACT(payload, '$."data"."type"') AS VARCHAR) {GAP_KINDS}"""
        ),
    )

    op.create_index("ix_conversations_id_external_id", "conversations", ["id", "external_id"])


def downgrade() -> None:
    op.drop_index("ix_conversations_id_external_id", table_name="conversations")
    op.drop_index("ix_messages_gap_replies", table_name="messages")
    op.create_index("ix_messages_created_at_role", "messages", ["created_at", "role"])
    op.drop_index("ix_messages_created_at_role_conversation", table_name="messages")
