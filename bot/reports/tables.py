"""The reports as tables: the same rows feed the page's accessible tables (via the JSON), the
CSV and the XLSX export, so a number reads the same everywhere."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font

from bot.contracts.areas import AREA_LABELS, Area
from bot.contracts.follow_ups import FOLLOW_UP_STATUS_LABELS, OPEN_FOLLOW_UP_STATUSES
from bot.persistence.follow_ups import FollowUpView
from bot.reports.gaps import GAP_KINDS, GapReportResult
from bot.reports.staff_figures import StaffFigures, StaffReportResult, TicketTimes
from bot.reports.summary import Count, Durations, Summary
from bot.reports.volume import VolumeResult

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    # per row, the list behind its figure: {"list": "conversations" | "tickets" | "follow_ups",
    # and that list's query parameters}, None where there is none; the page opens it
    links: list[Link] | None = None
    # per row and cell (the first cell's is the row's, in `links`), for a table whose every
    # cell is a figure of its own: the heat map's
    cell_links: list[list[Link]] | None = None


Link = dict[str, str] | None


def conversations_link(kind: str = "all", **narrow: str) -> Link:
    """The conversations a figure counted (GET /api/v1/reports/conversations)."""
    return {"list": "conversations", "kind": kind, **narrow}


def tasks_link(kind: str, **narrow: str) -> Link:
    """The follow-up tasks a figure counted (GET /api/v1/reports/follow-up-tasks)."""
    return {"list": "follow_up_tasks", "task": kind, **narrow}


def tickets_link(measure: str = "all", **narrow: str) -> Link:
    """The tickets a figure counted (GET /api/v1/reports/tickets)."""
    return {"list": "tickets", "measure": measure, **narrow}


def area_label(key: str) -> str:
    try:
        return AREA_LABELS[Area(key)]
    except ValueError:
        return key


CHANNEL_LABELS = {
    "rest": "REST 接口",
    "widget": "网站对话窗口",
    "telegram": "Telegram",
    "wechat": "微信公众号",
    "wecom": "企业微信客服",
}


def channel_label(key: str) -> str:
    return CHANNEL_LABELS.get(key, key)


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def _minutes(durations: Durations) -> str:
    return _in_minutes(durations.median_seconds)


def _in_minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f} 分钟"


def summary_tables(summary: Summary) -> dict[str, Table]:
    follow_ups = summary.follow_ups
    headline: list[tuple[str, Cell, Link]] = [
        ("会话数", summary.conversations, conversations_link()),
        ("市民数", summary.citizens, conversations_link()),
        ("消息数", summary.messages, conversations_link()),
        ("其中市民消息", summary.citizen_messages, conversations_link()),
        (
            "机器人独立解决率（未转人工的会话占比）",
            percent(summary.containment),
            conversations_link("bot_only"),
        ),
        ("转人工工单", summary.handoffs, tickets_link()),
        ("等待时长中位数（创建→接单）", _minutes(summary.waiting), tickets_link("claimed")),
        ("首次响应中位数（创建→首次回复）", _minutes(summary.first_response), tickets_link("responded")),
        (
            "3 分钟内首次响应占比",
            percent(summary.first_response.within_norm_share),
            tickets_link("within_norm_elapsed"),
        ),
        ("评价数", summary.ratings, conversations_link("rated")),
        ("评价率（有评价的会话占比）", percent(summary.rating_response_rate), conversations_link("rated")),
        (
            "差评率（不满意与非常不满意占比）",
            percent(summary.bad_rating_rate),
            conversations_link("bad_rated"),
        ),
        ("转办次数", sum(pair.count for pair in summary.transfers), {"list": "transferred"}),
        ("新增回访任务", follow_ups.created, tasks_link("created")),
        (
            "未办结回访任务（当前）",
            follow_ups.open,
            {"list": "follow_ups", "status": ",".join(OPEN_FOLLOW_UP_STATUSES)},
        ),
        ("超期回访任务（当前）", follow_ups.overdue, {"list": "follow_ups", "overdue": "true"}),
        ("追评数（整改后市民再评价）", follow_ups.second_ratings, tasks_link("second_rated")),
        ("已整改待追评（当前）", follow_ups.awaiting_second_rating, tasks_link("awaiting_second")),
    ]
    return {
        "summary": Table(
            "总体指标",
            ("指标", "数值"),
            [(label, value) for label, value, _ in headline],
            [link for _, _, link in headline],
        ),
        "handoffs": Table(
            "转人工原因",
            ("原因", "工单数"),
            [(c.label, c.count) for c in summary.handoffs_by_reason],
            [tickets_link(reason=c.key) for c in summary.handoffs_by_reason],
        ),
        "satisfaction": _levels_table(
            "满意度（好差评）",
            summary.satisfaction,
            [conversations_link("rated", score=c.key) for c in summary.satisfaction],
        ),
        "transfers": Table(
            "转办（按领域对）",
            ("转出领域", "转入领域", "次数"),
            [(area_label(p.from_area), area_label(p.to_area), p.count) for p in summary.transfers],
            [
                {"list": "transferred", "from_area": p.from_area, "to_area": p.to_area}
                for p in summary.transfers
            ],
        ),
        "follow_up_states": Table(
            "回访任务（按状态，期间新增）",
            ("状态", "数量"),
            [(c.label, c.count) for c in summary.follow_ups.by_status],
            [tasks_link("created", status=c.key) for c in summary.follow_ups.by_status],
        ),
        "second_ratings": _levels_table(
            "追评（整改后市民再评价）",
            follow_ups.second_satisfaction,
            [tasks_link("second_rated", second_score=c.key) for c in follow_ups.second_satisfaction],
        ),
    }


def _levels_table(title: str, counts: list[Count], links: list[Link] | None = None) -> Table:
    """The five 好差评 levels with their counts and shares."""
    total = sum(c.count for c in counts)
    return Table(
        title,
        ("评价", "分值", "数量", "占比"),
        [(c.label, int(c.key), c.count, percent(c.count / total if total else None)) for c in counts],
        links,
    )


def follow_up_table(tasks: Sequence[FollowUpView]) -> Table:
    return Table(
        "差评回访任务",
        ("任务编号", "受理编号", "领域", "渠道", "评分", "状态", "截止日期", "是否超期", "创建时间", "追评"),
        [
            (
                t.id,
                t.case_number or "",
                area_label(t.area),
                t.channel,
                t.score,
                FOLLOW_UP_STATUS_LABELS[t.status],
                t.due_on.isoformat(),
                "超期" if t.overdue else "",
                t.created_at.isoformat(),
                t.second_score,
            )
            for t in tasks
        ],
    )


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    writer.writerows(table.rows)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = table.title[:31]  # Excel's limit for a sheet name
    sheet.append(list(table.headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def gap_table(report: GapReportResult) -> Table:
    return Table(
        "知识缺口（未能回答的问题，按主题）",
        ("主题", "本期次数", "上期次数", "领域", "未答原因", "示例问题", "最接近的事项"),
        [
            (
                topic.label,
                topic.count,
                topic.previous,
                area_label(topic.area),
                "；".join(f"{GAP_KINDS.get(kind, kind)} {count}" for kind, count in topic.kinds.items()),
                "；".join(example.text for example in topic.examples),
                "；".join(item.name for item in topic.closest_items),
            )
            for topic in report.topics
        ],
    )


STAFF_HEADERS = (
    "工单数",
    "已接单",
    "等待时长中位数",
    "首次响应中位数",
    "首次响应中位数（只计工作时间）",
    "3 分钟内首次响应（只计工作时间）",
    "已办结",
    "处理时长中位数",
)


def _staff_row(label: str, f: StaffFigures) -> tuple[Cell, ...]:
    return (
        label,
        f.tickets,
        f.claimed,
        _in_minutes(f.waiting_median_seconds),
        _in_minutes(f.first_response_median_seconds),
        _in_minutes(f.first_response_office_median_seconds),
        f"{f.within_norm}/{f.responded}（{percent(f.within_norm_share)}）",
        f.resolved,
        _in_minutes(f.handling_median_seconds),
        f"{f.resolved_in_time}/{f.tickets}（{percent(f.resolved_in_time_share)}）",
    )


def staff_tables(report: StaffReportResult) -> dict[str, Table]:
    days = report.resolution_working_days
    headers = (*STAFF_HEADERS, f"{days} 个工作日内办结")
    return {
        "staff_by_area": Table(
            "工作人员效能（按领域）",
            ("领域", *headers),
            [_staff_row(area_label(f.key), f) for f in report.by_area],
        ),
        "staff_by_member": Table(
            "工作人员效能（按接单人）",
            ("接单人", *headers),
            [_staff_row(f.key, f) for f in report.by_staff],
        ),
    }


WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def volume_table(volume: VolumeResult) -> Table:
    """The heat map as a table: a row per weekday, a column per hour. A weekday (and its
    total) opens the conversations its citizen messages were written in, and so does each
    hour holding any (an empty hour has nothing behind it, and 168 links would drown a
    screen reader)."""
    days = list(enumerate(volume.by_hour_of_week))
    return Table(
        "市民消息量（按周内小时）",
        ("星期", *(f"{hour} 时" for hour in range(24)), "合计"),
        [(WEEKDAYS[day], *cells, sum(cells)) for day, cells in days],
        [conversations_link(weekday=str(day)) for day, _ in days],
        [
            [
                None,
                *(
                    conversations_link(weekday=str(day), hour=str(hour)) if n else None
                    for hour, n in enumerate(cells)
                ),
                conversations_link(weekday=str(day)),
            ]
            for day, cells in days
        ],
    )


def _seconds(value: float | None) -> Cell:
    return None if value is None else round(value)


def ticket_table(tickets: Sequence[TicketTimes]) -> Table:
    return Table(
        "工单明细",
        (
            "受理编号",
            "领域",
            "渠道",
            "原因",
            "状态",
            "接单人",
            "创建时间",
            "等待（秒）",
            "首次响应（秒）",
            "首次响应（工作时间，秒）",
            "处理时长（秒）",
            "按期办结",
        ),
        [
            (
                t.case_number,
                area_label(t.area),
                t.channel,
                t.reason,
                t.status,
                t.staff,
                t.created_at.isoformat(),
                _seconds(t.waiting),
                _seconds(t.first_response),
                _seconds(t.first_response_office),
                _seconds(t.handling),
                "是" if t.resolved_in_time else "",
            )
            for t in tickets
        ],
    )
