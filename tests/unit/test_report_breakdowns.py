"""Volume and satisfaction by channel, area and staff member, proven against the hand-computed
week of test_reports (on SQLite and PostgreSQL): the figures by hand, and each channel's and
area's row equal to the summary filtered by that channel or area."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from bot.persistence.migrate import upgrade_to_head
from bot.persistence.models import Staff, Ticket
from bot.persistence.store import create_db_engine
from bot.reports.breakdowns import BreakdownReport, GroupFigures
from bot.reports.summary import ReportFilter, SummaryReport
from tests.unit.test_reports import TODAY, WEEK, seed_week


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
    for rows, field in ((result.by_channel, "channel"), (result.by_area, "areas")):
        for row in rows:
            value = row.key if field == "channel" else (row.key,)
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
