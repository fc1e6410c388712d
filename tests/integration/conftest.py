"""One running system for all integration tests: a trained Rasa 3.6 server, the action
server and the gateway on free loopback ports, spoken to over HTTP exactly as a client would.
Staff are always at their desks here (office hours around the clock)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from bot.preparation import prepare
from bot.runner import Supervisor, children
from bot.settings import Settings
from bot.training import ensure_model
from tests.conftest import make_settings


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Supervisor]]:
    settings = make_settings(tmp_path_factory.mktemp("system") / "var", OFFICE_HOURS="mon-sun 00:00-24:00")
    prepare(settings)
    model = ensure_model(settings, log=settings.var_dir / "train.log")
    supervisor = Supervisor(children(settings, model))
    supervisor.start()
    try:
        supervisor.wait_ready()
        yield settings, supervisor
    finally:
        supervisor.stop()


@pytest.fixture(scope="session")
def gateway(system: tuple[Settings, Supervisor]) -> Iterator[httpx.Client]:
    settings, _ = system
    with httpx.Client(base_url=f"http://127.0.0.1:{settings.port}", timeout=30) as client:
        yield client


def chromium_path() -> str:
    """Debian's chromium, which .ci/run installs; outside CI a missing browser skips."""
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI") == "true":
            raise RuntimeError("CI 中必须安装 chromium（.ci/run 负责安装）")
        pytest.skip("未安装 chromium")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless chromium driven by Playwright (no browser download: Debian's binary).

    Module scope on purpose: Playwright's sync API keeps an event loop running in this
    thread while it is open, which would break every asyncio test that runs after it."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield browser
        browser.close()


def say(gateway: httpx.Client, sender: str, text: str) -> dict[str, Any]:
    response = gateway.post("/api/v1/chat", json={"sender_id": sender, "text": text})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def handoff_of(reply: dict[str, Any]) -> dict[str, Any]:
    payloads: list[dict[str, Any]] = [
        m["data"] for m in reply["messages"] if m["data"].get("type") == "handoff"
    ]
    assert len(payloads) == 1, reply
    return payloads[0]


def answered(reply: dict[str, Any]) -> tuple[str, str] | None:
    """(item id, question) of the answer in a reply, None when nothing was answered."""
    for message in reply["messages"]:
        if message["data"].get("type") == "answer":
            return message["data"]["item_id"], message["data"]["question"]
    return None
