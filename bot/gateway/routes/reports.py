"""Reports for supervisors, admins and (for their own areas) staff: the headline figures as
JSON and every table as CSV or XLSX. Anonymous callers get 401 like every staff API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal, Protocol, TypeVar, cast
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from bot.contracts.areas import AREA_LABELS, Area
from bot.contracts.follow_ups import FollowUpStatus
from bot.gateway.auth import StaffDep, readable_areas
from bot.gateway.deps import SettingsDep
from bot.gateway.errors import error_responses
from bot.persistence.follow_ups import FollowUpStore
from bot.persistence.gap_decisions import GapDecisionStore
from bot.persistence.staff import StaffStore, StaffView
from bot.reports.bot_answers import FAQ, BotAnswersReport
from bot.reports.breakdown_tables import bot_answer_tables, breakdown_tables
from bot.reports.breakdowns import BreakdownReport
from bot.reports.conversation_list import Containing, ConversationList, ConversationListing
from bot.reports.follow_up_list import FollowUpList
from bot.reports.gaps import GapReport, GapReportResult
from bot.reports.list_tables import conversation_table, counted_note, follow_up_list_table, transfer_table
from bot.reports.staff_figures import MAX_LISTED, MEASURES, StaffReport
from bot.reports.summary import DEFAULT_DAYS, ReportFilter, Summary, SummaryReport, claimed_by, default_dates
from bot.reports.tables import (
    Table,
    follow_up_table,
    gap_table,
    staff_tables,
    summary_tables,
    ticket_table,
    to_csv,
    to_xlsx,
    volume_table,
)
from bot.reports.transfer_list import TransferList
from bot.reports.volume import VolumeReport
from knowledge.render import QuestionType

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=error_responses(401, 403))

MAX_DAYS = 366
ReportName = Literal[
    "staff_by_area",
    "staff_by_member",
    "volume",
    "tickets",
    "summary",
    "handoffs",
    "satisfaction",
    "transfers",
    "follow_up_states",
    "follow_ups",
    "gaps",
    "volume_by_channel",
    "volume_by_area",
    "satisfaction_by_channel",
    "satisfaction_by_area",
    "satisfaction_by_staff",
    "bot_answers_by_question",
    "bot_top_items",
    "conversations",
    "transferred",
    "follow_up_tasks",
]
BREAKDOWN_TABLES = (
    "volume_by_channel",
    "volume_by_area",
    "satisfaction_by_channel",
    "satisfaction_by_area",
    "satisfaction_by_staff",
)
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DateFrom = Annotated[dt.date | None, Query(alias="from", description="起始日期（含），默认截止日期前 29 天")]
DateTo = Annotated[dt.date | None, Query(alias="to", description="截止日期（含），默认今天")]
AreaParam = Annotated[str, Query(max_length=32, description="领域，如 housing；不填为您可查看的全部领域")]
Measure = Literal[
    "all",
    "claimed",
    "responded",
    "within_norm",
    "within_norm_elapsed",
    "resolved",
    "resolved_in_time",
    "unclaimed",
]
Kind = Annotated[
    Literal["all", "bot_only", "handed", "rated", "bad_rated"],
    Query(description="哪个数字背后的会话：全部、机器人独立解决、转人工、有评价、有差评"),
]
StaffParam = Annotated[
    str,
    Query(
        alias="staff",
        max_length=64,
        description="接单的工作人员用户名，只看其接单的工单和会话；「（未接单）」为无人接单",
    ),
]
FromArea = Annotated[str, Query(max_length=32, description="转办明细：转出领域")]
ToArea = Annotated[str, Query(max_length=32, description="转办明细：转入领域")]
TaskKind = Annotated[
    Literal["created", "second_rated", "awaiting_second"],
    Query(description="回访任务明细：期间新增、期间有追评、已整改待追评（当前）"),
]
TaskStatus = Annotated[Literal[""] | FollowUpStatus, Query(description="回访任务明细：按状态")]
SecondScore = Annotated[int | None, Query(ge=1, le=5, description="回访任务明细：追评分值")]
ScoreParam = Annotated[
    int | None, Query(ge=1, le=5, description="会话明细：期间有该分值评价的会话（kind=rated）")
]
ReasonParam = Annotated[str, Query(max_length=32, description="工单明细：转人工原因，如 complaint、fallback")]
ChannelParam = Annotated[str, Query(max_length=32, description="渠道，如 rest、widget、telegram")]
QuestionTypeParam = Annotated[
    str, Query(max_length=32, description="会话明细：含该类机器人答复的会话，如 materials、fee、faq")
]
ItemParam = Annotated[
    str, Query(max_length=128, description="会话明细：含关于该事项（编号）的机器人答复的会话")
]
WeekdayParam = Annotated[
    int | None, Query(ge=0, le=6, description="会话明细：含该星期（0 为周一，本地时间）市民消息的会话")
]
HourParam = Annotated[int | None, Query(ge=0, le=23, description="会话明细：与 weekday 一起，该星期的该小时")]


def report_filter(
    settings: SettingsDep,
    staff: StaffDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    area: AreaParam = "",
    channel: ChannelParam = "",
    member: StaffParam = "",
) -> ReportFilter:
    """The caller's filter with defaults filled in (every report takes the same query
    parameters); a bad combination is a 422 naming the field."""
    settings_timezone = settings.timezone
    if area and area not in {a.value for a in Area}:
        raise HTTPException(status_code=422, detail=f"area：未知的领域「{area}」")
    end = date_to or default_dates(settings_timezone)[1]
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
        staff=member or None,
        timezone=settings_timezone,
    )


ScopeDep = Annotated[ReportFilter, Depends(report_filter)]


def containing(
    question_type: QuestionTypeParam = "",
    item: ItemParam = "",
    weekday: WeekdayParam = None,
    hour: HourParam = None,
) -> Containing:
    """The messages behind a figure that counts messages (a bot-answer row, a heat-map row
    or cell), for the conversations listed behind it; a bad combination is a 422."""
    if question_type and question_type != FAQ and question_type not in {q.value for q in QuestionType}:
        raise HTTPException(status_code=422, detail=f"question_type：未知的问题类型「{question_type}」")
    if hour is not None and weekday is None:
        raise HTTPException(status_code=422, detail="hour：须与 weekday 一起使用")
    if (question_type or item) and weekday is not None:
        raise HTTPException(status_code=422, detail="weekday：不能与 question_type、item 同时使用")
    return Containing(question_type=question_type or None, item=item or None, weekday=weekday, hour=hour)


ContainingDep = Annotated[Containing, Depends(containing)]


def _table_json(table: Table) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": table.title,
        "headers": list(table.headers),
        "rows": [list(row) for row in table.rows],
    }
    if table.links is not None:
        body["links"] = table.links
    if table.cell_links is not None:
        body["cell_links"] = table.cell_links
    return body


def _listing(count: int, table: Table) -> dict[str, Any]:
    """What is behind a figure: how many, and the first of them as a table."""
    return {"count": count, "table": _table_json(table)}


def _with_tables(result: BaseModel, tables: dict[str, Table]) -> dict[str, Any]:
    """A report's figures and, under «tables», the same numbers as the page's tables."""
    return {**result.model_dump(mode="json"), "tables": {name: _table_json(t) for name, t in tables.items()}}


def _engine(request: Request) -> Engine:
    """The reports' database: the reports built per request hold no state of their own."""
    return cast(SummaryReport, request.app.state.reports).engine


