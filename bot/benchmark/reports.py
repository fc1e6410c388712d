"""`make bench-reports` (`python -m bot.benchmark.reports`): the report queries at scale.

Fills a throwaway database with 1 million messages, 100,000 tickets and 50,000 ratings over
90 days, on PostgreSQL (created and dropped here; BENCH_POSTGRES_DSN, default the local
server), on SQLite (a file in a temporary folder), or on both one after the other
(`--backend`, default both). The rows are made by the database itself (`generate_series` on
PostgreSQL, a recursive CTE on SQLite: seconds, not the hours row-by-row inserts would take),
after Alembic has migrated it (so the indexes measured are the migrations' own). The rows'
moments are drawn at random, so a month's rows are spread over the whole table: a harder
layout for a range than an app's, which appends in order of time. Then each report is timed
as its endpoint builds it, for the default 30-day range, and the median and p95 (nearest
rank) are printed against the 1 s target.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from bot.office_hours import OfficeHours
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.store import create_db_engine
from bot.reports.bot_answers import BotAnswersReport
from bot.reports.breakdowns import BreakdownReport
from bot.reports.conversation_list import Containing, ConversationList
from bot.reports.gaps import GapReport
from bot.reports.staff_figures import OfficeClock, StaffReport
from bot.reports.summary import ReportFilter, SummaryReport
from bot.reports.volume import VolumeReport
from bot.settings import load_settings
from bot.work_calendar import WorkCalendar
from knowledge.dense import embedder_for

TARGET_SECONDS = 1.0
QUESTIONS = [
    "公积金租房提取要什么材料",
    "社保卡丢了怎么补办",
    "结婚证在哪里办",
    "养狗要办证吗",
    "小区停车位太少怎么办",
    "驾驶证到期怎么换证",
    "失业金怎么申领",
    "医保异地就医怎么备案",
]
AREAS_LIST = [
    "education",
    "social_security",
    "employment",
    "healthcare",
    "housing",
    "transport",
    "certificates",
    "enterprise_licensing",
    "qualification",
]
REASONS_LIST = ["request_human", "complaint", "suggestion", "fallback", "unanswered", "low_confidence"]
AREAS = "(ARRAY[" + ",".join(f"'{area}'" for area in AREAS_LIST) + "])"
REASONS = "(ARRAY[" + ",".join(f"'{reason}'" for reason in REASONS_LIST) + "])"
CHANNELS = "(ARRAY['rest','widget','telegram','wechat'])"
ANSWERED_LIST = ["materials", "fee", "steps", "location"]  # the question types of the bot's answers
ANSWERED = "(ARRAY[" + ",".join(f"'{q}'" for q in ANSWERED_LIST) + "])"


def fill_sql(messages: int, tickets: int, ratings: int) -> list[str]:
    conversations = max(tickets, ratings * 2, 1)
    questions = "(ARRAY[" + ",".join(f"'{q}'" for q in QUESTIONS) + "])"
    spread = "now() - (random() * 90) * interval '1 day'"
    return [
        f"""INSERT INTO conversations (id, channel, external_id, state, created_at, updated_at)
        SELECT 'b' || g, {CHANNELS}[1 + g % 4], 'u' || g, 'bot', {spread}, now()
        FROM generate_series(1, {conversations}) g""",
        # citizen and bot turns alternate; one bot reply in 25 is an honest no (a gap)
        f"""INSERT INTO messages (conversation_id, role, text, payload, created_at)
        SELECT 'b' || (1 + (g / 2) % {conversations}),
               CASE WHEN g % 2 = 0 THEN 'citizen' ELSE 'bot' END,
               {questions}[1 + (g / 2) % {len(QUESTIONS)}],
               CASE WHEN g % 2 = 0 THEN '{{}}'::json
                    WHEN g % 50 = 1 THEN '{{"data": {{"type": "honest_no"}}}}'::json
                    ELSE json_build_object('data', json_build_object(
                        'type', 'answer', 'item_id', 'item-' || (g % 300), 'area', {AREAS}[1 + g % 9],
                        'question', {ANSWERED}[1 + g % 4])) END,
               {spread}
        FROM generate_series(0, {messages - 1}) g""",
        f"""INSERT INTO tickets (case_number, conversation_id, channel, area, status, reason, priority,
                                 packet, note, created_at, claimed_at, first_reply_at, resolved_at)
        SELECT 'B' || g, 'b' || g, 'rest', {AREAS}[1 + g % 9], 'resolved', {REASONS}[1 + g % 6], 2,
               '{{}}'::json, '', t, t + interval '2 minutes', t + interval '4 minutes',
               t + (g % 100) * interval '1 hour'
        FROM (SELECT g, {spread} AS t FROM generate_series(1, {tickets}) g) s""",
        f"""INSERT INTO ratings (conversation_id, score, created_at)
        SELECT 'b' || (g * 2), 1 + g % 5, {spread} FROM generate_series(1, {ratings}) g""",
        "ANALYZE",
    ]


def _pick(values: list[str], index: str) -> str:
    """SQLite has no arrays: values[index] as a CASE (index from 0)."""
    cases = " ".join(f"WHEN {i} THEN '{value}'" for i, value in enumerate(values))
    return f"(CASE {index} {cases} END)"


def _sqlite_moment(microseconds: str) -> str:
    """Epoch µs as the text SQLAlchemy stores a datetime in on SQLite (UTC)."""
    return (
        f"strftime('%Y-%m-%d %H:%M:%S', ({microseconds}) / 1000000, 'unixepoch') "
        f"|| printf('.%06d', ({microseconds}) % 1000000)"
    )


def fill_sqlite_sql(messages: int, tickets: int, ratings: int) -> list[str]:
    """The same rows as `fill_sql`, in SQLite's dialect; `:now` is the epoch µs they end at."""
    conversations = max(tickets, ratings * 2, 1)
    spread = "(:now - abs(random()) % 7776000000000)"  # up to 90 days before now, in µs
    channels = _pick(["rest", "widget", "telegram", "wechat"], "g % 4")
    questions = _pick(QUESTIONS, f"(g / 2) % {len(QUESTIONS)}")
    areas = _pick(AREAS_LIST, "g % 9")
    reasons = _pick(REASONS_LIST, "g % 6")

    def numbered(first: int, last: int) -> str:
        """n(g, t): g from first to last, each with its moment t in µs. Drawn in the
        recursive CTE, whose rows are stored: in a subquery SQLite would draw random()
        again for every use of t."""
        return (
            f"WITH RECURSIVE n(g, t) AS (SELECT {first}, {spread} "
            f"UNION ALL SELECT g + 1, {spread} FROM n WHERE g < {last})"
        )

    return [
        f"""{numbered(1, conversations)}
        INSERT INTO conversations (id, channel, external_id, state, created_at, updated_at)
        SELECT 'b' || g, {channels}, 'u' || g, 'bot', {_sqlite_moment("t")}, {_sqlite_moment(":now")}
        FROM n""",
        f"""{numbered(0, messages - 1)}
        INSERT INTO messages (conversation_id, role, text, payload, created_at)
        SELECT 'b' || (1 + (g / 2) % {conversations}),
               CASE WHEN g % 2 = 0 THEN 'citizen' ELSE 'bot' END,
               {questions},
               CASE WHEN g % 2 = 0 THEN '{{}}'
                    WHEN g % 50 = 1 THEN '{{"data": {{"type": "honest_no"}}}}'
                    ELSE json_object('data', json_object(
                        'type', 'answer', 'item_id', 'item-' || (g % 300), 'area', {areas},
                        'question', {_pick(ANSWERED_LIST, "g % 4")})) END,
               {_sqlite_moment("t")}
        FROM n""",
        f"""{numbered(1, tickets)}
        INSERT INTO tickets (case_number, conversation_id, channel, area, status, reason, priority,
                             packet, note, created_at, claimed_at, first_reply_at, resolved_at)
        SELECT 'B' || g, 'b' || g, 'rest', {areas}, 'resolved', {reasons}, 2, '{{}}', '',
               {_sqlite_moment("t")}, {_sqlite_moment("t + 120000000")}, {_sqlite_moment("t + 240000000")},
               {_sqlite_moment("t + (g % 100) * 3600000000")}
        FROM n""",
        f"""{numbered(1, ratings)}
        INSERT INTO ratings (conversation_id, score, created_at)
        SELECT 'b' || (g * 2), 1 + g % 5, {_sqlite_moment("t")} FROM n""",
        "ANALYZE",
    ]


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.benchmark.reports")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--ratings", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    args = parser.parse_args(argv)
    settings = load_settings()
    failed = False
    for backend in ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]:
        database = _postgresql if backend == "postgresql" else _sqlite
        with database(args.messages, args.tickets, args.ratings) as url:
            failed |= _measure(url, settings.timezone, settings.effective_embedding_cache, args.rounds)
    return 1 if failed else 0


