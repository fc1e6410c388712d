"""Login locks for admins: who is locked out after repeated failed logins, and lifting a lock
(a colleague who forgot the password should not wait the whole lock out)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response
from starlette.concurrency import run_in_threadpool

from bot.gateway.auth import AdminStaffDep, StaffStoreDep
from bot.gateway.deps import LoginGuardDep
from bot.gateway.errors import error_responses

router = APIRouter(prefix="/api/v1/staff/locks", tags=["auth"], responses=error_responses(401, 403))

Username = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("")
async def list_locks(
    _admin: AdminStaffDep, staff_store: StaffStoreDep, guard: LoginGuardDep
) -> dict[str, Any]:
    usernames = await run_in_threadpool(staff_store.usernames)
    locks = await guard.locks(usernames)
    return {"locks": [{"username": lock.username, "seconds_left": lock.seconds_left} for lock in locks]}


@router.delete("/{username}", status_code=204, responses=error_responses(404))
async def lift_lock(username: Username, admin: AdminStaffDep, guard: LoginGuardDep) -> Response:
    if not await guard.lift(username, admin.username):
        raise HTTPException(status_code=404, detail=f"账号 {username} 没有被锁定")
    return Response(status_code=204)
