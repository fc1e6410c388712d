"""Staff sessions and accounts for admins: who is signed in where, ending a session (a lost
laptop, a shared PC left signed in), and disabling an account, which ends all its sessions."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response
from starlette.concurrency import run_in_threadpool

from bot.gateway.auth import AdminStaffDep, StaffStoreDep
from bot.gateway.errors import ErrorBody, error_responses
from bot.persistence.staff import SESSION_ID_CHARS

router = APIRouter(prefix="/api/v1/staff", tags=["auth"], responses=error_responses(401, 403))
logger = logging.getLogger(__name__)

Username = Annotated[str, Path(min_length=1, max_length=64)]
SessionId = Annotated[str, Path(pattern=f"^[0-9a-f]{{{SESSION_ID_CHARS}}}$", description="会话列表中的 id")]
NO_ACCOUNT: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "没有这个账号（或没有这个会话）"}
}


def _missing(username: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"没有账号 {username}")


@router.get("/sessions/{username}", responses=NO_ACCOUNT)
async def list_sessions(
    username: Username, _admin: AdminStaffDep, staff_store: StaffStoreDep
) -> dict[str, Any]:
    sessions = await run_in_threadpool(staff_store.sessions_of, username)
    if sessions is None:
        raise _missing(username)
    return {"username": username, "sessions": [s.as_json() for s in sessions]}


@router.delete("/sessions/{username}", responses=NO_ACCOUNT)
async def end_all_sessions(
    username: Username, admin: AdminStaffDep, staff_store: StaffStoreDep
) -> dict[str, Any]:
    if await run_in_threadpool(staff_store.sessions_of, username) is None:
        raise _missing(username)
    ended = await run_in_threadpool(staff_store.end_sessions, username)
    logger.warning("管理员 %s 结束了 %s 的全部登录会话（%d 个）", admin.username, username, ended)
    return {"username": username, "ended": ended}


@router.delete("/sessions/{username}/{session_id}", status_code=204, responses=NO_ACCOUNT)
async def end_session(
    username: Username, session_id: SessionId, admin: AdminStaffDep, staff_store: StaffStoreDep
) -> Response:
    if not await run_in_threadpool(staff_store.end_sessions, username, session_id):
        raise HTTPException(status_code=404, detail=f"{username} 没有这个登录会话（可能已过期或已结束）")
    logger.warning("管理员 %s 结束了 %s 的登录会话 %s", admin.username, username, session_id)
    return Response(status_code=204)


@router.post(
    "/accounts/{username}/disable",
    responses={**NO_ACCOUNT, 409: {"model": ErrorBody, "description": "不能停用自己的账号"}},
)
async def disable_account(
    username: Username, admin: AdminStaffDep, staff_store: StaffStoreDep
) -> dict[str, Any]:
    if username == admin.username:
        raise HTTPException(status_code=409, detail="不能停用自己的账号")
    ended = await run_in_threadpool(staff_store.set_active, username, False)
    if ended is None:
        raise _missing(username)
    logger.warning("管理员 %s 停用了账号 %s，结束其登录会话 %d 个", admin.username, username, ended)
    return {"username": username, "active": False, "ended_sessions": ended}


@router.post("/accounts/{username}/enable", responses=NO_ACCOUNT)
async def enable_account(
    username: Username, admin: AdminStaffDep, staff_store: StaffStoreDep
) -> dict[str, Any]:
    if await run_in_threadpool(staff_store.set_active, username, True) is None:
        raise _missing(username)
    logger.warning("管理员 %s 启用了账号 %s", admin.username, username)
    return {"username": username, "active": True}
