"""追评: once a 差评's follow-up task reaches 已整改 the citizen is asked, in their own
conversation, with the five 好差评 buttons; one press is stored, a second is politely refused,
another citizen cannot rate someone else's task. Through the real app (no Rasa needed: the
gateway reads these presses itself)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.gateway.app import create_app
from bot.persistence.follow_ups import FollowUpStore
from bot.persistence.store import ConversationStore, create_db_engine
from bot.settings import Settings
from bot.work_calendar import WorkCalendar
from tests.citizen import citizen_headers
from tests.conftest import make_settings
from tests.staff import add_staff, bearer


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings: Settings = make_settings(tmp_path_factory.mktemp("second") / "var")
    assert add_staff(settings, "boss", "--admin").returncode == 0
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_citizen_rates_the_rectified_outcome_once(client: TestClient) -> None:
    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    engine = create_db_engine(settings.effective_database_url)
    store = ConversationStore(engine)
    mine = store.open_conversation("rest", "r1")
    store.open_conversation("rest", "r2")
    task = FollowUpStore(engine, WorkCalendar()).record_rating(mine.id, 1)
    engine.dispose()
    assert task is not None
    boss = bearer(client, "boss")
    press = f'/follow_up_rating{{"follow_up": {task.id}, "rating": "4"}}'
    early = client.post("/api/v1/chat", json={"sender_id": "r1", "text": press}).json()
    assert early["messages"][0]["text"].startswith("这项整改已经评价过（或不需要评价）")  # not rectified yet

    for status in ("contacted", "rectifying", "rectified"):
        done = client.post(
            f"/api/v1/follow-ups/{task.id}/advance", json={"status": status, "note": "已处理"}, headers=boss
        )
        assert done.status_code == 200, done.text
    asked = client.get("/api/v1/chat/r1/messages", headers=citizen_headers("r1")).json()["messages"][-1]
    assert asked["text"].startswith("您之前反映的问题已整改完毕")
    assert [b["title"] for b in asked["buttons"]] == [
        "5 分 非常满意",
        "4 分 满意",
        "3 分 基本满意",
        "2 分 不满意",
        "1 分 非常不满意",
    ]
    assert asked["buttons"][1]["payload"] == press

    stranger = client.post("/api/v1/chat", json={"sender_id": "r2", "text": press}).json()
    assert stranger["messages"][0]["data"]["recorded"] is False
    thanks = client.post("/api/v1/chat", json={"sender_id": "r1", "text": press}).json()
    assert thanks["messages"][0]["text"] == "感谢您的追评（4 分，满意）。"
    again = client.post("/api/v1/chat", json={"sender_id": "r1", "text": press.replace('"4"', '"1"')}).json()
    assert again["messages"][0]["data"]["recorded"] is False
    assert client.get(f"/api/v1/follow-ups/{task.id}", headers=boss).json()["second_score"] == 4
