"""`make bench-reports` at a tiny size: the fill SQL runs on the real PostgreSQL, every report
is timed, and the throwaway database is gone afterwards."""

from __future__ import annotations

import psycopg
import pytest

from bot.benchmark.reports import main
from tests.postgres import ADMIN_DSN

pytestmark = pytest.mark.benchmark


def bench_databases() -> set[str]:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        rows = admin.execute("SELECT datname FROM pg_database WHERE datname LIKE 'zw_bench_%'").fetchall()
    return {name for (name,) in rows}


def test_the_report_bench_runs_and_cleans_up(capsys: pytest.CaptureFixture[str]) -> None:
    before = bench_databases()
    assert main(["--messages", "2000", "--tickets", "200", "--ratings", "100", "--rounds", "2"]) == 0
    printed = capsys.readouterr().out
    assert "填充 2,000 条消息、200 张工单、100 条评价" in printed
    for path in ("summary", "staff", "volume", "gaps", "breakdowns", "bot-answers", "conversations"):
        assert f"/api/v1/reports/{path}" in printed
    for narrowed in ("question_type=fee", "item=item-7", "weekday=2&hour=10"):
        assert f"/conversations?{narrowed}" in printed  # the lists behind the answer rows and heat map
    assert bench_databases() <= before  # its own throwaway database is gone


def test_the_report_bench_runs_on_sqlite_alone(capsys: pytest.CaptureFixture[str]) -> None:
    before = bench_databases()
    tiny = ["--messages", "2000", "--tickets", "200", "--ratings", "100", "--rounds", "2"]
    assert main([*tiny, "--backend", "sqlite"]) == 0  # its file is in a temporary folder, gone after
    printed = capsys.readouterr().out
    assert "SQLite：填充 2,000 条消息、200 张工单、100 条评价" in printed and "PostgreSQL" not in printed
    for path in ("summary", "staff", "volume", "gaps", "breakdowns", "bot-answers"):
        assert f"/api/v1/reports/{path}" in printed
    assert bench_databases() == before
