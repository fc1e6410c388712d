"""Volume and satisfaction by channel, area and staff member, proven against the hand-computed
week of test_reports (on SQLite and PostgreSQL): the figures by hand, and each channel's and
area's row equal to the summary filtered by that channel or area."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from bot.office_hours import OfficeHours
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.models import FollowUp, Message, Staff, Ticket
from bot.persistence.store import create_db_engine
from bot.reports.breakdown_tables import breakdown_tables
from bot.reports.breakdowns import BreakdownReport, GroupFigures
from bot.reports.conversation_list import Containing, ConversationList
from bot.reports.follow_up_list import FollowUpList
from bot.reports.staff_figures import MEASURES, OfficeClock, StaffReport
from bot.reports.summary import ReportFilter, SummaryReport
from bot.reports.tables import summary_tables, volume_table
from bot.reports.transfer_list import TransferList
from bot.reports.volume import VolumeReport
from bot.work_calendar import WorkCalendar
from tests.unit.bot.reports.week import TODAY, WEEK, at, seed_week

HOURS = OfficeHours.parse("mon-fri 09:00-12:00,13:30-17:30", [], [], "Asia/Shanghai")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The week, with the two claimed tickets (ZW-1, ZW-2) claimed by «seed»."""
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    seed_week(engine)
    with Session(engine) as session:
        seed = session.query(Staff).filter_by(username="seed").one()
        session.execute(update(Ticket).where(Ticket.claimed_at.is_not(None)).values(claimed_by=seed.id))
        session.commit()
    yield engine
    engine.dispose()


def figures(g: GroupFigures) -> tuple[object, ...]:
    return (
        g.conversations, g.citizens, g.messages, g.citizen_messages, g.handoff_conversations,
        g.rated_conversations, g.satisfaction, g.rating_response_rate, g.bad_rating_rate,
    )  # fmt: skip


def test_the_week_by_channel_area_and_staff_member(engine: Engine) -> None:
    result = BreakdownReport(engine).build(ReportFilter(**WEEK))
    # c1, c2, c4 on rest (c5 wrote the day before); ratings 5, 1, 3 (c5's 4 is outside)
    assert {g.key: figures(g) for g in result.by_channel} == {
        "rest": (3, 3, 5, 3, 2, 3, [1, 0, 1, 0, 1], 1.0, 0.3333),
        "widget": (1, 1, 1, 1, 1, 1, [0, 0, 0, 1, 0], 1.0, 1.0),
    }
    # housing: c2 (ZW-1) and c4 (ZW-3); c5 (ZW-5) wrote before the range. ZW-2 went to employment
    assert {g.key: figures(g) for g in result.by_area} == {
        "housing": (2, 2, 3, 2, 2, 2, [0, 0, 1, 0, 1], 1.0, 0.5),
        "employment": (1, 1, 1, 1, 1, 1, [0, 0, 0, 1, 0], 1.0, 1.0),
    }
    assert {g.key: figures(g) for g in result.by_staff} == {
        "seed": (2, 2, 3, 2, 2, 2, [0, 0, 0, 1, 1], 1.0, 1.0),  # c2, c3
        "（未接单）": (1, 1, 1, 1, 1, 1, [0, 0, 1, 0, 0], 1.0, 0.0),  # c4
    }
    assert [g.key for g in result.by_channel] == ["rest", "widget"]  # most conversations first


def test_each_row_is_the_summary_filtered_by_its_key(engine: Engine) -> None:
    result = BreakdownReport(engine).build(ReportFilter(**WEEK))
    for rows, field in (
        (result.by_channel, "channel"),
        (result.by_area, "areas"),
        (result.by_staff, "staff"),
    ):
        for row in rows:
            value = (row.key,) if field == "areas" else row.key
            summary = SummaryReport(engine).build(ReportFilter(**WEEK, **{field: value}), TODAY)
            assert figures(row) == (
                summary.conversations, summary.citizens, summary.messages, summary.citizen_messages,
                summary.handoff_conversations, row.rated_conversations,  # the rate below checks it
                [c.count for c in summary.satisfaction], summary.rating_response_rate,
                summary.bad_rating_rate,
            ), (field, row.key)  # fmt: skip


def test_a_staff_member_sees_only_their_areas_in_every_breakdown(engine: Engine) -> None:
    housing = BreakdownReport(engine).build(ReportFilter(**WEEK, areas=("housing",)))
    assert [g.key for g in housing.by_area] == ["housing"]
    assert {g.key: g.conversations for g in housing.by_channel} == {"rest": 2}
    assert {g.key: (g.conversations, g.satisfaction) for g in housing.by_staff} == {
        "seed": (1, [0, 0, 0, 0, 1]),
        "（未接单）": (1, [0, 0, 1, 0, 0]),
    }
    widget = BreakdownReport(engine).build(ReportFilter(**WEEK, channel="widget"))
    assert [(g.key, g.conversations) for g in widget.by_area] == [("employment", 1)]


