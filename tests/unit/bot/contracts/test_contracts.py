"""The typed contracts (issue 20, part 3): every `data` kind a message carries is one model,
and dumping it gives the JSON the channels and stored payloads have always carried; every
handoff reason and ticket status has its label. (The messages and conversation states:
test_conversation.py; the follow-up statuses: test_follow_ups.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from bot.contracts.areas import Area
from bot.contracts.replies import (
    Answer,
    HandoffRequest,
    HonestNo,
    ReplyType,
    parse_reply,
    reply_type,
)
from bot.contracts.tickets import HANDOFF_REASON_LABELS, TICKET_STATUS_LABELS, HandoffReason, TicketStatus

# Payloads as the actions and the gateway wrote them before the models (keys in their order).
WIRE: list[dict[str, Any]] = [
    {
        "type": "answer",
        "item_id": "certificates.id_card_reissue",
        "area": "certificates",
        "question": "materials",
        "source": "示例区政务服务网",
        "last_verified": "2024-05-01",
    },
    {"type": "clarify", "question": "fees", "item_ids": ["a.b", "c.d"]},
    {"type": "honest_no", "question": "place"},
    {"type": "honest_no"},
    {"type": "faq", "faq_id": "housing.faq_1", "area": "housing", "confidence": 0.91},
    {"type": "place", "place_id": "hall_1", "question": "hours"},
    {"type": "ask_item"},
    {"type": "out_of_scope"},
    {"type": "rephrase"},
    {"type": "confirm_guess", "item_id": "a.b", "question": "overview"},
    {"type": "rating", "score": 5},
    {
        "type": "handoff",
        "reason": "complaint",
        "area": "transport",
        "area_confidence": 0.75,
        "area_named_by_citizen": False,
        "description": "窗口态度差",
        "service_item": None,
        "intent": "complain",
        "question_type": None,
        "slots": {"feedback_kind": "complaint"},
    },
    {
        "type": "handoff_ack",
        "case_number": "ZW20240501001",
        "queue_position": 2,
        "office_open": True,
        "next_opening": None,
    },
    {"type": "queued", "case_number": "ZW1", "queue_position": 3},
    {"type": "claimed", "case_number": "ZW1"},
    {
        "type": "transferred",
        "case_number": "ZW1",
        "area": "housing",
        "department": "某局",
        "queue_position": 1,
    },
    {"type": "staff_reply", "case_number": "ZW1"},
    {"type": "closed"},
    {"type": "closed", "case_number": "ZW1"},
    {"type": "back_to_bot", "case_number": "ZW1"},
    {"type": "no_reply"},
    {"type": "second_rating", "follow_up": 7},
    {"type": "second_rating_recorded", "recorded": True},
]


@pytest.mark.parametrize("data", WIRE, ids=[f"{d['type']}-{len(d)}" for d in WIRE])
def test_every_kind_parses_and_dumps_to_the_same_json(data: dict[str, Any]) -> None:
    reply = parse_reply(data)
    assert reply is not None and reply.type == data["type"]
    assert list(reply.dump().items()) == list(data.items())


def test_every_kind_has_a_model() -> None:
    assert {d["type"] for d in WIRE} == set(ReplyType)


def test_built_models_dump_what_the_actions_sent() -> None:
    assert HonestNo().dump() == {"type": "honest_no"}
    answer = Answer(item_id="a.b", area=Area.housing, question="fees", source="s", last_verified="2024-01-01")
    assert answer.dump()["area"] == "housing"
    request = HandoffRequest(reason=HandoffReason.fallback, area=Area.education)
    assert request.dump()["reason"] == "fallback" and request.dump()["slots"] == {}
    assert request.as_given() == {"reason": "fallback", "area": "education"}


def test_a_partial_handoff_request_has_the_gateways_defaults() -> None:
    request = parse_reply({"type": "handoff", "reason": "", "area": None, "extra": 1})
    assert isinstance(request, HandoffRequest)
    assert request.reason is HandoffReason.request_human and request.area is Area.other
    assert request.as_given()["extra"] == 1


def test_payloads_without_a_known_kind_are_no_reply() -> None:
    assert parse_reply({}) is None and parse_reply({"case_number": "ZW1"}) is None
    assert parse_reply({"type": "something_else"}) is None and parse_reply(None) is None
    assert parse_reply({"type": "answer"}) is None  # the wrong shape: logged, not raised
    assert reply_type({"type": "answer"}) is ReplyType.answer and reply_type({}) is None


def test_labels_cover_every_reason_and_status() -> None:
    assert set(HANDOFF_REASON_LABELS) == set(HandoffReason)
    assert set(TICKET_STATUS_LABELS) == set(TicketStatus)