async def _summary(request: Request, scope: ReportFilter) -> Summary:
    reports = cast(SummaryReport, request.app.state.reports)
    today = dt.datetime.now(ZoneInfo(scope.timezone)).date()
    return await run_in_threadpool(reports.build, scope, today)


async def _uncovered(request: Request, scope: ReportFilter) -> list[dict[str, str]]:
    """The queues (within the caller's areas) that no active staff member covers, as of now:
    a ticket there waits with nobody to claim it. The same list the gateway warns of at start-up."""
    staff = cast(StaffStore, request.app.state.staff)
    areas = await run_in_threadpool(staff.uncovered_areas)
    return [
        {"area": area.value, "label": AREA_LABELS[area]}
        for area in areas
        if scope.areas is None or area.value in scope.areas
    ]


@router.get("/summary")
async def summary(request: Request, scope: ScopeDep) -> dict[str, Any]:
    """总体指标；`uncovered_queues` 为当前没有在职工作人员负责的队列（不受日期筛选影响）。"""
    figures = await _summary(request, scope)
    return {
        **_with_tables(figures, summary_tables(figures)),
        "uncovered_queues": await _uncovered(request, scope),
    }


@router.get("/export")
async def export(
    request: Request,
    scope: ScopeDep,
    messages: ContainingDep,
    report: Annotated[ReportName, Query(description="导出哪一张表")] = "summary",
    format: Annotated[Literal["csv", "xlsx"], Query(description="csv 或 xlsx")] = "csv",
    measure: Annotated[Measure, Query(description="report=tickets 时：哪个数字背后的工单")] = "all",
    kind: Kind = "all",
    from_area: FromArea = "",
    to_area: ToArea = "",
    task: TaskKind = "created",
    status: TaskStatus = "",
    second_score: SecondScore = None,
    score: ScoreParam = None,
    reason: ReasonParam = "",
) -> Response:
    if report == "gaps":
        table = gap_table(await _gaps(request, scope))
    elif report == "follow_up_tasks":
        _, table = await _tasks(request, scope, task, status, second_score)
    elif report == "transferred":
        _, table = await _transfers(request, scope, from_area, to_area)
    elif report == "conversations":
        _, table = await _conversations(request, scope, kind, score, messages)
    elif report in ("bot_answers_by_question", "bot_top_items"):
        table = bot_answer_tables(await _build(request, scope, BotAnswersReport))[report]
    elif report in BREAKDOWN_TABLES:
        table = breakdown_tables(await _build(request, scope, BreakdownReport))[report]
    elif report in ("staff_by_area", "staff_by_member"):
        table = staff_tables(await run_in_threadpool(_staff_report(request).build, scope))[report]
    elif report == "volume":
        table = volume_table(
            await run_in_threadpool(cast(VolumeReport, request.app.state.volume).build, scope)
        )
    elif report == "tickets":
        found = await run_in_threadpool(
            _staff_report(request).tickets, scope, scope.staff or "", MEASURES[measure][1], reason
        )
        table = ticket_table(found[:MAX_LISTED])
    elif report == "follow_ups":
        store = cast(FollowUpStore, request.app.state.follow_ups)
        areas = list(scope.areas) if scope.areas is not None else None
        tasks = await run_in_threadpool(
            store.search, areas, None, False, 10_000, None, claimed_by(scope.staff)
        )
        table = follow_up_table(tasks)  # the working list, as of today: the dates do not narrow it
    else:
        table = summary_tables(await _summary(request, scope))[report]
    body = to_csv(table) if format == "csv" else to_xlsx(table)
    filename = f"{report}-{scope.date_from.isoformat()}-{scope.date_to.isoformat()}.{format}"
    return Response(
        body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


# --- the knowledge-gap report -------------------------------------------------------------
Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class GapQuestions(BaseModel):
    """A topic's questions, as the report listed them, and the area it was shown under."""

    model_config = ConfigDict(extra="forbid")

    area: Area
    questions: Annotated[list[Question], Field(min_length=1, max_length=1000)]


class GapDraftRequest(GapQuestions):
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=300)]
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=2000)]


