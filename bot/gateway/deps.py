"""Dependencies: clients live on `app.state` (created in the lifespan) and are injected here,
so tests can swap any of them with `app.dependency_overrides`."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from bot.gateway.bus import EventBus
from bot.gateway.conversation import ConversationRouter
from bot.gateway.login_guard import LoginGuard
from bot.gateway.rasa_client import RasaClient
from bot.gateway.throttle import Throttle
from bot.persistence.store import ConversationStore
from bot.settings import Settings
from knowledge.search import KnowledgeBase


def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def get_store(request: Request) -> ConversationStore:
    return cast(ConversationStore, request.app.state.store)


def get_rasa(request: Request) -> RasaClient:
    return cast(RasaClient, request.app.state.rasa)


def get_knowledge(request: Request) -> KnowledgeBase:
    return cast(KnowledgeBase, request.app.state.knowledge)


def get_router(request: Request) -> ConversationRouter:
    return cast(ConversationRouter, request.app.state.router)


def client_address(connection: HTTPConnection) -> str:
    """The caller's address as the server saw it (behind a reverse proxy, run uvicorn with
    `--proxy-headers` so this is the citizen's, not the proxy's)."""
    return connection.client.host if connection.client else "unknown"


def get_throttle(connection: HTTPConnection) -> Throttle:
    return cast(Throttle, connection.app.state.throttle)


def get_login_guard(request: Request) -> LoginGuard:
    return cast(LoginGuard, request.app.state.login_guard)


def get_bus(request: Request) -> EventBus:
    return cast(EventBus, request.app.state.bus)


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[ConversationStore, Depends(get_store)]
RasaDep = Annotated[RasaClient, Depends(get_rasa)]
KnowledgeDep = Annotated[KnowledgeBase, Depends(get_knowledge)]
RouterDep = Annotated[ConversationRouter, Depends(get_router)]
BusDep = Annotated[EventBus, Depends(get_bus)]
LoginGuardDep = Annotated[LoginGuard, Depends(get_login_guard)]
