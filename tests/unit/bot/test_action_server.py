"""The action server's own route beside rasa-sdk's webhook: `/area`, the area classifier the
gateway's `/api/v1/parse` asks (the gateway holds no classifier of its own). What the trained
model answers is checked through the real servers in tests/integration/test_dialogue.py; here
the edge, and a named area, which needs no model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.action_server import create_app
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def actions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("actions") / "var")
    with TestClient(create_app(settings)) as client:
        yield client


def test_an_area_the_text_names_is_taken_as_named(actions: TestClient) -> None:
    body = actions.post("/area", json={"text": "想问下住房方面的事"}).json()
    assert body == {"area": "housing", "confidence": 1.0, "explicit": True}


@pytest.mark.parametrize("payload", [{"text": "  "}, {"text": "问" * 1001}, {"text": "你好", "x": 1}, {}])
def test_a_bad_question_is_422(actions: TestClient, payload: dict[str, object]) -> None:
    assert actions.post("/area", json=payload).status_code == 422
