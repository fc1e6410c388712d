"""WeCom 微信客服 over real HTTP on loopback: the gateway (uvicorn in a thread), the fake
WeChat's WeCom side (encrypted callbacks, sync_msg pages, send_msg, session states) and the
scripted Rasa stand-in. Two gateways: the default `WECOM_HANDOFF=console` (our console answers
handed-off citizens through the API) and `wecom` (WeCom's own members answer them)."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from bot.gateway.app import create_app
from bot.persistence.store import ConversationStore, create_db_engine
from bot.persistence.tickets import ELSEWHERE
from bot.persistence.wechat import WechatStore
from bot.settings import Settings
from connectors.wechat.wecom import BOT, CHANNEL, ENDED, HUMAN, IN_POOL, POOL, WITH_MEMBER, external_id
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
    clerk: dict[str, str]  # the clerk's bearer header (one login: each costs a password hash)

    def notify(self, token: str = TOKEN) -> httpx.Response:
        callback = self.wechat.wecom_callback(token)
        return self.http.post("/wecom/callback", params=callback.params, content=callback.body)

    def say(self, userid: str, text: str, expect: int = 1) -> list[str]:
        before = len(self.wechat.wecom_sent(userid))
        self.wechat.wecom_receive(userid, text)
        assert self.notify().text == "success"
        return self.wechat.wecom_wait_for(before + expect, userid)[before:]


@contextmanager
def running_wecom(var_dir: Path, **settings: Any) -> Iterator[WeCom]:
    """A gateway serving 微信客服 against the fakes, with a clerk for certificates and housing."""
    with running_fake_rasa() as rasa, running_fake_wechat() as wechat:
        config = make_settings(
            var_dir,
            RASA_PORT=rasa.port,
            ACTIONS_PORT=rasa.port,
            OFFICE_HOURS="mon-sun 00:00-24:00",
            PARSE_ENDPOINT=False,
            WECOM_CORP_ID=CORP_ID,
            WECOM_SECRET=WECOM_SECRET,
            WECOM_TOKEN=TOKEN,
            WECOM_AES_KEY=AES_KEY,
            WECOM_API_URL=wechat.api_url,
            **settings,
        )
        assert add_staff(config, "kf_clerk", "--areas", "certificates,housing").returncode == 0
        with (
            serving(create_app(config), config.port),
            httpx.Client(base_url=config.gateway_url, timeout=30) as http,
        ):
            yield WeCom(config, http, wechat, rasa, bearer(http, "kf_clerk"))


@pytest.fixture(scope="module")
def wecom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeCom]:
    with running_wecom(tmp_path_factory.mktemp("wecom") / "var") as running:
        yield running


@pytest.fixture(scope="module")
def routed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeCom]:
    """`WECOM_HANDOFF=wecom`: housing cases to the member zhangsan, the rest to WeCom's queue."""
    var_dir = tmp_path_factory.mktemp("wecom-routed") / "var"
    with running_wecom(var_dir, WECOM_HANDOFF="wecom", WECOM_SERVICERS="housing:zhangsan") as running:
        yield running


