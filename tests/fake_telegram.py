"""A fake Telegram Bot API server on loopback: enough of the API for our connector
(getMe, setWebhook, deleteWebhook, getUpdates, sendMessage, answerCallbackQuery), spoken
to over real HTTP the way python-telegram-bot talks to Telegram. It records every call."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request

from bot.runner import free_port
from tests.loopback import serving

BOT_USER = {
    "id": 7000001,
    "is_bot": True,
    "first_name": "示例区政务咨询",
    "username": "zhengwu_sample_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


class FakeTelegram:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._message_id = 1000
        self.port = free_port()
        self.app = FastAPI()
        self.app.post("/bot{token}/{method}")(self._handle)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def _handle(self, token: str, method: str, request: Request) -> dict[str, Any]:
        params = await _params(request)
        with self._lock:
            self.calls.append((method, params))
        if method == "getMe":
            return {"ok": True, "result": BOT_USER}
        if method == "getUpdates":
            await asyncio.sleep(0.2)
            return {"ok": True, "result": []}
        if method == "sendMessage":
            with self._lock:
                self._message_id += 1
                message_id = self._message_id
            chat = {"id": int(params["chat_id"]), "type": "private"}
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat,
                "text": params["text"],
            }
            return {"ok": True, "result": message}
        if method in {"setWebhook", "deleteWebhook", "answerCallbackQuery"}:
            return {"ok": True, "result": True}
        return {"ok": False, "error_code": 404, "description": f"Not Found: method {method}"}

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    def wait_for(self, count: int, method: str = "sendMessage", timeout: float = 30) -> list[dict[str, Any]]:
        """The first `count` calls of `method`, waiting for them to arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.sent(method)
            if len(found) >= count:
                return found[:count]
            time.sleep(0.1)
        raise AssertionError(f"{method} 只收到 {len(self.sent(method))} 次，期望 {count} 次：{self.calls}")


async def _params(request: Request) -> dict[str, Any]:
    """python-telegram-bot posts form fields whose non-string values are JSON."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body: dict[str, Any] = await request.json()
        return body
    form = await request.form()
    params: dict[str, Any] = {}
    for key, value in form.items():
        text = str(value)
        try:
            params[key] = json.loads(text) if text[:1] in "{[" else text
        except json.JSONDecodeError:
            params[key] = text
    return params


@contextmanager
def running_fake_telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    with serving(fake.app, fake.port):
        yield fake


_update_ids = iter(range(1, 1_000_000))


def text_update(chat_id: int, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_update_ids),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "市民"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": next(_update_ids), "message": message}


def button_update(chat_id: int, data: str) -> dict[str, Any]:
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"cb{next(_update_ids)}",
            "from": {"id": chat_id, "is_bot": False, "first_name": "市民"},
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": next(_update_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": "…",
            },
        },
    }
