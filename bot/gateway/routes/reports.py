"""Reports for supervisors, admins and (for their own areas) staff: the headline figures as
JSON and every table as CSV or XLSX. Anonymous callers get 401 like every staff API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, cast
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from bot.gateway.auth import StaffDep, readable_areas
from bot.gateway.deps import SettingsDep
from bot.gateway.errors import error_responses
from bot.persistence.follow_ups import FollowUpStore
from bot.persistence.staff import StaffView
from bot.reports.summary import ReportFilter, Summary, SummaryReport
from bot.reports.tables import Table, follow_up_table, summary_tables, to_csv, to_xlsx
from knowledge.schema import Area

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=error_responses(401, 403))

DEFAULT_DAYS = 30
MAX_DAYS = 366
ReportName = Literal["summary", "handoffs", "satisfaction", "transfers", "follow_up_states", "follow_ups"]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DateFrom = Annotated[dt.date | None, Query(alias="from", description="起始日期（含），默认截止日期前 29 天")]
DateTo = Annotated[dt.date | None, Query(alias="to", description="截止日期（含），默认今天")]
AreaParam = Annotated[str, Query(max_length=32, description="领域，如 housing；不填为您可查看的全部领域")]
ChannelParam = Annotated[str, Query(max_length=32, description="渠道，如 rest、widget、telegram")]


def report_filter(
    settings_timezone: str,
    staff: StaffView,
    date_from: dt.date | None,
    date_to: dt.date | None,
    area: str,
    channel: str,
) -> ReportFilter:
    """The caller's filter with defaults filled in; a bad combination is a 422 naming the field."""
    if area and area not in {a.value for a in Area}:
        raise HTTPException(status_code=422, detail=f"area：未知的领域「{area}」")
    end = date_to or dt.datetime.now(ZoneInfo(settings_timezone)).date()
    start = date_from or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise HTTPException(status_code=422, detail="from：起始日期不能晚于截止日期 to")
    if (end - start).days >= MAX_DAYS:
        raise HTTPException(status_code=422, detail=f"from：一次最多统计 {MAX_DAYS} 天")
    areas = readable_areas(staff, area)
    return ReportFilter(
        date_from=start,
        date_to=end,
        areas=tuple(areas) if areas is not None else None,
        channel=channel or None,
        timezone=settings_timezone,
    )


def _table_json(table: Table) -> dict[str, Any]:
    return {"title": table.title, "headers": list(table.headers), "rows": [list(row) for row in table.rows]}


async def _summary(request: Request, scope: ReportFilter) -> Summary:
    reports = cast(SummaryReport, request.app.state.reports)
    today = dt.datetime.now(ZoneInfo(scope.timezone)).date()
    return await run_in_threadpool(reports.build, scope, today)


@router.get("/summary")
async def summary(
    request: Request,
    settings: SettingsDep,
    staff: StaffDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    area: AreaParam = "",
    channel: ChannelParam = "",
) -> dict[str, Any]:
    scope = report_filter(settings.timezone, staff, date_from, date_to, area, channel)
    figures = await _summary(request, scope)
    tables = {name: _table_json(table) for name, table in summary_tables(figures).items()}
    return {**figures.model_dump(mode="json"), "tables": tables}


@router.get("/export")
async def export(
    request: Request,
    settings: SettingsDep,
    staff: StaffDep,
    report: Annotated[ReportName, Query(description="导出哪一张表")] = "summary",
    format: Annotated[Literal["csv", "xlsx"], Query(description="csv 或 xlsx")] = "csv",
    date_from: DateFrom = None,
    date_to: DateTo = None,
    area: AreaParam = "",
    channel: ChannelParam = "",
) -> Response:
    scope = report_filter(settings.timezone, staff, date_from, date_to, area, channel)
    if report == "follow_ups":
        store = cast(FollowUpStore, request.app.state.follow_ups)
        areas = list(scope.areas) if scope.areas is not None else None
        table = follow_up_table(await run_in_threadpool(store.search, areas, None, False, 10_000))
    else:
        table = summary_tables(await _summary(request, scope))[report]
    body = to_csv(table) if format == "csv" else to_xlsx(table)
    filename = f"{report}-{scope.date_from.isoformat()}-{scope.date_to.isoformat()}.{format}"
    return Response(
        body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
