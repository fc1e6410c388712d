"""bot/contracts/follow_ups.py: every follow-up status has its label, a task moves only along
待回访 → 已回访 → 整改中 → 已整改 (or 不属实 after the call), and the open and finished
statuses follow from the moves."""

from __future__ import annotations

import pytest

from bot.contracts.follow_ups import (
    DONE_FOLLOW_UP_STATUSES,
    FOLLOW_UP_STATUS_LABELS,
    FOLLOW_UP_TRANSITIONS,
    OPEN_FOLLOW_UP_STATUSES,
    FollowUpStatus,
    FollowUpTransitionError,
    check_follow_up_transition,
    next_follow_up_statuses,
)


def test_every_status_has_a_label_and_its_moves() -> None:
    assert list(FOLLOW_UP_STATUS_LABELS) == list(FollowUpStatus)
    assert FOLLOW_UP_STATUS_LABELS[FollowUpStatus.pending] == "待回访"
    assert set(FOLLOW_UP_TRANSITIONS) == set(FollowUpStatus)


def test_open_and_done_statuses() -> None:
    assert (
        FollowUpStatus.pending,
        FollowUpStatus.contacted,
        FollowUpStatus.rectifying,
    ) == OPEN_FOLLOW_UP_STATUSES
    assert {FollowUpStatus.rectified, FollowUpStatus.unfounded} == DONE_FOLLOW_UP_STATUSES
    assert ",".join(OPEN_FOLLOW_UP_STATUSES) == "pending,contacted,rectifying"  # as the reports link it


def test_every_status_is_reachable_from_pending() -> None:
    reached, frontier = {FollowUpStatus.pending}, [FollowUpStatus.pending]
    while frontier:
        for status in FOLLOW_UP_TRANSITIONS[frontier.pop()] - reached:
            reached.add(status)
            frontier.append(status)
    assert reached == set(FollowUpStatus)


def test_the_allowed_moves() -> None:
    assert next_follow_up_statuses(FollowUpStatus.contacted) == [
        FollowUpStatus.rectifying,
        FollowUpStatus.unfounded,
    ]
    check_follow_up_transition(FollowUpStatus.pending, FollowUpStatus.contacted)
    check_follow_up_transition(FollowUpStatus.contacted, FollowUpStatus.unfounded)
    check_follow_up_transition(FollowUpStatus.rectifying, FollowUpStatus.rectified)


@pytest.mark.parametrize(
    ("current", "target", "said"),
    [
        (
            FollowUpStatus.pending,
            FollowUpStatus.rectified,
            "当前为「待回访」，不能改为「已整改」；可改为：已回访",
        ),
        (FollowUpStatus.contacted, FollowUpStatus.pending, "可改为：整改中、不属实"),
        (FollowUpStatus.rectified, FollowUpStatus.unfounded, "可改为：无（已办结）"),
        (FollowUpStatus.pending, FollowUpStatus.pending, "不能改为「待回访」"),
    ],
)
def test_a_move_not_allowed_says_which_are(
    current: FollowUpStatus, target: FollowUpStatus, said: str
) -> None:
    with pytest.raises(FollowUpTransitionError, match=said):
        check_follow_up_transition(current, target)