def until(done: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def case_of(ack: str) -> str:
    return ack.split("受理编号：", 1)[1][:16]


def ticket(wecom: WeCom, case: str) -> dict[str, Any]:
    response = wecom.http.get(f"/api/v1/tickets/{case}", headers=wecom.clerk)
    assert response.status_code == 200, response.text
    return dict(response.json())


def handed_to_wecom(wecom: WeCom, user: str, text: str, state: int) -> str:
    """The citizen asks for a person: the handoff reply goes out first, then WeCom's session
    moves to `state` and the console's ticket gets its note. Returns the case number."""
    reply = wecom.say(user, text, expect=2)
    assert reply[0] == "好的，正在为您转接人工服务。" and "受理编号" in reply[1]
    case = case_of(reply[1])
    until(lambda: wecom.wechat.wecom_states.get(user) == state, f"会话状态没有变成 {state}")
    until(lambda: bool(ticket(wecom, case)["note"]), "工单没有写上企业微信的备注")
    return case


def silent_to(wecom: WeCom, user: str, text: str) -> None:
    """A message from `user` is read (a later one from someone else is answered) but not
    answered, and Rasa never sees it."""
    wecom.wechat.wecom_receive(user, text)
    wecom.notify()
    wecom.say("wm-witness", f"旁证：{user}")  # plain text: the scripted Rasa just echoes it
    assert wecom.rasa.asked(f"{CHANNEL}:{external_id(OPEN_KFID, user)}", text) == 0


@pytest.mark.parametrize(
    ("setting", "value", "reason"),
    [
        ("WECOM_HANDOFF", "企业微信", "WECOM_HANDOFF 只能是 console（工作台经接口回复）或 wecom"),
        ("WECOM_SERVICERS", "housing", "「housing」格式不对，应为「领域:成员账号」"),
        ("WECOM_SERVICERS", "housing:", "格式不对"),
        ("WECOM_SERVICERS", "housng:zhangsan", "没有「housng」这个领域；可用的领域：education（教育）"),
        ("WECOM_SERVICERS", "housing:zhangsan,housing:lisi", "领域「housing」出现了两次"),
        ("WECOM_SERVICERS", "other:zhang san", "「zhang san」不像企业微信成员账号"),
    ],
)
def test_a_bad_handoff_setting_stops_the_start_with_the_reason_in_chinese(
    setting: str, value: str, reason: str
) -> None:
    values: dict[str, Any] = {setting: value}
    with pytest.raises(ValidationError, match=reason):
        Settings(_env_file=None, **values)


def test_the_servicer_map_reads_areas_and_userids() -> None:
    settings = Settings(
        _env_file=None, WECOM_HANDOFF="wecom", WECOM_SERVICERS=" housing:zhangsan , other:li.si@x,"
    )
    assert settings.wecom_servicer_map == {"housing": "zhangsan", "other": "li.si@x"}
    default = Settings(_env_file=None)
    assert default.wecom_handoff == "console" and default.wecom_servicer_map == {}


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
    # The connector saves its cursor after it has sent the reply: wait for it, briefly.
    deadline = time.monotonic() + 5
    while store.cursor(OPEN_KFID) != str(len(wecom.wechat.wecom_inbox)) and time.monotonic() < deadline:
        time.sleep(0.02)
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
    """`WECOM_HANDOFF=console` (the default): the session stays with the API (1), the ticket
    is ours to answer."""
    user = "wm-user-5"
    reply = wecom.say(user, "我要人工", expect=2)
    assert reply[0] == "好的，正在为您转接人工服务。" and "受理编号" in reply[1]
    case = case_of(reply[1])
    assert wecom.wechat.wecom_states[user] == BOT
    moves = [c[2]["service_state"] for c in wecom.wechat.calls if c[0] == "kf/service_state/trans"]
    assert POOL not in moves and HUMAN not in moves
    opened = ticket(wecom, case)
    assert opened["note"] == "" and ELSEWHERE not in [e["reason"] for e in opened["events"]]
    staff = wecom.clerk
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


# --- WECOM_HANDOFF=wecom: WeCom's members answer ----------------------------------------------
def test_a_handoff_goes_to_the_wecom_queue_and_the_assistant_falls_silent(routed: WeCom) -> None:
    user = "wm-pool-1"
    case = handed_to_wecom(routed, user, "我要人工", POOL)  # certificates: no member mapped
    opened = ticket(routed, case)
    assert opened["note"] == IN_POOL and opened["status"] == "queued"
    assert ELSEWHERE in [e["reason"] for e in opened["events"]]
    silent_to(routed, user, "人工怎么还没来")
    assert routed.wechat.wecom_states[user] == POOL


def test_a_mapped_area_goes_to_its_member(routed: WeCom) -> None:
    user = "wm-member-1"
    case = handed_to_wecom(routed, user, "住房公积金的事我要人工", HUMAN)
    assert routed.wechat.wecom_servicers[user] == "zhangsan"
    assert ticket(routed, case)["note"] == WITH_MEMBER.format(servicer="zhangsan")
    silent_to(routed, user, "张老师您好")


def test_a_member_not_on_duty_leaves_the_case_to_the_wecom_queue(routed: WeCom) -> None:
    routed.wechat.wecom_off_duty.add("zhangsan")
    try:
        case = handed_to_wecom(routed, "wm-member-2", "住房问题转人工", POOL)
    finally:
        routed.wechat.wecom_off_duty.discard("zhangsan")
    assert ticket(routed, case)["note"] == IN_POOL


def test_a_case_is_not_taken_back_when_wecom_cannot_tell_the_state(routed: WeCom) -> None:
    user = "wm-member-4"
    case = handed_to_wecom(routed, user, "住房登记转人工", HUMAN)
    routed.wechat.wecom_unavailable.add(user)
    silent_to(routed, user, "状态查不到的时候")  # to the ticket (WeCom refuses the queue note)
    assert ticket(routed, case)["status"] == "queued"


def test_a_console_reply_is_stored_and_refused_then_the_assistant_answers_after_the_member(
    routed: WeCom,
) -> None:
    user = "wm-member-3"
    case = handed_to_wecom(routed, user, "住房补贴我要人工", HUMAN)
    staff = routed.clerk  # someone in our console answers anyway
    assert routed.http.post(f"/api/v1/tickets/{case}/claim", headers=staff).status_code == 200
    sent = routed.http.post(f"/api/v1/tickets/{case}/reply", headers=staff, json={"text": "我来回答"})
    assert sent.json()["pushed"] is False and "当前会话状态不允许发送" in sent.json()["notice"]
    store = ConversationStore(create_db_engine(routed.settings.effective_database_url))
    conversation = store.find_conversation(CHANNEL, external_id(OPEN_KFID, user))
    assert conversation is not None and store.messages_after(conversation.id)[-1].text == "我来回答"
    assert routed.wechat.wecom_states[user] == HUMAN

    routed.wechat.wecom_end_session(user)  # zhangsan ends it; the citizen writes again (0)
    said = routed.say(user, "再问一个问题", expect=3)
    # What the console said while WeCom had the citizen comes first, as the console was told.
    assert said[:2] == [f"工作人员已接单（受理编号 {case}），正在为您处理。", "【工作人员】我来回答"]
    assert said[2] == "收到：再问一个问题"
    assert routed.wechat.wecom_states[user] == BOT
    done = ticket(routed, case)
    assert done["status"] == "resolved" and done["note"] == WITH_MEMBER.format(servicer="zhangsan") + ENDED
    assert routed.say(user, "谢谢") == ["收到：谢谢"]
