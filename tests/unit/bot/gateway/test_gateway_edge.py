"""The gateway's edge against careless or hostile clients, and what it tells browsers.

Integers beyond 64 bits, oversized bodies (declared or chunked) and bad WebSocket frames get
a Chinese 4xx or error message, never a 500 or a dead socket. CORS only on the widget's chat
routes and only for WIDGET_ORIGINS; nosniff and a referrer policy on everything; a
Content-Security-Policy without inline scripts on every HTML page (no framing for the
console, WIDGET_ORIGINS for the demo page); `Connection: close` after a 500. One gateway
process, Rasa absent."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.gateway.app import create_app
from bot.gateway.bus import CONSOLE, EventBus
from bot.gateway.params import MAX_ROW_ID
from connectors.rest import get_rest
from tests.citizen import citizen_headers
from tests.conftest import make_settings
from tests.staff import bearer, console_login, ensure_staff

LIMIT = 4096
TOO_BIG = MAX_ROW_ID + 1
FOREIGN = "https://evil.example"
WIDGET_SITE = "https://www.example.gov.cn"
PREFLIGHT = {"Origin": FOREIGN, "Access-Control-Request-Method": "POST"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("edge") / "var", MAX_REQUEST_BYTES=LIMIT)
    ensure_staff(settings, "admin", "--admin")
    ensure_staff(settings, "wang", "--areas", "housing")
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def one_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("one_site") / "var", WIDGET_ORIGINS=[WIDGET_SITE])
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def integer_parameters(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["schema"].get("type") == "integer":
                    yield f"{method.upper()} {path}", parameter["name"], parameter["schema"]


def test_every_integer_parameter_is_bounded_to_64_bits(client: TestClient) -> None:
    found = list(integer_parameters(client.get("/openapi.json").json()))
    assert {(operation, name) for operation, name, _ in found} >= {
        ("GET /api/v1/chat/{sender_id}/messages", "after"),
        ("POST /api/v1/kb/drafts/{draft_id}/publish", "draft_id"),
        ("POST /api/v1/kb/drafts/{draft_id}/reject", "draft_id"),
    }
    for operation, name, schema in found:
        bounded = schema.get("minimum", -1) >= 0 and schema.get("maximum", TOO_BIG) <= MAX_ROW_ID
        assert bounded, f"{operation} {name}"


@pytest.mark.parametrize(
    ("after", "message"),
    [(TOO_BIG, f"数值过大，最大为 {MAX_ROW_ID}"), (-1, "数值过小，最小为 0"), ("abc", "应为整数")],
)
def test_an_out_of_range_cursor_is_422_in_chinese(client: TestClient, after: object, message: str) -> None:
    response = client.get(f"/api/v1/chat/t1/messages?after={after}")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "after", "message": message}]
    assert response.json()["detail"] == f"请求有误：after：{message}"


def test_the_largest_cursor_is_accepted(client: TestClient) -> None:
    response = client.get(
        f"/api/v1/chat/nobody/messages?after={MAX_ROW_ID}", headers=citizen_headers("nobody")
    )
    assert response.status_code == 404 and response.json()["detail"] == "没有找到该用户的会话"


@pytest.mark.parametrize("action", ["publish", "reject"])
def test_draft_ids_beyond_64_bits_are_422(client: TestClient, action: str) -> None:
    admin = bearer(client, "admin")
    response = client.post(f"/api/v1/kb/drafts/{TOO_BIG}/{action}", headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "draft_id", "message": f"数值过大，最大为 {MAX_ROW_ID}"}]
    missing = client.post(f"/api/v1/kb/drafts/{MAX_ROW_ID}/{action}", headers=admin)
    assert missing.status_code == 404 and "没有编号为" in missing.json()["detail"]


def test_a_declared_oversized_body_is_413_before_it_is_read(client: TestClient) -> None:
    body = b'{"sender_id": "t1", "text": "' + b"x" * LIMIT + b'"}'
    response = client.post("/api/v1/chat", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"detail": f"请求内容过大：最多 {LIMIT} 字节"}
    assert response.headers["connection"] == "close"


def _chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // 512):
        yield b" " * 512


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/chat", "application/json"),
        ("/console/login", "application/x-www-form-urlencoded"),
        ("/api/v1/auth", "application/json"),
    ],
)
def test_a_chunked_body_is_refused_once_it_passes_the_limit(
    client: TestClient, path: str, content_type: str
) -> None:
    response = client.post(path, content=_chunks(LIMIT * 4), headers={"content-type": content_type})
    assert response.status_code == 413
    assert response.json()["detail"] == f"请求内容过大：最多 {LIMIT} 字节"


def test_a_body_at_the_limit_is_read(client: TestClient) -> None:
    body = b'{"sender_id": "t1", "text": ""}'
    padded = body + b" " * (LIMIT - len(body))
    response = client.post("/api/v1/chat", content=padded, headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "text"


@pytest.mark.parametrize(
    ("after", "message"), [("abc", "应为整数"), (str(TOO_BIG), "数值过大"), ("-5", "数值过小")]
)
def test_a_bad_cursor_on_the_citizen_socket_is_explained_then_closed_1008(
    client: TestClient, after: str, message: str
) -> None:
    with client.websocket_connect(f"/api/v1/chat/ws1/ws?after={after}") as socket:
        error = socket.receive_json()
        assert error["type"] == "error" and error["detail"].startswith(f"请求有误：after：{message}")
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
        assert closed.value.code == 1008


def test_bad_frames_on_the_citizen_socket_get_an_error_and_the_socket_lives_on(client: TestClient) -> None:
    with client.websocket_connect("/api/v1/chat/ws2/ws?after=0") as socket:
        socket.send_text("补办身份证")
        assert socket.receive_json() == {"type": "error", "detail": "消息不是合法的 JSON"}
        socket.send_bytes(b'{"text": "\xe4\xbd\xa0\xe5\xa5\xbd"}')
        assert socket.receive_json() == {"type": "error", "detail": "只接受 JSON 文本消息，不接受二进制消息"}
        for wrong in ([1, 2], {"txt": "你好"}, {"text": 5}, "你好"):
            socket.send_json(wrong)
            assert "消息格式不正确" in socket.receive_json()["detail"]
        socket.send_json({"text": "你好"})
        assert "您的留言已保存" in socket.receive_json()["detail"]  # a real turn: Rasa is absent here


def test_frames_sent_to_the_console_socket_get_an_error_and_pushes_continue(client: TestClient) -> None:
    bus: EventBus = client.app.state.bus  # type: ignore[attr-defined]
    with client.websocket_connect("/api/v1/tickets/ws", headers=bearer(client, "wang")) as console:
        assert console.receive_json()["type"] == "hello"
        console.send_bytes(b"\x00")
        console.send_text("{")
        console.send_json({"type": "claim"})
        for _ in range(3):
            error = console.receive_json()
            assert error["type"] == "error" and error["detail"]
        event = {"type": "ticket", "ticket": {"area": "housing", "case_number": "T1"}}
        assert client.portal is not None
        client.portal.call(bus.publish, CONSOLE, event)
        assert console.receive_json() == event


def directives(policy: str) -> dict[str, list[str]]:
    parsed = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parsed}


def test_the_widget_routes_answer_any_origin_by_default(client: TestClient) -> None:
    preflight = client.options("/api/v1/chat", headers=PREFLIGHT)
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "*"
    polled = client.get("/api/v1/chat/nobody/messages", headers={"Origin": FOREIGN})
    assert polled.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/tickets"),
        ("POST", "/api/v1/auth"),
        ("GET", "/api/v1/auth/me"),
        ("GET", "/api/v1/kb/search?q=身份证"),
        ("GET", "/api/v1/kb/drafts"),
        ("GET", "/console/login"),
        ("GET", "/readyz"),
    ],
)
def test_staff_and_other_routes_answer_no_foreign_origin(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, headers={"Origin": FOREIGN})
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(path.split("?")[0], headers=PREFLIGHT)
    assert "access-control-allow-origin" not in preflight.headers


def test_with_widget_origins_set_only_those_sites_get_cors(one_site: TestClient) -> None:
    allowed = one_site.options("/api/v1/chat", headers={**PREFLIGHT, "Origin": WIDGET_SITE})
    assert allowed.headers["access-control-allow-origin"] == WIDGET_SITE
    refused = one_site.get("/api/v1/chat/nobody/messages", headers={"Origin": FOREIGN})
    assert "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize(
    "path", ["/healthz", "/readyz", "/api/v1/chat/nobody/messages", "/widget.js", "/nowhere"]
)
def test_every_response_has_nosniff_and_a_referrer_policy(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


# Every page the gateway serves as HTML (the rest is JSON, scripts and styles).
PAGES = ["/", "/console", "/console/login", "/docs", "/redoc"]


def html_pages(client: TestClient) -> Iterator[tuple[str, str, dict[str, list[str]]]]:
    console_login(client, "wang")
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        yield path, response.text, directives(response.headers["content-security-policy"])


def test_every_html_page_has_a_policy_without_inline_scripts(client: TestClient) -> None:
    for path, text, policy in html_pages(client):
        assert "'unsafe-inline'" not in policy["script-src"], path
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"], path
        hashes = {v for v in policy["script-src"] if v.startswith("'sha256-")}
        for inline in re.findall(r"<script>(.*?)</script>", text, re.DOTALL):
            digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in hashes, path  # only the docs page has one
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", text), f"{path} has an inline event handler"


def test_console_pages_may_not_be_framed_and_allow_no_inline_style(client: TestClient) -> None:
    for path, _, policy in html_pages(client):
        if path.startswith("/console"):
            assert policy["frame-ancestors"] == ["'none'"], path
            assert policy["style-src"] == ["'self'"], path


def test_the_demo_page_may_be_framed_by_the_widget_sites(client: TestClient, one_site: TestClient) -> None:
    default = directives(client.get("/").headers["content-security-policy"])
    assert default["frame-ancestors"] == ["*"]
    assert default["style-src"] == ["'self'", "'unsafe-inline'"]  # its <style> and the widget's
    assert default["script-src"] == ["'self'"] and default["connect-src"] == ["'self'"]
    restricted = directives(one_site.get("/").headers["content-security-policy"])
    assert restricted["frame-ancestors"] == ["'self'", WIDGET_SITE]


def test_a_500_says_connection_close_and_carries_the_headers(client: TestClient) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    client.app.dependency_overrides[get_rest] = broken  # type: ignore[attr-defined]
    try:
        response = client.post("/api/v1/chat", json={"sender_id": "t1", "text": "你好"})
    finally:
        client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    assert response.status_code == 500 and "服务内部出错" in response.json()["detail"]
    assert "boom" not in response.text
    assert response.headers["connection"] == "close"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://testserver", True),
        ("http://testserver:80", True),
        ("https://testserver", False),  # same host, other scheme: another origin
        ("http://testserver:8080", False),
        ("http://testserver.evil.example", False),
        (FOREIGN, False),
        ("null", False),
    ],
)
def test_the_console_socket_accepts_only_its_own_scheme_host_and_port(
    client: TestClient, origin: str, allowed: bool
) -> None:
    headers = {**bearer(client, "wang"), "Origin": origin}
    if allowed:
        with client.websocket_connect("/api/v1/tickets/ws", headers=headers) as console:
            assert console.receive_json()["type"] == "hello"
        return
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect("/api/v1/tickets/ws", headers=headers),
    ):
        pass
    assert refused.value.code == 4401
