"""The REST connector: the chat surface of DESIGN.md's contract (`POST /api/v1/chat`, later
replies with `GET /api/v1/chat/{sender_id}/messages`) and the citizen WebSocket, which the
web widget (`connectors/webchat/`, whose page and script this connector serves) uses.

Replies to a message go back in the response (or the socket's reply frame); anything said
later (staff, queue notes, the bot after a handoff, a follow-up question) leaves through
`send`, which publishes it on the conversation's bus topic for connected sockets (on any
replica); it stays in the store for `GET /api/v1/chat/{sender_id}/messages`."""

from __future__ import annotations

import re
from functools import partial
from typing import Annotated, Any, ClassVar, Literal, Self, cast

from fastapi import APIRouter, Depends, HTTPException, Query, Request, WebSocket
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from bot.contracts.conversation import Button, InboundMessage, OutgoingMessage
from bot.gateway.bus import EventBus, conversation_topic
from bot.gateway.conversation import ConversationRouter
from bot.gateway.conversation_access import (
    ACCESS_RESPONSES,
    ApiKeyHeaderDep,
    TokenHeaderDep,
    get_conversation_access,
    require_conversation_access,
    socket_access_error,
)
from bot.gateway.deps import RouterDep, client_address, get_throttle
from bot.gateway.errors import ASSISTANT_UNAVAILABLE, error_responses, explain_errors, summarise
from bot.gateway.params import RowId, parse_row_id
from bot.gateway.rasa_client import RasaUnavailableError
from bot.gateway.sockets import Event, close_with_error, error_frame, relay
from bot.gateway.throttle import ChatRules, RateLimitedError
from bot.persistence.store import ConversationStore
from connectors.base import ChannelContext, Connector, connector_of
from connectors.webchat import routes as webchat

CHANNEL: Literal["rest"] = "rest"
# The web widget says who it is (`"channel": "widget"` in the body, `?channel=widget` on the
# history and the socket), so its conversations are recorded as the widget's; any other
# caller of these routes is `rest`. The two are one connector's routes, two channels' data.
WIDGET: Literal["widget"] = "widget"
ChatChannel = Literal["rest", "widget"]
CHAT_CHANNELS: tuple[str, ...] = (CHANNEL, WIDGET)

router = APIRouter(prefix="/api/v1/chat", tags=["chat"])
channel_routes = APIRouter()  # the chat routes, then the widget's page and script

MAX_TEXT_CHARS = 1000
SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_.:@\-]+$")
SenderId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=SENDER_PATTERN.pattern)]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender_id: SenderId
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_CHARS)]
    channel: ChatChannel = Field(default=CHANNEL, description="rest（默认）或 widget（网站对话窗口）")


class ChatMessage(BaseModel):
    id: int
    role: str
    text: str
    buttons: list[Button] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, message: OutgoingMessage) -> ChatMessage:
        return cls(
            id=message.id,
            role=message.role.value,
            text=message.text,
            buttons=message.buttons,
            data=message.data,
        )


class ChatResponse(BaseModel):
    conversation_id: str
    state: str
    messages: list[ChatMessage]
    conversation_token: str | None = Field(
        default=None,
        description="只在开启会话的那次回复中给出：之后读取聊天记录（X-Conversation-Token）、"
        "连接 WebSocket（?token=）时出示",
    )


class RestConnector(Connector):
    name: ClassVar[str] = CHANNEL
    routes = channel_routes

    def __init__(self, router: ConversationRouter, store: ConversationStore, bus: EventBus) -> None:
        super().__init__(router)
        self._store = store
        self._bus = bus

    @classmethod
    def from_context(cls, context: ChannelContext) -> Self:
        """Always on."""
        return cls(context.router, context.store, context.bus)

    async def send(self, recipient: str, message: OutgoingMessage) -> None:
        """To the citizen's open sockets, as `{"type": "message", …}` (the same shape as a
        replayed message); a citizen without one finds it in the history."""
        conversation = await run_in_threadpool(self._store.find_conversation, self.name, recipient)
        if conversation is not None:
            event = _message_event(ChatMessage.of(message).model_dump())
            await self._bus.publish(conversation_topic(conversation.id), event)


def get_rest(connection: HTTPConnection) -> RestConnector:
    connector = connector_of(connection, RestConnector)
    if connector is None:  # started with every gateway
        raise RuntimeError("REST 渠道未启动")
    return connector


class WidgetConnector(RestConnector):
    """The web widget's channel: served by the REST connector's routes (it has none of its
    own), its later messages pushed to the same sockets, its conversations recorded as `widget`."""

    name: ClassVar[str] = WIDGET
    routes = APIRouter()


RestDep = Annotated[RestConnector, Depends(get_rest)]


async def is_new_conversation(connection: HTTPConnection, sender_id: str, channel: str = CHANNEL) -> bool:
    """No conversation yet for this sender: the reply that opens it carries the token."""
    conversations = cast(ConversationRouter, connection.app.state.router)
    return await conversations.find(channel, sender_id) is None


def token_if(connection: HTTPConnection, sender_id: str, issue: bool) -> str | None:
    return get_conversation_access(connection).token_for(sender_id) if issue else None


async def limit(connection: HTTPConnection, sender_id: str, *, reading: bool = False) -> None:
    """Count one message (or one read of the history) for this sender and this address;
    RateLimitedError when either budget is spent."""
    rules = cast(ChatRules, connection.app.state.chat_rules)
    per_sender, per_address = (
        (rules.read_per_sender, rules.read_per_address)
        if reading
        else (rules.send_per_sender, rules.send_per_address)
    )
    await get_throttle(connection).hit((per_sender, sender_id), (per_address, client_address(connection)))


