"""The 差评 follow-up list (回访与整改): read by staff of the area, supervisors and admins;
worked (待回访 → 已回访 → 整改中 → 已整改 / 不属实) by the area's staff and admins only."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, cast

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.concurrency import run_in_threadpool

from bot.contracts.follow_ups import FollowUpStatus
from bot.contracts.replies import SecondRating
from bot.gateway.auth import READ_ONLY, StaffDep, readable_areas
from bot.gateway.deps import SettingsDep
from bot.gateway.errors import error_responses
from bot.gateway.handoff import HandoffService
from bot.gateway.params import parse_statuses
from bot.persistence.follow_ups import FollowUpError, FollowUpStore, FollowUpView
from bot.persistence.staff import StaffView
from bot.ratings import SECOND_RATING_PROMPT, second_rating_buttons
from bot.reports.summary import ReportFilter, claimed_by

router = APIRouter(prefix="/api/v1/follow-ups", tags=["follow-ups"], responses=error_responses(401, 403))
STATUS_HELP = "逗号分隔：" + ",".join(FollowUpStatus)
TaskId = Annotated[int, Path(ge=1, le=2**62)]
OPEN_START, OPEN_END = dt.date(1970, 1, 1), dt.date(9000, 12, 31)  # a range open on one side


class AdvanceRequest(BaseModel):
    """The next state and what was done (the note is kept with who and when)."""

    model_config = ConfigDict(extra="forbid")

    status: FollowUpStatus
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=1000)]


def _store(request: Request) -> FollowUpStore:
    return cast(FollowUpStore, request.app.state.follow_ups)


async def _task_for(request: Request, task_id: int, staff: StaffView, act: bool) -> FollowUpView:
    task = await run_in_threadpool(_store(request).get, task_id)
    if task is None or not staff.may_read(task.area):
        missing = f"没有编号为 {task_id} 的回访任务（或不属于您负责的领域）"
        raise HTTPException(status_code=404, detail=missing)
    if act and not staff.may_handle(task.area):
        raise HTTPException(status_code=403, detail=READ_ONLY)
    return task


@router.get("")
async def list_follow_ups(
    request: Request,
    staff: StaffDep,
    settings: SettingsDep,
    status: Annotated[str, Query(description=STATUS_HELP)] = "",
    area: Annotated[str, Query()] = "",
    overdue: Annotated[bool, Query(description="只看已超期未办结的")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    date_from: Annotated[dt.date | None, Query(alias="from", description="创建日期起（含）")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to", description="创建日期止（含）")] = None,
    member: Annotated[
        str,
        Query(alias="staff", max_length=64, description="差评工单的接单人用户名；「（未接单）」为无人接单"),
    ] = "",
) -> dict[str, Any]:
    """The tasks to work, earliest due first. Without dates every task (the working list:
    an old task still open must not drop out of sight); with them, those created in the
    range, the same tasks the reports count for the range (in the settings' time zone)."""
    statuses = parse_statuses(status, (f.value for f in FollowUpStatus), "回访状态")
    areas = readable_areas(staff, area)
    created = None
    if date_from is not None or date_to is not None:
        start, end = date_from or OPEN_START, date_to or OPEN_END
        if start > end:
            raise HTTPException(status_code=422, detail="from：起始日期不能晚于截止日期 to")
        created = ReportFilter(date_from=start, date_to=end, timezone=settings.timezone).bounds()
    found = await run_in_threadpool(
        _store(request).search, areas, statuses, overdue, limit, created, claimed_by(member)
    )
    return {"follow_ups": [task.as_json() for task in found]}


@router.get("/{task_id}", responses=error_responses(404))
async def get_follow_up(request: Request, task_id: TaskId, staff: StaffDep) -> dict[str, Any]:
    return (await _task_for(request, task_id, staff, act=False)).as_json()


@router.post("/{task_id}/advance", responses=error_responses(404, 409))
async def advance(request: Request, task_id: TaskId, body: AdvanceRequest, staff: StaffDep) -> dict[str, Any]:
    await _task_for(request, task_id, staff, act=True)
    try:
        task = await run_in_threadpool(_store(request).advance, task_id, staff.id, body.status, body.note)
    except FollowUpError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    if task.status == FollowUpStatus.rectified:  # the citizen may now rate the outcome once (追评)
        handoff = cast(HandoffService, request.app.state.handoff)
        ask = {
            "buttons": second_rating_buttons(task.id),
            "data": SecondRating(follow_up=task.id).dump(),
        }
        await handoff.tell_citizen(task.conversation_id, SECOND_RATING_PROMPT, ask)
    return task.as_json()
