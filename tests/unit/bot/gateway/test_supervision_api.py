"""Supervision through the real gateway (Rasa absent): the read-only supervisor role and
transfers (转办) as staff, supervisors and citizens see them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from bot.gateway.app import create_app
from bot.persistence.follow_ups import FollowUpStore
from bot.reports.summary import default_dates
from bot.settings import Settings
from tests.citizen import citizen_headers, citizen_socket
from tests.conftest import make_settings
from tests.staff import add_accounts, add_staff, bearer, console_login, open_ticket, staff_command


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(
        tmp_path_factory.mktemp("supervision") / "var", OFFICE_HOURS="mon-sun 00:00-24:00"
    )
    return add_accounts(
        settings,
        {
            "wang": ("--areas", "housing"),
            "chen": ("--areas", "social_security"),
            "sup": ("--role", "supervisor"),
            "boss": ("--admin",),
        },
    )


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_the_supervisor_role_is_created_from_the_command_line(settings: Settings, client: TestClient) -> None:
    me = client.get("/api/v1/auth/me", headers=bearer(client, "sup")).json()
    assert me == {"username": "sup", "role": "supervisor", "areas": []}
    both = add_staff(settings, "x1", "--admin", "--role", "supervisor")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    created = staff_command(settings, "sup2", "--role", "supervisor")  # a process of its own
    assert created.returncode == 0 and "已创建督查员 sup2" in created.stdout


def test_a_supervisor_reads_every_ticket_but_the_api_refuses_every_action(client: TestClient) -> None:
    case = open_ticket(client, "s1", "housing")
    other = open_ticket(client, "s2", "transport")  # nobody but admins and supervisors sees it
    sup = bearer(client, "sup")
    listed = {t["case_number"] for t in client.get("/api/v1/tickets", headers=sup).json()["tickets"]}
    assert {case, other} <= listed
    assert client.get(f"/api/v1/tickets/{other}", headers=sup).status_code == 200
    for verb, body in [
        ("claim", None),
        ("reply", {"text": "您好"}),
        ("resolve", {"note": ""}),
        ("close", {"note": ""}),
        ("transfer", {"area": "education", "reason": "试一下"}),
    ]:
        refused = client.post(f"/api/v1/tickets/{case}/{verb}", headers=sup, json=body)
        assert refused.status_code == 403, verb
        assert "督查员只能查看" in refused.json()["detail"]
    assert client.get(f"/api/v1/tickets/{case}", headers=sup).json()["status"] == "queued"
    # Staff still may not even see another area's ticket.
    assert client.get(f"/api/v1/tickets/{other}", headers=bearer(client, "wang")).status_code == 404


def test_the_console_page_of_a_supervisor_is_read_only(settings: Settings) -> None:
    with TestClient(create_app(settings)) as browser:
        csrf = console_login(browser, "sup")
        page = browser.get("/console").text
        assert 'data-role="supervisor"' in page and "督查员只读" in page
        case = open_ticket(browser, "s3")
        refused = browser.post(f"/api/v1/tickets/{case}/claim", headers={"X-CSRF-Token": csrf})
        assert refused.status_code == 403


def test_a_transfer_moves_the_queue_tells_the_citizen_and_is_audited(client: TestClient) -> None:
    case = open_ticket(client, "s4", "housing")
    wang, chen = bearer(client, "wang"), bearer(client, "chen")
    assert client.post(f"/api/v1/tickets/{case}/claim", headers=wang).status_code == 200
    bad = client.post(f"/api/v1/tickets/{case}/transfer", headers=wang, json={"area": "parks", "reason": "x"})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"area", "reason"}
    with client.websocket_connect(citizen_socket("s4")) as citizen:
        moved = client.post(
            f"/api/v1/tickets/{case}/transfer",
            headers=wang,
            json={"area": "social_security", "reason": "问的是养老保险关系转移"},
        )
        assert moved.status_code == 200, moved.text
        pushed = citizen.receive_json()["message"]
    assert pushed["data"]["type"] == "transferred"
    assert "已转交「社保」领域（示例区人力资源和社会保障局（社会保险））办理" in pushed["text"]
    assert f"受理编号 {case} 不变" in pushed["text"]
    ticket = moved.json()["ticket"]
    assert (ticket["case_number"], ticket["area"], ticket["status"]) == (case, "social_security", "queued")
    assert client.get(f"/api/v1/tickets/{case}", headers=wang).status_code == 404  # no longer wang's
    detail = client.get(f"/api/v1/tickets/{case}", headers=chen).json()
    assert detail["transfers"][0]["reason"] == "问的是养老保险关系转移"
    assert detail["transfers"][0]["staff"] == "wang"
    assert detail["events"][-1]["reason"] == "transferred"
    assert detail["messages"][-1]["text"] == pushed["text"]
    polled = client.get("/api/v1/chat/s4/messages", headers=citizen_headers("s4")).json()
    assert polled["state"] == "queued" and polled["messages"][-1]["data"]["area"] == "social_security"
    assert client.post(f"/api/v1/tickets/{case}/claim", headers=chen).status_code == 200


def test_only_the_holder_may_transfer_a_claimed_ticket(client: TestClient) -> None:
    case = open_ticket(client, "s5", "housing")
    client.post(f"/api/v1/tickets/{case}/claim", headers=bearer(client, "wang"))
    taken = client.post(
        f"/api/v1/tickets/{case}/transfer",
        headers=bearer(client, "boss"),
        json={"area": "education", "reason": "试试"},
    )
    assert taken.status_code == 409 and "不能转办" in taken.json()["detail"]


def test_the_follow_up_list_is_read_by_supervisors_and_worked_by_the_area(client: TestClient) -> None:
    case = open_ticket(client, "s6", "housing")
    ticket = client.get(f"/api/v1/tickets/{case}", headers=bearer(client, "boss")).json()
    follow_ups: FollowUpStore = client.app.state.follow_ups  # type: ignore[attr-defined]
    task = follow_ups.record_rating(ticket["conversation_id"], 1)
    assert task is not None
    wang, chen, sup = bearer(client, "wang"), bearer(client, "chen"), bearer(client, "sup")
    listed = client.get("/api/v1/follow-ups?status=pending", headers=wang).json()["follow_ups"]
    assert [(t["id"], t["case_number"], t["status_label"]) for t in listed] == [(task.id, case, "待回访")]
    assert client.get("/api/v1/follow-ups", headers=chen).json()["follow_ups"] == []
    assert client.get(f"/api/v1/follow-ups/{task.id}", headers=chen).status_code == 404
    assert client.get(f"/api/v1/follow-ups/{task.id}", headers=sup).json()["area"] == "housing"
    step = {"status": "contacted", "note": "已电话回访"}
    refused = client.post(f"/api/v1/follow-ups/{task.id}/advance", headers=sup, json=step)
    assert refused.status_code == 403 and "督查员只能查看" in refused.json()["detail"]
    advance = f"/api/v1/follow-ups/{task.id}/advance"
    bad = client.post(advance, headers=wang, json={"status": "done", "note": ""})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"status", "note"}
    skipped = client.post(
        f"/api/v1/follow-ups/{task.id}/advance", headers=wang, json={"status": "rectified", "note": "已整改"}
    )
    assert skipped.status_code == 409 and "不能改为「已整改」" in skipped.json()["detail"]
    done = client.post(f"/api/v1/follow-ups/{task.id}/advance", headers=wang, json=step).json()
    assert done["status_label"] == "已回访" and done["notes"][0]["staff"] == "wang"
    assert client.get("/api/v1/follow-ups?status=nope", headers=wang).status_code == 422
    assert client.get("/api/v1/follow-ups").status_code == 401


def test_the_reports_page_needs_a_login_and_runs_no_inline_script(settings: Settings) -> None:
    with TestClient(create_app(settings)) as browser:
        assert browser.get("/console/reports", follow_redirects=False).headers["location"] == "/console/login"
        console_login(browser, "sup")
        page = browser.get("/console/reports")
        assert page.status_code == 200 and 'data-role="supervisor"' in page.text
        # the default range ends on the gateway's today, not on the browser's (issue 17)
        start, end = default_dates(settings.timezone)
        assert (end - start).days == 29 and end == dt.datetime.now(ZoneInfo(settings.timezone)).date()
        assert f'name="from" value="{start}"' in page.text and f'name="to" value="{end}"' in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        scripts = re.findall(r"<script[^>]*>", page.text)
        assert scripts == [
            '<script src="/console/vendor/echarts.min.js">',
            '<script src="/console/static/reports.js">',
        ]
        script = browser.get("/console/static/reports.js")
        assert script.status_code == 200 and "/api/v1/reports/summary" in script.text
        assert "innerHTML" not in script.text