def listed(engine: Engine, link: dict[str, str], scope: ReportFilter) -> int:
    """How many conversations or tickets the list behind a figure holds."""
    narrow: dict[str, object] = {}
    if "channel" in link:
        narrow["channel"] = link["channel"]
    if "area" in link:
        narrow["areas"] = (link["area"],)
    if "staff" in link:
        narrow["staff"] = link["staff"]
    scoped = scope.model_copy(update=narrow)
    if link["list"] == "follow_up_tasks":
        score = int(link["second_score"]) if "second_score" in link else None
        return FollowUpList(engine).search(scoped, link["task"], link.get("status", ""), score)[0]
    if link["list"] == "transferred":
        return TransferList(engine).search(scoped, link.get("from_area", ""), link.get("to_area", ""))[0]
    if link["list"] == "tickets":
        report = StaffReport(engine, OfficeClock(HOURS), WorkCalendar(), 3)
        return len(report.tickets(scoped, keep=MEASURES[link["measure"]][1], reason=link.get("reason", "")))
    score = int(link["score"]) if "score" in link else None
    found = ConversationList(engine).search(scoped, link["kind"], score, containing(link))
    assert found.total == len(found.conversations)
    if found.counted is not None:  # a figure of messages: the messages the conversations hold
        assert found.counted == sum(c.counted or 0 for c in found.conversations) >= found.total
        return found.counted
    return found.total


def containing(link: dict[str, str]) -> Containing:
    """The messages a conversations link narrows to, as the API reads its parameters."""
    return Containing(
        question_type=link.get("question_type"),
        item=link.get("item"),
        weekday=int(link["weekday"]) if "weekday" in link else None,
        hour=int(link["hour"]) if "hour" in link else None,
    )


def test_every_linked_figure_opens_on_exactly_what_it_counted(engine: Engine) -> None:
    with Session(engine) as session:  # c2's task rectified and rated 满意 on 10-03; c3's rectified, not rated
        tasks = {t.conversation_id: t for t in session.query(FollowUp)}
        tasks["c2"].status = tasks["c3"].status = "rectified"
        tasks["c2"].second_score, tasks["c2"].second_rated_at = 4, at(10, 3, 9).astimezone(dt.UTC)
        session.commit()
    week = ReportFilter(**WEEK)
    summary = SummaryReport(engine).build(week, TODAY)
    table = summary_tables(summary)["summary"]
    assert table.links is not None and len(table.links) == len(table.rows)
    expected = {  # the headline's label → the count behind it
        "会话数": summary.conversations,
        "机器人独立解决率（未转人工的会话占比）": summary.conversations - summary.handoff_conversations,
        "转人工工单": summary.handoffs,
        "等待时长中位数（创建→接单）": summary.waiting.count,
        "首次响应中位数（创建→首次回复）": summary.first_response.count,
        "3 分钟内首次响应占比": summary.first_response.within_norm,
        "评价率（有评价的会话占比）": 4,  # 100% of 4
        "差评率（不满意与非常不满意占比）": 2,  # c2 and c3
        "转办次数": 1,  # ZW-2, social_security → employment
        "新增回访任务": 2,  # c2's 非常不满意 and c3's 不满意
        "追评数（整改后市民再评价）": 1,
        "已整改待追评（当前）": 1,
    }
    links = {row[0]: link for row, link in zip(table.rows, table.links, strict=True)}
    assert {label: listed(engine, links[label] or {}, week) for label in expected} == expected
    assert [label for label, link in links.items() if link is None] == []
    for name, counts in (
        ("handoffs", summary.handoffs_by_reason),
        ("satisfaction", summary.satisfaction),
        ("follow_up_states", summary.follow_ups.by_status),
        ("second_ratings", summary.follow_ups.second_satisfaction),
    ):
        rows = summary_tables(summary)[name].links
        assert rows is not None
        for count, link in zip(counts, rows, strict=True):
            assert link is not None and listed(engine, link, week) == count.count, (name, count.key)
    pairs = summary_tables(summary)["transfers"]
    assert pairs.links is not None
    for pair, link in zip(summary.transfers, pairs.links, strict=True):
        assert link is not None and listed(engine, link, week) == pair.count
    result = BreakdownReport(engine).build(week)
    for name, tables in breakdown_tables(result).items():
        assert tables.links is not None
        groups = {"channel": result.by_channel, "area": result.by_area, "staff": result.by_staff}[
            name.rsplit("_", 1)[1]
        ]
        for group, link in zip(groups, tables.links, strict=True):
            want = group.conversations if name.startswith("volume") else group.rated_conversations
            assert link is not None and listed(engine, link, week) == want, (name, group.key)


