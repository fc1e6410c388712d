"""Where a 差评 follow-up task (回访与整改) stands: the statuses every layer stores and filters
by, their Chinese labels, and the moves between them (待回访 → 已回访 → 整改中 → 已整改, or
不属实 once the citizen has been called back). The follow-up store moves a task only as
`FOLLOW_UP_TRANSITIONS` allows; the reports, the console's lists and `GET /api/v1/labels`
read the labels from here.

Part of the core (the follow-up store, the reports and the HTTP routes all use them), so it
imports nothing of ours.
"""

from __future__ import annotations

from enum import StrEnum


class FollowUpStatus(StrEnum):
    """回访与整改: 待回访 → 已回访 → 整改中 → 已整改, or 不属实 once the facts are checked."""

    pending = "pending"  # 待回访
    contacted = "contacted"  # 已回访
    rectifying = "rectifying"  # 整改中
    rectified = "rectified"  # 已整改 (the citizen may now give one 追评)
    unfounded = "unfounded"  # 不属实


FOLLOW_UP_STATUS_LABELS: dict[FollowUpStatus, str] = {
    FollowUpStatus.pending: "待回访",
    FollowUpStatus.contacted: "已回访",
    FollowUpStatus.rectifying: "整改中",
    FollowUpStatus.rectified: "已整改",
    FollowUpStatus.unfounded: "不属实",
}

# The statuses a task may move to from each one; a status with none is the end of the task.
FOLLOW_UP_TRANSITIONS: dict[FollowUpStatus, frozenset[FollowUpStatus]] = {
    FollowUpStatus.pending: frozenset({FollowUpStatus.contacted}),
    FollowUpStatus.contacted: frozenset({FollowUpStatus.rectifying, FollowUpStatus.unfounded}),
    FollowUpStatus.rectifying: frozenset({FollowUpStatus.rectified}),
    FollowUpStatus.rectified: frozenset(),
    FollowUpStatus.unfounded: frozenset(),
}

# Finished tasks (never overdue), and the statuses of a task still being worked on, in order.
DONE_FOLLOW_UP_STATUSES: frozenset[FollowUpStatus] = frozenset(
    status for status, after in FOLLOW_UP_TRANSITIONS.items() if not after
)
OPEN_FOLLOW_UP_STATUSES: tuple[FollowUpStatus, ...] = tuple(
    s for s in FollowUpStatus if s not in DONE_FOLLOW_UP_STATUSES
)


class FollowUpTransitionError(ValueError):
    """A follow-up step `FOLLOW_UP_TRANSITIONS` does not allow (the message, in Chinese, says
    which steps are)."""


def next_follow_up_statuses(current: FollowUpStatus) -> list[FollowUpStatus]:
    """Where a task may go from `current`, in the statuses' order."""
    allowed = FOLLOW_UP_TRANSITIONS[current]
    return [s for s in FollowUpStatus if s in allowed]


def check_follow_up_transition(current: FollowUpStatus, target: FollowUpStatus) -> None:
    if target not in FOLLOW_UP_TRANSITIONS[current]:
        labels = FOLLOW_UP_STATUS_LABELS
        allowed = "、".join(labels[s] for s in next_follow_up_statuses(current)) or "无（已办结）"
        raise FollowUpTransitionError(
            f"回访任务当前为「{labels[current]}」，不能改为「{labels[target]}」；可改为：{allowed}"
        )
