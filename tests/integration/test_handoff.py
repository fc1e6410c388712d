"""Human handoff end to end through the real Rasa server: a citizen asks for a person or
complains, gets a case number, staff claim and answer over the ticket API, the citizen reads
the answer, and after resolve the bot answers again and asks for a rating."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from bot.runner import Supervisor
from bot.settings import Settings
from tests.citizen import citizen_headers
from tests.integration.conftest import say
from tests.staff import bearer, ensure_staff

pytestmark = pytest.mark.integration

CASE = re.compile(r"ZW-\d{8}-\d{4}")


@pytest.fixture(scope="module")
def staff(system: tuple[Settings, Supervisor], gateway: httpx.Client) -> dict[str, dict[str, str]]:
    settings, _ = system
    ensure_staff(settings, "housing_clerk", "--areas", "housing")
    ensure_staff(settings, "transport_clerk", "--areas", "transport")
    ensure_staff(settings, "handoff_admin", "--admin")
    return {name: bearer(gateway, name) for name in ("housing_clerk", "transport_clerk", "handoff_admin")}


def case_number_of(reply: dict[str, Any]) -> str:
    acks = [m for m in reply["messages"] if m["data"].get("type") == "handoff_ack"]
    assert len(acks) == 1, reply
    found = CASE.search(acks[0]["text"])
    assert found and found.group(0) == acks[0]["data"]["case_number"]
    return found.group(0)


def test_person_requested_answered_resolved_then_the_bot_again(
    gateway: httpx.Client, staff: dict[str, dict[str, str]]
) -> None:
    clerk = staff["housing_clerk"]
    say(gateway, "p1", "公积金租房提取要带什么材料")
    reply = say(gateway, "p1", "我要人工")
    assert reply["state"] == "queued"
    case = case_number_of(reply)

    queue = gateway.get("/api/v1/tickets", params={"area": "housing"}, headers=clerk).json()["tickets"]
    ticket = next(t for t in queue if t["case_number"] == case)
    assert ticket["reason"] == "request_human" and ticket["queue_position"] >= 1
    assert ticket["service_item"] and ticket["packet"]["service_item_name"]
    assert ticket["packet"]["last_bot_answer"].startswith("【")
    assert [m["role"] for m in ticket["packet"]["transcript"]][:2] == ["citizen", "bot"]
    assert gateway.get(f"/api/v1/tickets/{case}", headers=staff["transport_clerk"]).status_code == 404

    assert gateway.post(f"/api/v1/tickets/{case}/claim", headers=clerk).status_code == 200
    waiting = say(gateway, "p1", "您好，我是租房住的，想问能不能每个月都提")
    assert waiting["state"] == "human" and waiting["messages"] == []  # no bot in between
    transcript = gateway.get(f"/api/v1/tickets/{case}", headers=clerk).json()["messages"]
    assert transcript[-1]["text"] == "您好，我是租房住的，想问能不能每个月都提"

    last_seen = max(m["id"] for m in waiting["messages"] + reply["messages"])
    answer = "您好，示例区租房提取可按月或按年办理，具体以公积金中心规定为准。"
    assert (
        gateway.post(f"/api/v1/tickets/{case}/reply", headers=clerk, json={"text": answer}).status_code == 200
    )
    later = gateway.get(
        "/api/v1/chat/p1/messages", params={"after": last_seen}, headers=citizen_headers("p1")
    ).json()
    assert answer in [m["text"] for m in later["messages"] if m["role"] == "staff"]

    resolved = gateway.post(f"/api/v1/tickets/{case}/resolve", headers=clerk, json={"note": "已答复租房提取"})
    assert resolved.status_code == 200
    back, rating = resolved.json()["messages"]
    assert back["text"].startswith("工作人员已处理完您的问题")
    assert len(rating["buttons"]) == 5  # Rasa itself asks for the rating (ConversationResumed)

    thanks = say(gateway, "p1", rating["buttons"][0]["payload"])
    assert thanks["state"] == "bot"
    assert thanks["messages"][0]["text"].startswith("感谢您的评价（5 分，非常满意）")
    again = say(gateway, "p1", "补办身份证要带什么材料")
    assert again["messages"][0]["text"].startswith("【居民身份证补领】所需材料：")


def test_a_complaint_lands_in_its_areas_queue_with_high_priority(
    gateway: httpx.Client, staff: dict[str, dict[str, str]]
) -> None:
    reply = say(gateway, "p2", "我要投诉，出租车司机绕路还不打表，多收了我三十块")
    case = case_number_of(reply)
    ticket = gateway.get(f"/api/v1/tickets/{case}", headers=staff["transport_clerk"]).json()
    assert ticket["area"] == "transport" and ticket["reason"] == "complaint" and ticket["priority"] == 1
    assert "绕路" in ticket["packet"]["description"]
    closed = gateway.post(
        f"/api/v1/tickets/{case}/close", headers=staff["transport_clerk"], json={"note": "转交"}
    )
    assert closed.json()["ticket"]["status"] == "closed"
    assert say(gateway, "p2", "你好")["state"] == "bot"  # a closed conversation starts over


def test_the_bot_answers_beside_a_filed_complaint_until_a_person_takes_it(
    gateway: httpx.Client, staff: dict[str, dict[str, str]]
) -> None:
    """A complaint is a case filed, not a chat taken over: questions asked while it waits are
    answered by the bot (and reach the case); once a clerk takes it, only the clerk answers."""
    clerk = staff["housing_clerk"]
    say(gateway, "p5", "公积金缴存证明怎么开")
    filed = say(gateway, "p5", "上回去窗口排了俩钟头 工作人员一句系统坏了就打发我走 什么服务 我要投诉")
    case = case_number_of(filed)
    assert filed["state"] == "queued" and "仍可以继续向我咨询" in filed["messages"][-1]["text"]
    asked = say(gateway, "p5", "网上能开吗")
    assert asked["state"] == "queued"
    assert [m["data"].get("item_id") for m in asked["messages"]] == [
        "housing.provident_fund_deposit_certificate"
    ]
    transcript = gateway.get(f"/api/v1/tickets/{case}", headers=clerk).json()["messages"]
    assert "网上能开吗" in [m["text"] for m in transcript]
    assert gateway.post(f"/api/v1/tickets/{case}/claim", headers=clerk).status_code == 200
    taken = say(gateway, "p5", "要带身份证吗")
    assert taken["state"] == "human" and taken["messages"] == []  # the clerk answers now


def test_two_misunderstandings_in_a_row_open_a_ticket(
    gateway: httpx.Client, staff: dict[str, dict[str, str]]
) -> None:
    """«/nlu_fallback» is what NLU yields below its threshold (forced, so the test does not
    depend on how a retrained model scores a vague sentence)."""
    first = say(gateway, "p3", "/nlu_fallback")
    assert first["state"] == "bot"
    reply = say(gateway, "p3", "/nlu_fallback")
    assert reply["state"] == "queued"
    case = case_number_of(reply)
    ticket = gateway.get(f"/api/v1/tickets/{case}", headers=staff["handoff_admin"]).json()
    assert ticket["reason"] == "fallback" and [e["reason"] for e in ticket["events"]] == ["fallback"]
