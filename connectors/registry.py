"""The channels the gateway serves, listed once.

The app factory mounts every connector's routes (a channel that is off answers 404), starts
the configured ones in its lifespan and stops them on shutdown; the handoff sends every
later message to a citizen through `connector_for(conversation.channel).send(...)`.
"""

from __future__ import annotations

from fastapi import APIRouter

from connectors.base import ChannelContext, Connector
from connectors.rest import RestConnector, WidgetConnector
from connectors.telegram.connector import TelegramConnector
from connectors.wechat.connector import OfficialAccountConnector
from connectors.wechat.wecom import WeComConnector

# REST, the web widget (served by the REST routes, recorded and pushed as its own channel),
# Telegram, WeChat Official Account, WeCom.
CONNECTORS: tuple[type[Connector], ...] = (
    RestConnector,
    WidgetConnector,
    TelegramConnector,
    OfficialAccountConnector,
    WeComConnector,
)


def channel_routes() -> list[APIRouter]:
    return [kind.routes for kind in CONNECTORS]


class Channels:
    """The connectors running in this gateway, by channel name."""

    def __init__(self) -> None:
        self._running: dict[str, Connector] = {}

    def connector_for(self, channel: str) -> Connector | None:
        """None for a channel that is not configured here (its messages stay in the store)."""
        return self._running.get(channel)

    async def start(self, context: ChannelContext) -> None:
        for kind in CONNECTORS:
            connector = kind.from_context(context)
            if connector is not None:
                await connector.start()
                self._running[kind.name] = connector

    async def stop(self) -> None:
        running, self._running = list(self._running.values()), {}
        for connector in running:
            await connector.stop()
