"""Login throttling: limits per account and per address, a growing wait after each failure,
and a temporary lock after repeated failures.

Everything here runs before the Argon2 hash is computed, so a flood of anonymous logins costs
a counter each, not a hash. State lives in the throttle's storage (Redis with `REDIS_URL`), so
all replicas agree. A failure that is refused during its wait still counts towards the lock:
an attacker cannot go faster by ignoring `Retry-After`. Every failure, lock and unlock is
written to the log (the audit trail); admins see and lift locks through /api/v1/staff/locks.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from limits.aio.storage import Storage
from starlette.concurrency import run_in_threadpool

from bot.gateway.throttle import RateLimitedError, Rule, Throttle, parse_limit
from bot.persistence.staff import StaffStore, StaffView
from bot.settings import Settings

logger = logging.getLogger(__name__)

MAX_WAIT_SECONDS = 60
LOCKED = "该账号因连续登录失败已被临时锁定，请 {minutes} 分钟后再试，或请管理员解锁。"
WAIT = "登录失败次数较多，请 {seconds} 秒后再试。"


def wait_after(failures: int) -> int:
    """Seconds before the next try after this many failures in a row: 2, 4, 8, … up to 60."""
    return int(min(2**failures, MAX_WAIT_SECONDS))


@dataclass(frozen=True)
class Lock:
    username: str
    seconds_left: int


class LoginGuard:
    def __init__(self, throttle: Throttle, settings: Settings) -> None:
        self._throttle = throttle
        self._storage: Storage = throttle.storage
        self._per_account = Rule("login-account", parse_limit(settings.rate_login_per_account))
        self._per_address = Rule("login-address", parse_limit(settings.rate_login_per_address))
        self._lock_after = settings.login_lock_after
        self._lock_seconds = settings.login_lock_minutes * 60

    async def attempt(
        self, store: StaffStore, username: str, password: str, address: str
    ) -> StaffView | None:
        """A login through every check: the staff member, None for a wrong password, or
        RateLimitedError (throttled, waiting or locked) before the password is hashed."""
        await self.before_attempt(username, address)
        staff = await run_in_threadpool(store.authenticate, username, password)
        if staff is None:
            await self.failed(username, address)
        else:
            await self.succeeded(username)
        return staff

    async def before_attempt(self, username: str, address: str) -> None:
        """RateLimitedError when this attempt may not even be checked (before any hash)."""
        await self._refuse_if_locked(username)
        await self._throttle.hit((self._per_address, address), (self._per_account, username))
        wait = await self._seconds_left(f"login-wait/{username}")
        if wait:
            await self.failed(username, address, refused=True)
            await self._refuse_if_locked(username)
            raise RateLimitedError(wait, WAIT.format(seconds=wait))

    async def _refuse_if_locked(self, username: str) -> None:
        left = await self.lock_seconds_left(username)
        if left:
            raise RateLimitedError(left, LOCKED.format(minutes=max(1, round(left / 60))))

    async def failed(self, username: str, address: str, *, refused: bool = False) -> None:
        """Count a failure: the next try waits longer; at `LOGIN_LOCK_AFTER` the account locks."""
        failures = await self._storage.incr(f"login-failures/{username}", max(self._lock_seconds, 1))
        how = "等待期内重试" if refused else "密码错误"
        logger.warning("登录失败：账号 %s，来源 %s，%s，连续第 %d 次", username, address, how, failures)
        if not self._lock_after:  # failures neither wait nor lock (tests, tools)
            return
        if failures >= self._lock_after:
            await self._storage.clear(f"login-failures/{username}")
            await self._storage.clear(f"login-wait/{username}")
            await self._storage.incr(f"login-lock/{username}", self._lock_seconds)
            logger.warning(
                "账号 %s 连续 %d 次登录失败，已锁定 %d 分钟（来源 %s）",
                username,
                failures,
                self._lock_seconds // 60,
                address,
            )
        elif not refused:
            await self._storage.clear(f"login-wait/{username}")
            await self._storage.incr(f"login-wait/{username}", wait_after(failures))

    async def succeeded(self, username: str) -> None:
        await self._storage.clear(f"login-failures/{username}")
        await self._storage.clear(f"login-wait/{username}")

    async def lock_seconds_left(self, username: str) -> int:
        return await self._seconds_left(f"login-lock/{username}")

    async def locks(self, usernames: list[str]) -> list[Lock]:
        """The accounts among these that are locked now (a lock on a name that is no account
        is only in the log: listing it would need a scan of the store)."""
        found = []
        for username in usernames:
            left = await self.lock_seconds_left(username)
            if left:
                found.append(Lock(username, left))
        return found

    async def lift(self, username: str, by: str) -> bool:
        """End a lock (and the failure count); False if the account was not locked."""
        was_locked = bool(await self.lock_seconds_left(username))
        for key in ("login-lock", "login-failures", "login-wait"):
            await self._storage.clear(f"{key}/{username}")
        await self._throttle.clear(self._per_account, username)
        if was_locked:
            logger.warning("管理员 %s 解除了账号 %s 的登录锁定", by, username)
        return was_locked

    async def _seconds_left(self, key: str) -> int:
        if not await self._storage.get(key):
            return 0
        return max(1, round(await self._storage.get_expiry(key) - time.time()))
