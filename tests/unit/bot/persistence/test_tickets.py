"""The handoff state machine and tickets against real SQLite and PostgreSQL: case numbers,
queue positions, the audit trail, and two staff racing for one ticket."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import TypeVar

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot.contracts.conversation import ConversationState
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.models import Ticket, TicketStatus
from bot.persistence.staff import StaffStore
from bot.persistence.store import ConversationStore, create_db_engine
from bot.persistence.tickets import NewTicket, TicketConflictError, TicketStore


@pytest.fixture
def stores(database_url: str) -> Iterator[tuple[ConversationStore, TicketStore, StaffStore]]:
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    yield ConversationStore(engine), TicketStore(engine), StaffStore(engine)
    engine.dispose()


def new_ticket(conversation_id: str, area: str = "housing", reason: str = "request_human") -> NewTicket:
    return NewTicket(conversation_id, "rest", area, reason, 2, None, None, {"description": "公积金"})


def test_opening_queues_the_conversation_with_a_daily_case_number(
    stores: tuple[ConversationStore, TicketStore, StaffStore],
) -> None:
    conversations, tickets, _ = stores
    first = conversations.open_conversation("rest", "a")
    second = conversations.open_conversation("rest", "b")
    ticket, created = tickets.open_ticket(new_ticket(first.id))
    other, _ = tickets.open_ticket(new_ticket(second.id))
    assert created and re.fullmatch(r"ZW-\d{8}-0001", ticket.case_number)
    assert other.case_number.endswith("-0002")
    assert conversations.get_conversation(first.id).state == ConversationState.queued
    assert (tickets.queue_position(ticket), tickets.queue_position(other)) == (1, 2)
    again, created_again = tickets.open_ticket(new_ticket(first.id, reason="fallback"))
    assert not created_again and again.case_number == ticket.case_number


def test_claim_reply_resolve_moves_the_state_and_keeps_the_reasons(
    stores: tuple[ConversationStore, TicketStore, StaffStore],
) -> None:
    conversations, tickets, staff_store = stores
    staff = staff_store.add("wang", "correct-horse", ["housing"])
    conversation = conversations.open_conversation("rest", "c")
    ticket, _ = tickets.open_ticket(new_ticket(conversation.id))
    with pytest.raises(TicketConflictError):
        tickets.record_reply(ticket.case_number, staff.id)  # not claimed yet
    claimed = tickets.claim(ticket.case_number, staff.id)
    assert claimed.status == TicketStatus.claimed and claimed.claimed_by_name == "wang"
    assert conversations.get_conversation(conversation.id).state == ConversationState.human
    assert tickets.queue_position(claimed) == 0
    replied = tickets.record_reply(ticket.case_number, staff.id)
    assert replied.first_reply_at is not None
    done = tickets.finish(ticket.case_number, staff.id, TicketStatus.resolved, "已电话联系")
    assert done.resolved_at is not None and done.note == "已电话联系"
    assert conversations.get_conversation(conversation.id).state == ConversationState.bot
    trail = [(e["from"], e["to"], e["reason"]) for e in tickets.events(conversation.id)]
    assert trail == [
        ("bot", "queued", "request_human"),
        ("queued", "human", "claimed"),
        ("human", "bot", "resolved"),
    ]
    with pytest.raises(TicketConflictError):
        tickets.finish(ticket.case_number, staff.id, TicketStatus.closed, "")


def test_closing_ends_the_conversation_until_the_citizen_writes_again(
    stores: tuple[ConversationStore, TicketStore, StaffStore],
) -> None:
    conversations, tickets, staff_store = stores
    staff = staff_store.add("li", "correct-horse", ["housing"])
    conversation = conversations.open_conversation("rest", "d")
    ticket, _ = tickets.open_ticket(new_ticket(conversation.id))
    tickets.finish(ticket.case_number, staff.id, TicketStatus.closed, "重复提问")
    assert conversations.get_conversation(conversation.id).state == ConversationState.closed
    assert tickets.reopen_closed(conversation.id)
    assert conversations.get_conversation(conversation.id).state == ConversationState.bot
    assert not tickets.reopen_closed(conversation.id)


def test_someone_elses_ticket_cannot_be_answered_or_resolved(
    stores: tuple[ConversationStore, TicketStore, StaffStore],
) -> None:
    conversations, tickets, staff_store = stores
    owner = staff_store.add("zhao", "correct-horse", ["housing"])
    other = staff_store.add("qian", "correct-horse", ["housing"])
    ticket, _ = tickets.open_ticket(new_ticket(conversations.open_conversation("rest", "e").id))
    tickets.claim(ticket.case_number, owner.id)
    with pytest.raises(TicketConflictError):
        tickets.record_reply(ticket.case_number, other.id)
    with pytest.raises(TicketConflictError):
        tickets.finish(ticket.case_number, other.id, TicketStatus.resolved, "")


def test_search_by_area_status_and_text(stores: tuple[ConversationStore, TicketStore, StaffStore]) -> None:
    conversations, tickets, _ = stores
    housing, _ = tickets.open_ticket(new_ticket(conversations.open_conversation("rest", "f").id))
    tickets.open_ticket(new_ticket(conversations.open_conversation("rest", "g").id, area="transport"))
    assert [t.case_number for t in tickets.search(["housing"], ["queued"])] == [housing.case_number]
    assert len(tickets.search(None, ["queued", "claimed"])) == 2
    found = tickets.search(None, [], housing.case_number[-4:])
    assert [t.case_number for t in found] == [housing.case_number]


T = TypeVar("T")


def at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Run every call in its own thread, released together by a barrier; their results."""
    barrier = threading.Barrier(len(calls))
    results: list[T] = []
    lock = threading.Lock()

    def run(call: Callable[[], T]) -> None:
        barrier.wait()
        result = call()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def race_for(tickets: TicketStore, case_number: str, staff_ids: list[int]) -> list[str]:
    """Every staff member claims at the same instant."""

    def claim(staff_id: int) -> str:
        try:
            tickets.claim(case_number, staff_id)
        except TicketConflictError:
            return "lost"
        return "won"

    return at_once([partial(claim, staff_id) for staff_id in staff_ids])