async def _gaps(request: Request, scope: ReportFilter) -> GapReportResult:
    gaps = cast(GapReport, request.app.state.gaps)
    return await run_in_threadpool(gaps.build, scope)


def _decisions(request: Request, staff: StaffView, area: Area) -> GapDecisionStore:
    if not staff.may_read(area.value):
        raise HTTPException(status_code=403, detail=f"您不负责「{area.value}」领域")
    return cast(GapDecisionStore, request.app.state.gap_decisions)


@router.get("/gaps")
async def gaps(request: Request, scope: ScopeDep) -> dict[str, Any]:
    """未能回答的问题按主题归类：次数、与上一周期比较、领域、示例（已脱敏）、最接近的事项。"""
    report = await _gaps(request, scope)
    return {**report.model_dump(mode="json"), "table": _table_json(gap_table(report))}


@router.post("/gaps/draft", status_code=201)
async def gap_to_draft(request: Request, body: GapDraftRequest, staff: StaffDep) -> dict[str, Any]:
    """把一个主题转为 FAQ 草稿（进入管理员审核）；这些问题不再出现在缺口报表中。"""
    store = _decisions(request, staff, body.area)
    draft, decided = await run_in_threadpool(
        store.draft, body.area.value, body.question, body.answer, body.questions, staff.id
    )
    return {"draft": draft.as_json(), "decided": decided}


@router.post("/gaps/out-of-scope")
async def gap_out_of_scope(request: Request, body: GapQuestions, staff: StaffDep) -> dict[str, Any]:
    """标记一个主题不属于本助手的服务范围；这些问题不再出现在缺口报表中。"""
    store = _decisions(request, staff, body.area)
    return {"decided": await run_in_threadpool(store.out_of_scope, body.questions, staff.id)}


# --- staff figures, volume, and the tickets behind a figure -------------------------------


def _staff_report(request: Request) -> StaffReport:
    return cast(StaffReport, request.app.state.staff_report)


@router.get("/staff")
async def staff_figures(request: Request, scope: ScopeDep) -> dict[str, Any]:
    """按领域、按工作人员：等待、首次响应（含只计工作时间的 3 分钟内占比）、处理时长、N 个工作日内办结。"""
    result = await run_in_threadpool(_staff_report(request).build, scope)
    return {
        **_with_tables(result, staff_tables(result)),
        "uncovered_queues": await _uncovered(request, scope),
    }


