"""The WeChat Official Account channel, over real HTTP on loopback: the gateway (uvicorn in a
thread), a fake of WeChat's API that also signs and encrypts callbacks as WeChat does, and a
scripted Rasa stand-in (the real dialogue is in tests/integration/test_wechat.py)."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from bot.contracts.conversation import Role
from bot.gateway.app import create_app
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.models import Message, WechatCredential
from bot.persistence.store import ConversationStore, create_db_engine
from bot.persistence.wechat import WechatStore
from bot.settings import Settings
from connectors.base import split_text, utf8_size
from connectors.wechat.client import DatabaseStorage, OfficialAccountClient, scrub
from connectors.wechat.common import TEXT_LIMIT_BYTES, UNSUPPORTED, token_storage
from connectors.wechat.connector import CHANNEL
from tests.conftest import make_settings
from tests.fake_rasa import FakeRasa, running_fake_rasa
from tests.fake_wechat import (
    AES_KEY,
    APP_ID,
    APP_SECRET,
    TOKEN,
    FakeWechat,
    SignedCallback,
    running_fake_wechat,
)
from tests.loopback import serving
from tests.redis_server import throwaway_redis_prefix
from tests.staff import add_staff, bearer


@dataclass
class Gateway:
    settings: Settings
    http: httpx.Client
    wechat: FakeWechat
    rasa: FakeRasa

    @property
    def store(self) -> ConversationStore:
        return ConversationStore(create_db_engine(self.settings.effective_database_url))

    def post(self, callback: SignedCallback) -> httpx.Response:
        return self.http.post("/wechat/callback", params=callback.params, content=callback.body)

    def say(self, openid: str, content: str) -> str | None:
        response = self.post(self.wechat.text(openid, content))
        assert response.status_code == 200, response.text
        return self.wechat.read_reply(response)


def _gateway(tmp: Path, aes_key: str = "") -> Iterator[Gateway]:
    with running_fake_rasa() as rasa, running_fake_wechat(aes_key=aes_key) as wechat:
        settings = make_settings(
            tmp / "var",
            RASA_PORT=rasa.port,
            ACTIONS_PORT=rasa.port,
            OFFICE_HOURS="mon-sun 00:00-24:00",
            PARSE_ENDPOINT=False,
            WECHAT_TOKEN=TOKEN,
            WECHAT_APP_ID=APP_ID,
            WECHAT_APP_SECRET=APP_SECRET,
            WECHAT_AES_KEY=aes_key,
            WECHAT_API_URL=wechat.api_url,
            WECHAT_PASSIVE_SECONDS=1.0,  # the scripted slow turn takes 1.5 s
        )
        assert add_staff(settings, "wx_clerk", "--areas", "certificates").returncode == 0
        with (
            serving(create_app(settings), settings.port),
            httpx.Client(base_url=settings.gateway_url, timeout=30) as http,
        ):
            yield Gateway(settings, http, wechat, rasa)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from _gateway(tmp_path_factory.mktemp("wechat-plain"))


@pytest.fixture(scope="module")
def safe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from _gateway(tmp_path_factory.mktemp("wechat-safe"), AES_KEY)


def bot_replies(gateway: Gateway, openid: str) -> list[str]:
    conversation = gateway.store.find_conversation(CHANNEL, openid)
    assert conversation is not None
    return [m.text for m in gateway.store.messages_after(conversation.id) if m.role == Role.bot]


# --- signatures, safe mode, refusals -----------------------------------------------------
def test_the_url_check_echoes_echostr_only_when_signed_with_our_token(plain: Gateway) -> None:
    good = plain.http.get("/wechat/callback", params=plain.wechat.verification("echo-4711"))
    assert good.status_code == 200 and good.text == "echo-4711"
    wrong = plain.http.get("/wechat/callback", params=plain.wechat.verification("echo", token="other"))
    assert wrong.status_code == 403 and "签名" in wrong.json()["detail"]
    assert plain.http.get("/wechat/callback", params={"echostr": "echo"}).status_code == 403


def test_plain_mode_answers_a_text_passively(plain: Gateway) -> None:
    assert plain.say("o-plain-1", "你好") == "收到：你好"
    assert plain.rasa.asked("wechat:o-plain-1", "你好") == 1


def test_safe_mode_decrypts_the_callback_and_encrypts_the_reply(safe: Gateway) -> None:
    assert safe.say("o-safe-1", "补办身份证") == "收到：补办身份证"


def _tampered(callback: SignedCallback) -> SignedCallback:
    body = callback.body.decode()
    start = body.index("<Encrypt><![CDATA[") + len("<Encrypt><![CDATA[")
    flipped = "B" if body[start + 10] != "B" else "C"
    return SignedCallback(callback.params, (body[: start + 10] + flipped + body[start + 11 :]).encode())


def test_unsigned_tampered_or_foreign_callbacks_are_refused_and_nothing_is_stored(safe: Gateway) -> None:
    openid = "o-intruder"
    good = safe.wechat.text(openid, "你好")
    unencrypted = {k: v for k, v in safe.wechat.text(openid, "你好").params.items() if k != "encrypt_type"}
    stale = safe.wechat.signed("<xml/>", timestamp=1_000_000_000)
    refused = [
        _tampered(good),
        safe.wechat.signed(good.body.decode(), token="not-our-token"),
        SignedCallback({}, good.body),
        SignedCallback({k: v for k, v in good.params.items() if k != "msg_signature"}, good.body),
        SignedCallback(unencrypted, b"<xml><FromUserName>o-intruder</FromUserName></xml>"),
        stale,
    ]
    for callback in refused:
        response = safe.post(callback)
        assert response.status_code == 403, (callback.params, response.text)
        assert "签名校验失败" in response.json()["detail"]
    assert safe.store.find_conversation(CHANNEL, openid) is None
    assert safe.rasa.asked(f"wechat:{openid}", "你好") == 0


# --- WeChat's 5-second rule and its retries ---------------------------------------------
def test_a_slow_turn_answers_success_then_sends_through_the_api(plain: Gateway) -> None:
    response = plain.post(plain.wechat.text("o-slow", "慢一点的问题"))
    assert response.text == "success"
    assert plain.wechat.wait_for(1, "o-slow") == ["收到：慢一点的问题"]


def test_a_retried_message_is_answered_once_even_while_the_first_is_running(plain: Gateway) -> None:
    callback = plain.wechat.text("o-retry", "慢的问题，重试")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda _: plain.post(callback), range(4)))
    assert [r.status_code for r in responses] == [200] * 4
    passive = [plain.wechat.read_reply(r) for r in responses if r.text != "success"]
    pushed = plain.wechat.wait_for(1, "o-retry")
    assert len(passive) + len(pushed) == 1
    assert plain.rasa.asked("wechat:o-retry", "慢的问题，重试") == 1
    assert bot_replies(plain, "o-retry") == ["收到：慢的问题，重试"]


def test_a_retry_of_a_passive_reply_repeats_that_reply_without_a_second_turn(plain: Gateway) -> None:
    callback = plain.wechat.text("o-lost", "第一次")
    first, retry = plain.post(callback), plain.post(callback)
    assert first.text == retry.text and plain.wechat.read_reply(retry) == "收到：第一次"
    assert plain.rasa.asked("wechat:o-lost", "第一次") == 1 and plain.wechat.sent("o-lost") == []


# --- what the citizen sees ----------------------------------------------------------------
def test_buttons_are_numbered_lines_and_the_number_sends_the_payload(plain: Gateway) -> None:
    offered = plain.say("o-buttons", "我想选择")
    assert offered == "请选择您要了解的内容：\n1. 收费标准\n2. 办理地点\n（回复数字即可选择）"
    assert plain.say("o-buttons", "2") == "您选择了：/ask_place"
    assert plain.say("o-buttons", "2") == "收到：2"  # no buttons on the last message: plain text


def test_other_message_types_are_explained_in_chinese_and_not_sent_to_rasa(plain: Gateway) -> None:
    response = plain.post(plain.wechat.image("o-image"))
    assert plain.wechat.read_reply(response) == UNSUPPORTED
    assert plain.store.find_conversation(CHANNEL, "o-image") is None


def test_subscribe_greets_a_menu_click_asks_and_an_event_retry_is_ignored(plain: Gateway) -> None:
    subscribe = plain.wechat.event("o-events", "subscribe")
    assert plain.wechat.read_reply(plain.post(subscribe)) == "您选择了：/greet"
    plain.post(subscribe)  # the same sender and CreateTime: a retry
    assert plain.rasa.asked("wechat:o-events", "/greet") == 1
    click = plain.wechat.event("o-events", "CLICK", key="社保卡怎么办", created=1)
    assert plain.wechat.read_reply(plain.post(click)) == "收到：社保卡怎么办"
    assert plain.post(plain.wechat.event("o-events", "unsubscribe")).text == "success"


def test_a_long_answer_goes_out_in_parts_under_the_byte_limit(plain: Gateway) -> None:
    assert plain.post(plain.wechat.text("o-long", "长答案")).text == "success"
    [answer] = bot_replies(plain, "o-long")
    expected = split_text(answer, TEXT_LIMIT_BYTES, utf8_size)
    parts = plain.wechat.wait_for(len(expected), "o-long")
    assert len(parts) == len(expected) >= 2
    assert all(utf8_size(part) <= TEXT_LIMIT_BYTES for part in parts)
    assert "\n".join(parts) == answer


def test_two_short_messages_share_one_passive_reply(plain: Gateway) -> None:
    assert plain.say("o-two", "两条") == "第一条回复。\n\n第二条回复。"


# --- staff replies and WeChat's 48-hour window ---------------------------------------------
def test_staff_replies_are_pushed_within_48_hours_and_held_after(plain: Gateway) -> None:
    openid = "o-handoff"
    ack = plain.say(openid, "我要人工")
    assert ack is not None and "受理编号" in ack
    case = ack.split("受理编号：", 1)[1][:16]
    staff = bearer(plain.http, "wx_clerk")
    assert plain.http.post(f"/api/v1/tickets/{case}/claim", headers=staff).status_code == 200
    reply = plain.http.post(f"/api/v1/tickets/{case}/reply", headers=staff, json={"text": "您好，请讲。"})
    assert reply.json()["pushed"] is True and reply.json()["notice"] is None
    assert plain.wechat.wait_for(2, openid)[-1] == "【工作人员】您好，请讲。"  # after the claim note

    plain.wechat.refuse_with = 45047  # WeChat's own limit on pushed messages
    try:
        refused = plain.http.post(f"/api/v1/tickets/{case}/reply", headers=staff, json={"text": "第二条"})
    finally:
        plain.wechat.refuse_with = None
    assert refused.json()["pushed"] is False and "超出下发条数限制" in refused.json()["notice"]

    conversation = plain.store.find_conversation(CHANNEL, openid)
    assert conversation is not None
    engine = create_db_engine(plain.settings.effective_database_url)
    with engine.begin() as connection:
        connection.execute(
            update(Message)
            .where(Message.conversation_id == conversation.id)
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=49))
        )
    late = plain.http.post(f"/api/v1/tickets/{case}/reply", headers=staff, json={"text": "材料已备齐。"})
    body = late.json()
    assert late.status_code == 200 and body["pushed"] is False and "48 小时" in body["notice"]
    assert plain.wechat.sent(openid)[-1] == "【工作人员】您好，请讲。"
    # The citizen's next message brings what could not be pushed, in order.
    assert plain.say(openid, "还在吗") == "【工作人员】第二条\n\n【工作人员】材料已备齐。"
    assert plain.say(openid, "谢谢") in (None, "")  # nothing owed any more


# --- the access token -----------------------------------------------------------------------
def test_the_token_is_fetched_once_shared_refreshed_early_and_never_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade_to_head(url)
    engine = create_db_engine(url)
    with running_fake_wechat(token_lifetime=7200) as fake:
        replicas = [
            OfficialAccountClient(APP_ID, APP_SECRET, fake.api_url, DatabaseStorage(WechatStore(engine)))
            for _ in range(2)
        ]
        for number, client in enumerate(replicas * 2):
            client.send_text("o-token", f"第{number}条")
        assert fake.token_fetches() == 1 and len(fake.sent("o-token")) == 4

        with engine.begin() as connection:  # five minutes before WeChat's expiry: refresh
            connection.execute(
                update(WechatCredential).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
            )
        replicas[1].send_text("o-token", "刷新后")
        assert fake.token_fetches() == 2

        fake.tokens.append("ACCESS-rotated-elsewhere")  # WeChat invalidated ours: 40001
        replicas[0].send_text("o-token", "失效后")
        assert fake.token_fetches() == 3 and fake.sent("o-token")[-1] == "失效后"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "ACCESS-" not in logged and APP_SECRET not in logged
    assert scrub("GET /cgi-bin/x?access_token=ACCESS-1-wx&b=1") == "GET /cgi-bin/x?access_token=***&b=1"
    engine.dispose()


def test_without_settings_the_channel_is_off_and_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="connectors.wechat")
    with TestClient(create_app(make_settings(tmp_path / "var", PARSE_ENDPOINT=False))) as client:
        assert client.get("/wechat/callback").status_code == 404
        assert client.post("/wechat/callback", content=b"<xml/>").status_code == 404
        assert client.post("/wecom/callback", content=b"<xml/>").status_code == 404
    notices = [r.getMessage() for r in caplog.records if r.name.startswith("connectors.wechat.")]
    assert notices == [
        "未设置 WECHAT_TOKEN、WECHAT_APP_ID、WECHAT_APP_SECRET，本次不启用微信公众号渠道",
        "未设置 WECOM_CORP_ID、WECOM_SECRET、WECOM_TOKEN、WECOM_AES_KEY，本次不启用企业微信「微信客服」渠道",
    ]


def test_with_redis_the_token_is_shared_there(tmp_path: Path) -> None:
    with throwaway_redis_prefix() as (redis_url, prefix), running_fake_wechat() as fake:
        settings = make_settings(tmp_path / "var", REDIS_URL=redis_url, REDIS_PREFIX=prefix)
        engine = create_db_engine(f"sqlite:///{tmp_path / 'app.db'}")
        replicas = [
            OfficialAccountClient(
                APP_ID, APP_SECRET, fake.api_url, token_storage(settings, WechatStore(engine))
            )
            for _ in range(2)
        ]
        for number, client in enumerate(replicas):
            client.send_text("o-redis", f"第{number}条")
        assert fake.token_fetches() == 1 and fake.sent("o-redis") == ["第0条", "第1条"]
        engine.dispose()
