"""The Telegram connector's rendering, offline (no network, no Rasa): long answers split
under 4,096 characters at line breaks, buttons as an inline keyboard whose short callback
data finds the full payload in the stored message, graceful text for channels without
buttons."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.contracts.conversation import OutgoingMessage, Role
from bot.gateway.app import create_app
from bot.gateway.bus import LocalBus
from bot.gateway.conversation import ConversationRouter
from bot.gateway.handoff import HandoffService
from bot.gateway.rasa_client import RasaClient
from bot.office_hours import OfficeHours
from bot.persistence.follow_ups import FollowUpStore
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.store import ConversationStore, create_db_engine
from bot.persistence.tickets import TicketStore
from bot.work_calendar import WorkCalendar
from connectors.base import buttons_as_lines, split_text
from connectors.registry import Channels
from connectors.telegram.connector import CHANNEL, TelegramConnector
from knowledge.search import KnowledgeBase
from tests.conftest import make_settings
from tests.telegram_offline import OfflineRequest


@pytest.fixture
async def connector(
    tmp_path: Path, kb: KnowledgeBase
) -> AsyncIterator[tuple[TelegramConnector, OfflineRequest]]:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade_to_head(url)
    engine = create_db_engine(url)
    store = ConversationStore(engine)
    rasa = RasaClient(["http://127.0.0.1:9"], "http://127.0.0.1:9", 1.0)
    hours = OfficeHours.parse("mon-sun 00:00-24:00", [], [], "Asia/Shanghai")
    handoff = HandoffService(store, TicketStore(engine), rasa, LocalBus(), hours, kb, Channels())
    request = OfflineRequest()
    telegram = TelegramConnector(
        ConversationRouter(store, rasa, handoff, FollowUpStore(engine, WorkCalendar())),
        store,
        "1:T",
        "http://offline/bot",
        request,
    )
    await telegram.application.initialize()
    yield telegram, request
    await telegram.application.shutdown()
    await rasa.aclose()
    engine.dispose()


def test_split_text_keeps_lines_whole_and_under_the_limit() -> None:
    text = "\n".join(f"{n}. " + "材料" * 30 for n in range(1, 200))
    parts = split_text(text, 4096)
    assert len(parts) > 1 and all(0 < len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text
    assert split_text("字" * 9000, 4096) == ["字" * 4096, "字" * 4096, "字" * 808]


def test_buttons_degrade_to_numbered_lines() -> None:
    message = OutgoingMessage(
        id=1,
        text="请选择：",
        buttons=[{"title": "是的", "payload": "/affirm"}, {"title": "不是", "payload": "/deny"}],
    )
    assert buttons_as_lines(message) == "请选择：\n1. 是的\n2. 不是\n（回复数字即可选择）"


async def test_a_long_answer_is_split_and_the_keyboard_rides_on_the_last_part(
    connector: tuple[TelegramConnector, OfflineRequest],
) -> None:
    telegram, request = connector
    long_text = "\n".join(f"{n}. 第{n}项材料：" + "复印件" * 40 for n in range(1, 80))
    buttons = [{"title": "收费标准", "payload": '/ask_fee{"service_item": "certificates.id_card_reissue"}'}]
    await telegram.send("77", OutgoingMessage(id=5, text=long_text, buttons=buttons))
    sent = request.sent()
    assert len(sent) >= 3 and all(len(part["text"]) <= 4096 for part in sent)
    assert "\n".join(part["text"] for part in sent) == long_text
    assert all("reply_markup" not in part for part in sent[:-1])
    assert sent[-1]["reply_markup"] == {"inline_keyboard": [[{"text": "收费标准", "callback_data": "b:5:0"}]]}


async def test_callback_data_is_resolved_only_within_the_same_chat(
    connector: tuple[TelegramConnector, OfflineRequest],
) -> None:
    telegram, _ = connector
    store: ConversationStore = telegram._store
    conversation = store.open_conversation(CHANNEL, "88")
    payload = '/ask_fee{"service_item": "certificates.id_card_reissue"}'
    stored = store.append(
        conversation.id, Role.bot, "…", {"buttons": [{"title": "收费标准", "payload": payload}]}
    )
    assert telegram._payload_of(f"b:{stored.id}:0", "88") == payload
    assert telegram._payload_of(f"b:{stored.id}:0", "99") is None  # someone else's message
    assert telegram._payload_of(f"b:{stored.id}:5", "88") is None
    assert telegram._payload_of("garbage", "88") is None


async def test_staff_messages_are_labelled(connector: tuple[TelegramConnector, OfflineRequest]) -> None:
    telegram, request = connector
    await telegram.send("77", OutgoingMessage(id=9, text="您好，已为您查询。", role=Role.staff))
    assert request.sent()[-1]["text"] == "【工作人员】您好，已为您查询。"


def test_without_a_token_the_gateway_says_once_that_telegram_is_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="connectors.telegram.connector")
    with TestClient(create_app(make_settings(tmp_path / "var"))) as client:
        assert client.get("/healthz").status_code == 200
        assert client.post("/telegram/webhook", json={}).status_code == 404
    notices = [r.getMessage() for r in caplog.records if "Telegram" in r.getMessage()]
    assert notices == ["未设置 TELEGRAM_TOKEN，本次不启用 Telegram 渠道"]
