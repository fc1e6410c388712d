"""Telegram end to end: a gateway with TELEGRAM_TOKEN in webhook mode, a fake Bot API
server on loopback, and updates posted to the webhook exactly as Telegram posts them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.runner import Supervisor, children
from bot.settings import Settings
from connectors.telegram.connector import SECRET_HEADER
from tests.conftest import make_settings
from tests.fake_telegram import FakeTelegram, button_update, running_fake_telegram, text_update
from tests.staff import bearer, ensure_staff

pytestmark = pytest.mark.integration
CHAT = 424242


@pytest.fixture(scope="module")
def telegram_gateway(
    system: tuple[Settings, Supervisor], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, FakeTelegram]]:
    shared, _ = system
    with running_fake_telegram() as fake:
        settings = make_settings(
            tmp_path_factory.mktemp("telegram") / "var",
            RASA_PORT=shared.rasa_port,
            ACTIONS_PORT=shared.actions_port,
            TELEGRAM_TOKEN="7000001:TEST-token",
            TELEGRAM_API_URL=fake.api_url,
            OFFICE_HOURS="mon-sun 00:00-24:00",
        )
        settings = settings.model_copy(
            update={"telegram_webhook_url": f"http://127.0.0.1:{settings.port}/telegram/webhook"}
        )
        gateway = Supervisor([children(settings, shared.models_dir)[-1]])
        gateway.start()
        try:
            gateway.wait_ready()
            yield settings, fake
        finally:
            gateway.stop()


def post_update(settings: Settings, update: dict[str, object], secret: str | None = None) -> httpx.Response:
    headers = {SECRET_HEADER: secret if secret is not None else settings.effective_telegram_secret}
    return httpx.post(
        f"http://127.0.0.1:{settings.port}/telegram/webhook", json=update, headers=headers, timeout=10
    )


def test_webhook_is_registered_with_its_secret(telegram_gateway: tuple[Settings, FakeTelegram]) -> None:
    settings, fake = telegram_gateway
    [registered] = fake.wait_for(1, "setWebhook")
    assert registered["url"] == settings.telegram_webhook_url
    assert registered["secret_token"] == settings.effective_telegram_secret
    assert post_update(settings, text_update(CHAT, "你好"), secret="wrong").status_code == 403


def test_start_greets_and_a_question_gets_the_answer_with_an_inline_keyboard(
    telegram_gateway: tuple[Settings, FakeTelegram],
) -> None:
    settings, fake = telegram_gateway
    before = len(fake.sent())
    assert post_update(settings, text_update(CHAT, "/start")).status_code == 200
    greeting = fake.wait_for(before + 1)[-1]
    assert greeting["chat_id"] == str(CHAT) and "政务咨询助手" in greeting["text"]

    post_update(settings, text_update(CHAT, "补办身份证要带什么材料"))
    answer = fake.wait_for(before + 2)[-1]
    assert answer["text"].startswith("【居民身份证补领】所需材料：\n1. ")
    keyboard = answer["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["收费标准", "办理地点", "办理时限"]

    post_update(settings, button_update(CHAT, keyboard[0][0]["callback_data"]))
    fee = fake.wait_for(before + 3)[-1]
    assert fee["text"].startswith("【居民身份证补领】收费标准：") and "20 元" in fee["text"]
    assert fake.wait_for(1, "answerCallbackQuery")


def test_a_staff_reply_is_pushed_to_the_telegram_chat(
    telegram_gateway: tuple[Settings, FakeTelegram],
) -> None:
    settings, fake = telegram_gateway
    ensure_staff(settings, "tg_clerk", "--areas", "housing,certificates,transport,other")
    before = len(fake.sent())
    post_update(settings, text_update(CHAT + 1, "我要人工"))
    ack = fake.wait_for(before + 2)[-1]
    assert "受理编号" in ack["text"]
    case = ack["text"].split("受理编号：", 1)[1][:16]
    with httpx.Client(base_url=f"http://127.0.0.1:{settings.port}", timeout=30) as api:
        staff = bearer(api, "tg_clerk")
        assert api.post(f"/api/v1/tickets/{case}/claim", headers=staff).status_code == 200
        reply = api.post(
            f"/api/v1/tickets/{case}/reply", headers=staff, json={"text": "您好，请问要办理什么？"}
        )
        assert reply.status_code == 200
    pushed = fake.wait_for(before + 4)
    assert pushed[-1]["text"] == "【工作人员】您好，请问要办理什么？"
    assert pushed[-1]["chat_id"] == str(CHAT + 1)
