"""An offline request class for python-telegram-bot (after its own test suite's
OfflineRequest): the Bot API answered in-process, every call recorded, no network at all."""

from __future__ import annotations

import json
import time
from typing import Any

from telegram.request import BaseRequest, RequestData

from tests.fake_telegram import BOT_USER


class OfflineRequest(BaseRequest):
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._message_id = 1

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = {
            key: json.loads(value) if value[:1] in "{[" else value
            for key, value in (request_data.json_parameters if request_data else {}).items()
        }
        self.calls.append((name, params))
        result: Any = True
        if name == "getMe":
            result = BOT_USER
        elif name == "sendMessage":
            self._message_id += 1
            chat = {"id": int(params["chat_id"]), "type": "private"}
            result = {
                "message_id": self._message_id,
                "date": int(time.time()),
                "chat": chat,
                "text": params["text"],
            }
        elif name not in {"setWebhook", "deleteWebhook", "answerCallbackQuery"}:
            raise AssertionError(f"意外的 Bot API 调用：{name}")
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def sent(self) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == "sendMessage"]
