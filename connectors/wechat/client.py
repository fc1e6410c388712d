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

import hashlib
import re
import threading
from typing import Any

import requests
from wechatpy.client import WeChatClient
from wechatpy.enterprise.client import WeChatClient as WeComBaseClient
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
    """Any storage, with every entry expiring `margin` seconds before WeChat's expiry, under
    a hashed key (wechatpy's WeCom key holds the first characters of the secret)."""

    def __init__(self, inner: SessionStorage, margin: float = REFRESH_MARGIN_SECONDS) -> None:
        self._inner = inner
        self._margin = margin

    @staticmethod
    def _key(key: str) -> str:
        return "token:" + hashlib.sha256(key.encode()).hexdigest()[:40]

    def get(self, key: str, default: Any = None) -> Any:
        return self._inner.get(self._key(key), default)

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        lifetime = max(1, int((ttl if ttl is not None else 7200) - self._margin))
        self._inner.set(self._key(key), value, lifetime)

    def delete(self, key: str) -> None:
        self._inner.delete(self._key(key))


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


class SharedToken:
    """For a wechatpy client: requests with a timeout to `api_url` (a fake in tests), and the
    token as the shared storage holds it, fetched by one thread of this replica when none."""

    session: SessionStorage
    _http: requests.Session

    def _share(self, api_url: str, timeout: float) -> None:
        self._http = TimeoutSession(timeout)
        self._api_url = api_url.rstrip("/")
        self.API_BASE_URL = f"{self._api_url}/cgi-bin/"
        self._fetching = threading.Lock()

    def fetch_access_token(self) -> Any:
        raise NotImplementedError

    @property
    def access_token(self) -> str:
        key = self.access_token_key  # type: ignore[attr-defined]  # wechatpy's, per product
        token = self.session.get(key)
        if token:
            return str(token)
        with self._fetching:  # threads of this replica wait for one fetch
            token = self.session.get(key)
            if not token:
                self.fetch_access_token()
                token = self.session.get(key)
        return str(token)


class OfficialAccountClient(SharedToken, WeChatClient):
    """The Official Account's API: the token and customer-service messages."""

    def __init__(
        self, app_id: str, secret: str, api_url: str, storage: SessionStorage, timeout: float = 10.0
    ) -> None:
        super().__init__(app_id, secret, session=EarlyExpiry(storage), timeout=timeout)
        self._share(api_url, timeout)

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=f"{self._api_url}/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )

    def send_text(self, openid: str, text: str) -> None:
        """One customer-service text message (blocking: call it from a worker thread)."""
        self.message.send_text(openid, text)


class WeComClient(SharedToken, WeComBaseClient):
    """WeCom 微信客服's API (wechatpy 1.8.18 predates it, so the calls are spelled out):
    `kf/sync_msg`, `kf/send_msg`, `kf/service_state/get|trans`."""

    def __init__(
        self, corp_id: str, secret: str, api_url: str, storage: SessionStorage, timeout: float = 10.0
    ) -> None:
        super().__init__(corp_id, secret, session=EarlyExpiry(storage), timeout=timeout)
        self._share(api_url, timeout)

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=f"{self._api_url}/cgi-bin/gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
        )

    def sync_msg(self, open_kfid: str, cursor: str, token: str) -> dict[str, Any]:
        data = {"cursor": cursor, "token": token, "limit": 1000, "open_kfid": open_kfid}
        result: dict[str, Any] = self.post("kf/sync_msg", data=data)
        return result

    def send_text(self, open_kfid: str, external_userid: str, text: str) -> None:
        data = {
            "touser": external_userid,
            "open_kfid": open_kfid,
            "msgtype": "text",
            "text": {"content": text},
        }
        self.post("kf/send_msg", data={**data, "text": {"content": text}})

    def service_state(self, open_kfid: str, external_userid: str) -> int:
        data = {"open_kfid": open_kfid, "external_userid": external_userid}
        return int(self.post("kf/service_state/get", data=data).get("service_state", 0))

    def move_to(self, open_kfid: str, external_userid: str, state: int, servicer: str = "") -> None:
        data: dict[str, Any] = {
            "open_kfid": open_kfid,
            "external_userid": external_userid,
            "service_state": state,
        }
        if servicer:
            data["servicer_userid"] = servicer
        self.post("kf/service_state/trans", data=data)
