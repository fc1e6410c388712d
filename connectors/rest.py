"""The REST connector: `POST /api/v1/chat` and the citizen WebSocket (which the web widget
uses). Replies go back in the response; anything said later (staff, the bot after a
handoff) is published on the conversation's bus topic for connected sockets and stays in
the store for `GET /api/v1/chat/{sender_id}/messages`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, cast

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from bot.contracts.conversation import OutgoingMessage
from bot.gateway.bus import EventBus, conversation_topic
from bot.gateway.conversation import ConversationRouter
from bot.persistence.store import ConversationStore
from connectors.base import Connector

CHANNEL = "rest"


class RestConnector(Connector):
    name = CHANNEL

    def __init__(self, router: ConversationRouter, store: ConversationStore, bus: EventBus) -> None:
        super().__init__(router)
        self._store = store
        self._bus = bus

    async def send(self, recipient: str, message: OutgoingMessage) -> None:
        conversation = await run_in_threadpool(self._store.find_conversation, CHANNEL, recipient)
        if conversation is not None:
            body = {**asdict(message), "role": message.role.value}
            await self._bus.publish(conversation_topic(conversation.id), {"type": "message", "message": body})


def get_rest(request: Request) -> RestConnector:
    return cast(RestConnector, request.app.state.rest)


RestDep = Annotated[RestConnector, Depends(get_rest)]
