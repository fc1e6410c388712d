"""The reports proven against a hand-computed week (2026-09-28 to 10-04: 国庆 from 10-01, and
the 调休 Saturday 10-10 inside the follow-up deadlines), on SQLite and PostgreSQL, and the
report API's access rules and exports through the real app."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.gateway.app import create_app
from bot.persistence.follow_ups import FollowUpStore
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.models import FollowUp, Staff, Ticket
from bot.persistence.store import create_db_engine
from bot.reports.summary import ReportFilter, SummaryReport, claimed_by
from bot.reports.tables import summary_tables
from bot.settings import Settings
from bot.work_calendar import WorkCalendar
from tests.conftest import make_settings
from tests.staff import add_staff, bearer
from tests.unit.bot.reports.week import TODAY, WEEK, at, seed_week


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    seed_week(engine)
    yield engine
    engine.dispose()


def test_the_week_in_figures(engine: Engine) -> None:
    summary = SummaryReport(engine).build(ReportFilter(**WEEK), TODAY)
    volume = (summary.conversations, summary.citizens, summary.messages, summary.citizen_messages)
    assert volume == (4, 4, 6, 4)
    assert (summary.handoff_conversations, summary.containment, summary.handoffs) == (3, 0.25, 3)
    assert {c.key: c.count for c in summary.handoffs_by_reason if c.count} == {
        "complaint": 1,
        "request_human": 1,
        "fallback": 1,
    }
    assert (summary.waiting.count, summary.waiting.median_seconds) == (2, 90.0)  # 120 s and 60 s
    first = summary.first_response
    assert (first.count, first.median_seconds) == (2, 180.0)  # 240 s and 120 s
    assert (first.within_norm, first.within_norm_share) == (1, 0.5)
    assert [(c.label, c.count) for c in summary.satisfaction] == [
        ("非常满意", 1),
        ("满意", 0),
        ("基本满意", 1),
        ("不满意", 1),
        ("非常不满意", 1),
    ]
    assert (summary.ratings, summary.rating_response_rate, summary.bad_rating_rate) == (4, 1.0, 0.5)
    pairs = [(p.from_area, p.to_area, p.count) for p in summary.transfers]
    assert pairs == [("social_security", "employment", 1)]
    follow_ups = summary.follow_ups
    assert (follow_ups.created, follow_ups.open, follow_ups.overdue) == (2, 2, 2)
    on_the_due_day = SummaryReport(engine).build(ReportFilter(**WEEK), dt.date(2026, 10, 10))
    assert on_the_due_day.follow_ups.overdue == 0
    assert SummaryReport(engine).build(ReportFilter(**WEEK), dt.date(2026, 10, 11)).follow_ups.overdue == 1


def test_the_week_filtered_by_area_and_by_channel(engine: Engine) -> None:
    housing = SummaryReport(engine).build(ReportFilter(**WEEK, areas=("housing",)), TODAY)
    assert (housing.conversations, housing.messages, housing.containment, housing.handoffs) == (2, 3, None, 2)
    assert (housing.waiting.count, housing.waiting.median_seconds) == (1, 120)
    assert housing.first_response.within_norm == 0
    assert (housing.ratings, housing.bad_rating_rate, housing.transfers) == (2, 0.5, [])
    assert (housing.follow_ups.created, housing.follow_ups.overdue) == (1, 1)
    employment = SummaryReport(engine).build(ReportFilter(**WEEK, areas=("employment",)), TODAY)
    assert (employment.conversations, employment.handoffs, len(employment.transfers)) == (1, 1, 1)
    widget = SummaryReport(engine).build(ReportFilter(**WEEK, channel="widget"), TODAY)
    assert (widget.conversations, widget.handoffs, widget.containment, widget.ratings) == (1, 1, 0.0, 1)
    assert [c.count for c in widget.satisfaction] == [0, 0, 0, 1, 0]


def test_second_ratings_after_rectification(engine: Engine) -> None:
    """追评: c2's task (housing) rectified and rated 满意 on 10-03, c3's (employment) rectified
    and not rated yet; a 追评 given after the range is not counted in it."""
    with Session(engine) as session:
        tasks = {t.conversation_id: t for t in session.query(FollowUp)}
        tasks["c2"].status = tasks["c3"].status = "rectified"
        tasks["c2"].second_score, tasks["c2"].second_rated_at = 4, at(10, 3, 9).astimezone(dt.UTC)
        session.commit()
    follow_ups = SummaryReport(engine).build(ReportFilter(**WEEK), TODAY).follow_ups
    assert (follow_ups.second_ratings, follow_ups.awaiting_second_rating) == (1, 1)
    assert [(c.label, c.count) for c in follow_ups.second_satisfaction] == [
        ("非常满意", 0), ("满意", 1), ("基本满意", 0), ("不满意", 0), ("非常不满意", 0),
    ]  # fmt: skip
    housing = SummaryReport(engine).build(ReportFilter(**WEEK, areas=("housing",)), TODAY).follow_ups
    employment = SummaryReport(engine).build(ReportFilter(**WEEK, areas=("employment",)), TODAY).follow_ups
    assert (housing.second_ratings, housing.awaiting_second_rating) == (1, 0)
    assert (employment.second_ratings, employment.awaiting_second_rating) == (0, 1)
    later = {"date_from": dt.date(2026, 10, 4), "date_to": dt.date(2026, 10, 10)}
    assert SummaryReport(engine).build(ReportFilter(**later), TODAY).follow_ups.second_ratings == 0
    table = summary_tables(SummaryReport(engine).build(ReportFilter(**WEEK), TODAY))["second_ratings"]
    assert (table.title, table.rows[1]) == ("追评（整改后市民再评价）", ("满意", 4, 1, "100.0%"))


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("reports") / "var")
    for username, args in [("wang", ("--areas", "housing")), ("sup", ("--role", "supervisor"))]:
        assert add_staff(settings, username, *args).returncode == 0
    engine = create_db_engine(settings.effective_database_url)
    seed_week(engine)
    engine.dispose()
    return settings


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


RANGE = "from=2026-09-28&to=2026-10-04"


def test_reports_refuse_anonymous_callers_and_keep_staff_to_their_areas(client: TestClient) -> None:
    for path in ("/api/v1/reports/summary", "/api/v1/reports/export?report=summary&format=csv"):
        assert client.get(path).status_code == 401
    wang, sup = bearer(client, "wang"), bearer(client, "sup")
    mine = client.get(f"/api/v1/reports/summary?{RANGE}", headers=wang).json()
    assert (mine["areas"], mine["conversations"], mine["containment"]) == (["housing"], 2, None)
    refused = client.get(f"/api/v1/reports/summary?{RANGE}&area=employment", headers=wang)
    assert refused.status_code == 403 and "您不负责「employment」领域" in refused.json()["detail"]
    everything = client.get(f"/api/v1/reports/summary?{RANGE}", headers=sup).json()
    assert (everything["areas"], everything["conversations"], everything["containment"]) == (None, 4, 0.25)
    assert everything["tables"]["satisfaction"]["rows"][4] == ["非常不满意", 1, 1, "25.0%"]
    assert everything["tables"]["transfers"]["headers"] == ["转出领域", "转入领域", "次数"]
    assert everything["tables"]["transfers"]["rows"] == [["社保", "就业", 1]]


def test_bad_report_parameters_are_422_naming_the_field(client: TestClient) -> None:
    sup = bearer(client, "sup")
    backwards = client.get("/api/v1/reports/summary?from=2026-10-04&to=2026-09-28", headers=sup)
    assert backwards.status_code == 422 and backwards.json()["detail"].startswith("from：")
    not_a_date = client.get("/api/v1/reports/summary?from=yesterday", headers=sup)
    assert not_a_date.status_code == 422
    assert not_a_date.json()["errors"] == [{"field": "from", "message": "应为日期，如 2026-12-01"}]
    unknown = client.get("/api/v1/reports/summary?area=parks", headers=sup)
    assert unknown.status_code == 422 and "未知的领域「parks」" in unknown.json()["detail"]
    bad_report = client.get("/api/v1/reports/export?report=everything", headers=sup)
    assert bad_report.status_code == 422
    assert bad_report.json()["errors"] == [{"field": "report", "message": "不是可选的值"}]


def test_every_table_exports_to_csv_and_xlsx(client: TestClient) -> None:
    sup = bearer(client, "sup")
    response = client.get(f"/api/v1/reports/export?report=satisfaction&format=csv&{RANGE}", headers=sup)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="satisfaction-2026-09-28-2026-10-04.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["评价", "分值", "数量", "占比"] and rows[1] == ["非常满意", "5", "1", "25.0%"]
    book = client.get(f"/api/v1/reports/export?report=summary&format=xlsx&{RANGE}", headers=sup)
    assert book.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None and sheet.title == "总体指标"
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["会话数"] == 4 and values["差评率（不满意与非常不满意占比）"] == "50.0%"
    tasks = client.get("/api/v1/reports/export?report=follow_ups&format=csv", headers=bearer(client, "wang"))
    task_rows = list(csv.reader(io.StringIO(tasks.content.decode("utf-8-sig"))))
    listed = [(r[2], r[4], r[5], r[6], r[7]) for r in task_rows[1:]]
    assert listed == [("住房", "1", "待回访", "2026-10-10", "超期")]


def test_breakdowns_by_channel_area_and_staff_through_the_api(client: TestClient) -> None:
    for path in ("/api/v1/reports/breakdowns", "/api/v1/reports/export?report=satisfaction_by_area"):
        assert client.get(path).status_code == 401
    everything = client.get(f"/api/v1/reports/breakdowns?{RANGE}", headers=bearer(client, "sup")).json()
    by_area = everything["tables"]["satisfaction_by_area"]
    assert by_area["headers"] == [
        "领域", "非常满意", "满意", "基本满意", "不满意", "非常不满意", "评价数", "评价率", "差评率",
    ]  # fmt: skip
    assert by_area["rows"] == [
        ["住房", 0, 0, 1, 0, 1, 2, "100.0%", "50.0%"],
        ["就业", 0, 0, 0, 1, 0, 1, "100.0%", "100.0%"],
    ]
    assert everything["tables"]["volume_by_channel"]["rows"][0] == ["REST 接口", 3, 3, 5, 3, 2, "33.3%"]
    mine = client.get(f"/api/v1/reports/breakdowns?{RANGE}", headers=bearer(client, "wang")).json()
    assert [g["key"] for g in mine["by_area"]] == ["housing"]
    assert [(g["key"], g["conversations"]) for g in mine["by_channel"]] == [("rest", 2)]
    exported = client.get(
        f"/api/v1/reports/export?report=volume_by_area&format=csv&{RANGE}", headers=bearer(client, "wang")
    )
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows == [
        ["领域", "会话数", "市民数", "消息数", "其中市民消息", "转人工会话（期间）"],
        ["住房", "2", "2", "3", "2", "2"],
    ]


def test_bot_answers_through_the_api(client: TestClient) -> None:
    assert client.get("/api/v1/reports/bot-answers").status_code == 401
    sup = bearer(client, "sup")
    answers = client.get(f"/api/v1/reports/bot-answers?{RANGE}", headers=sup).json()
    assert (answers["answers"], answers["tables"]["bot_top_items"]["headers"]) == (
        0, ["事项", "领域", "答复数", "所问内容"],
    )  # fmt: skip
    book = client.get(
        f"/api/v1/reports/export?report=bot_answers_by_question&format=xlsx&{RANGE}", headers=sup
    )
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None and sheet.title == "机器人答复（按问题类型）"


def test_the_conversations_behind_a_figure_through_the_api(client: TestClient) -> None:
    assert client.get("/api/v1/reports/conversations").status_code == 401
    wang, sup = bearer(client, "wang"), bearer(client, "sup")
    everything = client.get(f"/api/v1/reports/conversations?{RANGE}", headers=sup).json()
    assert everything["count"] == 4 and everything["table"]["headers"][0] == "会话编号"
    bad = client.get(f"/api/v1/reports/conversations?{RANGE}&kind=bad_rated", headers=sup).json()
    assert sorted(row[0] for row in bad["table"]["rows"]) == ["c2", "c3"]
    mine = client.get(f"/api/v1/reports/conversations?{RANGE}", headers=wang).json()
    assert sorted(row[0] for row in mine["table"]["rows"]) == ["c2", "c4"]  # housing only
    refused = client.get(f"/api/v1/reports/conversations?{RANGE}&area=employment", headers=wang)
    assert refused.status_code == 403
    summary = client.get(f"/api/v1/reports/summary?{RANGE}", headers=sup).json()["tables"]["summary"]
    assert summary["links"][0] == {"list": "conversations", "kind": "all"}
    exported = client.get(
        f"/api/v1/reports/export?report=conversations&kind=bot_only&format=csv&{RANGE}", headers=sup
    )
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [row[:4] for row in rows[1:]] == [["c1", "REST 接口", "2", "1"]]


def test_the_conversations_behind_a_heat_map_cell_and_an_answer_row_through_the_api(
    client: TestClient,
) -> None:
    """Figures that count messages open on the conversations holding them, saying so."""
    heat_map = "/api/v1/reports/conversations?weekday=0"
    assert client.get(heat_map).status_code == 401
    wang, sup = bearer(client, "wang"), bearer(client, "sup")
    volume = client.get(f"/api/v1/reports/volume?{RANGE}", headers=sup).json()["table"]
    assert volume["links"][0] == {"list": "conversations", "kind": "all", "weekday": "0"}
    assert volume["cell_links"][0][11] == {
        "list": "conversations",
        "kind": "all",
        "weekday": "0",
        "hour": "10",
    }
    assert volume["cell_links"][0][10] is None  # nothing at 9 on Monday
    monday = client.get(f"{heat_map}&{RANGE}", headers=sup).json()
    assert (monday["count"], monday["counted"]) == (2, 2) and "按市民消息计" in monday["note"]
    assert monday["table"]["headers"][4] == "其中该时段市民消息"
    assert sorted(row[0] for row in monday["table"]["rows"]) == ["c1", "c2"]
    mine = client.get(f"{heat_map}&hour=11&{RANGE}", headers=wang).json()  # housing: c2's ticket
    assert [(row[0], row[4]) for row in mine["table"]["rows"]] == [("c2", 1)]
    assert client.get(f"{heat_map}&{RANGE}&area=employment", headers=wang).status_code == 403
    exported = client.get(
        f"/api/v1/reports/export?report=conversations&{RANGE}&weekday=2&hour=9", headers=sup
    )
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [row[:5] for row in rows[1:]] == [["c3", "网站对话窗口", "1", "1", "1"]]
    answers = client.get(f"/api/v1/reports/conversations?{RANGE}&question_type=fee", headers=wang).json()
    assert (answers["count"], answers["counted"], answers["table"]["headers"][4]) == (0, 0, "其中所指答复")
    assert "按机器人答复计" in answers["note"]
    for bad, field in (
        ("hour=3", "hour"),
        ("question_type=price", "question_type"),
        ("item=x&weekday=1", "weekday"),
    ):
        refused = client.get(f"/api/v1/reports/conversations?{RANGE}&{bad}", headers=sup)
        assert refused.status_code == 422 and refused.json()["detail"].startswith(field + "："), bad
    assert client.get(f"{heat_map}&hour=24", headers=sup).status_code == 422


def test_the_transfers_behind_the_count_through_the_api(client: TestClient) -> None:
    assert client.get("/api/v1/reports/transferred").status_code == 401
    sup, wang = bearer(client, "sup"), bearer(client, "wang")
    moved = client.get(f"/api/v1/reports/transferred?{RANGE}", headers=sup).json()
    assert moved["count"] == 1 and moved["table"]["rows"][0][:4] == ["ZW-2", "社保", "就业", "就业补贴"]
    assert client.get(f"/api/v1/reports/transferred?{RANGE}", headers=wang).json()["count"] == 0  # housing
    exported = client.get(
        f"/api/v1/reports/export?report=transferred&from_area=social_security&format=csv&{RANGE}", headers=sup
    )
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["受理编号", "转出领域", "转入领域"] and [r[0] for r in rows[1:]] == ["ZW-2"]


def test_the_follow_up_tasks_behind_the_figures_through_the_api(client: TestClient) -> None:
    assert client.get("/api/v1/reports/follow-up-tasks").status_code == 401
    sup, wang = bearer(client, "sup"), bearer(client, "wang")
    created = client.get(f"/api/v1/reports/follow-up-tasks?{RANGE}&task=created", headers=sup).json()
    assert created["count"] == 2 and created["table"]["headers"][-1] == "追评"
    mine = client.get(f"/api/v1/reports/follow-up-tasks?{RANGE}&task=created", headers=wang).json()
    assert [row[2] for row in mine["table"]["rows"]] == ["住房"]
    pending = client.get(f"/api/v1/reports/follow-up-tasks?{RANGE}&task=created&status=pending", headers=sup)
    assert pending.json()["count"] == 2
    rectified = client.get(
        f"/api/v1/reports/follow-up-tasks?{RANGE}&task=created&status=rectified", headers=sup
    )
    assert rectified.json()["count"] == 0
    every = client.get(f"/api/v1/reports/follow-up-tasks?{RANGE}&task=created&status=", headers=sup)
    assert every.json()["count"] == 2  # an empty status is no filter
    for bad_query in ("task=later", "status=done"):  # a status not in FollowUpStatus is refused
        bad = client.get(f"/api/v1/reports/follow-up-tasks?{RANGE}&{bad_query}", headers=sup)
        assert bad.status_code == 422, bad_query
    exported = client.get(
        f"/api/v1/reports/export?report=follow_up_tasks&task=created&format=csv&{RANGE}", headers=sup
    )
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "任务编号" and len(rows) == 3


def test_a_level_and_a_handoff_reason_open_their_lists_through_the_api(client: TestClient) -> None:
    sup, wang = bearer(client, "sup"), bearer(client, "wang")
    tables = client.get(f"/api/v1/reports/summary?{RANGE}", headers=sup).json()["tables"]
    level = tables["satisfaction"]["links"][4]  # 非常不满意: c2's 1
    assert level == {"list": "conversations", "kind": "rated", "score": "1"}
    rated = client.get(f"/api/v1/reports/conversations?{RANGE}&kind=rated&score=1", headers=sup).json()
    assert (rated["count"], [row[0] for row in rated["table"]["rows"]]) == (1, ["c2"])
    assert client.get(f"/api/v1/reports/conversations?{RANGE}&score=6", headers=sup).status_code == 422
    reasons = dict(zip((r[0] for r in tables["handoffs"]["rows"]), tables["handoffs"]["links"], strict=True))
    assert reasons["投诉"] == {"list": "tickets", "measure": "all", "reason": "complaint"}
    complaints = client.get(f"/api/v1/reports/tickets?{RANGE}&reason=complaint", headers=sup).json()
    assert [row[0] for row in complaints["table"]["rows"]] == ["ZW-1"]  # ZW-5 is before the range
    fallback = client.get(f"/api/v1/reports/tickets?{RANGE}&reason=fallback", headers=wang).json()
    assert [row[0] for row in fallback["table"]["rows"]] == ["ZW-3"]
    exported = client.get(f"/api/v1/reports/export?report=tickets&reason=request_human&{RANGE}", headers=sup)
    assert [r[0] for r in list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))[1:]] == ["ZW-2"]


def test_the_working_follow_up_list_by_date_range_and_staff_member(client: TestClient) -> None:
    assert client.get("/api/v1/follow-ups?from=2026-09-28").status_code == 401
    sup, wang = bearer(client, "sup"), bearer(client, "wang")

    def cases(query: str, headers: dict[str, str] = sup) -> list[str | None]:
        found = client.get(f"/api/v1/follow-ups?{query}", headers=headers)
        assert found.status_code == 200, found.text
        return sorted(task["case_number"] or "" for task in found.json()["follow_ups"])

    assert cases("") == ["ZW-1", "ZW-2"]  # no dates: every task, the working list
    assert cases("from=2026-09-29") == ["ZW-2"]  # c2's task was created on 09-28 (local)
    assert cases("to=2026-09-28") == ["ZW-1"]
    assert cases("from=2026-10-01&to=2026-10-04") == []
    assert cases("staff=（未接单）") == ["ZW-1", "ZW-2"]  # nobody claimed either ticket here
    assert cases("staff=wang") == []
    assert cases("from=2026-09-28&to=2026-10-04", wang) == ["ZW-1"]  # housing only
    assert client.get("/api/v1/follow-ups?from=2026-10-04&to=2026-09-28", headers=sup).status_code == 422


def test_the_follow_up_store_narrows_as_the_reports_count(engine: Engine) -> None:
    """The working list's date range and staff filter count the tasks the summary counts."""
    with Session(engine) as session:
        seed = session.query(Staff).filter_by(username="seed").one()
        session.query(Ticket).filter_by(case_number="ZW-1").one().claimed_by = seed.id
        session.commit()
    store = FollowUpStore(engine, WorkCalendar(), working_days=5)
    for staff, want in [(None, ["ZW-1", "ZW-2"]), ("seed", ["ZW-1"]), ("（未接单）", ["ZW-2"])]:
        scope = ReportFilter(**WEEK, staff=staff)
        found = store.search(created=scope.bounds(), claimed_by=claimed_by(staff))
        assert sorted(t.case_number or "" for t in found) == want, staff
        assert SummaryReport(engine).build(scope, TODAY).follow_ups.created == len(want), staff
    early = ReportFilter(date_from=dt.date(2026, 9, 29), date_to=dt.date(2026, 9, 29))
    assert store.search(created=early.bounds()) == []  # c2's on 09-28, c3's on 09-30
