"""bot/contracts/conversation.py: the conversation states move only as `STATE_TRANSITIONS`
allows; a message on its way in or out is a frozen pydantic model, and one read from the
store keeps its `data` exactly as stored while offering it typed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from bot.contracts.conversation import (
    STATE_TRANSITIONS,
    Button,
    ConversationState,
    InboundMessage,
    OutgoingMessage,
    Role,
    StateTransitionError,
    StoredMessage,
    check_transition,
)
from bot.contracts.replies import HandoffAck, Rating


def stored(payload: dict[str, Any], role: Role = Role.bot) -> StoredMessage:
    return StoredMessage(id=7, role=role, text="您好", payload=payload, created_at=dt.datetime.now(dt.UTC))


def test_state_transitions() -> None:
    assert set(STATE_TRANSITIONS) == set(ConversationState)
    check_transition(ConversationState.bot, ConversationState.queued)
    check_transition(ConversationState.human, ConversationState.bot)
    check_transition(ConversationState.closed, ConversationState.bot)
    for wrong in [
        (ConversationState.bot, ConversationState.human),
        (ConversationState.bot, ConversationState.closed),
        (ConversationState.closed, ConversationState.human),
    ]:
        with pytest.raises(StateTransitionError):
            check_transition(*wrong)


def test_an_inbound_message_is_frozen_and_takes_only_its_fields() -> None:
    inbound = InboundMessage(channel="telegram", sender_id="77", text="身份证怎么补办")
    assert inbound == InboundMessage(channel="telegram", sender_id="77", text="身份证怎么补办")
    with pytest.raises(ValidationError):
        inbound.text = "别的"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        InboundMessage(channel="telegram", sender_id="77", text="…", extra=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        InboundMessage(channel="telegram", sender_id="77", text=None)


def test_an_outgoing_message_reads_its_data_typed() -> None:
    data = {"type": "handoff_ack", "case_number": "ZW1", "queue_position": 1, "office_open": True}
    message = OutgoingMessage(id=1, text="text", data={**data, "next_opening": None})
    assert isinstance(message.reply, HandoffAck) and message.reply.case_number == "ZW1"
    plain = OutgoingMessage(id=2, text="text")
    assert plain.reply is None and plain.buttons == [] and plain.data == {} and plain.role is Role.bot


def test_an_outgoing_message_is_frozen_with_typed_buttons() -> None:
    message = OutgoingMessage(id=3, text="请选择：", buttons=[{"title": "是的", "payload": "/affirm"}])
    assert message.buttons == [Button(title="是的", payload="/affirm")]
    assert message.buttons[0].title == "是的"
    with pytest.raises(ValidationError):
        message.text = "别的"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        OutgoingMessage(id=4, text="…", buttons=[{"title": "没有 payload"}])
    with pytest.raises(ValidationError):
        OutgoingMessage(id="四", text="…")


def test_a_stored_message_goes_out_with_its_data_as_stored() -> None:
    """The gateway adds `case_number` to the replies ending a handoff, of any kind or none:
    the message keeps it (the widget reads it), and `reply` is still the typed kind."""
    buttons = [{"title": "5 分 非常满意", "payload": '/rate{"rating": "5"}'}]
    payload = {"buttons": buttons, "data": {"type": "rating", "score": 5, "case_number": "ZW9"}}
    message = OutgoingMessage.from_stored(stored(payload))
    assert message.id == 7 and message.text == "您好" and message.role is Role.bot
    assert [b.model_dump() for b in message.buttons] == buttons
    assert message.data == payload["data"]
    assert isinstance(message.reply, Rating) and message.reply.score == 5
    payload["data"]["score"] = 1  # the message holds its own copy
    assert message.data["score"] == 5
    untyped = OutgoingMessage.from_stored(stored({"data": {"case_number": "ZW9"}}))
    assert untyped.data == {"case_number": "ZW9"} and untyped.reply is None


@pytest.mark.parametrize("payload", [{}, {"buttons": None, "data": None}])
def test_a_stored_message_without_buttons_or_data(payload: dict[str, Any]) -> None:
    message = OutgoingMessage.from_stored(stored(payload, Role.staff))
    assert message.buttons == [] and message.data == {} and message.role is Role.staff
