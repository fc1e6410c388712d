"""Rate limits and the login lock on the real app (real SQLite, real Argon2, the real Redis for
the shared limits). Every test calls from its own client address, so the per-address budgets
of one test never spend another's; limits are small so that no test waits for a window."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from pydantic import ValidationError

from bot.gateway.app import create_app
from bot.settings import Settings
from tests.citizen import citizen_headers
from tests.conftest import make_settings
from tests.redis_server import throwaway_redis_prefix
from tests.staff import PASSWORD, bearer, ensure_staff

LIMITS = {
    "RATE_CHAT_PER_SENDER": "2/minute",
    "RATE_CHAT_PER_ADDRESS": "5/minute",
    "RATE_READ_PER_SENDER": "2/minute",
    "RATE_READ_PER_ADDRESS": "",
    "RATE_LOGIN_PER_ACCOUNT": "6/minute",
    "RATE_LOGIN_PER_ADDRESS": "4/minute",
    "LOGIN_LOCK_AFTER": "3",
    "LOGIN_LOCK_MINUTES": "15",
}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("limits") / "var", **LIMITS)
    ensure_staff(settings, "boss", "--admin")
    for clerk in ("clerk", "li", "zhao"):
        ensure_staff(settings, clerk, "--areas", "housing")
    return settings


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[Any]:
    application = create_app(settings)
    with TestClient(application, raise_server_exceptions=False):
        yield application


def from_address(app: Any, address: str) -> TestClient:
    """A client calling from `address` into the running app (its lifespan is the fixture's)."""
    return TestClient(app, raise_server_exceptions=False, client=(address, 50000))


def assert_throttled(response: Any, words: str = "请求过于频繁") -> int:
    assert response.status_code == 429, response.text
    assert words in response.json()["detail"]
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1
    return retry_after


def say(client: TestClient, sender: str) -> Any:
    return client.post("/api/v1/chat", json={"sender_id": sender, "text": "怎么补办身份证"})


def test_chat_is_limited_per_sender(app: Any) -> None:
    client = from_address(app, "10.0.0.1")
    # Rasa is not running here: a message that is let through is answered 503 (and kept).
    assert [say(client, "s1").status_code for _ in range(2)] == [503, 503]
    assert assert_throttled(say(client, "s1")) <= 60
    assert say(client, "s2").status_code == 503


def test_chat_is_limited_per_address(app: Any) -> None:
    client = from_address(app, "10.0.0.2")
    assert [say(client, f"a{n}").status_code for n in range(5)] == [503] * 5
    assert_throttled(say(client, "a5"))
    assert say(from_address(app, "10.0.0.22"), "a5").status_code == 503


def test_websocket_frames_are_limited_and_the_socket_stays_open(app: Any) -> None:
    client = from_address(app, "10.0.0.3")
    with client.websocket_connect("/api/v1/chat/w1/ws") as socket:
        for _ in range(2):
            socket.send_json({"text": "怎么补办身份证"})
            assert "您的留言已保存" in socket.receive_json()["detail"]
        socket.send_json({"text": "怎么补办身份证"})
        refused = socket.receive_json()
        assert refused["type"] == "error" and "请求过于频繁" in refused["detail"]
        assert 1 <= refused["retry_after"] <= 60
        socket.send_text("不是 JSON")
        assert "不是合法的 JSON" in socket.receive_json()["detail"]


def test_reading_the_history_has_its_own_budget(app: Any) -> None:
    client = from_address(app, "10.0.0.4")
    read = partial(client.get, "/api/v1/chat/r1/messages", headers=citizen_headers("r1"))
    assert [read().status_code for _ in range(2)] == [404, 404]
    assert_throttled(read())
    assert say(client, "r1").status_code == 503


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth", json={"username": username, "password": password})


def test_login_is_limited_per_account_from_any_address(app: Any) -> None:
    first, second = from_address(app, "10.0.0.5"), from_address(app, "10.0.0.55")
    assert [login(first, "li").status_code for _ in range(4)] == [200] * 4
    assert [login(second, "li").status_code for _ in range(2)] == [200] * 2
    assert_throttled(login(second, "li"))
    assert_throttled(login(from_address(app, "10.0.0.56"), "li"))


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every Argon2 hash or verification computed (argon2-cffi's, counted, still real)."""
    calls: list[str] = []
    for name in ("hash", "verify"):
        real = getattr(PasswordHasher, name)

        def counted(self: PasswordHasher, *args: Any, _real: Any = real, _name: str = name) -> Any:
            calls.append(_name)
            return _real(self, *args)

        monkeypatch.setattr(PasswordHasher, name, counted)
    return calls


def test_a_login_flood_from_one_address_is_refused_before_any_hash(app: Any, hashes: list[str]) -> None:
    client = from_address(app, "10.0.0.7")
    assert [login(client, f"nobody{n}", "wrong").status_code for n in range(4)] == [401] * 4
    assert len(hashes) == 4
    for n in range(4, 20):
        assert_throttled(login(client, f"nobody{n}", "wrong"))
    assert len(hashes) == 4


def test_failures_make_the_next_try_wait_then_lock_the_account_until_an_admin_lifts_it(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = from_address(app, "10.0.0.8")
    assert login(client, "clerk", "wrong").status_code == 401
    # Right after a failure: wait (2 s after the first); a try ignoring the wait still counts.
    assert assert_throttled(login(client, "clerk", "wrong"), "秒后再试") <= 2
    locked = login(client, "clerk")
    assert assert_throttled(locked, "临时锁定") > 60
    # The right password no longer helps, not even from elsewhere or through the console form.
    assert_throttled(login(from_address(app, "10.0.0.88"), "clerk"), "临时锁定")
    form = client.get("/console/login")
    csrf = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    page = client.post(
        "/console/login",
        data={"username": "clerk", "password": PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert page.status_code == 429 and "临时锁定" in page.text and int(page.headers["Retry-After"]) > 60

    admin_client = from_address(app, "10.0.0.9")
    assert admin_client.get("/api/v1/staff/locks").status_code == 401
    assert login(admin_client, "clerk").status_code == 429
    admin = bearer(admin_client, "boss")
    [lock] = admin_client.get("/api/v1/staff/locks", headers=admin).json()["locks"]
    assert lock["username"] == "clerk" and 800 < lock["seconds_left"] <= 900
    assert admin_client.delete("/api/v1/staff/locks/clerk", headers=admin).status_code == 204
    assert admin_client.delete("/api/v1/staff/locks/clerk", headers=admin).status_code == 404
    assert admin_client.get("/api/v1/staff/locks", headers=admin).json() == {"locks": []}
    assert login(from_address(app, "10.0.0.10"), "clerk").status_code == 200

    audit = caplog.text
    assert "账号 clerk 连续 3 次登录失败，已锁定 15 分钟（来源 10.0.0.8）" in audit
    assert "管理员 boss 解除了账号 clerk 的登录锁定" in audit


def test_a_non_admin_may_not_see_or_lift_locks(app: Any) -> None:
    client = from_address(app, "10.0.0.11")
    headers = bearer(client, "zhao")
    assert client.get("/api/v1/staff/locks", headers=headers).status_code == 403
    assert client.delete("/api/v1/staff/locks/clerk", headers=headers).status_code == 403


def test_a_mistyped_limit_fails_at_start_up(tmp_path: Any) -> None:
    with pytest.raises(ValidationError, match="RATE_CHAT_PER_SENDER"):
        make_settings(tmp_path / "var", RATE_CHAT_PER_SENDER="20 per minut")


def test_replicas_on_redis_share_the_limits_and_the_lock(settings: Settings) -> None:
    with throwaway_redis_prefix() as (redis_url, prefix):
        shared = settings.model_copy(update={"redis_url": redis_url, "redis_prefix": prefix})
        with (
            TestClient(create_app(shared), raise_server_exceptions=False) as first,
            TestClient(create_app(shared), raise_server_exceptions=False) as second,
        ):
            assert say(first, "replica").status_code == 503
            assert say(second, "replica").status_code == 503
            assert_throttled(say(first, "replica"))
            assert_throttled(say(second, "replica"))

            assert login(first, "ghost", "wrong").status_code == 401
            assert_throttled(login(second, "ghost", "wrong"), "秒后再试")
            assert_throttled(login(first, "ghost", "wrong"), "临时锁定")
            assert_throttled(login(second, "ghost", "wrong"), "临时锁定")
