"""What the two WebSockets (the citizen's chat, the staff console) share.

A socket must never die on what a client sends: a frame that is binary, not JSON, or JSON of
the wrong shape is answered with `{"type": "error", "detail": "…"}` in Chinese and the
socket stays open. A bad query parameter is answered the same way, then the socket is closed
with 1008 (policy violation); closing before accepting would give the browser only an HTTP
403 and no reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

POLICY_VIOLATION = 1008
Event = dict[str, Any]


class BadFrameError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def error_frame(detail: str) -> Event:
    return {"type": "error", "detail": detail}


async def receive_json_frame(websocket: WebSocket) -> Any:
    """The next client frame, parsed; BadFrameError for a binary frame or text that is not JSON."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    if text is None:
        raise BadFrameError("只接受 JSON 文本消息，不接受二进制消息")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BadFrameError("消息不是合法的 JSON") from exc


async def close_with_error(websocket: WebSocket, detail: str, code: int = POLICY_VIOLATION) -> None:
    """For an accepted socket whose request itself is wrong: say why, then close (1008, or a
    code of the 4000s the client acts on)."""
    await websocket.send_json(error_frame(detail))
    await websocket.close(code=code, reason="invalid request")


async def _answer(frame: asyncio.Task[Any], on_frame: Callable[[Any], Awaitable[Event]]) -> Event:
    try:
        body = frame.result()
    except BadFrameError as exc:
        return error_frame(exc.detail)
    return await on_frame(body)


async def relay(
    websocket: WebSocket,
    pushed: asyncio.Queue[Event],
    on_event: Callable[[Event], Event | None],
    on_frame: Callable[[Any], Awaitable[Event]],
    first: Iterable[Event] = (),
) -> None:
    """Send `first`, then until the client leaves: each pushed event goes out as `on_event`
    shapes it (None: not for this client), and each client frame is answered with what
    `on_frame` returns (an error message for a frame that is not JSON text)."""
    incoming = asyncio.create_task(receive_json_frame(websocket))
    outgoing = asyncio.create_task(pushed.get())
    try:
        for opening in first:
            await websocket.send_json(opening)
        while True:
            done, _ = await asyncio.wait({incoming, outgoing}, return_when=asyncio.FIRST_COMPLETED)
            if outgoing in done:
                event = on_event(outgoing.result())
                if event is not None:
                    await websocket.send_json(event)
                outgoing = asyncio.create_task(pushed.get())
            if incoming in done:
                await websocket.send_json(await _answer(incoming, on_frame))
                incoming = asyncio.create_task(receive_json_frame(websocket))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        for task in (incoming, outgoing):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await asyncio.gather(incoming, outgoing, return_exceptions=True)
