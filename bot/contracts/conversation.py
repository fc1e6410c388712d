"""What a conversation is made of, as every layer sees it: who owns it (`ConversationState`),
the moves between states (`STATE_TRANSITIONS`), who said a message (`Role`), a
conversation and a stored message as the store hands them out, a message on its way in from
a channel and on its way out to one (its `data` typed in `bot.contracts.replies`), and a
turn's result.

Shared by the persistence, the conversation router, the HTTP routes and every connector, so
it sits in the core and imports nothing of ours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.contracts.replies import ReplyData, parse_reply


class ConversationState(StrEnum):
    """Who owns the conversation: the bot, the staff queue, a staff member, or nobody."""

    bot = "bot"
    queued = "queued"
    human = "human"
    closed = "closed"


# Who may take a conversation over from whom (TicketStore moves the state and refuses any
# other move): a handoff queues it, a claim gives it to a person, a transfer queues it again
# (in another area), resolving hands it back to the bot and closing ends it; a citizen who
# writes to a closed conversation starts over with the bot.
STATE_TRANSITIONS: dict[ConversationState, frozenset[ConversationState]] = {
    ConversationState.bot: frozenset({ConversationState.queued}),
    ConversationState.queued: frozenset(
        {ConversationState.human, ConversationState.queued, ConversationState.bot, ConversationState.closed}
    ),
    ConversationState.human: frozenset(
        {ConversationState.queued, ConversationState.bot, ConversationState.closed}
    ),
    ConversationState.closed: frozenset({ConversationState.bot}),
}


class StateTransitionError(ValueError):
    """A conversation moved in a way `STATE_TRANSITIONS` does not allow."""


def check_transition(from_state: ConversationState, to_state: ConversationState) -> None:
    if to_state not in STATE_TRANSITIONS[from_state]:
        raise StateTransitionError(f"会话状态不能从 {from_state.value} 变为 {to_state.value}")


class Role(StrEnum):
    citizen = "citizen"
    bot = "bot"
    staff = "staff"
    system = "system"


@dataclass(frozen=True)
class ConversationView:
    id: str
    channel: str
    external_id: str
    state: ConversationState

    @property
    def sender_key(self) -> str:
        return f"{self.channel}:{self.external_id}"


@dataclass(frozen=True)
class StoredMessage:
    id: int
    role: Role
    text: str
    payload: dict[str, Any]
    created_at: dt.datetime


class InboundMessage(BaseModel):
    """What any channel's update boils down to: built once per citizen message by the
    connector that received it, and handed to the conversation router."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str
    sender_id: str
    text: str


class Button(BaseModel):
    """A choice offered with a message: the title shown, the payload sent back when chosen
    (an intent like `/choose_item{…}`, or the text itself)."""

    model_config = ConfigDict(frozen=True)

    title: str
    payload: str


class OutgoingMessage(BaseModel):
    """One message on its way to a citizen's channel: built once per message (from the store,
    or by a connector for its own notices) and rendered by the connector.

    `data` stays the JSON the message was stored with, so nothing a channel reads is lost
    (the gateway adds `case_number` to the bot's replies that end a handoff, whatever their
    kind, and some replies carry no kind at all); `reply` is its typed view, parsed when asked.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int
    text: str
    buttons: list[Button] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)
    role: Role = Role.bot

    @property
    def reply(self) -> ReplyData | None:
        """`data` as its typed kind (None for a message without one)."""
        return parse_reply(self.data)

    @classmethod
    def from_stored(cls, message: StoredMessage) -> OutgoingMessage:
        return cls(
            id=message.id,
            text=message.text,
            buttons=message.payload.get("buttons") or [],
            data=message.payload.get("data") or {},
            role=message.role,
        )


@dataclass(frozen=True)
class TurnResult:
    conversation: ConversationView
    messages: list[OutgoingMessage]
    opened: bool = False  # this message opened the conversation (its reply carries the token)
