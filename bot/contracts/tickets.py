"""Why a conversation was handed to a person, and where its ticket stands: the values every
layer stores and filters by, and the Chinese labels the console and the reports show.

Part of the core (actions, the ticket store, the reports and the console all use them), so it
imports nothing of ours.
"""

from __future__ import annotations

from enum import StrEnum


class HandoffReason(StrEnum):
    """Why an action asked for a person (the ticket's `reason`)."""

    request_human = "request_human"
    complaint = "complaint"
    suggestion = "suggestion"
    fallback = "fallback"  # two failed attempts to understand in a row
    unanswered = "unanswered"  # a clear question about a known item the knowledge base cannot answer
    low_confidence = "low_confidence"  # twice no service item matched the question well enough


HANDOFF_REASON_LABELS: dict[HandoffReason, str] = {
    HandoffReason.request_human: "市民要求人工",
    HandoffReason.complaint: "投诉",
    HandoffReason.suggestion: "建议",
    HandoffReason.fallback: "连续未理解",
    HandoffReason.unanswered: "知识库无答案",
    HandoffReason.low_confidence: "未找到匹配事项",
}


class TicketStatus(StrEnum):
    queued = "queued"  # waiting in its area's queue
    claimed = "claimed"  # a staff member has it
    resolved = "resolved"  # answered; the conversation went back to the bot
    closed = "closed"  # ended without going back to the bot


TICKET_STATUS_LABELS: dict[TicketStatus, str] = {
    TicketStatus.queued: "排队中",
    TicketStatus.claimed: "处理中",
    TicketStatus.resolved: "已解决",
    TicketStatus.closed: "已结束",
}

# The statuses of a ticket still being worked on.
OPEN_TICKET_STATUSES: tuple[TicketStatus, ...] = (TicketStatus.queued, TicketStatus.claimed)
