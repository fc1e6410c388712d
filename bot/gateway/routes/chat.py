"""The REST chat surface of DESIGN.md's contract (`POST /api/v1/chat`, later replies)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Annotated, Any, cast

from fastapi import APIRouter, HTTPException, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from bot.gateway.bus import EventBus, conversation_topic
from bot.gateway.conversation import ConversationRouter, OutgoingMessage
from bot.gateway.deps import RestDep, RouterDep
from bot.gateway.errors import ASSISTANT_UNAVAILABLE
from bot.gateway.rasa_client import RasaUnavailableError
from connectors.base import InboundMessage
from connectors.rest import CHANNEL as REST_CHANNEL
from connectors.rest import RestConnector

router = APIRouter(prefix="/api/v1/chat", tags=["chat"])

MAX_TEXT_CHARS = 1000
SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_.:@\-]+$")
SenderId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=SENDER_PATTERN.pattern)]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender_id: SenderId
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_CHARS)]


class Button(BaseModel):
    title: str
    payload: str


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
            buttons=[Button(**b) for b in message.buttons],
            data=message.data,
        )


class ChatResponse(BaseModel):
    conversation_id: str
    state: str
    messages: list[ChatMessage]


@router.post("", response_model=ChatResponse)
async def chat(body: ChatRequest, rest: RestDep) -> ChatResponse:
    result = await rest.handle(InboundMessage(REST_CHANNEL, body.sender_id, body.text))
    return ChatResponse(
        conversation_id=result.conversation.id,
        state=result.conversation.state.value,
        messages=[ChatMessage.of(m) for m in result.messages],
    )


@router.get("/{sender_id}/messages", response_model=ChatResponse)
async def messages_after(
    sender_id: SenderId,
    conversations: RouterDep,
    after: Annotated[int, Query(ge=0)] = 0,
    history: Annotated[bool, Query(description="连同市民自己的消息一起返回（重建聊天记录用）")] = False,
) -> ChatResponse:
    found = await conversations.messages_after(REST_CHANNEL, sender_id, after, history)
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
    they are stored. `?after=ID` first replays what was stored while the citizen was away."""
    if not SENDER_PATTERN.match(sender_id) or len(sender_id) > 128:
        await websocket.close(code=4422, reason="invalid sender_id")
        return
    await websocket.accept()
    conversations = cast(ConversationRouter, websocket.app.state.router)
    rest = cast(RestConnector, websocket.app.state.rest)
    bus = cast(EventBus, websocket.app.state.bus)
    conversation = await conversations.open(REST_CHANNEL, sender_id)
    after = int(websocket.query_params.get("after", "0") or 0)
    async with bus.subscribe(conversation_topic(conversation.id)) as pushed:
        if after:
            found = await conversations.messages_after(REST_CHANNEL, sender_id, after)
            for message in found[1] if found else []:
                await websocket.send_json(
                    {"type": "message", "message": ChatMessage.of(message).model_dump()}
                )
        incoming = asyncio.create_task(websocket.receive_json())
        outgoing = asyncio.create_task(pushed.get())
        try:
            while True:
                done, _ = await asyncio.wait({incoming, outgoing}, return_when=asyncio.FIRST_COMPLETED)
                if outgoing in done:
                    event = outgoing.result()
                    await websocket.send_json({"type": "message", "message": event["message"]})
                    outgoing = asyncio.create_task(pushed.get())
                if incoming in done:
                    await websocket.send_json(await _socket_turn(rest, sender_id, incoming.result()))
                    incoming = asyncio.create_task(websocket.receive_json())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            for task in (incoming, outgoing):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await asyncio.gather(incoming, outgoing, return_exceptions=True)


async def _socket_turn(rest: RestConnector, sender_id: str, body: Any) -> dict[str, Any]:
    try:
        request = ChatRequest.model_validate(
            {**(body if isinstance(body, dict) else {}), "sender_id": sender_id}
        )
    except ValidationError:
        return {"type": "error", "detail": f"消息格式不正确：需要 1–{MAX_TEXT_CHARS} 个字符的 text"}
    try:
        result = await rest.handle(InboundMessage(REST_CHANNEL, sender_id, request.text))
    except RasaUnavailableError:
        return {"type": "error", "detail": ASSISTANT_UNAVAILABLE}
    return {
        "type": "reply",
        "conversation_id": result.conversation.id,
        "state": result.conversation.state.value,
        "messages": [ChatMessage.of(m).model_dump() for m in result.messages],
    }
