"""WeCom 微信客服 over real HTTP on loopback: the gateway (uvicorn in a thread), the fake
WeChat's WeCom side (encrypted callbacks, sync_msg pages, send_msg, session states) and the
scripted Rasa stand-in."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from bot.gateway.app import create_app
from bot.persistence.store import ConversationStore, create_db_engine
from bot.persistence.wechat import WechatStore
from bot.settings import Settings
from connectors.wechat.wecom import CHANNEL, HUMAN, external_id
from tests.conftest import make_settings
from tests.fake_rasa import FakeRasa, running_fake_rasa
from tests.fake_wechat import (
    AES_KEY,
    CORP_ID,
    OPEN_KFID,
    TOKEN,
    WECOM_SECRET,
    FakeWechat,
    running_fake_wechat,
)
from tests.loopback import serving
from tests.staff import add_staff, bearer


@dataclass
class WeCom:
    settings: Settings
    http: httpx.Client
    wechat: FakeWechat
    rasa: FakeRasa

    def notify(self, token: str = TOKEN) -> httpx.Response:
        callback = self.wechat.wecom_callback(token)
        return self.http.post("/wecom/callback", params=callback.params, content=callback.body)

    def say(self, userid: str, text: str, expect: int = 1) -> list[str]:
        before = len(self.wechat.wecom_sent(userid))
        self.wechat.wecom_receive(userid, text)
        assert self.notify().text == "success"
        return self.wechat.wecom_wait_for(before + expect, userid)[before:]


@pytest.fixture(scope="module")
def wecom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeCom]:
    with running_fake_rasa() as rasa, running_fake_wechat() as wechat:
        settings = make_settings(
            tmp_path_factory.mktemp("wecom") / "var",
            RASA_PORT=rasa.port,
            ACTIONS_PORT=rasa.port,
            OFFICE_HOURS="mon-sun 00:00-24:00",
            PARSE_ENDPOINT=False,
            WECOM_CORP_ID=CORP_ID,
            WECOM_SECRET=WECOM_SECRET,
            WECOM_TOKEN=TOKEN,
            WECOM_AES_KEY=AES_KEY,
            WECOM_API_URL=wechat.api_url,
        )
        assert add_staff(settings, "kf_clerk", "--areas", "certificates").returncode == 0
        with (
            serving(create_app(settings), settings.port),
            httpx.Client(base_url=settings.gateway_url, timeout=30) as http,
        ):
            yield WeCom(settings, http, wechat, rasa)


def test_the_url_check_decrypts_echostr_and_refuses_a_wrong_token(wecom: WeCom) -> None:
    good = wecom.http.get("/wecom/callback", params=wecom.wechat.wecom_verification("echo-1234"))
    assert good.status_code == 200 and good.text == "echo-1234"
    wrong = wecom.http.get("/wecom/callback", params=wecom.wechat.wecom_verification("e", token="other"))
    assert wrong.status_code == 403
    assert wecom.http.get("/wecom/callback", params={"echostr": "e"}).status_code == 403


def test_a_forged_callback_is_refused_and_nothing_is_read(wecom: WeCom) -> None:
    reads = len([c for c in wecom.wechat.calls if c[0] == "kf/sync_msg"])
    assert wecom.notify(token="not-our-token").status_code == 403
    callback = wecom.wechat.wecom_callback()
    tampered = callback.body.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[AAAA")
    assert wecom.http.post("/wecom/callback", params=callback.params, content=tampered).status_code == 403
    assert len([c for c in wecom.wechat.calls if c[0] == "kf/sync_msg"]) == reads


def test_a_message_is_read_answered_and_the_session_given_to_the_assistant(wecom: WeCom) -> None:
    assert wecom.say("wm-user-1", "你好") == ["收到：你好"]
    assert wecom.wechat.wecom_states["wm-user-1"] == 1  # 智能助手接待
    store = WechatStore(create_db_engine(wecom.settings.effective_database_url))
    assert store.cursor(OPEN_KFID) == str(len(wecom.wechat.wecom_inbox))


def test_repeated_callbacks_answer_each_message_once(wecom: WeCom) -> None:
    wecom.wechat.wecom_receive("wm-user-2", "只问一次")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert all(r.text == "success" for r in pool.map(lambda _: wecom.notify(), range(4)))
    assert wecom.wechat.wecom_wait_for(1, "wm-user-2") == ["收到：只问一次"]
    wecom.say("wm-user-2", "再问")  # later messages still flow
    assert wecom.wechat.wecom_sent("wm-user-2") == ["收到：只问一次", "收到：再问"]
    assert wecom.rasa.asked(f"{CHANNEL}:{external_id(OPEN_KFID, 'wm-user-2')}", "只问一次") == 1


def test_several_pages_from_many_citizens_are_all_answered_in_order(wecom: WeCom) -> None:
    users = [f"wm-many-{n}" for n in range(40)]
    for round_ in ("一", "二", "三"):
        for user in users:
            wecom.wechat.wecom_receive(user, f"第{round_}问")
    assert wecom.notify().text == "success"
    for user in users:
        assert wecom.wechat.wecom_wait_for(3, user) == ["收到：第一问", "收到：第二问", "收到：第三问"]


def test_buttons_are_numbered_and_a_number_chooses(wecom: WeCom) -> None:
    [offered] = wecom.say("wm-user-3", "我想选择")
    assert offered.endswith("1. 收费标准\n2. 办理地点\n（回复数字即可选择）")
    assert wecom.say("wm-user-3", "1") == ["您选择了：/ask_fee"]


def test_the_assistant_is_silent_while_a_wecom_member_has_the_session(wecom: WeCom) -> None:
    wecom.wechat.wecom_states["wm-user-4"] = HUMAN
    wecom.wechat.wecom_receive("wm-user-4", "人工在吗")
    wecom.notify()
    wecom.say("wm-user-1", "旁证")  # a later message answered: the one before was read too
    assert wecom.wechat.wecom_sent("wm-user-4") == []
    assert wecom.rasa.asked(f"{CHANNEL}:{external_id(OPEN_KFID, 'wm-user-4')}", "人工在吗") == 0


def test_when_wecom_cannot_tell_the_state_the_assistant_still_answers(wecom: WeCom) -> None:
    wecom.wechat.wecom_unavailable.add("wm-user-6")
    assert wecom.say("wm-user-6", "状态查不到") == ["收到：状态查不到"]


def test_handoff_and_staff_replies_through_send_msg(wecom: WeCom) -> None:
    user = "wm-user-5"
    reply = wecom.say(user, "我要人工", expect=2)
    assert reply[0] == "好的，正在为您转接人工服务。" and "受理编号" in reply[1]
    case = reply[1].split("受理编号：", 1)[1][:16]
    staff = bearer(wecom.http, "kf_clerk")
    assert wecom.http.post(f"/api/v1/tickets/{case}/claim", headers=staff).status_code == 200
    sent = wecom.http.post(f"/api/v1/tickets/{case}/reply", headers=staff, json={"text": "您好，请讲。"})
    assert sent.json()["pushed"] is True
    assert wecom.wechat.wecom_wait_for(4, user)[-1] == "【工作人员】您好，请讲。"
    assert wecom.wechat.wecom_states[user] == 1  # our console answers as the assistant (send_msg)

    wecom.wechat.wecom_states[user] = HUMAN  # someone took the session over in the WeCom app
    refused = wecom.http.post(f"/api/v1/tickets/{case}/reply", headers=staff, json={"text": "第二条"})
    assert refused.json()["pushed"] is False and "当前会话状态不允许发送" in refused.json()["notice"]
    store = ConversationStore(create_db_engine(wecom.settings.effective_database_url))
    conversation = store.find_conversation(CHANNEL, external_id(OPEN_KFID, user))
    assert conversation is not None and store.messages_after(conversation.id)[-1].text == "第二条"
