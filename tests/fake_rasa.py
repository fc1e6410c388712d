"""A scripted stand-in for the Rasa server (and the action server's /health) on loopback,
for channel tests that need a bot answer but not the NLU: the real dialogue is tested
against the real Rasa server in tests/integration. It counts the turns it was sent."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request

from bot.runner import free_port
from tests.loopback import serving

CHOICES = [{"title": "收费标准", "payload": "/ask_fee"}, {"title": "办理地点", "payload": "/ask_place"}]
HANDOFF = {"type": "handoff", "reason": "request_human", "area": "certificates"}


class FakeRasa:
    def __init__(self, slow_seconds: float = 1.5) -> None:
        self.turns: Counter[str] = Counter()  # (sender + message) → times Rasa was asked
        self.slow_seconds = slow_seconds
        self._lock = threading.Lock()
        self.port = free_port()
        self.app = FastAPI()
        self.app.post("/webhooks/rest/webhook")(self._webhook)
        self.app.post("/conversations/{sender}/tracker/events")(self._ok)
        self.app.post("/conversations/{sender}/trigger_intent")(self._trigger)
        self.app.get("/health")(self._ok)

    async def _ok(self) -> dict[str, Any]:
        return {}

    async def _trigger(self) -> dict[str, Any]:
        return {"messages": [{"text": "工作人员已处理完毕，还有什么可以帮您？"}]}

    async def _webhook(self, request: Request) -> list[dict[str, Any]]:
        body = await request.json()
        sender, text = str(body["sender"]), str(body["message"])
        with self._lock:
            self.turns[f"{sender}|{text}"] += 1
        if text.startswith("/"):
            return [{"text": f"您选择了：{text}"}]
        if "慢" in text:
            await asyncio.sleep(self.slow_seconds)
        if "选择" in text:
            return [{"text": "请选择您要了解的内容：", "buttons": CHOICES}]
        if "长" in text:
            lines = [f"{n}. 第{n}项所需材料：居民户口簿原件及复印件一份" for n in range(1, 80)]
            return [{"text": "\n".join(lines)}]
        if "两条" in text:
            return [{"text": "第一条回复。"}, {"text": "第二条回复。"}]
        if "人工" in text:  # 「住房…人工」: a handoff in the housing area
            area = "housing" if "住房" in text else HANDOFF["area"]
            return [{"text": "好的，正在为您转接人工服务。"}, {"custom": {**HANDOFF, "area": area}}]
        return [{"text": f"收到：{text}"}]

    def asked(self, sender: str, text: str) -> int:
        with self._lock:
            return self.turns[f"{sender}|{text}"]


@contextmanager
def running_fake_rasa(slow_seconds: float = 1.5) -> Iterator[FakeRasa]:
    fake = FakeRasa(slow_seconds)
    with serving(fake.app, fake.port):
        yield fake
