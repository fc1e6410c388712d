"""Two gateway replicas behind one Rasa, sharing PostgreSQL and fanning out through Redis:
a ticket opened by a citizen on replica A shows up live in a console on replica B, and the
reply a staff member types on B reaches the citizen's WebSocket on A."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from bot.runner import Supervisor, children
from bot.settings import Settings
from tests.conftest import make_settings
from tests.postgres import throwaway_postgres_database
from tests.redis_server import throwaway_redis_prefix
from tests.staff import bearer, ensure_staff

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def replicas(
    system: tuple[Settings, Supervisor], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, Settings]]:
    shared, _ = system
    with throwaway_postgres_database() as database_url, throwaway_redis_prefix() as (redis_url, prefix):
        started: list[Supervisor] = []
        replicas = []
        try:
            for name in ("a", "b"):
                settings = make_settings(
                    tmp_path_factory.mktemp(f"replica-{name}") / "var",
                    DATABASE_URL=database_url,
                    REDIS_URL=redis_url,
                    REDIS_PREFIX=prefix,
                    RASA_PORT=shared.rasa_port,
                    ACTIONS_PORT=shared.actions_port,
                    OFFICE_HOURS="mon-sun 00:00-24:00",
                )
                gateway_only = Supervisor([children(settings, shared.models_dir)[-1]])
                gateway_only.start()
                started.append(gateway_only)
                gateway_only.wait_ready()  # one after the other: the first seeds the database
                replicas.append(settings)
            ensure_staff(replicas[1], "replica_clerk", "--areas", "housing,transport,certificates,other")
            yield replicas[0], replicas[1]
        finally:
            for supervisor in started:
                supervisor.stop()


def receive_until(socket: ClientConnection, wanted: Any) -> dict[str, Any]:
    """The next event that `wanted` accepts (others are skipped), within 20 s."""
    while True:
        event: dict[str, Any] = json.loads(socket.recv(timeout=20))
        if wanted(event):
            return event


def test_reply_typed_on_one_replica_reaches_a_citizen_on_the_other(
    replicas: tuple[Settings, Settings],
) -> None:
    a, b = replicas
    with httpx.Client(base_url=f"http://127.0.0.1:{b.port}", timeout=30) as api_b:
        staff = bearer(api_b, "replica_clerk")
        console_b = connect(f"ws://127.0.0.1:{b.port}/api/v1/tickets/ws", additional_headers=staff)
        citizen_a = connect(f"ws://127.0.0.1:{a.port}/api/v1/chat/fan1/ws")
        with console_b, citizen_a:
            assert json.loads(console_b.recv(timeout=10))["type"] == "hello"
            citizen_a.send(json.dumps({"text": "我要人工"}))
            reply = receive_until(citizen_a, lambda e: e["type"] == "reply")
            assert reply["state"] == "queued"
            case = next(m["data"]["case_number"] for m in reply["messages"] if m["data"].get("case_number"))

            created = receive_until(console_b, lambda e: e["type"] == "ticket")
            assert created["change"] == "created" and created["ticket"]["case_number"] == case

            assert api_b.post(f"/api/v1/tickets/{case}/claim", headers=staff).status_code == 200
            answer = "您好，我是示例区工作人员，请问需要办理什么业务？"
            assert (
                api_b.post(f"/api/v1/tickets/{case}/reply", headers=staff, json={"text": answer}).status_code
                == 200
            )
            pushed = receive_until(
                citizen_a, lambda e: e["type"] == "message" and e["message"]["role"] == "staff"
            )
            assert pushed["message"]["text"] == answer
