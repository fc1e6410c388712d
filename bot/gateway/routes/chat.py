"""The REST chat surface of DESIGN.md's contract (`POST /api/v1/chat`, later replies)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.gateway.conversation import OutgoingMessage
from bot.gateway.deps import RouterDep

router = APIRouter(prefix="/api/v1/chat", tags=["chat"])

REST_CHANNEL = "rest"
MAX_TEXT_CHARS = 1000
SenderId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@\-]+$")]


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
async def chat(body: ChatRequest, conversations: RouterDep) -> ChatResponse:
    result = await conversations.handle_citizen_message(REST_CHANNEL, body.sender_id, body.text)
    return ChatResponse(
        conversation_id=result.conversation.id,
        state=result.conversation.state.value,
        messages=[ChatMessage.of(m) for m in result.messages],
    )


@router.get("/{sender_id}/messages", response_model=ChatResponse)
async def messages_after(
    sender_id: SenderId, conversations: RouterDep, after: Annotated[int, Query(ge=0)] = 0
) -> ChatResponse:
    found = await conversations.messages_after(REST_CHANNEL, sender_id, after)
    if found is None:
        raise HTTPException(status_code=404, detail="没有找到该用户的会话")
    conversation, messages = found
    return ChatResponse(
        conversation_id=conversation.id,
        state=conversation.state.value,
        messages=[ChatMessage.of(m) for m in messages],
    )