@router.post("", response_model=ChatResponse, responses=error_responses(429, 503))
async def chat(body: ChatRequest, request: Request, rest: RestDep) -> ChatResponse:
    await limit(request, body.sender_id)
    result = await rest.handle(InboundMessage(channel=body.channel, sender_id=body.sender_id, text=body.text))
    return ChatResponse(
        conversation_id=result.conversation.id,
        state=result.conversation.state.value,
        messages=[ChatMessage.of(m) for m in result.messages],
        conversation_token=token_if(request, body.sender_id, result.opened),
    )


@router.get(
    "/{sender_id}/messages",
    response_model=ChatResponse,
    responses={**error_responses(404, 429), **ACCESS_RESPONSES},
)
async def messages_after(
    sender_id: SenderId,
    request: Request,
    conversations: RouterDep,
    token: TokenHeaderDep,
    api_key: ApiKeyHeaderDep,
    after: Annotated[RowId, Query()] = 0,
    history: Annotated[bool, Query(description="连同市民自己的消息一起返回（重建聊天记录用）")] = False,
    channel: Annotated[ChatChannel, Query(description="rest（默认）或 widget（网站对话窗口）")] = CHANNEL,
) -> ChatResponse:
    """Needs the conversation token (`X-Conversation-Token`) or an integrator's `X-API-Key`."""
    await limit(request, sender_id, reading=True)
    require_conversation_access(request, sender_id, token, api_key)
    found = await conversations.messages_after(channel, sender_id, after, history)
    if found is None:
        raise HTTPException(status_code=404, detail="没有找到该用户的会话")
    conversation, messages = found
    return ChatResponse(
        conversation_id=conversation.id,
        state=conversation.state.value,
        messages=[ChatMessage.of(m) for m in messages],
    )


@router.websocket("/{sender_id}/ws")
async def chat_socket(websocket: WebSocket, sender_id: str) -> None:
    """A citizen's live channel: `{"text": …}` in, `{"type": "reply", …}` back; staff replies,
    queue notes and the return to the bot are pushed as `{"type": "message", …}` the moment
    they are stored. `?after=ID` first replays what was stored while the citizen was away.
    A socket that opens a conversation gets its token in each reply; joining an existing one
    needs `?token=` (or `X-API-Key`): otherwise an error message, then close 4401/4403.
    `?channel=widget` (the web widget) records the conversation as the widget's; another
    value than `rest` or `widget` is closed with 4422."""
    if not SENDER_PATTERN.match(sender_id) or len(sender_id) > 128:
        await websocket.close(code=4422, reason="invalid sender_id")
        return
    channel = websocket.query_params.get("channel") or CHANNEL
    if channel not in CHAT_CHANNELS:
        await websocket.close(code=4422, reason="invalid channel")
        return
    await websocket.accept()
    opening = await is_new_conversation(websocket, sender_id, channel)
    refused = None if opening else socket_access_error(websocket, sender_id)
    if refused is not None:
        await close_with_error(websocket, refused.detail, refused.close_code)
        return
    token = token_if(websocket, sender_id, opening)
    try:
        after = parse_row_id(websocket.query_params.get("after") or "0")
    except ValidationError as exc:
        await close_with_error(websocket, summarise(explain_errors(exc.errors(), ("after",))))
        return
    conversations = cast(ConversationRouter, websocket.app.state.router)
    rest = get_rest(websocket)
    bus = cast(EventBus, websocket.app.state.bus)
    conversation = await conversations.open(channel, sender_id)
    async with bus.subscribe(conversation_topic(conversation.id)) as pushed:
        found = await conversations.messages_after(channel, sender_id, after) if after else None
        missed = [_message_event(ChatMessage.of(m).model_dump()) for m in (found[1] if found else [])]
        turn = partial(_socket_turn, websocket, rest, sender_id, channel, token)
        await relay(websocket, pushed, _pushed, turn, missed)


def _message_event(message: dict[str, Any]) -> Event:
    return {"type": "message", "message": message}


def _pushed(event: Event) -> Event:
    return _message_event(event["message"])


async def _socket_turn(
    websocket: WebSocket, rest: RestConnector, sender_id: str, channel: str, token: str | None, body: Any
) -> Event:
    try:
        await limit(websocket, sender_id)
    except RateLimitedError as exc:
        return {**error_frame(exc.detail), "retry_after": exc.retry_after}
    try:
        request = ChatRequest.model_validate(
            {**(body if isinstance(body, dict) else {}), "sender_id": sender_id, "channel": channel}
        )
    except ValidationError:
        return error_frame(f"消息格式不正确：需要 1–{MAX_TEXT_CHARS} 个字符的 text")
    try:
        result = await rest.handle(InboundMessage(channel=channel, sender_id=sender_id, text=request.text))
    except RasaUnavailableError:
        return error_frame(ASSISTANT_UNAVAILABLE)
    return {
        "type": "reply",
        "conversation_id": result.conversation.id,
        "state": result.conversation.state.value,
        "messages": [ChatMessage.of(m).model_dump() for m in result.messages],
        **({"conversation_token": token} if token else {}),
    }


channel_routes.include_router(router)
channel_routes.include_router(webchat.router)
