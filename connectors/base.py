"""One Connector abstraction for every channel (after opsdroid's connectors and Rasa's
InputChannel/OutputChannel): inbound updates become a normalised message handed to the
conversation router; everything said to a citizen leaves through one `send`.

A connector owns its channel: its HTTP routes (`routes`, mounted whether or not the channel
is configured, answering 404 while it is off), how it is built from the settings
(`from_context`, None when not configured), its start and stop in the gateway's lifespan,
and `send`. `connectors/registry.py` lists them; the app factory only iterates that list.

A channel renders what it can: buttons become an inline keyboard on Telegram, clickable
buttons in the widget, and numbered lines («回复数字即可») where a channel has no buttons.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Self, TypeVar

from fastapi import APIRouter
from sqlalchemy import Engine
from starlette.requests import HTTPConnection

from bot.contracts.conversation import InboundMessage, OutgoingMessage, TurnResult
from bot.gateway.bus import EventBus
from bot.gateway.conversation import ConversationRouter
from bot.gateway.handoff import HandoffService
from bot.persistence.store import ConversationStore
from bot.settings import Settings


def buttons_as_lines(message: OutgoingMessage) -> str:
    """The text with its buttons as numbered choices, for channels without buttons."""
    if not message.buttons:
        return message.text
    choices = "\n".join(f"{number}. {button.title}" for number, button in enumerate(message.buttons, 1))
    return f"{message.text}\n{choices}\n（回复数字即可选择）"


def utf8_size(text: str) -> int:
    """Bytes in UTF-8: WeChat measures its text limits this way (a Chinese character is 3)."""
    return len(text.encode("utf-8"))


def split_text(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """Split at line breaks so no part exceeds `limit` as measured by `size` (characters by
    default); a single longer line is cut at the limit. Parts are never empty."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while size(line) > limit:
            if current:
                parts.append(current)
                current = ""
            cut = _longest_prefix(line, limit, size)
            parts.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if size(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return [part for part in parts if part] or [""]


def _longest_prefix(line: str, limit: int, size: Callable[[str], int]) -> int:
    """How many characters of `line` fit in `limit` (at least one, so splitting ends)."""
    low, high = 1, len(line)
    while low < high:
        middle = (low + high + 1) // 2
        if size(line[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


@dataclass(frozen=True)
class ChannelContext:
    """What the gateway hands every connector when it starts (created in its lifespan)."""

    settings: Settings
    engine: Engine
    store: ConversationStore
    bus: EventBus
    router: ConversationRouter
    handoff: HandoffService


class Connector(ABC):
    """A channel. `handle` is the way in; `send` the one way out."""

    name: ClassVar[str]
    routes: ClassVar[APIRouter]

    def __init__(self, router: ConversationRouter) -> None:
        self.router = router

    @classmethod
    @abstractmethod
    def from_context(cls, context: ChannelContext) -> Self | None:
        """The connector as the settings configure it; None (said once in the log) when the
        channel is not configured."""

    # Optional hooks (empty by design, not abstract): most channels have nothing to start.
    async def start(self) -> None:  # noqa: B027
        """Called once in the gateway's lifespan, before the first request."""

    async def stop(self) -> None:  # noqa: B027
        """Called once when the gateway shuts down."""

    async def handle(self, inbound: InboundMessage) -> TurnResult:
        return await self.router.handle_citizen_message(inbound.channel, inbound.sender_id, inbound.text)

    @abstractmethod
    async def send(self, recipient: str, message: OutgoingMessage) -> None:
        """Deliver one message (text, buttons, lists and links) to a citizen on this channel."""


AnyConnector = TypeVar("AnyConnector", bound=Connector)


def connector_of(connection: HTTPConnection, kind: type[AnyConnector]) -> AnyConnector | None:
    """The running connector of this kind (for its routes), None while its channel is off."""
    found = connection.app.state.channels.connector_for(kind.name)
    return found if isinstance(found, kind) else None
