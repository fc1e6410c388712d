"""Telegram updates are handled concurrently across chats and in order within one chat: the
gateway in-process in webhook mode, the fake Bot API server and a scripted Rasa on loopback
(a message with 慢 takes Rasa 1.5 s), updates posted to the webhook as Telegram posts them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.gateway.app import create_app
from connectors.telegram.connector import SECRET_HEADER
from tests.conftest import make_settings
from tests.fake_rasa import running_fake_rasa
from tests.fake_telegram import FakeTelegram, running_fake_telegram, text_update


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, FakeTelegram]]:
    with running_fake_rasa() as rasa, running_fake_telegram() as fake:
        settings = make_settings(
            tmp_path_factory.mktemp("telegram") / "var",
            RASA_PORT=rasa.port,
            TELEGRAM_TOKEN="7000001:TEST-token",
            TELEGRAM_API_URL=fake.api_url,
            TELEGRAM_WEBHOOK_URL="http://127.0.0.1:9/telegram/webhook",
        )
        with TestClient(create_app(settings)) as client:
            client.headers[SECRET_HEADER] = settings.effective_telegram_secret
            yield client, fake


def test_a_slow_turn_in_one_chat_does_not_hold_up_another_and_each_chat_keeps_its_order(
    gateway: tuple[TestClient, FakeTelegram],
) -> None:
    client, fake = gateway
    for chat, text in ((501, "慢：第一句"), (502, "你好"), (501, "第二句")):
        assert client.post("/telegram/webhook", json=text_update(chat, text)).status_code == 200
    sent = [(int(m["chat_id"]), m["text"]) for m in fake.wait_for(3)]
    assert sent[0] == (502, "收到：你好")  # not behind chat 501's slow turn
    assert [text for chat, text in sent if chat == 501] == ["收到：慢：第一句", "收到：第二句"]