def test_two_staff_claiming_at_once_exactly_one_wins(
    stores: tuple[ConversationStore, TicketStore, StaffStore],
) -> None:
    conversations, tickets, staff_store = stores
    staff_ids = [staff_store.add(f"s{i}", "correct-horse", ["housing"]).id for i in range(8)]
    for round_ in range(5):
        conversation = conversations.open_conversation("rest", f"race{round_}")
        ticket, _ = tickets.open_ticket(new_ticket(conversation.id))
        outcomes = race_for(tickets, ticket.case_number, staff_ids)
        assert sorted(outcomes) == ["lost"] * 7 + ["won"], outcomes
        holder = tickets.get(ticket.case_number)
        assert holder is not None and holder.status == TicketStatus.claimed
        events = [e for e in tickets.events(ticket.conversation_id) if e["reason"] == "claimed"]
        assert len(events) == 1 and events[0]["staff_id"] == holder.claimed_by


def test_a_transfer_keeps_case_number_and_clock_requeues_and_is_audited(
    stores: tuple[ConversationStore, TicketStore, StaffStore],
) -> None:
    conversations, tickets, staff_store = stores
    staff = staff_store.add("tr", "correct-horse", ["housing"])
    conversation = conversations.open_conversation("rest", "t1")
    ticket, _ = tickets.open_ticket(new_ticket(conversation.id))
    tickets.claim(ticket.case_number, staff.id)
    moved, left = tickets.transfer(ticket.case_number, staff.id, "social_security", "问的是社保转移")
    assert left == "housing"
    assert (moved.case_number, moved.id, moved.created_at) == (
        ticket.case_number,
        ticket.id,
        ticket.created_at,
    )
    assert moved.area == "social_security" and moved.status == TicketStatus.queued
    assert moved.claimed_by is None and moved.claimed_at is None
    assert conversations.get_conversation(conversation.id).state == ConversationState.queued
    trail = [(e["from"], e["to"], e["reason"]) for e in tickets.events(conversation.id)]
    assert trail[-1] == ("human", "queued", "transferred")
    [audit] = tickets.transfers(ticket.id)
    assert (audit["from_area"], audit["to_area"], audit["reason"], audit["staff"]) == (
        "housing",
        "social_security",
        "问的是社保转移",
        "tr",
    )
    with pytest.raises(TicketConflictError):
        tickets.transfer(ticket.case_number, staff.id, "social_security", "again")  # already there
    tickets.finish(ticket.case_number, staff.id, TicketStatus.closed, "")
    with pytest.raises(TicketConflictError):
        tickets.transfer(ticket.case_number, staff.id, "housing", "finished")


def test_concurrent_handoffs_in_one_conversation_open_one_ticket(
    stores: tuple[ConversationStore, TicketStore, StaffStore],
) -> None:
    conversations, tickets, _ = stores
    for round_ in range(4):
        conversation = conversations.open_conversation("rest", f"handoff{round_}")
        opened = at_once([partial(tickets.open_ticket, new_ticket(conversation.id)) for _ in range(4)])
        assert sorted(created for _, created in opened) == [False, False, False, True]
        assert len({ticket.case_number for ticket, _ in opened}) == 1
    assert len(tickets.search(None, ["queued", "claimed"])) == 4


def test_the_database_refuses_a_second_open_ticket_but_not_a_new_one_after_closing(
    stores: tuple[ConversationStore, TicketStore, StaffStore],
) -> None:
    """The partial unique index of migration 0007 itself, without the store's own check."""
    conversations, tickets, _ = stores
    conversation = conversations.open_conversation("rest", "twice")
    first, _ = tickets.open_ticket(new_ticket(conversation.id))
    row = {
        "conversation_id": conversation.id,
        "channel": "rest",
        "area": "housing",
        "reason": "request_human",
        "priority": 2,
        "packet": {},
        "note": "",
    }
    with tickets._sessions() as session, pytest.raises(IntegrityError):
        session.execute(insert(Ticket).values(case_number="ZW-X-0001", status="claimed", **row))
        session.commit()
    with tickets._sessions() as session:
        session.execute(insert(Ticket).values(case_number="ZW-X-0002", status="resolved", **row))
        session.commit()
    assert tickets.open_ticket_of(conversation.id) == first