@contextlib.contextmanager
def _postgresql(messages: int, tickets: int, ratings: int) -> Iterator[str]:
    admin_dsn = os.environ.get("BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"zw_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    try:
        upgrade_to_head(url)
        started = time.perf_counter()
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            for statement in fill_sql(messages, tickets, ratings):
                conn.execute(statement)  # our own SQL, no user input
        _filled("PostgreSQL", messages, tickets, ratings, time.perf_counter() - started)
        yield url
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _sqlite(messages: int, tickets: int, ratings: int) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="zw_bench_") as folder:
        path = Path(folder) / "bench.sqlite"
        url = f"sqlite:///{path}"
        upgrade_to_head(url)
        started = time.perf_counter()
        now = int(dt.datetime.now(dt.UTC).timestamp() * 1_000_000)
        with contextlib.closing(sqlite3.connect(path)) as conn:
            for statement in fill_sqlite_sql(messages, tickets, ratings):
                conn.execute(statement, {"now": now} if ":now" in statement else {})
            conn.commit()
        _filled("SQLite", messages, tickets, ratings, time.perf_counter() - started)
        yield url


def _filled(backend: str, messages: int, tickets: int, ratings: int, took: float) -> None:
    print(f"{backend}：填充 {messages:,} 条消息、{tickets:,} 张工单、{ratings:,} 条评价：{took:.1f} 秒")