def test_the_conversations_listed_with_their_tickets_and_ratings(engine: Engine) -> None:
    count, _, rows = ConversationList(engine).search(ReportFilter(**WEEK), "bad_rated")
    assert count == 2
    assert sorted((r.id, r.channel, r.messages, r.case_numbers, r.scores) for r in rows) == [
        ("c2", "rest", 2, ["ZW-1"], [1]),
        ("c3", "widget", 1, ["ZW-2"], [2]),
    ]
    seed, nobody = (
        ConversationList(engine).search(ReportFilter(**WEEK, staff=s))[0] for s in ("seed", "（未接单）")
    )
    assert (seed, nobody) == (2, 1)


def test_the_transfers_behind_the_count(engine: Engine) -> None:
    count, moved = TransferList(engine).search(ReportFilter(**WEEK))
    assert count == 1
    [(case, from_area, to_area, reason, staff, _)] = moved
    assert (case, from_area, to_area, reason, staff) == (
        "ZW-2",
        "social_security",
        "employment",
        "就业补贴",
        "seed",
    )
    for areas, expected in ((("housing",), 0), (("employment",), 1), (("social_security",), 1)):
        assert TransferList(engine).search(ReportFilter(**WEEK, areas=areas))[0] == expected, areas
    assert TransferList(engine).search(ReportFilter(**WEEK), to_area="housing")[0] == 0


def test_the_week_filtered_by_staff_member(engine: Engine) -> None:
    """«seed» claimed ZW-1 (c2, housing) and ZW-2 (c3, moved to employment): every report
    narrows to those, and to what followed from them."""
    seed = SummaryReport(engine).build(ReportFilter(**WEEK, staff="seed"), TODAY)
    assert (seed.conversations, seed.messages, seed.handoffs, seed.containment) == (2, 3, 2, None)
    assert (seed.ratings, [c.count for c in seed.satisfaction], seed.bad_rating_rate) == (
        2,
        [0, 0, 0, 1, 1],
        1.0,
    )
    assert [(p.from_area, p.to_area, p.count) for p in seed.transfers] == [
        ("social_security", "employment", 1)
    ]
    assert (seed.follow_ups.created, seed.follow_ups.open) == (2, 2)
    nobody = SummaryReport(engine).build(ReportFilter(**WEEK, staff="（未接单）"), TODAY)
    assert (nobody.conversations, nobody.handoffs, nobody.transfers, nobody.follow_ups.created) == (
        1,
        1,
        [],
        0,
    )
    report = StaffReport(engine, OfficeClock(HOURS), WorkCalendar(), 3)
    assert [f.key for f in report.build(ReportFilter(**WEEK, staff="seed")).by_staff] == ["seed"]
    breakdowns = BreakdownReport(engine).build(ReportFilter(**WEEK, staff="seed"))
    assert {g.key: g.conversations for g in breakdowns.by_area} == {"housing": 1, "employment": 1}
    assert [g.key for g in breakdowns.by_staff] == ["seed"]


def test_each_heat_map_row_and_cell_opens_on_the_conversations_holding_its_messages(engine: Engine) -> None:
    """The heat map counts citizen messages (local time): c1 on Monday 9-28 at 10, c2 at 11,
    c3 on Wednesday at 9, c4 on Friday (a holiday) at 15; c5's Sunday is the one before the
    range. Added here: c2 writes again at 11:40 (a cell of 2 in one conversation), and c1 at
    00:30 on Monday, which is still Sunday in UTC."""
    with Session(engine) as session:
        for conversation, moment in (("c2", at(9, 28, 11, 40)), ("c1", at(9, 28, 0, 30))):
            session.add(
                Message(conversation_id=conversation, role="citizen", text="…", payload={}, created_at=moment)
            )
        session.commit()
    week = ReportFilter(**WEEK)
    table = volume_table(VolumeReport(engine).build(week))
    assert table.links is not None and table.cell_links is not None
    for row, link, cells in zip(table.rows, table.links, table.cell_links, strict=True):
        assert link is not None and cells[-1] == link and listed(engine, link, week) == row[-1], row[0]
        for value, cell in zip(row[1:-1], cells[1:-1], strict=True):
            assert (listed(engine, cell, week) if cell else 0) == value, (row[0], cell)

    def held(scope: ReportFilter, weekday: int, hour: int | None = None) -> dict[str, int | None]:
        found = ConversationList(engine).search(scope, containing=Containing(weekday=weekday, hour=hour))
        return {c.id: c.counted for c in found.conversations}

    assert held(week, 0) == {"c1": 2, "c2": 2}
    assert (held(week, 0, 0), held(week, 0, 10), held(week, 0, 11)) == ({"c1": 1}, {"c1": 1}, {"c2": 2})
    assert (held(week, 0, 9), held(week, 6), held(week, 4, 15)) == ({}, {}, {"c4": 1})
    assert held(week.model_copy(update={"areas": ("housing",)}), 0) == {"c2": 2}  # c1 never reached staff
    assert held(week.model_copy(update={"channel": "widget"}), 2, 9) == {"c3": 1}
    assert held(week.model_copy(update={"staff": "seed"}), 0) == {"c2": 2}
    assert held(week.model_copy(update={"staff": "（未接单）"}), 4) == {"c4": 1}
