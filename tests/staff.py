"""Staff accounts for tests, created through the real command line as an operator would."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx
from fastapi.testclient import TestClient

from bot.persistence.store import ConversationStore
from bot.persistence.tickets import NewTicket, TicketStore
from bot.settings import REPO_ROOT, Settings

PASSWORD = "s3cret-pass"


def add_staff(settings: Settings, username: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **settings.as_environment(), "STAFF_PASSWORD": PASSWORD}
    return subprocess.run(
        [sys.executable, "-m", "bot", "staff", "add", username, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def add_accounts(settings: Settings, accounts: dict[str, tuple[str, ...]]) -> Settings:
    """Each account (username → `staff add` options) created, as a test module's fixture does."""
    for username, args in accounts.items():
        result = add_staff(settings, username, *args)
        assert result.returncode == 0, result.stderr
    return settings


def ensure_staff(settings: Settings, username: str, *args: str) -> None:
    result = add_staff(settings, username, *args)
    assert result.returncode == 0 or "已存在" in result.stderr, result.stderr


def bearer(client: httpx.Client, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def console_login(client: httpx.Client, username: str) -> str:
    """Log in through the console's form as a browser would; returns the page's CSRF token."""
    form = client.get("/console/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    response = client.post(
        "/console/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/console"
    page = client.get("/console")
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert page.status_code == 200 and token is not None
    return token.group(1)


def open_ticket(client: TestClient, sender: str, area: str = "housing") -> str:
    """A queued ticket for a new REST conversation, opened through the app's own stores."""
    store: ConversationStore = client.app.state.store  # type: ignore[attr-defined]
    tickets: TicketStore = client.app.state.tickets  # type: ignore[attr-defined]
    conversation = store.open_conversation("rest", sender)
    ticket, _ = tickets.open_ticket(
        NewTicket(conversation.id, "rest", area, "request_human", 2, None, None, {"description": "提取"})
    )
    return ticket.case_number
