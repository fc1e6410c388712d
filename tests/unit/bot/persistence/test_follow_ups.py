"""The 差评 follow-up list against real SQLite and PostgreSQL, and its working-day deadlines on
the Chinese calendar (国庆 2026 and its 调休 Saturday; 2027, which the installed
chinese-calendar does not cover, from the settings' lists)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from bot.contracts.conversation import Role
from bot.contracts.follow_ups import FollowUpStatus
from bot.persistence.follow_ups import FollowUpError, FollowUpStore
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.staff import StaffStore
from bot.persistence.store import ConversationStore, create_db_engine
from bot.persistence.tickets import NewTicket, TicketStore
from bot.work_calendar import WorkCalendar

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def test_working_days_skip_national_day_and_count_the_makeup_saturday() -> None:
    calendar = WorkCalendar()
    assert not calendar.is_workday(dt.date(2026, 10, 1))  # 国庆 on a Thursday
    assert calendar.is_workday(dt.date(2026, 10, 10))  # 调休: a Saturday worked
    assert not calendar.is_workday(dt.date(2026, 10, 11))  # an ordinary Sunday
    assert calendar.add_working_days(dt.date(2026, 9, 30), 5) == dt.date(2026, 10, 13)
    assert calendar.add_working_days(dt.date(2026, 12, 4), 5) == dt.date(2026, 12, 11)


def test_years_the_library_does_not_cover_use_the_settings_lists() -> None:
    calendar = WorkCalendar.from_iso(["2027-01-01", "2026-10-12"], ["2027-01-09"])
    assert not calendar.covered_by_library(dt.date(2027, 1, 4))
    assert not calendar.is_workday(dt.date(2027, 1, 1))  # a Friday, listed as a holiday
    assert calendar.is_workday(dt.date(2027, 1, 9))  # a Saturday, listed as worked
    # 1-1 off (listed), 1-4..1-8 five working days, then the listed Saturday 1-9.
    assert calendar.add_working_days(dt.date(2026, 12, 31), 5) == dt.date(2027, 1, 8)
    assert calendar.add_working_days(dt.date(2026, 12, 31), 6) == dt.date(2027, 1, 9)
    assert calendar.is_workday(dt.date(2026, 10, 12))  # covered: the library wins over the list
    with pytest.raises(ValueError, match="HOLIDAYS"):
        WorkCalendar.from_iso(["2027-13-01"], [])


@pytest.fixture
def stores(database_url: str) -> Iterator[tuple[ConversationStore, TicketStore, StaffStore, FollowUpStore]]:
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    yield (
        ConversationStore(engine),
        TicketStore(engine),
        StaffStore(engine),
        FollowUpStore(engine, WorkCalendar(), working_days=5),
    )
    engine.dispose()


def test_a_bad_rating_opens_a_task_in_the_right_area_with_a_working_day_deadline(
    stores: tuple[ConversationStore, TicketStore, StaffStore, FollowUpStore],
) -> None:
    conversations, tickets, _, follow_ups = stores
    handed = conversations.open_conversation("rest", "f1")
    ticket, _ = tickets.open_ticket(NewTicket(handed.id, "rest", "housing", "complaint", 1, None, None, {}))
    on_30_sept = dt.datetime(2026, 9, 30, 20, 0, tzinfo=SHANGHAI)
    task = follow_ups.record_rating(handed.id, 1, at=on_30_sept)
    assert task is not None
    assert (task.area, task.case_number, task.score, task.status) == (
        "housing",
        ticket.case_number,
        1,
        FollowUpStatus.pending,
    )
    assert task.due_on == dt.date(2026, 10, 13) and task.overdue  # long past by now

    answered = conversations.open_conversation("widget", "f2")
    conversations.append(answered.id, Role.bot, "材料如下", {"data": {"type": "answer", "area": "transport"}})
    conversations.append(answered.id, Role.bot, "感谢您的评价", {"data": {"type": "rating", "score": 2}})
    by_answer = follow_ups.record_rating(answered.id, 2)
    assert by_answer is not None and (by_answer.area, by_answer.channel) == ("transport", "widget")
    assert by_answer.case_number is None and not by_answer.overdue

    silent = conversations.open_conversation("rest", "f3")
    nowhere = follow_ups.record_rating(silent.id, 2)
    assert nowhere is not None and nowhere.area == "other"
    assert follow_ups.record_rating(silent.id, 3) is None  # 基本满意 is not a 差评
    assert conversations.ratings(silent.id) == [2, 3]
    assert [t.id for t in follow_ups.search(overdue_only=True)] == [task.id]
    assert [t.id for t in follow_ups.search(areas=["transport"])] == [by_answer.id]


def test_a_task_is_worked_to_rectified_with_notes_who_and_when_and_no_step_skipped(
    stores: tuple[ConversationStore, TicketStore, StaffStore, FollowUpStore],
) -> None:
    conversations, _, staff_store, follow_ups = stores
    staff = staff_store.add("hui", "correct-horse", ["other"])
    conversation = conversations.open_conversation("rest", "f4")
    task = follow_ups.record_rating(conversation.id, 1)
    assert task is not None
    with pytest.raises(FollowUpError, match="当前为「待回访」，不能改为「已整改」；可改为：已回访"):
        follow_ups.advance(task.id, staff.id, FollowUpStatus.rectified, "跳过")
    follow_ups.advance(task.id, staff.id, FollowUpStatus.contacted, "已电话回访，市民反映窗口排队太久")
    follow_ups.advance(task.id, staff.id, FollowUpStatus.rectifying, "增开一个窗口")
    done = follow_ups.advance(task.id, staff.id, FollowUpStatus.rectified, "已增开窗口并告知市民")
    assert done.status == FollowUpStatus.rectified and not done.overdue
    assert [(n.to_status, n.staff) for n in done.notes] == [
        ("contacted", "hui"),
        ("rectifying", "hui"),
        ("rectified", "hui"),
    ]
    assert done.notes[-1].note == "已增开窗口并告知市民" and done.notes[-1].at
    # 追评: once, by this conversation only, after 已整改
    assert not follow_ups.record_second_rating(task.id, "someone-else", 5)
    assert follow_ups.record_second_rating(task.id, conversation.id, 3)
    assert not follow_ups.record_second_rating(task.id, conversation.id, 5)
    rated = follow_ups.get(task.id)
    assert rated is not None and rated.second_score == 3
    with pytest.raises(FollowUpError, match="无（已办结）"):
        follow_ups.advance(task.id, staff.id, FollowUpStatus.unfounded, "再改")
    other = follow_ups.record_rating(conversation.id, 2)
    assert other is not None
    follow_ups.advance(other.id, staff.id, FollowUpStatus.contacted, "回访")
    unfounded = follow_ups.advance(other.id, staff.id, FollowUpStatus.unfounded, "核实不属实")
    assert unfounded.status == FollowUpStatus.unfounded
