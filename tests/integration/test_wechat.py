"""WeChat end to end: the real Rasa server and action server, two gateway replicas on one
PostgreSQL database (one answering the Official Account passively within 4 s, one with
WECHAT_PASSIVE_SECONDS=0 so every turn goes out through the customer-service API; both also
serve WeCom 微信客服), and a fake WeChat on loopback that signs and encrypts the callbacks
and receives the API calls."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from bot.contracts.conversation import OutgoingMessage, Role
from bot.persistence.store import ConversationStore, create_db_engine
from bot.runner import Supervisor, children
from bot.settings import Settings
from connectors.wechat.common import render
from connectors.wechat.connector import CHANNEL
from tests.conftest import make_settings
from tests.fake_wechat import (
    AES_KEY,
    APP_ID,
    APP_SECRET,
    CORP_ID,
    TOKEN,
    WECOM_SECRET,
    FakeWechat,
    SignedCallback,
    running_fake_wechat,
)
from tests.postgres import throwaway_postgres_database
from tests.staff import bearer, ensure_staff

pytestmark = pytest.mark.integration
BURST = 200


@dataclass
class Replicas:
    passive: Settings  # answers within 4 s in the HTTP reply
    pushing: Settings  # WECHAT_PASSIVE_SECONDS=0: always `success`, then the API
    wechat: FakeWechat


def expected(replicas: Replicas, openid: str) -> str:
    """Everything the bot and staff said to this citizen, as WeChat would show it."""
    store = ConversationStore(create_db_engine(replicas.passive.effective_database_url))
    conversation = store.find_conversation(CHANNEL, openid)
    assert conversation is not None
    said = [m for m in store.messages_after(conversation.id) if m.role != Role.citizen]
    return "".join(render(OutgoingMessage.from_stored(m)).replace("\n", "") for m in said)


def assert_answered_once(replicas: Replicas, openid: str, passive: list[str]) -> None:
    """Either a passive reply and nothing pushed, or no passive reply and the API sent
    exactly what was said (each part once). A retry of a message answered passively gets
    that same reply again: WeChat retries only when it did not take the first answer."""
    pushed = replicas.wechat.sent(openid)
    if passive:
        assert len(set(passive)) == 1 and pushed == [], (openid, passive, pushed)
        assert passive[0].replace("\n", "") == expected(replicas, openid)
    else:
        assert "".join(pushed).replace("\n", "") == expected(replicas, openid), (openid, pushed)


def post(settings: Settings, callback: SignedCallback, client: httpx.Client | None = None) -> httpx.Response:
    url = f"{settings.gateway_url}/wechat/callback"
    if client is not None:
        return client.post(url, params=callback.params, content=callback.body)
    return httpx.post(url, params=callback.params, content=callback.body, timeout=30)


@pytest.fixture(scope="module")
def replicas(
    system: tuple[Settings, Supervisor], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Replicas]:
    shared, _ = system
    with throwaway_postgres_database() as database_url, running_fake_wechat(aes_key=AES_KEY) as fake:
        common = {
            "RASA_PORT": shared.rasa_port,
            "ACTIONS_PORT": shared.actions_port,
            "OFFICE_HOURS": "mon-sun 00:00-24:00",
            "DATABASE_URL": database_url,
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_APP_ID": APP_ID,
            "WECHAT_APP_SECRET": APP_SECRET,
            "WECHAT_AES_KEY": AES_KEY,
            "WECHAT_API_URL": fake.api_url,
            "WECOM_CORP_ID": CORP_ID,
            "WECOM_SECRET": WECOM_SECRET,
            "WECOM_TOKEN": TOKEN,
            "WECOM_AES_KEY": AES_KEY,
            "WECOM_API_URL": fake.api_url,
        }
        started: list[Supervisor] = []
        replicas = []
        try:
            for name, passive_seconds in (("passive", 4.0), ("pushing", 0.0)):
                settings = make_settings(
                    tmp_path_factory.mktemp(f"wechat-{name}") / "var",
                    **common,
                    WECHAT_PASSIVE_SECONDS=passive_seconds,
                )
                gateway = Supervisor([children(settings, shared.models_dir)[-1]])
                gateway.start()
                started.append(gateway)
                gateway.wait_ready()  # one after the other: the first seeds the database
                replicas.append(settings)
            yield Replicas(replicas[0], replicas[1], fake)
        finally:
            for supervisor in started:
                supervisor.stop()


def test_a_question_is_answered_passively_and_a_button_by_its_number(replicas: Replicas) -> None:
    fake = replicas.wechat
    answer = fake.read_reply(post(replicas.passive, fake.text("o-int-1", "补办身份证要带什么材料")))
    assert answer is not None and answer.startswith("【居民身份证补领】所需材料：\n1. ")
    assert "1. 收费标准" in answer and "（回复数字即可选择）" in answer
    fee = fake.read_reply(post(replicas.passive, fake.text("o-int-1", "1")))
    assert fee is not None and fee.startswith("【居民身份证补领】收费标准：") and "20 元" in fee
    assert fake.sent("o-int-1") == []


def test_a_slow_turn_answers_success_then_arrives_through_the_api(replicas: Replicas) -> None:
    fake = replicas.wechat
    response = post(replicas.pushing, fake.text("o-int-2", "补办身份证要多少钱"))
    assert response.status_code == 200 and response.text == "success"
    [fee] = fake.wait_for(1, "o-int-2")
    assert fee.startswith("【居民身份证补领】收费标准：")


def test_a_retry_on_the_other_replica_is_answered_once(replicas: Replicas) -> None:
    fake = replicas.wechat
    callback = fake.text("o-int-3", "社保卡丢了怎么补办")
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        targets = [replicas.pushing, replicas.passive, replicas.pushing]
        responses = list(pool.map(lambda s: post(s, callback), targets))
    passive = [str(fake.read_reply(r)) for r in responses if r.text != "success"]
    if not passive:
        fake.wait_for(1, "o-int-3")
    time.sleep(3)  # anything sent twice would have arrived by now
    assert_answered_once(replicas, "o-int-3", passive)


def test_handoff_gives_a_case_number_and_the_staff_reply_arrives_through_the_api(
    replicas: Replicas,
) -> None:
    fake = replicas.wechat
    ensure_staff(replicas.passive, "wx_int_clerk", "--areas", "housing,certificates,social_security,other")
    ack = fake.read_reply(post(replicas.passive, fake.text("o-int-4", "我要人工")))
    assert ack is not None and "受理编号" in ack
    case = ack.split("受理编号：", 1)[1][:16]
    with httpx.Client(base_url=replicas.pushing.gateway_url, timeout=30) as api:  # the other replica
        staff = bearer(api, "wx_int_clerk")
        assert api.post(f"/api/v1/tickets/{case}/claim", headers=staff).status_code == 200
        reply = api.post(
            f"/api/v1/tickets/{case}/reply", headers=staff, json={"text": "您好，请问要办理什么？"}
        )
        assert reply.status_code == 200 and reply.json()["pushed"] is True
    assert fake.wait_for(2, "o-int-4")[-1] == "【工作人员】您好，请问要办理什么？"


def test_a_burst_from_many_senders_is_answered_without_loss_or_duplicates(replicas: Replicas) -> None:
    fake = replicas.wechat
    questions = ["补办身份证要带什么材料", "社保卡丢了怎么补办", "公积金怎么提取", "驾驶证到期怎么换"]
    callbacks = [fake.text(f"o-burst-{n}", questions[n % len(questions)]) for n in range(BURST)]
    targets = [replicas.passive if n % 2 else replicas.pushing for n in range(BURST)]
    started = time.monotonic()
    with (
        httpx.Client(timeout=30, limits=httpx.Limits(max_connections=BURST)) as client,
        concurrent.futures.ThreadPoolExecutor(BURST) as pool,
    ):
        futures = []
        for n, (settings, callback) in enumerate(zip(targets, callbacks, strict=True)):
            futures.append(pool.submit(post, settings, callback, client))
            time.sleep(max(0.0, started + n * 0.04 - time.monotonic()))  # 200 within 8 s
        responses = [f.result() for f in futures]
    assert all(r.status_code == 200 for r in responses)
    passive = {
        f"o-burst-{n}": str(fake.read_reply(r)) for n, r in enumerate(responses) if r.text != "success"
    }
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        missing = [n for n in range(BURST) if f"o-burst-{n}" not in passive and not fake.sent(f"o-burst-{n}")]
        if not missing:
            break
        time.sleep(1)
    assert not missing, f"{len(missing)} 位市民没有收到回复"
    time.sleep(3)
    for n in range(BURST):
        openid = f"o-burst-{n}"
        assert_answered_once(replicas, openid, [passive[openid]] if openid in passive else [])
    print(f"{BURST} 条回调：{len(passive)} 条被动回复，{BURST - len(passive)} 条经客服消息接口")


def notify_wecom(settings: Settings, fake: FakeWechat) -> None:
    callback = fake.wecom_callback()
    response = httpx.post(
        f"{settings.gateway_url}/wecom/callback", params=callback.params, content=callback.body, timeout=30
    )
    assert response.status_code == 200 and response.text == "success"


def test_wecom_answers_through_send_msg_and_staff_replies_arrive(replicas: Replicas) -> None:
    fake, user = replicas.wechat, "wm-int-1"
    fake.wecom_receive(user, "补办身份证要带什么材料")
    notify_wecom(replicas.passive, fake)
    notify_wecom(replicas.pushing, fake)  # both replicas read the same page: answered once
    [answer] = fake.wecom_wait_for(1, user)
    assert answer.startswith("【居民身份证补领】所需材料：\n1. ") and "1. 收费标准" in answer
    assert fake.wecom_states[user] == 1

    fake.wecom_receive(user, "我要人工")
    notify_wecom(replicas.pushing, fake)
    ack = fake.wecom_wait_for(3, user)[2]  # after the answer: «好的…» and the acknowledgement
    case = ack.split("受理编号：", 1)[1][:16]
    ensure_staff(replicas.passive, "kf_int_clerk", "--areas", "housing,certificates,social_security,other")
    with httpx.Client(base_url=replicas.passive.gateway_url, timeout=30) as api:
        staff = bearer(api, "kf_int_clerk")
        assert api.post(f"/api/v1/tickets/{case}/claim", headers=staff).status_code == 200
        reply = api.post(f"/api/v1/tickets/{case}/reply", headers=staff, json={"text": "您好，请讲。"})
        assert reply.status_code == 200 and reply.json()["pushed"] is True
    time.sleep(1)
    sent = fake.wecom_sent(user)
    assert sent[-1] == "【工作人员】您好，请讲。" and sent.count(answer) == 1
