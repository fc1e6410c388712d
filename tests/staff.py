"""Staff accounts for tests, created through the `python -m bot staff add` command (its parser
and code, in this process; `staff_command` runs it as a process of its own)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from unittest import mock

import httpx
from fastapi.testclient import TestClient

from bot import __main__ as bot_main
from bot.persistence.store import ConversationStore
from bot.persistence.tickets import NewTicket, TicketStore
from bot.settings import REPO_ROOT, Settings

PASSWORD = "s3cret-pass"


def add_staff(settings: Settings, username: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot staff add USERNAME ARGS` with STAFF_PASSWORD set, run in this process:
    the command's own argument parser and code, its exit code and what it prints (a new
    interpreter per account cost about 2 s of CPU, for some forty accounts a run).
    `staff_command` runs the real command line in a process of its own."""
    argv = ["staff", "add", username, *args]
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, {"STAFF_PASSWORD": PASSWORD}),
        mock.patch.object(bot_main, "load_settings", lambda: settings),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        try:
            returncode = bot_main.main(argv)
        except SystemExit as exc:  # argparse refusing the arguments
            returncode = exc.code if isinstance(exc.code, int) else 1
    return subprocess.CompletedProcess(
        [sys.executable, "-m", "bot", *argv], returncode, stdout.getvalue(), stderr.getvalue()
    )


def staff_command(settings: Settings, username: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot staff add USERNAME ARGS` as an operator runs it: a process of its own,
    the settings from the environment, the password from STAFF_PASSWORD."""
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
