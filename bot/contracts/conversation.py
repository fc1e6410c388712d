"""What a conversation is made of, as every layer sees it: who owns it (`ConversationState`),
who said a message (`Role`), a conversation and a stored message as the store hands them
out, a message on its way in from a channel and on its way out to one, and a turn's result.

Shared by the persistence, the conversation router, the HTTP routes and every connector, so
it sits in the core and imports nothing of ours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

HANDOFF = "handoff"  # data.type of the handoff request an action sends


class ConversationState(StrEnum):
    """Who owns the conversation: the bot, the staff queue, a staff member, or nobody."""

    bot = "bot"
    queued = "queued"
    human = "human"
    closed = "closed"


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


@dataclass(frozen=True)
class InboundMessage:
    """What any channel's update boils down to."""

    channel: str
    sender_id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutgoingMessage:
    id: int
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    role: Role = Role.bot

    @classmethod
    def from_stored(cls, message: StoredMessage) -> OutgoingMessage:
        return cls(
            message.id,
            message.text,
            list(message.payload.get("buttons", [])),
            dict(message.payload.get("data", {})),
            message.role,
        )


@dataclass(frozen=True)
class TurnResult:
    conversation: ConversationView
    messages: list[OutgoingMessage]