def _measure(url: str, timezone: str, cache: Path, rounds: int) -> bool:
    """Times each report; True when one missed the target."""
    engine = create_db_engine(url)
    calendar = WorkCalendar()
    hours = OfficeHours.parse("mon-fri 09:00-12:00,13:30-17:30", [], [], timezone)
    today = dt.datetime.now(ZoneInfo(timezone)).date()
    scope = ReportFilter(date_from=today - dt.timedelta(days=29), date_to=today, timezone=timezone)
    # One of each, as the app keeps them
    summary, volume = SummaryReport(engine), VolumeReport(engine)
    staff = StaffReport(engine, OfficeClock(hours), calendar, 3)
    gaps = GapReport(engine, embedder_for(cache), None)
    breakdowns, bot_answers = BreakdownReport(engine), BotAnswersReport(engine)
    listing = ConversationList(engine)
    by_type, by_item = Containing(question_type="fee"), Containing(item="item-7")
    by_hour = Containing(weekday=2, hour=10)
    reports: dict[str, Callable[[], object]] = {
        "/api/v1/reports/summary": lambda: summary.build(scope, today),
        "/api/v1/reports/staff": lambda: staff.build(scope),
        "/api/v1/reports/volume": lambda: volume.build(scope),
        "/api/v1/reports/gaps": lambda: gaps.build(scope),
        "/api/v1/reports/breakdowns": lambda: breakdowns.build(scope),
        "/api/v1/reports/bot-answers": lambda: bot_answers.build(scope),
        # The lists behind the figures, with the narrowings that read every message of the range.
        "/api/v1/reports/conversations": lambda: listing.search(scope),
        "…/conversations?question_type=fee": lambda: listing.search(scope, containing=by_type),
        "…/conversations?item=item-7": lambda: listing.search(scope, containing=by_item),
        "…/conversations?weekday=2&hour=10": lambda: listing.search(scope, containing=by_hour),
    }
    failed = False
    print(f"{'报表':<36}{'中位数':>10}{'p95':>10}  目标 ≤ {TARGET_SECONDS:.0f} 秒")
    for path, build in reports.items():
        build()  # warm: caches, the e5 model, the database's buffers
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            build()
            samples.append(time.perf_counter() - started)
        worst = p95(samples)
        failed |= worst > TARGET_SECONDS
        verdict = "达标" if worst <= TARGET_SECONDS else "未达标"
        print(f"{path:<36}{statistics.median(samples):>9.3f}s{worst:>9.3f}s  {verdict}")
    engine.dispose()
    return failed


if __name__ == "__main__":
    sys.exit(main())
