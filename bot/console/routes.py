"""The console's pages: login (CSRF-protected form, secure session cookie), the single-page
console itself, and logout. Everything else the console does goes through /api/v1/tickets."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.console.pages import STATIC, page
from bot.gateway.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, StaffStoreDep, csrf_matches, csrf_token_for
from bot.gateway.deps import LoginGuardDep, SettingsDep, client_address
from bot.gateway.throttle import RateLimitedError
from bot.persistence.staff import StaffStore
from bot.reports.summary import default_dates
from bot.settings import REPO_ROOT

router = APIRouter(prefix="/console", include_in_schema=False)

ECHARTS = REPO_ROOT / "charts" / "node_modules" / "echarts" / "dist" / "echarts.min.js"
ASSETS = {"console.js": "text/javascript", "console.css": "text/css", "reports.js": "text/javascript"}


def _login_page(settings_secure: bool, error: str = "", retry_after: int = 0) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = page("login.html", csrf=token, error=error)
    if retry_after:
        response.status_code = 429
        response.headers["Retry-After"] = str(retry_after)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=settings_secure, path="/console"
    )
    return response


@router.get("/login")
async def login_form(settings: SettingsDep) -> HTMLResponse:
    return _login_page(settings.cookie_secure)


@router.post("/login")
async def login(
    request: Request,
    settings: SettingsDep,
    staff_store: StaffStoreDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=100)],
    guard: LoginGuardDep,
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        return _login_page(settings.cookie_secure, "页面已过期，请重新登录。")
    try:
        staff = await guard.attempt(staff_store, username, password, client_address(request))
    except RateLimitedError as exc:
        return _login_page(settings.cookie_secure, exc.detail, exc.retry_after)
    if staff is None:
        return _login_page(settings.cookie_secure, "用户名或密码错误。")
    lifetime = dt.timedelta(hours=settings.staff_session_hours)
    # A new session id at every login; the cookie the browser came with (if any) ends here.
    previous = request.cookies.get(SESSION_COOKIE, "")
    token = await run_in_threadpool(staff_store.start_session, staff.id, "cookie", previous)
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return response


@router.post("/logout")
async def logout(
    request: Request, staff_store: StaffStoreDep, csrf_token: Annotated[str, Form(max_length=100)]
) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    if token and csrf_matches(token, csrf_token):
        await run_in_threadpool(staff_store.end_session, token)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def _signed_in_page(request: Request, staff_store: StaffStore, name: str, **values: str) -> Response:
    """A console page for the staff member of the session cookie, else the login form."""
    token = request.cookies.get(SESSION_COOKIE, "")
    staff = await run_in_threadpool(staff_store.staff_for_token, token) if token else None
    if staff is None:
        return RedirectResponse("/console/login", status_code=303)
    return page(
        name,
        csrf=csrf_token_for(token),
        username=staff.username,
        role=staff.role.value,
        areas=",".join(staff.visible_areas() or []),
        **values,
    )


@router.get("")
async def console(request: Request, staff_store: StaffStoreDep) -> Response:
    return await _signed_in_page(request, staff_store, "console.html")


@router.get("/reports")
async def reports(request: Request, staff_store: StaffStoreDep, settings: SettingsDep) -> Response:
    """Reports and the 差评 follow-up list; the numbers come from /api/v1/reports. The date
    inputs start at the API's default range, today being the gateway's (the figures are
    bucketed by day in its TIMEZONE), not the browser's clock."""
    date_from, date_to = default_dates(settings.timezone)
    return await _signed_in_page(
        request, staff_store, "reports.html", date_from=date_from.isoformat(), date_to=date_to.isoformat()
    )


@router.get("/vendor/echarts.min.js")
async def echarts() -> Response:
    """Apache ECharts as `make setup` installed it (charts/, pinned by its lock file); without
    it the reports page shows its tables only."""
    if not ECHARTS.is_file():
        return Response(status_code=404)
    return FileResponse(
        ECHARTS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/static/{name}")
async def asset(name: str) -> Response:
    if name not in ASSETS:
        return Response(status_code=404)
    return FileResponse(STATIC / name, media_type=ASSETS[name])
