"""Who is calling: a staff member by API token (`Authorization: Bearer …`, from
`POST /api/v1/auth`) or by the console's session cookie.

A cookie is sent by the browser on its own, so a state-changing call that is authenticated by
the cookie must also carry the CSRF token (`X-CSRF-Token` header or a `csrf_token` form
field). The CSRF token is an HMAC of the session secret, so it needs no storage and cannot be
forged without the cookie, which page scripts cannot read (HttpOnly).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated, cast
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request, WebSocket

from bot.persistence.staff import StaffStore, StaffView

SESSION_COOKIE = "zw_staff"
LOGIN_CSRF_COOKIE = "zw_login_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY = "督查员只能查看工单和报表，不能接单、回复、转办、办结或处理回访任务"


def csrf_token_for(session_secret: str) -> str:
    return hmac.new(session_secret.encode(), b"console-csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_secret: str, presented: str | None) -> bool:
    return bool(presented) and secrets.compare_digest(csrf_token_for(session_secret), presented or "")


def get_staff_store(request: Request) -> StaffStore:
    return cast(StaffStore, request.app.state.staff)


StaffStoreDep = Annotated[StaffStore, Depends(get_staff_store)]


def bearer_token(value: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header, else None."""
    scheme, _, token = (value or "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


def current_staff(request: Request, staff_store: StaffStoreDep) -> StaffView:
    token = bearer_token(request.headers.get("authorization"))
    if token is not None:
        staff = staff_store.staff_for_token(token)
    else:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        staff = staff_store.staff_for_token(cookie) if cookie else None
        needs_csrf = staff is not None and request.method not in SAFE_METHODS
        if needs_csrf and not csrf_matches(cookie, request.headers.get(CSRF_HEADER)):
            raise HTTPException(status_code=403, detail="缺少或错误的 CSRF 令牌，请刷新页面后重试")
    if staff is None:
        raise HTTPException(
            status_code=401, detail="请先登录工作人员账号", headers={"WWW-Authenticate": "Bearer"}
        )
    return staff


def require_admin(staff: Annotated[StaffView, Depends(current_staff)]) -> StaffView:
    if not staff.is_admin:
        raise HTTPException(status_code=403, detail="需要管理员权限")
    return staff


def readable_areas(staff: StaffView, area: str = "") -> list[str] | None:
    """The areas a list or report covers: the one asked for (403 outside this person's
    areas) or all they may read (None: every area)."""
    areas = staff.visible_areas()
    if not area:
        return areas
    if areas is not None and area not in areas:
        raise HTTPException(status_code=403, detail=f"您不负责「{area}」领域")
    return [area]


DEFAULT_PORTS = {"http": 80, "https": 443}


def same_origin(origin: str, websocket: WebSocket) -> bool:
    """Whether `origin` is the page origin this socket was opened on: scheme, host and port all
    equal (http://console is not https://console; a ws:// socket belongs to http pages).
    Behind a TLS-terminating proxy, run uvicorn with `--proxy-headers` so the scheme is wss."""
    try:
        page = urlsplit(origin)
        here = urlsplit(
            f"{'https' if websocket.url.scheme == 'wss' else 'http'}://{websocket.headers.get('host')}"
        )
        page_port, here_port = page.port, here.port
    except ValueError:
        return False
    if page.scheme not in DEFAULT_PORTS or page.hostname is None:
        return False
    return (page.scheme, page.hostname, page_port or DEFAULT_PORTS[page.scheme]) == (
        here.scheme,
        here.hostname,
        here_port or DEFAULT_PORTS[here.scheme],
    )


def websocket_staff(websocket: WebSocket) -> StaffView | None:
    """The console's WebSocket: the session cookie, and only from a page of our own origin
    (a cookie would otherwise let any site open it: cross-site WebSocket hijacking)."""
    origin = websocket.headers.get("origin")
    if origin is not None and not same_origin(origin, websocket):
        return None
    store = cast(StaffStore, websocket.app.state.staff)
    token = bearer_token(websocket.headers.get("authorization")) or websocket.cookies.get(SESSION_COOKIE, "")
    return store.staff_for_token(token) if token else None


StaffDep = Annotated[StaffView, Depends(current_staff)]
AdminStaffDep = Annotated[StaffView, Depends(require_admin)]
