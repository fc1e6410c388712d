"""`python -m bot gateway` as a container runs it (deploy/): the gateway alone, beside a Rasa
and an action server it did not start, found on loopback as in the deployment's pod."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import pytest

from bot.runner import Child, Supervisor
from bot.settings import Settings
from tests.conftest import make_settings

pytestmark = pytest.mark.integration


def test_gateway_alone_serves_the_running_rasa_and_action_server(
    system: tuple[Settings, Supervisor], tmp_path: Path
) -> None:
    shared, _ = system
    settings = make_settings(tmp_path / "var", RASA_PORT=shared.rasa_port, ACTIONS_PORT=shared.actions_port)
    url = f"http://127.0.0.1:{settings.port}"
    env = {**os.environ, **settings.as_environment()}
    alone = Supervisor([Child("gateway", [sys.executable, "-m", "bot", "gateway"], f"{url}/healthz", env)])
    alone.start()
    try:
        alone.wait_ready()
        process = alone.kids[0].process
        assert process is not None
        # The sub-command became the server (a container's signals reach uvicorn itself).
        command = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        assert b"bot.gateway.app:create_app" in command and str(settings.port).encode() in command
        ready = httpx.get(f"{url}/readyz", timeout=30)
        assert ready.status_code == 200, ready.text
        reply = httpx.post(f"{url}/api/v1/chat", json={"sender_id": "alone-1", "text": "你好"}, timeout=30)
        assert reply.status_code == 200 and reply.json()["messages"], reply.text
    finally:
        alone.stop()
