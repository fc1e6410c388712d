"""API login for staff tools: username and password in, a bearer token out."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.concurrency import run_in_threadpool

from bot.gateway.auth import StaffDep, StaffStoreDep, bearer_token
from bot.gateway.deps import LoginGuardDep, SettingsDep, client_address
from bot.gateway.errors import error_responses

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


@router.post("", responses=error_responses(401, 429))
async def login(
    body: Credentials,
    request: Request,
    staff_store: StaffStoreDep,
    settings: SettingsDep,
    guard: LoginGuardDep,
) -> dict[str, Any]:
    staff = await guard.attempt(staff_store, body.username, body.password, client_address(request))
    if staff is None:
        raise HTTPException(status_code=401, detail="用户名或密码错误")
    lifetime = dt.timedelta(hours=settings.staff_session_hours)
    token = await run_in_threadpool(staff_store.start_session, staff.id, "token")
    return {
        "token": token,
        "token_type": "bearer",
        "expires_in": int(lifetime.total_seconds()),
        "idle_timeout": int(staff_store.policy.idle.total_seconds()),
        "staff": {"username": staff.username, "role": staff.role.value, "areas": list(staff.areas)},
    }


@router.get("/me", responses=error_responses(401))
async def me(staff: StaffDep) -> dict[str, Any]:
    return {"username": staff.username, "role": staff.role.value, "areas": list(staff.areas)}


@router.delete("", status_code=204, responses=error_responses(401, 403))
async def logout(request: Request, _staff: StaffDep, staff_store: StaffStoreDep) -> Response:
    token = bearer_token(request.headers.get("authorization"))
    if token:
        await run_in_threadpool(staff_store.end_session, token)
    return Response(status_code=204)