@router.get("/volume")
async def volume(request: Request, scope: ScopeDep) -> dict[str, Any]:
    """市民消息量：按天、按周内小时（热力图数据，[周一..周日][0..23 时]）。"""
    result = await run_in_threadpool(cast(VolumeReport, request.app.state.volume).build, scope)
    return {**result.model_dump(mode="json"), "table": _table_json(volume_table(result))}


@router.get("/tickets")
async def tickets_behind(
    request: Request,
    scope: ScopeDep,
    measure: Annotated[Measure, Query(description="哪个数字背后的工单")] = "all",
    reason: ReasonParam = "",
) -> dict[str, Any]:
    """一个数字背后的工单（与报表同样的筛选，另可按接单人、指标和转人工原因），最多 1000 张。"""
    found = await run_in_threadpool(
        _staff_report(request).tickets, scope, scope.staff or "", MEASURES[measure][1], reason
    )
    return _listing(len(found), ticket_table(found[:MAX_LISTED]))


# --- reports built per request: breakdowns and the bot's answers ---------------------------


Result = TypeVar("Result", bound=BaseModel)
Built = TypeVar("Built", bound=BaseModel, covariant=True)


class _Buildable(Protocol[Built]):
    def build(self, scope: ReportFilter) -> Built: ...


async def _build(
    request: Request, scope: ReportFilter, report: Callable[[Engine], _Buildable[Result]]
) -> Result:
    return await run_in_threadpool(report(_engine(request)).build, scope)


@router.get("/breakdowns")
async def breakdowns(request: Request, scope: ScopeDep) -> dict[str, Any]:
    """按渠道、按领域、按接单人：会话量与满意度（五级好差评、评价率、差评率）；每一行等于按该项筛选后的总体指标。"""
    result = await _build(request, scope, BreakdownReport)
    return _with_tables(result, breakdown_tables(result))


@router.get("/bot-answers")
async def bot_answers(request: Request, scope: ScopeDep) -> dict[str, Any]:
    """机器人答复：按问题类型计数，及被问得最多的 20 个事项（领域按所答事项筛选）。"""
    result = await _build(request, scope, BotAnswersReport)
    return _with_tables(result, bot_answer_tables(result))


# --- the conversations and transfers behind a figure --------------------------------------


async def _conversations(
    request: Request, scope: ReportFilter, kind: str, score: int | None, messages: Containing
) -> tuple[ConversationListing, Table]:
    listing = await run_in_threadpool(ConversationList(_engine(request)).search, scope, kind, score, messages)
    return listing, conversation_table(listing.conversations, messages)


async def _transfers(
    request: Request, scope: ReportFilter, from_area: str, to_area: str
) -> tuple[int, Table]:
    count, moved = await run_in_threadpool(TransferList(_engine(request)).search, scope, from_area, to_area)
    return count, transfer_table(moved)


async def _tasks(
    request: Request, scope: ReportFilter, kind: str, status: str, second_score: int | None
) -> tuple[int, Table]:
    count, tasks = await run_in_threadpool(
        FollowUpList(_engine(request)).search, scope, kind, str(status), second_score
    )
    return count, follow_up_list_table(tasks)


@router.get("/conversations")
async def conversations_behind(
    request: Request, scope: ScopeDep, messages: ContainingDep, kind: Kind = "all", score: ScoreParam = None
) -> dict[str, Any]:
    """一个数字背后的会话（与报表同样的筛选，另可按类别、接单人和评价分值），最近的 1000 个。

    按答复或消息计数的数字（机器人答复的问题类型 question_type、事项 item，热力图的 weekday、hour）
    列出含这些答复或消息的会话，另给 counted（即图中的数字）、note（说明）和每个会话所含的条数。"""
    listing, table = await _conversations(request, scope, kind, score, messages)
    if listing.counted is None:
        return _listing(listing.total, table)
    return {
        **_listing(listing.total, table),
        "counted": listing.counted,
        "note": counted_note(messages, listing.counted),
    }


@router.get("/transferred")
async def transfers_behind(
    request: Request, scope: ScopeDep, from_area: FromArea = "", to_area: ToArea = ""
) -> dict[str, Any]:
    """转办次数背后的转办记录（与报表同样的筛选，另可按转出、转入领域），最近的 1000 条。"""
    return _listing(*await _transfers(request, scope, from_area, to_area))


@router.get("/follow-up-tasks")
async def tasks_behind(
    request: Request,
    scope: ScopeDep,
    task: TaskKind = "created",
    status: TaskStatus = "",
    second_score: SecondScore = None,
) -> dict[str, Any]:
    """回访数字背后的任务：期间新增（可按状态）、期间有追评（可按分值）、已整改待追评，最近的 1000 个。"""
    return _listing(*await _tasks(request, scope, task, status, second_score))
