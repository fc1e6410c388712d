"""The action server returns only the slot events that change a slot, and the conversation
reads the same without the others."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SlotSet, UserUttered

from bot.actions.answer_question import item_before_this_message, items_discussed
from bot.actions.slot_events import changed_slots_only

SLOTS = {"service_item": "certificates.id_card_reissue", "candidates": None, "fallback_count": 0.0}


def test_a_slot_set_to_the_value_it_holds_is_left_out() -> None:
    events = [
        SlotSet("service_item", "certificates.id_card_reissue"),
        SlotSet("candidates", None),
        SlotSet("fallback_count", 0),  # an int against the float slot's 0.0: the same value
        SlotSet("question_type", "fee"),  # not among the tracker's slots: kept
    ]
    assert changed_slots_only(events, SLOTS) == [SlotSet("question_type", "fee")]


def test_changes_are_kept_in_order_against_the_value_each_one_leaves() -> None:
    events = [
        SlotSet("candidates", ["a", "b"]),
        SlotSet("candidates", None),  # back to what it held: it changes the value just set
        SlotSet("candidates", None),
        SlotSet("service_item", "housing.fund_withdrawal_rent"),
    ]
    assert changed_slots_only(events, SLOTS) == [events[0], events[1], events[3]]


def test_events_other_than_slots_are_all_kept() -> None:
    events: list[dict[str, Any]] = [{"event": "bot", "text": "您好"}, ActionExecuted("action_listen")]
    assert changed_slots_only(events, SLOTS) == events


def _tracker(events: list[dict[str, Any]]) -> Tracker:
    return Tracker("c", {}, {"text": "在哪办"}, events, False, None, {}, "action_listen")


def test_the_items_a_conversation_was_about_read_the_same_without_the_repeated_sets() -> None:
    """Three turns as our actions answered them: each answer says the item again."""
    id_card, fund = "certificates.id_card_reissue", "housing.fund_withdrawal_rent"
    turns = [
        [SlotSet("service_item", id_card)],
        [SlotSet("service_item", id_card)],
        [SlotSet("service_item", fund)],
    ]
    every_event: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    slots: dict[str, Any] = {"service_item": None}
    for text, said in zip(("补身份证", "多少钱", "租房提取公积金呢"), turns, strict=True):
        for events in (every_event, changed):
            events.append(UserUttered(text))
        every_event += said
        changed += changed_slots_only(said, slots)
        slots["service_item"] = said[-1]["value"]
    for events in (every_event, changed):
        events.append(UserUttered("在哪办"))
    assert len(changed) < len(every_event)
    for reading in (item_before_this_message, items_discussed):
        assert reading(_tracker(changed)) == reading(_tracker(every_event))
    assert items_discussed(_tracker(changed)) == (fund, id_card)
