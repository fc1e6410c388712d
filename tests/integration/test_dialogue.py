"""End to end through real processes: a trained Rasa 3.6 server, the action server and the
gateway on free loopback ports, spoken to over HTTP exactly as a client would."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from bot.persistence.store import ConversationStore, create_db_engine
from bot.runner import Supervisor
from bot.settings import Settings
from tests.citizen import citizen_headers
from tests.integration.conftest import handoff_of, say

pytestmark = pytest.mark.integration


def test_ready_when_everything_is_up(gateway: httpx.Client) -> None:
    response = gateway.get("/readyz")
    assert response.status_code == 200, response.text
    assert all(check["ok"] for check in response.json()["checks"].values())


def test_materials_then_fee_of_the_same_item(gateway: httpx.Client) -> None:
    first = say(gateway, "t1", "补办身份证要带什么材料")
    assert first["state"] == "bot"
    assert len(first["messages"]) == 1, first
    [answer] = first["messages"]
    assert answer["text"].startswith("【居民身份证补领】所需材料：")
    assert "1. 居民户口簿" in answer["text"]
    assert answer["data"]["item_id"] == "certificates.id_card_reissue"

    second = say(gateway, "t1", "那要多少钱")
    assert second["conversation_id"] == first["conversation_id"]
    [fee] = second["messages"]
    assert fee["text"].startswith("【居民身份证补领】收费标准：")
    assert "居民身份证工本费：每证 20 元" in fee["text"]


def test_follow_up_switches_when_a_new_item_is_named(gateway: httpx.Client) -> None:
    say(gateway, "t2", "异地就医备案要带什么材料")
    where = say(gateway, "t2", "在哪里办")
    assert where["messages"][0]["text"].startswith("【跨省异地就医备案】办理地点：")
    switched = say(gateway, "t2", "补办驾驶证要多少钱")
    assert "机动车驾驶证工本费：每证 10 元" in switched["messages"][0]["text"]
    how_long = say(gateway, "t2", "要多久能办好")
    assert how_long["messages"][0]["text"].startswith("【机动车驾驶证补领】办理时限：")


def test_new_question_types_follow_the_same_item(gateway: httpx.Client) -> None:
    say(gateway, "t7", "我想了解一下异地就医备案")
    hours = say(gateway, "t7", "那几点上班，周末开门吗")
    assert hours["messages"][0]["text"].startswith("【跨省异地就医备案】办公时间：")
    online = say(gateway, "t7", "网上能办吗")
    assert online["messages"][0]["text"].startswith("【跨省异地就医备案】网上办理：")


def test_a_general_question_is_answered_from_the_faq(gateway: httpx.Client) -> None:
    reply = say(gateway, "t8", "办证件要不要提前预约啊")
    assert reply["messages"][0]["text"].startswith("【常见问题】")
    assert reply["messages"][0]["data"]["type"] == "faq"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你是机器人吗", "自动答复程序"),
        ("帮我查一下明天的天气", "不在我的服务范围内"),
    ],
)
def test_conversational_intents_get_honest_replies(gateway: httpx.Client, text: str, expected: str) -> None:
    reply = say(gateway, f"c-{abs(hash(text)) % 10_000}", text)
    assert expected in reply["messages"][0]["text"]


def test_replies_can_be_fetched_later_by_id(gateway: httpx.Client) -> None:
    first = say(gateway, "t3", "你好")
    greeting_id = first["messages"][0]["id"]
    say(gateway, "t3", "失业登记要带什么材料")
    later = gateway.get(
        "/api/v1/chat/t3/messages", params={"after": greeting_id}, headers=citizen_headers("t3")
    ).json()
    assert [m["text"][:6] for m in later["messages"]] == ["【失业登记】"]


def test_traditional_chinese_is_understood_and_kept_as_written(
    gateway: httpx.Client, system: tuple[Settings, Supervisor]
) -> None:
    reply = say(gateway, "t6", "補辦駕駛證要帶什麼材料")
    assert reply["messages"][0]["text"].startswith("【机动车驾驶证补领】所需材料：")
    settings, _ = system
    tracker = httpx.get(f"{settings.rasa_url}/conversations/rest:t6/tracker", timeout=10).json()
    assert tracker["latest_message"]["text"] == "补办驾驶证要带什么材料"


@pytest.mark.model_scores
def test_parse_reports_intent_entity_and_area(gateway: httpx.Client) -> None:
    response = gateway.post("/api/v1/parse", json={"text": "我身份證丟了，補辦身份證要帶什麼材料"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["intent"] == "ask_materials" and body["confidence"] > 0.5
    assert any(e["entity"] == "service_item" for e in body["entities"])
    assert body["area"] == "certificates"
    follow_up = gateway.post("/api/v1/parse", json={"text": "那要多少钱"}).json()
    assert follow_up["intent"] == "ask_fee"


def test_rasa_only_ever_sees_masked_personal_data(
    gateway: httpx.Client, system: tuple[Settings, Supervisor]
) -> None:
    settings, _ = system
    say(gateway, "t4", "我身份证号11010519491231002X，电话13812345678，补办身份证要带什么材料")
    tracker = httpx.get(f"{settings.rasa_url}/conversations/rest:t4/tracker", timeout=10).json()
    seen = json.dumps(tracker, ensure_ascii=False)
    assert "11010519491231002X" not in seen and "13812345678" not in seen
    # Masked, then replaced by the words DIET was trained with (bot.privacy.nlu_placeholders).
    assert "〔身份证号〕" in seen and "〔手机号〕" in seen


def test_a_text_sent_again_is_understood_the_same_in_every_conversation(
    gateway: httpx.Client, system: tuple[Settings, Supervisor]
) -> None:
    """Rasa reuses what it made of a text it parsed recently (bot/scripts/rasa_server.py):
    each conversation must still get the parse of its own text, and a copy of its own."""
    settings, _ = system
    texts = ["补办身份证要带什么材料", "那要多少钱", "谢谢"]
    for sender in ("again-1", "again-2"):
        for text in texts:
            say(gateway, sender, text)

    def parses(sender: str) -> list[dict[str, Any]]:
        tracker = httpx.get(f"{settings.rasa_url}/conversations/rest:{sender}/tracker", timeout=10).json()
        users = [event for event in tracker["events"] if event["event"] == "user"]
        assert all(event["parse_data"]["message_id"] == event["message_id"] for event in users)
        return [event["parse_data"] for event in users]

    first, second = parses("again-1"), parses("again-2")
    assert [p["text"] for p in first] == texts
    assert [p["intent"]["name"] for p in first] == ["ask_materials", "ask_fee", "thanks"]
    ids = {p.pop("message_id") for p in first + second}
    assert len(ids) == 2 * len(texts)  # each message keeps its own id
    assert first == second


def test_rasa_serves_without_falling_back_to_its_own_code(
    gateway: httpx.Client, system: tuple[Settings, Supervisor]
) -> None:
    """Each replacement in bot/scripts/rasa_server.py hands what it was not written for to
    Rasa's own code, so production keeps serving; `/status` counts it. On our model (loaded
    when the system started, parsed here) none may: it would be a replacement gone stale.
    Nor may any replacement be left out (`RASA_STOCK_PATHS`, for A/B measurements only)."""
    settings, _ = system
    say(gateway, "fallback-1", "补办身份证要多少钱")
    status = httpx.get(f"{settings.rasa_url}/status", timeout=10).json()
    assert status["fallbacks"] == {"inference_loader": 0, "direct_predict": 0}, "see Rasa's log: [回退 …]"
    assert status["stock_paths"] == [], "RASA_STOCK_PATHS is only for the A/B tool"


def test_greeting_says_what_the_assistant_does_in_two_lines(gateway: httpx.Client) -> None:
    [greeting] = say(gateway, "g1", "你好")["messages"]
    assert greeting["text"].count("\n") <= 1
    assert "材料" in greeting["text"] and "投诉" in greeting["text"]


def test_a_missing_item_is_asked_for_with_up_to_three_buttons(gateway: httpx.Client) -> None:
    reply = say(gateway, "b1", "公积金提取要带什么材料")
    [question] = reply["messages"]
    assert question["text"].startswith("请问您想咨询哪一项业务")
    assert 2 <= len(question["buttons"]) <= 3
    chosen = question["buttons"][0]
    answer = say(gateway, "b1", chosen["payload"])
    assert answer["messages"][0]["text"].startswith(f"【{chosen['title']}】所需材料：")


def test_a_hall_named_alone_is_answered_with_its_hours(gateway: httpx.Client) -> None:
    [reply] = say(gateway, "p1", "车管所几点上班")["messages"]
    assert reply["text"].startswith("【示例区公安分局交通警察大队车辆管理所】\n1. 办公时间：")
    assert reply["data"] == {"type": "place", "place_id": "district_vehicle_office", "question": "hours"}


def test_two_stage_fallback_confirms_the_guess_then_answers(gateway: httpx.Client) -> None:
    guess = say(gateway, "f1", '/nlu_fallback{"service_item": "certificates.id_card_reissue"}')
    [confirm] = guess["messages"]
    assert confirm["text"] == "您是想了解「居民身份证补领」的事项概况吗？"
    assert [b["title"] for b in confirm["buttons"]] == ["是的", "不是"]
    answer = say(gateway, "f1", "是的")
    assert answer["messages"][0]["text"].startswith("【居民身份证补领】事项概况：")


def test_two_stage_fallback_rephrase_then_offers_a_person(gateway: httpx.Client) -> None:
    guess = say(gateway, "f2", '/nlu_fallback{"service_item": "transport.driving_license_renewal"}')
    assert guess["messages"][0]["text"].startswith("您是想了解「")
    rephrase = say(gateway, "f2", "不是")
    assert rephrase["messages"][0]["text"].startswith("好的。请您换个说法")
    person = say(gateway, "f2", "/nlu_fallback")
    handoff = handoff_of(person)
    assert handoff["reason"] == "fallback"
    assert "转接人工" in person["messages"][0]["text"]
    assert person["state"] == "queued" and person["messages"][-1]["data"]["type"] == "handoff_ack"


def test_a_complaint_without_details_is_asked_for_them_then_routed(gateway: httpx.Client) -> None:
    ask = say(gateway, "k1", "我要投诉")
    assert ask["messages"][0]["text"].startswith("请简要描述您要反映的情况")
    routed = say(gateway, "k1", "昨天坐出租车，司机绕路还不打表，多收了我三十块")
    handoff = handoff_of(routed)
    assert handoff["reason"] == "complaint" and handoff["area"] == "transport"
    assert handoff["description"] == "昨天坐出租车，司机绕路还不打表，多收了我三十块"
    assert "归入「交通」领域" in routed["messages"][0]["text"]
    assert routed["state"] == "queued"  # a person takes it from here (tests/integration/test_handoff.py)


def test_a_complaint_with_details_is_routed_at_once(gateway: httpx.Client) -> None:
    routed = say(gateway, "k2", "我要投诉，公司拖欠我们三个月工资了，老板一直不给")
    handoff = handoff_of(routed)
    assert handoff["reason"] == "complaint" and handoff["area"] == "employment"
    assert handoff["area_named_by_citizen"] is False


def test_a_suggestion_naming_its_area_is_routed_there(gateway: httpx.Client) -> None:
    ask = say(gateway, "k3", "我对住房方面提个建议")
    assert ask["messages"][0]["text"].startswith("请简要描述")
    routed = say(gateway, "k3", "希望公租房申请能在网上提交材料，不用跑现场")
    handoff = handoff_of(routed)
    assert handoff["reason"] == "suggestion" and handoff["area"] == "housing"


def test_a_cancelled_complaint_hands_nothing_off(gateway: httpx.Client) -> None:
    say(gateway, "k4", "我要投诉")
    cancelled = say(gateway, "k4", "算了")
    assert cancelled["messages"][0]["text"].startswith("好的，已取消")
    assert all(m["data"].get("type") != "handoff" for m in cancelled["messages"])
    # The form is over: the next question is answered normally.
    after = say(gateway, "k4", "补办身份证要带什么材料")
    assert after["messages"][0]["text"].startswith("【居民身份证补领】所需材料：")


def test_asking_for_a_person_emits_a_handoff_request(gateway: httpx.Client) -> None:
    say(gateway, "h1", "公积金租房提取要带什么材料")
    reply = say(gateway, "h1", "我要人工")
    handoff = handoff_of(reply)
    assert handoff["reason"] == "request_human"
    assert handoff["service_item"] and handoff["area"] == "housing"


def test_goodbye_asks_for_a_rating_which_is_stored(
    gateway: httpx.Client, system: tuple[Settings, Supervisor]
) -> None:
    settings, _ = system
    bye = say(gateway, "r1", "好的再见")
    assert bye["messages"][0]["text"].startswith("感谢您的咨询")
    rating = bye["messages"][1]
    assert len(rating["buttons"]) == 5
    thanks = say(gateway, "r1", rating["buttons"][1]["payload"])
    assert thanks["messages"][0]["text"].startswith("感谢您的评价（4 分，满意）")
    assert [b["title"] for b in rating["buttons"]][2] == "3 分 基本满意"
    typed = say(gateway, "r1", "非常满意")
    assert typed["messages"][0]["data"] == {"type": "rating", "score": 5}

    store = ConversationStore(create_db_engine(settings.effective_database_url))
    try:
        assert store.ratings(bye["conversation_id"]) == [4, 5]
    finally:
        store.close()


@pytest.mark.model_scores
def test_parse_classifies_the_area_of_a_complaint_and_finds_places(gateway: httpx.Client) -> None:
    complaint = gateway.post("/api/v1/parse", json={"text": "出租车司机绕路多收钱"}).json()
    assert complaint["intent"] == "complaint" and complaint["area"] == "transport"
    place = gateway.post("/api/v1/parse", json={"text": "不动产登记中心在哪里"}).json()
    assert {"entity": "place", "value": "district_real_estate_center"}.items() <= place["entities"][0].items()


def test_actions_down_is_503_with_a_chinese_message(
    gateway: httpx.Client, system: tuple[Settings, Supervisor]
) -> None:
    """Stops the action server, then starts it again for the tests that follow."""
    _, supervisor = system
    [actions] = [kid for kid in supervisor.kids if kid.name == "actions"]
    assert actions.process is not None
    actions.process.terminate()
    actions.process.wait(timeout=10)
    try:
        response = gateway.post("/api/v1/chat", json={"sender_id": "t5", "text": "补办驾驶证要带什么材料"})
        assert response.status_code == 503
        assert "您的留言已保存" in response.json()["detail"]
        assert gateway.get("/readyz").json()["down"] == ["actions"]
    finally:
        supervisor.start(only="actions")
        supervisor.wait_ready()
