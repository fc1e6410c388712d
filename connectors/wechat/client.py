"""The customer-service message API (`/cgi-bin/message/custom/send`) through wechatpy's
client, with the access token shared by every gateway replica.

WeChat allows a limited number of token fetches a day, and each fetch makes the previous
token expire within five minutes, so replicas must share one token rather than each fetch
their own. It lives in the app DB (or Redis when `REDIS_URL` is set) through wechatpy's
session-storage interface, and counts as expired five minutes early, so it is refreshed
before WeChat stops accepting it. The token is never logged: requests' URLs carry it, so
errors are scrubbed before they are written anywhere.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import requests
from wechatpy.client import WeChatClient
from wechatpy.session import SessionStorage

from bot.persistence.wechat import WechatStore

REFRESH_MARGIN_SECONDS = 300
_TOKEN_IN_TEXT = re.compile(r"(access_token|secret)=[^&\s'\"]+")


def scrub(text: str) -> str:
    """Text with access tokens and the AppSecret blanked (for logs and messages)."""
    return _TOKEN_IN_TEXT.sub(r"\1=***", text)


class DatabaseStorage(SessionStorage):
    """wechatpy session storage in the app DB's `wechat_credentials` table."""

    def __init__(self, store: WechatStore) -> None:
        self._store = store

    def get(self, key: str, default: Any = None) -> Any:
        value = self._store.credential(key)
        return default if value is None else value

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        if value is not None:
            self._store.set_credential(key, str(value), ttl if ttl is not None else 7200)

    def delete(self, key: str) -> None:
        self._store.delete_credential(key)


class EarlyExpiry(SessionStorage):
    """Any storage, with every entry expiring `margin` seconds before WeChat's expiry."""

    def __init__(self, inner: SessionStorage, margin: float = REFRESH_MARGIN_SECONDS) -> None:
        self._inner = inner
        self._margin = margin

    def get(self, key: str, default: Any = None) -> Any:
        return self._inner.get(key, default)

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        lifetime = max(1, int((ttl if ttl is not None else 7200) - self._margin))
        self._inner.set(key, value, lifetime)

    def delete(self, key: str) -> None:
        self._inner.delete(key)


class TimeoutSession(requests.Session):
    """requests with a default timeout: wechatpy fetches the token without one, and a
    silent network would otherwise hold a worker thread forever."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().request(method, url, *args, **kwargs)


class OfficialAccountClient(WeChatClient):
    """wechatpy's client pointed at `WECHAT_API_URL` (a fake in tests), whose token is
    whatever the shared storage holds, fetched when it holds none."""

    def __init__(
        self, app_id: str, secret: str, api_url: str, storage: SessionStorage, timeout: float = 10.0
    ) -> None:
        super().__init__(app_id, secret, session=EarlyExpiry(storage), timeout=timeout)
        self._http = TimeoutSession(timeout)
        self._api_url = api_url.rstrip("/")
        self.API_BASE_URL = f"{self._api_url}/cgi-bin/"
        self._fetching = threading.Lock()

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=f"{self._api_url}/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )

    @property
    def access_token(self) -> str:
        token = self.session.get(self.access_token_key)
        if token:
            return str(token)
        with self._fetching:  # threads of this replica wait for one fetch
            token = self.session.get(self.access_token_key)
            if not token:
                self.fetch_access_token()
                token = self.session.get(self.access_token_key)
        return str(token)

    def send_text(self, openid: str, text: str) -> None:
        """One customer-service text message (blocking: call it from a worker thread)."""
        self.message.send_text(openid, text)
