"""Citizen history and the citizen WebSocket need the conversation token handed out with the
reply that opened the conversation (or an integrator's API key); a sender id alone reads
nothing. Gateway in-process, a scripted Rasa on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.gateway.app import create_app
from tests.conftest import make_settings
from tests.fake_rasa import running_fake_rasa

API_KEY = "integrator-key-for-tests"
HISTORY = "/api/v1/chat/{}/messages?history=true"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with running_fake_rasa() as rasa:
        settings = make_settings(
            tmp_path_factory.mktemp("access") / "var", RASA_PORT=rasa.port, CHAT_API_KEYS=[API_KEY]
        )
        with TestClient(create_app(settings)) as test_client:
            yield test_client


def say(client: TestClient, sender: str, text: str) -> dict[str, Any]:
    response = client.post("/api/v1/chat", json={"sender_id": sender, "text": text})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_first_reply_carries_the_token_that_alone_opens_the_history(client: TestClient) -> None:
    token = say(client, "13800000001", "你好")["conversation_token"]
    later = say(client, "13800000001", "营业执照")
    assert token and later["conversation_token"] is None  # never handed out again
    assert say(client, "13800000002", "你好")["conversation_token"] not in (None, token)

    missing = client.get(HISTORY.format("13800000001"))
    assert missing.status_code == 401 and "需要会话凭证" in missing.json()["detail"]
    others = client.get(HISTORY.format("13800000002"), headers={"X-Conversation-Token": token})
    assert others.status_code == 403 and "会话凭证无效" in others.json()["detail"]
    polled = client.get("/api/v1/chat/13800000002/messages?after=0")
    assert polled.status_code == 401  # every read of the messages, not only the history

    mine = client.get(HISTORY.format("13800000001"), headers={"X-Conversation-Token": token})
    said = [m["text"] for m in mine.json()["messages"]]
    assert said == ["你好", "收到：你好", "营业执照", "收到：营业执照"]
    by_key = client.get(HISTORY.format("13800000002"), headers={"X-API-Key": API_KEY})
    assert by_key.status_code == 200 and by_key.json()["messages"][0]["text"] == "你好"
    wrong_key = client.get(HISTORY.format("13800000002"), headers={"X-API-Key": "guess"})
    assert wrong_key.status_code == 401


def test_a_socket_that_opens_the_conversation_gets_the_token_and_others_need_it(client: TestClient) -> None:
    with client.websocket_connect("/api/v1/chat/w-new/ws") as socket:
        socket.send_json({"text": "你好"})
        reply = socket.receive_json()
    token = reply["conversation_token"]
    assert reply["type"] == "reply" and token

    for query, code in (("", 4401), ("?token=forged", 4403)):
        with client.websocket_connect(f"/api/v1/chat/w-new/ws{query}") as socket:
            assert "会话凭证" in socket.receive_json()["detail"]
            with pytest.raises(WebSocketDisconnect) as closed:
                socket.receive_json()
            assert closed.value.code == code

    first_id = reply["messages"][0]["id"]
    with client.websocket_connect(f"/api/v1/chat/w-new/ws?token={token}&after={first_id - 1}") as socket:
        assert socket.receive_json()["message"]["text"] == "收到：你好"  # replayed
        socket.send_json({"text": "再问"})
        again = socket.receive_json()
    assert again["messages"][0]["text"] == "收到：再问" and "conversation_token" not in again


def test_the_schema_documents_both_ways_in_and_the_refusals(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ConversationToken"]["name"] == "X-Conversation-Token"
    assert schemes["ChatApiKey"]["name"] == "X-API-Key"
    read = schema["paths"]["/api/v1/chat/{sender_id}/messages"]["get"]
    assert {"401", "403"} <= set(read["responses"])
    assert "conversation_token" in schema["components"]["schemas"]["ChatResponse"]["properties"]
