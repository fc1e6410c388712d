"""The gateway's edge: validation in Chinese, 503 when Rasa is away, masking before storage.

Rasa is not started here (its port is free and closed), which is exactly the "Rasa down"
case; the full dialogue through a real Rasa server is in tests/integration.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.gateway.app import create_app
from bot.persistence.store import ConversationStore
from bot.runner import free_port
from bot.settings import Settings
from tests.citizen import citizen_headers
from tests.conftest import make_settings
from tests.fake_rasa import running_fake_rasa


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("gateway") / "var")


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"sender_id": "t1", "text": ""}, "text", "内容不能为空"),
        ({"sender_id": "t1", "text": "   "}, "text", "内容不能为空"),
        ({"sender_id": "t1", "text": "问" * 1001}, "text", "最多 1000 个字符"),
        ({"text": "你好"}, "sender_id", "缺少必填字段"),
        ({"sender_id": "t 1/..", "text": "你好"}, "sender_id", "格式不正确"),
        ({"sender_id": "t1", "text": 5}, "text", "应为字符串"),
    ],
)
def test_bad_input_is_422_with_field_and_chinese_message(
    client: TestClient, body: dict[str, object], field: str, message: str
) -> None:
    response = client.post("/api/v1/chat", json=body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(e["field"] == field and message in e["message"] for e in errors), errors
    assert response.json()["detail"].startswith("请求有误：")


def test_exactly_1000_characters_passes_validation(client: TestClient) -> None:
    assert client.post("/api/v1/chat", json={"sender_id": "t1", "text": "问" * 1000}).status_code == 503


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/v1/chat", content=b'{"sender_id": "t1", "text": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "不是合法的 JSON" in response.json()["detail"]


def test_rasa_down_is_503_in_chinese_and_the_question_is_kept_masked(
    client: TestClient, settings: Settings
) -> None:
    response = client.post("/api/v1/chat", json={"sender_id": "t9", "text": "我手机13812345678，补办身份证"})
    assert response.status_code == 503
    assert response.json()["detail"].startswith("系统正在恢复，请稍后再试；您的留言已保存")
    assert "Traceback" not in response.text

    store: ConversationStore = client.app.state.store  # type: ignore[attr-defined]
    conversation = store.find_conversation("rest", "t9")
    assert conversation is not None
    [kept] = store.messages_after(conversation.id)
    assert kept.text == "我手机138****5678，补办身份证"


def test_readyz_reports_which_dependency_is_missing(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["down"] == ["rasa", "actions"]
    checks = response.json()["checks"]
    assert checks["rasa"]["ok"] is False and "down (ConnectionRefusedError)" in checks["rasa"]["detail"]
    assert checks["actions"]["ok"] is False
    assert checks["database"]["ok"] is True
    assert checks["index"]["ok"] is True


def test_messages_of_an_unknown_sender_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/chat/nobody/messages", headers=citizen_headers("nobody"))
    assert response.status_code == 404
    assert response.json()["detail"] == "没有找到该用户的会话"


def test_parse_needs_rasa_and_says_so(client: TestClient) -> None:
    response = client.post("/api/v1/parse", json={"text": "补办身份证要带什么材料"})
    assert response.status_code == 503
    # An operator's tool: where to look, not the chat's «您的留言已保存» (nothing is stored).
    assert "/readyz" in response.json()["detail"] and "留言" not in response.json()["detail"]
    assert client.post("/api/v1/parse", json={"text": ""}).status_code == 422


def test_parse_without_the_action_server_is_503_not_a_guessed_area(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Rasa parses, but the area of a text naming neither area nor item comes from the action
    server's classifier: while that server is away the answer is 503, not «other»."""
    with running_fake_rasa() as rasa:
        rasa.app.post("/model/parse")(
            lambda: {"intent": {"name": "complaint", "confidence": 0.9}, "entities": []}
        )
        var = tmp_path_factory.mktemp("parse-no-actions") / "var"
        settings = make_settings(var, RASA_PORT=rasa.port, ACTIONS_PORT=free_port())
        with TestClient(create_app(settings)) as client:
            response = client.post("/api/v1/parse", json={"text": "出租车司机绕路多收钱"})
    assert response.status_code == 503
    assert "动作服务" in response.json()["detail"]


def test_parse_endpoint_can_be_switched_off(tmp_path_factory: pytest.TempPathFactory) -> None:
    off = make_settings(tmp_path_factory.mktemp("noparse") / "var", PARSE_ENDPOINT=False)
    with TestClient(create_app(off)) as no_parse:
        assert no_parse.post("/api/v1/parse", json={"text": "你好"}).status_code == 404


def test_a_body_that_is_not_utf8_is_422_in_chinese(client: TestClient) -> None:
    """FastAPI's own answer would be an English 400 the schema does not document."""
    response = client.post(
        "/api/v1/chat", content=b"\xef\xbb\xbf\xff", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "请求有误：(请求体)：请求体不是合法的 JSON",
        "errors": [{"field": "(请求体)", "message": "请求体不是合法的 JSON"}],
    }
