"""The lists behind a figure as tables: conversations, transfers and follow-up tasks (the
tickets' table stays with the staff figures it measures, in tables.py)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.contracts.follow_ups import FOLLOW_UP_STATUS_LABELS, FollowUpStatus
from bot.ratings import SATISFACTION_LEVELS
from bot.reports.conversation_list import EVERY_MESSAGE, Containing, ListedConversation
from bot.reports.follow_up_list import ListedFollowUp
from bot.reports.tables import Table, area_label, channel_label
from bot.reports.transfer_list import ListedTransfer


def counted_column(containing: Containing) -> str | None:
    """The header of the column giving each conversation's share of a figure that counts
    messages (None: the figure counts conversations)."""
    if containing.answers:
        return "其中所指答复"
    return None if containing.weekday is None else "其中该时段市民消息"


def counted_note(containing: Containing, counted: int) -> str:
    """Why the list's count is not the figure's: said on the page and in the API."""
    unit = "机器人答复" if containing.answers else "市民消息"
    return (
        f"图中的数字按{unit}计（共 {counted} 条），这里列出含这些{unit}的会话；"
        f"一个会话可含多条，所以会话数可能少于图中的数字，每个会话的条数见「{counted_column(containing)}」列。"
    )


def conversation_table(
    conversations: Sequence[ListedConversation], containing: Containing = EVERY_MESSAGE
) -> Table:
    counted = counted_column(containing)
    return Table(
        "会话明细",
        (
            "会话编号",
            "渠道",
            "期间消息数",
            "其中市民消息",
            *([counted] if counted else []),
            "最近更新",
            "工单（受理编号）",
            "期间评价",
        ),
        [
            (
                c.id,
                channel_label(c.channel),
                c.messages,
                c.citizen_messages,
                *([c.counted] if counted else []),
                c.updated_at.isoformat(),
                "、".join(c.case_numbers),
                "、".join(f"{score} 分 {SATISFACTION_LEVELS[score]}" for score in c.scores),
            )
            for c in conversations
        ],
    )


def transfer_table(transfers: Sequence[ListedTransfer]) -> Table:
    return Table(
        "转办明细",
        ("受理编号", "转出领域", "转入领域", "转办原因", "经办人", "转办时间"),
        [
            (
                t.case_number,
                area_label(t.from_area),
                area_label(t.to_area),
                t.reason,
                t.staff,
                t.at.isoformat(),
            )
            for t in transfers
        ],
    )


def follow_up_list_table(tasks: Sequence[ListedFollowUp]) -> Table:
    return Table(
        "回访任务明细",
        ("任务编号", "受理编号", "领域", "渠道", "评分", "状态", "截止日期", "创建时间", "追评"),
        [
            (
                t.id,
                t.case_number or "",
                area_label(t.area),
                channel_label(t.channel),
                t.score,
                FOLLOW_UP_STATUS_LABELS[FollowUpStatus(t.status)],
                t.due_on.isoformat(),
                t.created_at.isoformat(),
                t.second_score,
            )
            for t in tasks
        ],
    )
