"""CORS for the widget's public routes only.

The widget on another site calls the citizen chat API (`/api/v1/chat…`) from the page's
origin, so those routes answer the origins in `WIDGET_ORIGINS`. Nothing else is meant to be
called from a foreign page: staff, tickets, the knowledge base and login answer no foreign
origin (a browser then refuses the page a look at the response). `/widget.js` is loaded by a
script tag, which needs no CORS; the citizen WebSocket is not subject to CORS at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

WIDGET_API_PREFIX = "/api/v1/chat"


def is_widget_api(path: str) -> bool:
    return path == WIDGET_API_PREFIX or path.startswith(WIDGET_API_PREFIX + "/")


class WidgetCORSMiddleware:
    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app, allow_origins=origins, allow_methods=["GET", "POST"], allow_headers=["*"]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_widget_api(scope["path"]):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
