"""The edge as the real servers present it (uvicorn started by the runner, real sockets): no
`server` banner, an oversized chunked body refused mid-stream, the citizen WebSocket
answering bad frames and a bad cursor instead of dying (close 1006), and a frame past the
size limit closing the socket with 1009 (message too big)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bot.runner import Supervisor
from bot.settings import Settings

pytestmark = pytest.mark.integration


def test_no_server_banner_on_the_gateway_or_the_action_server(
    system: tuple[Settings, Supervisor], gateway: httpx.Client
) -> None:
    settings, _ = system
    assert "server" not in gateway.get("/healthz").headers
    assert "server" not in httpx.get(f"{settings.actions_url}/health", timeout=10).headers


def test_a_chunked_body_past_the_limit_is_413_over_a_real_connection(
    system: tuple[Settings, Supervisor], gateway: httpx.Client
) -> None:
    settings, _ = system

    def chunks() -> Iterator[bytes]:
        for _ in range(settings.max_request_bytes // 1024 + 8):
            yield b" " * 1024

    response = gateway.post("/api/v1/chat", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["detail"] == f"请求内容过大：最多 {settings.max_request_bytes} 字节"
    assert gateway.get("/healthz").status_code == 200  # the next request gets a fresh connection


def test_the_citizen_socket_survives_bad_frames(system: tuple[Settings, Supervisor]) -> None:
    settings, _ = system
    with connect(f"ws://127.0.0.1:{settings.port}/api/v1/chat/hard1/ws") as citizen:
        citizen.send(b"\x00\x01")
        assert json.loads(citizen.recv(timeout=10))["type"] == "error"
        citizen.send("不是 JSON")
        assert json.loads(citizen.recv(timeout=10))["detail"] == "消息不是合法的 JSON"
        citizen.send(json.dumps({"text": "补办身份证要带什么材料"}))
        assert json.loads(citizen.recv(timeout=30))["type"] == "reply"


def test_a_bad_cursor_closes_the_citizen_socket_with_1008_and_a_reason(
    system: tuple[Settings, Supervisor],
) -> None:
    settings, _ = system
    with connect(f"ws://127.0.0.1:{settings.port}/api/v1/chat/hard2/ws?after=abc") as citizen:
        assert json.loads(citizen.recv(timeout=10))["detail"] == "请求有误：after：应为整数"
        with pytest.raises(ConnectionClosed) as closed:
            citizen.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


def test_a_frame_past_the_size_limit_closes_the_socket_with_1009(system: tuple[Settings, Supervisor]) -> None:
    settings, _ = system
    with connect(f"ws://127.0.0.1:{settings.port}/api/v1/chat/hard3/ws", max_size=None) as citizen:
        citizen.send(json.dumps({"text": "问" * settings.max_request_bytes}))
        with pytest.raises(ConnectionClosed) as closed:
            citizen.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
