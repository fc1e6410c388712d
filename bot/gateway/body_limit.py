"""A ceiling on request bodies (`MAX_REQUEST_BYTES`).

Nothing the gateway accepts is large (a chat message is at most 1000 characters, the largest
knowledge item a few kilobytes), so a big body is a mistake or an attack; without a ceiling
the server reads whatever it is sent into memory. A declared `Content-Length` over the
ceiling is refused before anything is read; a chunked body is counted as it arrives and
refused the moment it passes the ceiling.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The connection still carries the unread rest of the body; it cannot be reused.
_CLOSE = {"Connection": "close"}


def too_large_detail(limit: int) -> str:
    return f"请求内容过大：最多 {limit} 字节"


class RequestTooLargeError(HTTPException):
    """Raised from `receive` when a chunked body passes the ceiling. An HTTPException, so
    whichever code was reading the body (FastAPI's parser, a route's `request.json()`), the
    app's exception handling answers 413 with our detail."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=too_large_detail(limit), headers=_CLOSE)


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = JSONResponse(
                {"detail": too_large_detail(self.max_bytes)}, status_code=413, headers=_CLOSE
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestTooLargeError(self.max_bytes)
            return message

        await self.app(scope, counted_receive, send)
