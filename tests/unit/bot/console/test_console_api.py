"""Staff accounts, console login (cookie + CSRF), API tokens, the ticket API and the live
channels, in one gateway process with Rasa absent (so resolve takes the gateway's own
«back to the bot» path; the path through Rasa is in tests/integration)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from bot.contracts.areas import Area
from bot.contracts.replies import HandoffRequest
from bot.contracts.tickets import HANDOFF_REASON_LABELS, HandoffReason
from bot.gateway.app import create_app
from bot.gateway.handoff import BACK_TO_BOT, HandoffService
from bot.settings import Settings
from tests.citizen import citizen_headers, citizen_socket
from tests.conftest import make_settings
from tests.staff import PASSWORD, add_accounts, add_staff, bearer, console_login, open_ticket


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("console") / "var", OFFICE_HOURS="mon-sun 00:00-24:00")
    return add_accounts(
        settings,
        {
            "wang": ("--areas", "housing,social_security"),
            "zhou": ("--areas", "transport"),
            "admin": ("--admin",),
        },
    )


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_staff_add_refuses_bad_input_in_chinese(settings: Settings) -> None:
    unknown = add_staff(settings, "sun", "--areas", "housing,parks")
    assert unknown.returncode == 2 and "未知的领域「parks」" in unknown.stderr
    duplicate = add_staff(settings, "wang", "--areas", "housing")
    assert duplicate.returncode == 2 and "已存在" in duplicate.stderr
    no_area = add_staff(settings, "sun")
    assert no_area.returncode == 2 and "--areas" in no_area.stderr


def test_api_login_and_bad_passwords(client: TestClient) -> None:
    assert client.get("/api/v1/tickets").status_code == 401
    wrong = client.post("/api/v1/auth", json={"username": "wang", "password": "nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "用户名或密码错误"
    me = client.get("/api/v1/auth/me", headers=bearer(client, "wang")).json()
    assert me == {"username": "wang", "role": "staff", "areas": ["housing", "social_security"]}


def test_queues_are_per_area_and_claims_are_exclusive(client: TestClient) -> None:
    case = open_ticket(client, "q1")
    wang, zhou, admin = (bearer(client, name) for name in ("wang", "zhou", "admin"))
    listed = client.get("/api/v1/tickets", headers=wang).json()["tickets"]
    assert case in [t["case_number"] for t in listed]
    others = client.get("/api/v1/tickets", headers=zhou).json()["tickets"]
    assert case not in [t["case_number"] for t in others]
    assert client.post(f"/api/v1/tickets/{case}/claim", headers=zhou).status_code == 404
    assert client.post(f"/api/v1/tickets/{case}/claim", headers=wang).json()["claimed_by_name"] == "wang"
    again = client.post(f"/api/v1/tickets/{case}/claim", headers=admin)
    assert again.status_code == 409 and "已被其他工作人员接单" in again.json()["detail"]


def test_reply_reaches_the_citizen_by_poll_and_socket_then_resolve_returns_to_the_bot(
    client: TestClient,
) -> None:
    case = open_ticket(client, "q2")
    wang = bearer(client, "wang")
    with client.websocket_connect(citizen_socket("q2")) as citizen:
        client.post(f"/api/v1/tickets/{case}/claim", headers=wang)
        assert "工作人员已接单" in citizen.receive_json()["message"]["text"]
        sent = client.post(
            f"/api/v1/tickets/{case}/reply", headers=wang, json={"text": "您好，租房提取每年可办一次。"}
        )
        assert sent.status_code == 200
        pushed = citizen.receive_json()["message"]
        assert pushed["role"] == "staff" and pushed["text"] == "您好，租房提取每年可办一次。"
        resolved = client.post(f"/api/v1/tickets/{case}/resolve", headers=wang, json={"note": "已答复"})
        assert resolved.json()["ticket"]["status"] == "resolved"
        assert citizen.receive_json()["message"]["text"] == BACK_TO_BOT
    polled = client.get("/api/v1/chat/q2/messages", headers=citizen_headers("q2")).json()
    assert polled["state"] == "bot"
    assert [m["role"] for m in polled["messages"]][-3:] == ["system", "staff", "bot"]
    detail = client.get(f"/api/v1/tickets/{case}", headers=wang).json()
    assert detail["first_reply_at"] and detail["resolved_at"] and detail["note"] == "已答复"
    assert [e["to"] for e in detail["events"]] == ["queued", "human", "bot"]


def test_citizen_messages_while_queued_go_to_the_ticket_with_the_position(client: TestClient) -> None:
    case = open_ticket(client, "q3")
    reply = client.post("/api/v1/chat", json={"sender_id": "q3", "text": "还要等多久？我电话13812345678"})
    assert reply.status_code == 200
    body = reply.json()
    assert body["state"] == "queued"
    assert re.search(rf"受理编号 {case}，当前排队第 \d+ 位", body["messages"][0]["text"])
    transcript = client.get(f"/api/v1/tickets/{case}", headers=bearer(client, "wang")).json()["messages"]
    assert transcript[-2]["text"] == "还要等多久？我电话138****5678"


def test_console_login_needs_the_forms_csrf_token(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.get("/console", follow_redirects=False).headers["location"] == "/console/login"
        client.get("/console/login")
        forged = client.post(
            "/console/login", data={"username": "wang", "password": PASSWORD, "csrf_token": "forged"}
        )
        assert "页面已过期" in forged.text and "zw_staff" not in client.cookies


def test_cookie_sessions_need_the_csrf_header_to_change_anything(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        csrf = console_login(client, "wang")
        case = open_ticket(client, "q4")
        assert client.get("/api/v1/tickets").status_code == 200  # reading needs no CSRF token
        refused = client.post(f"/api/v1/tickets/{case}/claim")
        assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
        allowed = client.post(f"/api/v1/tickets/{case}/claim", headers={"X-CSRF-Token": csrf})
        assert allowed.status_code == 200


def test_console_socket_pushes_ticket_changes_to_the_right_area_only(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        console_login(client, "zhou")
        with client.websocket_connect("/api/v1/tickets/ws") as console:
            assert console.receive_json()["type"] == "hello"
            housing = open_ticket(client, "q5", "housing")
            transport = open_ticket(client, "q6", "transport")
            admin = bearer(client, "admin")
            client.post(f"/api/v1/tickets/{housing}/claim", headers=admin)
            client.post(f"/api/v1/tickets/{transport}/claim", headers=admin)
            event: dict[str, Any] = console.receive_json()
            while event["type"] != "ticket":
                event = console.receive_json()
            assert event["ticket"]["case_number"] == transport  # the housing claim was not sent


def test_a_staff_answer_becomes_an_faq_after_an_admin_publishes_it(client: TestClient) -> None:
    case = open_ticket(client, "q7")
    wang, admin = bearer(client, "wang"), bearer(client, "admin")
    client.post(f"/api/v1/tickets/{case}/claim", headers=wang)
    question = "公积金租房提取一年能办几次"
    answer = "示例区规定：租房提取每年可办理一次，每次提取额度以公积金中心公布标准为准。"
    reply = client.post(
        f"/api/v1/tickets/{case}/reply", headers=wang, json={"text": answer, "faq_question": question}
    ).json()
    draft = reply["faq_draft"]
    assert draft["status"] == "draft" and draft["area"] == "housing"
    assert client.get("/api/v1/kb/drafts", headers=wang).status_code == 403
    pending = client.get("/api/v1/kb/drafts", headers=admin).json()["drafts"]
    assert draft["id"] in [d["id"] for d in pending]
    published = client.post(f"/api/v1/kb/drafts/{draft['id']}/publish", headers=admin)
    assert published.status_code == 200
    assert client.post(f"/api/v1/kb/drafts/{draft['id']}/publish", headers=admin).status_code == 409
    hits = client.app.state.knowledge.search_faqs(question, k=1)  # type: ignore[attr-defined]
    assert hits and hits[0].faq.a == answer


def test_canned_replies_follow_the_staff_areas(client: TestClient) -> None:
    canned = client.get("/api/v1/tickets/canned", headers=bearer(client, "zhou")).json()
    assert set(canned) == {"common", "transport"} and all(canned.values())


def test_outside_office_hours_the_citizen_is_told_when_staff_will_reply(tmp_path: Path) -> None:
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    closed_now = make_settings(tmp_path / "var", OFFICE_HOURS="mon-sun 00:00-00:01", HOLIDAYS=[today])
    with TestClient(create_app(closed_now)) as client:
        state = client.app.state  # type: ignore[attr-defined]
        handoff: HandoffService = state.handoff
        conversation = state.store.open_conversation("rest", "night1")
        request = HandoffRequest(
            reason=HandoffReason.request_human, area=Area.housing, description="我要人工"
        )
        assert client.portal is not None
        ack = client.portal.call(handoff.open, conversation, request)
        assert "现在是非工作时间（工作时间：周一至周日 0:00-0:01" in ack.text
        assert re.search(r"工作人员将于 \d+月\d+日（周.）0:00 起按顺序回复", ack.text)
        assert ack.payload["data"]["office_open"] is False and ack.payload["data"]["case_number"]
        polled = client.get("/api/v1/chat/night1/messages", headers=citizen_headers("night1")).json()
        assert polled["state"] == "queued" and polled["messages"][-1]["text"] == ack.text


def test_the_console_takes_its_labels_from_the_api(client: TestClient) -> None:
    assert client.get("/api/v1/labels").status_code == 401
    labels = client.get("/api/v1/labels", headers=bearer(client, "zhou")).json()
    assert list(labels["areas"]) == [area.value for area in Area] and labels["areas"]["housing"] == "住房"
    assert labels["handoff_reasons"] == {r.value: label for r, label in HANDOFF_REASON_LABELS.items()}
    assert labels["ticket_statuses"]["queued"] == "排队中"
    assert labels["follow_up_statuses"]["pending"] == "待回访"
    for script in ("console.js", "reports.js"):
        source = client.get(f"/console/static/{script}").text
        assert "/api/v1/labels" in source and "市民要求人工" not in source and "资质认定" not in source
