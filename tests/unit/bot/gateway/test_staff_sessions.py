"""Staff sessions: a new id at every login (the old cookie ends), an idle timeout and an
absolute lifetime, admins listing and ending a person's sessions, and a disabled account
signed out everywhere at once. Real SQLite and PostgreSQL for the store, the app for the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.gateway.app import create_app
from bot.gateway.auth import SESSION_COOKIE
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.models import utcnow
from bot.persistence.staff import SessionPolicy, StaffStore
from bot.persistence.store import create_db_engine
from tests.conftest import make_settings
from tests.staff import PASSWORD, bearer, console_login, ensure_staff


class FakeClock:
    """The store's clock, moved on by the test instead of waiting in real time; like the real
    one it never reads the same time twice (a millisecond passes at each reading)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(milliseconds=1)
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(database_url: str, clock: FakeClock) -> Iterator[StaffStore]:
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    policy = SessionPolicy(
        idle=dt.timedelta(seconds=4), absolute=dt.timedelta(seconds=7), refresh_every=dt.timedelta(0)
    )
    yield StaffStore(engine, policy, clock)
    engine.dispose()


def test_a_session_ends_when_idle_or_at_its_absolute_end_whichever_first(
    store: StaffStore, clock: FakeClock
) -> None:
    staff = store.add("li", "correct-horse", ["housing"])
    idle = store.start_session(staff.id, "token")
    busy = store.start_session(staff.id, "cookie")
    for _ in range(5):  # used every second: kept past the 4 s idle timeout…
        clock.advance(1)
        assert store.staff_for_token(busy) == staff
    assert store.staff_for_token(idle) is None  # …while the unused one timed out
    clock.advance(2.3)
    assert store.staff_for_token(busy) is None  # used all along, still ended after 7 s
    assert store.sessions_of("li") == []


def test_login_rotates_and_ending_one_or_all_sessions(store: StaffStore) -> None:
    staff = store.add("zhao", "correct-horse", ["housing"])
    first = store.start_session(staff.id, "cookie")
    second = store.start_session(staff.id, "cookie", replacing=first)
    assert store.staff_for_token(first) is None and store.staff_for_token(second) == staff
    third = store.start_session(staff.id, "token")
    listed = store.sessions_of("zhao")
    assert listed is not None and [s.kind for s in listed] == ["token", "cookie"]
    assert store.end_sessions("zhao", listed[1].id) == 1
    assert store.staff_for_token(second) is None and store.staff_for_token(third) == staff
    assert store.end_sessions("zhao") == 1 and store.staff_for_token(third) is None
    assert store.sessions_of("nobody") is None


def test_admins_see_and_end_sessions_and_disabling_signs_out_everywhere(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = make_settings(tmp_path_factory.mktemp("sessions") / "var")
    ensure_staff(settings, "admin", "--admin")
    ensure_staff(settings, "wang", "--areas", "housing")
    with TestClient(create_app(settings)) as client, TestClient(client.app) as browser:
        admin = bearer(client, "admin")
        console_login(browser, "wang")
        planted = browser.cookies[SESSION_COOKIE]
        console_login(browser, "wang")  # logging in again gives a new id; the old one ends
        assert browser.cookies[SESSION_COOKIE] != planted
        assert (
            client.get("/api/v1/auth/me", headers={"Cookie": f"{SESSION_COOKIE}={planted}"}).status_code
            == 401
        )
        wang = bearer(client, "wang")

        assert client.get("/api/v1/staff/sessions/wang", headers=wang).status_code == 403
        listed = client.get("/api/v1/staff/sessions/wang", headers=admin).json()["sessions"]
        assert [s["kind"] for s in listed] == ["token", "cookie"]
        ended = client.delete(f"/api/v1/staff/sessions/wang/{listed[1]['id']}", headers=admin)
        assert ended.status_code == 204
        assert browser.get("/api/v1/auth/me").status_code == 401  # the console is signed out
        assert client.get("/api/v1/auth/me", headers=wang).status_code == 200
        gone = client.delete(f"/api/v1/staff/sessions/wang/{listed[1]['id']}", headers=admin)
        assert gone.status_code == 404 and "没有这个登录会话" in gone.json()["detail"]

        disabled = client.post("/api/v1/staff/accounts/wang/disable", headers=admin).json()
        assert disabled == {"username": "wang", "active": False, "ended_sessions": 1}
        assert client.get("/api/v1/auth/me", headers=wang).status_code == 401
        refused = client.post("/api/v1/auth", json={"username": "wang", "password": PASSWORD})
        assert refused.status_code == 401
        myself = client.post("/api/v1/staff/accounts/admin/disable", headers=admin)
        assert myself.status_code == 409 and myself.json()["detail"] == "不能停用自己的账号"
        assert client.post("/api/v1/staff/accounts/wang/enable", headers=admin).status_code == 200
        assert client.get("/api/v1/auth/me", headers=bearer(client, "wang")).status_code == 200
        assert client.get("/api/v1/staff/sessions/ghost", headers=admin).status_code == 404
