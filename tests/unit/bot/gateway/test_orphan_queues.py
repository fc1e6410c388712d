"""No orphaned queue (issue 17, part 6): `other` is a queue staff can be given; every queue no
active staff member covers is flagged at start-up and in the reports; staff read a pressed
button by its title; the widget's conversations are the `widget` channel's; the citizen is told
their queue position out of office hours too. One gateway process, Rasa absent."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.contracts.areas import SERVICE_AREAS, Area
from bot.contracts.conversation import Role
from bot.contracts.replies import HandoffRequest
from bot.contracts.tickets import HandoffReason
from bot.gateway.app import create_app
from bot.gateway.handoff import HandoffService, button_titles
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.models import StaffRole
from bot.persistence.staff import StaffStore, uncovered_warning
from bot.persistence.store import ConversationStore, create_db_engine
from bot.persistence.tickets import NewTicket, TicketStore
from bot.settings import Settings
from tests.citizen import citizen_headers, citizen_socket
from tests.conftest import make_settings
from tests.staff import add_accounts, add_staff, bearer

FEE = '/ask_fee{"service_item": "certificates-id-card-reissue"}'
PLACE = '/ask_place{"service_item": "certificates-id-card-reissue"}'


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("orphans") / "var", OFFICE_HOURS="mon-sun 00:00-24:00")
    return add_accounts(
        settings,
        {
            "ling": ("--areas", "other"),
            "wang": ("--areas", "housing"),
            "boss": ("--admin",),
            "du": ("--role", "supervisor"),
        },
    )


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def _ticket(client: TestClient, channel: str, sender: str, area: str) -> tuple[str, str]:
    """A queued ticket for a new conversation; (conversation id, case number)."""
    store: ConversationStore = client.app.state.store  # type: ignore[attr-defined]
    tickets: TicketStore = client.app.state.tickets  # type: ignore[attr-defined]
    conversation = store.open_conversation(channel, sender)
    ticket, _ = tickets.open_ticket(
        NewTicket(conversation.id, channel, area, "request_human", 2, None, None, {"description": "?"})
    )
    return conversation.id, ticket.case_number


# --- `other` is a real queue ----------------------------------------------------------------


def test_staff_given_other_see_and_claim_its_tickets(client: TestClient, settings: Settings) -> None:
    created = add_staff(settings, "ling2", "--areas", "other,housing")
    assert created.returncode == 0 and "other" in created.stdout
    _, case = _ticket(client, "rest", "o1", "other")
    ling, wang = bearer(client, "ling"), bearer(client, "wang")
    listed = client.get("/api/v1/tickets", headers=ling).json()["tickets"]
    assert case in [t["case_number"] for t in listed]
    assert case not in [
        t["case_number"] for t in client.get("/api/v1/tickets", headers=wang).json()["tickets"]
    ]
    assert client.get(f"/api/v1/tickets/{case}", headers=ling).status_code == 200
    claimed = client.post(f"/api/v1/tickets/{case}/claim", headers=ling)
    assert claimed.status_code == 200 and claimed.json()["claimed_by_name"] == "ling"


# --- uncovered queues ---------------------------------------------------------------------


def test_uncovered_areas_counts_only_active_staff_members(database_url: str) -> None:
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    try:
        staff = StaffStore(engine)
        assert staff.uncovered_areas() == list(Area)  # nobody yet
        staff.add("nine", "a-long-password", [a.value for a in SERVICE_AREAS])
        staff.add("boss", "a-long-password", [], StaffRole.admin)
        staff.add("du", "a-long-password", [], StaffRole.supervisor)
        # The outside check's case: all nine covered, admins see everything, `other` still orphaned.
        assert staff.uncovered_areas() == [Area.other]
        staff.add("ling", "a-long-password", ["other", "housing"])
        assert staff.uncovered_areas() == []
        staff.set_active("ling", False)
        assert staff.uncovered_areas() == [Area.other]
    finally:
        engine.dispose()


def test_the_warning_names_each_uncovered_queue_in_chinese() -> None:
    assert uncovered_warning([]) is None
    warning = uncovered_warning([Area.other, Area.housing])
    assert warning is not None
    assert "其他（other）、住房（housing）" in warning and "--areas" in warning


def test_the_gateway_warns_at_start_up_of_queues_nobody_covers(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.gateway.app"), TestClient(create_app(settings)):
        pass
    [warning] = [r.getMessage() for r in caplog.records if "没有在职的工作人员负责" in r.getMessage()]
    assert "教育（education）" in warning and "资质认定（qualification）" in warning
    assert "住房" not in warning and "其他（other）" not in warning  # wang and ling cover these


def test_the_reports_list_the_uncovered_queues(client: TestClient) -> None:
    expected = [a.value for a in Area if a not in (Area.housing, Area.other)]
    for path in ("/api/v1/reports/summary", "/api/v1/reports/staff"):
        body = client.get(path, headers=bearer(client, "du")).json()
        assert [q["area"] for q in body["uncovered_queues"]] == expected
        assert body["uncovered_queues"][0] == {"area": "education", "label": "教育"}
    # staff see reports for their own areas only, which they cover
    assert (
        client.get("/api/v1/reports/summary", headers=bearer(client, "wang")).json()["uncovered_queues"] == []
    )


def test_the_reports_page_has_a_place_for_the_flag() -> None:
    static = Path(__file__).resolve().parents[4] / "bot" / "console" / "static"
    page = (static / "reports.html").read_text(encoding="utf-8")
    script = (static / "reports.js").read_text(encoding="utf-8")
    assert 'id="uncovered-queues"' in page and "showUncovered(data.uncovered_queues" in script


# --- a pressed button, as staff read it -----------------------------------------------------


def test_staff_read_a_pressed_button_by_its_title(client: TestClient) -> None:
    store: ConversationStore = client.app.state.store  # type: ignore[attr-defined]
    conversation_id, case = _ticket(client, "rest", "b1", "housing")
    buttons = [{"title": "收费标准", "payload": FEE}, {"title": "办理地点", "payload": PLACE}]
    store.append(conversation_id, Role.bot, "补办身份证需要……", {"buttons": buttons, "data": {}})
    pressed = store.append(conversation_id, Role.citizen, FEE, {})
    typed = store.append(conversation_id, Role.citizen, '/ask_steps{"service_item": "x"}', {})
    transcript = client.get(f"/api/v1/tickets/{case}", headers=bearer(client, "wang")).json()["messages"]
    by_id = {m["id"]: m for m in transcript}
    assert by_id[pressed.id]["text"] == "收费标准" and by_id[pressed.id]["button_payload"] == FEE
    assert (
        by_id[typed.id]["text"] == '/ask_steps{"service_item": "x"}'
        and "button_payload" not in by_id[typed.id]
    )
    # what Rasa was sent is kept as it was
    assert [m.text for m in store.recent(conversation_id, 5) if m.id == pressed.id] == [FEE]


def test_button_titles_take_the_latest_offer_and_only_citizen_messages(client: TestClient) -> None:
    store: ConversationStore = client.app.state.store  # type: ignore[attr-defined]
    conversation_id, _ = _ticket(client, "rest", "b2", "housing")
    store.append(conversation_id, Role.citizen, FEE, {})  # before any button: typed
    store.append(conversation_id, Role.bot, "a", {"buttons": [{"title": "收费", "payload": FEE}]})
    store.append(conversation_id, Role.bot, "b", {"buttons": [{"title": "收费标准", "payload": FEE}]})
    later = store.append(conversation_id, Role.citizen, FEE, {})
    assert button_titles(store.recent(conversation_id, 10)) == {later.id: "收费标准"}


def test_the_handoff_packet_and_the_live_console_show_the_title(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        state = client.app.state  # type: ignore[attr-defined]
        handoff: HandoffService = state.handoff
        conversation = state.store.open_conversation("rest", "b3")
        state.store.append(
            conversation.id, Role.bot, "……", {"buttons": [{"title": "收费标准", "payload": FEE}]}
        )
        state.store.append(conversation.id, Role.citizen, FEE, {})
        assert client.portal is not None
        ack = client.portal.call(handoff.open, conversation, HandoffRequest(area=Area.housing))
        ticket = state.tickets.get(ack.payload["data"]["case_number"])
        assert [t["text"] for t in ticket.packet["transcript"] if t["role"] == "citizen"] == ["收费标准"]
        with client.websocket_connect("/api/v1/tickets/ws", headers=bearer(client, "wang")) as console:
            assert console.receive_json()["type"] == "hello"
            state.store.append(
                conversation.id, Role.bot, "……", {"buttons": [{"title": "办理地点", "payload": PLACE}]}
            )
            queued = client.post("/api/v1/chat", json={"sender_id": "b3", "text": PLACE})
            assert queued.status_code == 200
            event = console.receive_json()
            while event.get("type") != "message" or event["message"]["role"] != "citizen":
                event = console.receive_json()
            assert event["message"]["text"] == "办理地点" and event["message"]["button_payload"] == PLACE


# --- the widget's channel -------------------------------------------------------------------


def test_the_widget_is_recorded_as_its_own_channel(client: TestClient) -> None:
    store: ConversationStore = client.app.state.store  # type: ignore[attr-defined]
    down = client.post("/api/v1/chat", json={"sender_id": "w-1", "text": "你好", "channel": "widget"})
    assert down.status_code == 503  # Rasa absent; the message is kept, under the widget's channel
    assert store.find_conversation("widget", "w-1") is not None
    assert store.find_conversation("rest", "w-1") is None
    bad = client.post("/api/v1/chat", json={"sender_id": "w-1", "text": "你好", "channel": "sms"})
    assert bad.status_code == 422 and any(e["field"] == "channel" for e in bad.json()["errors"])
    headers = citizen_headers("w-1")
    assert (
        client.get("/api/v1/chat/w-1/messages?history=true&channel=widget", headers=headers).status_code
        == 200
    )
    assert client.get("/api/v1/chat/w-1/messages", headers=headers).status_code == 404  # not a rest sender
    assert client.get("/api/v1/chat/w-1/messages?channel=sms", headers=headers).status_code == 422


def test_staff_replies_reach_the_widget_socket_and_history(client: TestClient) -> None:
    _, case = _ticket(client, "widget", "w-2", "housing")
    wang = bearer(client, "wang")
    with client.websocket_connect(citizen_socket("w-2") + "&channel=widget") as citizen:
        client.post(f"/api/v1/tickets/{case}/claim", headers=wang)
        assert "工作人员已接单" in citizen.receive_json()["message"]["text"]
        client.post(f"/api/v1/tickets/{case}/reply", headers=wang, json={"text": "您好，请讲。"})
        assert citizen.receive_json()["message"]["text"] == "您好，请讲。"
        citizen.send_json({"text": "谢谢"})  # a message on the socket goes to the widget's ticket
        assert citizen.receive_json()["type"] == "reply"
    detail = client.get(f"/api/v1/tickets/{case}", headers=wang).json()
    assert detail["channel"] == "widget" and detail["messages"][-1]["text"] == "谢谢"
    history = client.get("/api/v1/chat/w-2/messages?channel=widget", headers=citizen_headers("w-2")).json()
    assert [m["text"] for m in history["messages"]][-1] == "您好，请讲。"


def test_a_socket_with_an_unknown_channel_is_refused(client: TestClient) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect("/api/v1/chat/w-3/ws?channel=sms"),
    ):
        pass
    assert refused.value.code == 4422


def test_the_widget_script_says_it_is_the_widget(client: TestClient) -> None:
    script = client.get("/widget.js").text
    assert 'const CHANNEL = "widget";' in script
    assert "channel: CHANNEL" in script and "&channel=${CHANNEL}" in script


# --- out of office hours ----------------------------------------------------------------------


def test_out_of_office_hours_the_ack_still_says_the_queue_position(tmp_path: Path) -> None:
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    closed_now = make_settings(tmp_path / "var", OFFICE_HOURS="mon-sun 00:00-00:01", HOLIDAYS=[today])
    with TestClient(create_app(closed_now)) as client:
        state = client.app.state  # type: ignore[attr-defined]
        handoff: HandoffService = state.handoff
        request = HandoffRequest(reason=HandoffReason.request_human, area=Area.housing)
        assert client.portal is not None
        for number, channel in enumerate(("telegram", "wechat", "widget", "rest")):
            conversation = state.store.open_conversation(channel, f"night-{channel}")
            ack = client.portal.call(handoff.open, conversation, request)
            ahead = f"您前面还有 {number} 位" if number else "您是下一位"
            assert "现在是非工作时间" in ack.text
            assert f"当前排队第 {number + 1} 位（{ahead}）" in ack.text, ack.text
            assert ack.payload["data"]["queue_position"] == number + 1
