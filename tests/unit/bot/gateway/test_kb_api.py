"""The knowledge API: public search and read; admin-only writes, reindexed incrementally."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.gateway.app import create_app
from bot.settings import Settings
from knowledge.service import open_knowledge_base
from tests.conftest import make_settings

TOKEN = "test-admin-token-not-for-production"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}

NEW_ITEM: dict[str, Any] = {
    "id": "housing.elevator_subsidy",
    "area": "housing",
    "name": "既有住宅加装电梯补贴申请",
    "aliases": ["老楼加装电梯补贴", "加装电梯补助"],
    "department": "示例区住房和城乡建设局",
    "type": "行政给付",
    "fees": [{"name": "申请", "free": True}],
    "last_verified": "2026-11-01",
    "source": "示例区办事指南（样例数据）",
}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("kbapi") / "var", ADMIN_TOKEN=TOKEN)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_search_and_read_are_public(client: TestClient) -> None:
    body = client.get("/api/v1/kb/search", params={"q": "补办身份证要带什么"}).json()
    assert body["hits"][0]["id"] == "certificates.id_card_reissue"
    assert body["hits"][0]["confidence"] >= 0.9
    item = client.get("/api/v1/kb/items/certificates.id_card_reissue").json()
    assert item["fees"][0]["amount_yuan"] == "20"
    missing = client.get("/api/v1/kb/items/housing.nothing_here")
    assert missing.status_code == 404 and "没有编号为" in missing.json()["detail"]


def test_writes_need_the_admin_token(client: TestClient) -> None:
    assert client.post("/api/v1/kb/items", json=NEW_ITEM).status_code == 401
    wrong = client.post("/api/v1/kb/items", json=NEW_ITEM, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert client.delete("/api/v1/kb/items/certificates.id_card_reissue").status_code == 401


def test_writes_are_closed_when_no_token_is_configured(tmp_path_factory: pytest.TempPathFactory) -> None:
    closed = make_settings(tmp_path_factory.mktemp("closed") / "var", ADMIN_TOKEN="")
    with TestClient(create_app(closed)) as no_admin:
        response = no_admin.post("/api/v1/kb/items", json=NEW_ITEM, headers={"Authorization": "Bearer "})
        assert response.status_code == 403
        assert "未启用" in response.json()["detail"]


def test_create_replace_delete_reach_search_at_once(client: TestClient, settings: Settings) -> None:
    other_process = open_knowledge_base(settings)  # as the action server would hold it
    created = client.post("/api/v1/kb/items", json=NEW_ITEM, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert client.post("/api/v1/kb/items", json=NEW_ITEM, headers=ADMIN).status_code == 409
    hits = client.get("/api/v1/kb/search", params={"q": "老楼加装电梯补贴怎么申请"}).json()["hits"]
    assert hits[0]["id"] == "housing.elevator_subsidy"
    other_process.refresh(force=True)
    assert other_process.resolve("加装电梯补助") is not None

    renamed = {**NEW_ITEM, "aliases": ["旧楼装电梯补贴"]}
    assert (
        client.put("/api/v1/kb/items/housing.elevator_subsidy", json=renamed, headers=ADMIN).status_code
        == 200
    )
    hits = client.get("/api/v1/kb/search", params={"q": "旧楼装电梯补贴"}).json()["hits"]
    assert hits[0]["id"] == "housing.elevator_subsidy" and hits[0]["matched_by"] == "alias"

    assert client.delete("/api/v1/kb/items/housing.elevator_subsidy", headers=ADMIN).status_code == 204
    assert client.get("/api/v1/kb/items/housing.elevator_subsidy").status_code == 404
    assert client.delete("/api/v1/kb/items/housing.elevator_subsidy", headers=ADMIN).status_code == 404


def test_invalid_item_is_422_naming_the_field(client: TestClient) -> None:
    bad = {**NEW_ITEM, "id": "housing.bad_fee", "fees": [{"name": "工本费"}]}
    response = client.post("/api/v1/kb/items", json=bad, headers=ADMIN)
    assert response.status_code == 422
    assert any(e["field"].startswith("fees.0") for e in response.json()["errors"])


def test_put_with_mismatched_id_is_rejected(client: TestClient) -> None:
    response = client.put("/api/v1/kb/items/housing.other_id", json=NEW_ITEM, headers=ADMIN)
    assert response.status_code == 422
