"""`make bench-reports` (`python -m bot.benchmark.reports`): the report queries at scale.

Fills a throwaway PostgreSQL database (created and dropped here; BENCH_POSTGRES_DSN, default
the local server) with 1 million messages, 100,000 tickets and 50,000 ratings over 90 days by
`generate_series` in the database itself (seconds, not the hours row-by-row inserts would
take), migrates it with Alembic (so the indexes measured are the migrations' own), then
times each report as its endpoint builds it, for the default 30-day range, and prints the
median and p95 (nearest rank) against the 1 s target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from bot.gateway.office_hours import OfficeHours
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.store import create_db_engine
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
AREAS = "(ARRAY['education','social_security','employment','healthcare','housing','transport',"
AREAS += "'certificates','enterprise_licensing','qualification'])"
REASONS = "(ARRAY['request_human','complaint','suggestion','fallback','unanswered','low_confidence'])"
CHANNELS = "(ARRAY['rest','widget','telegram','wechat'])"


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
                    ELSE '{{"data": {{"type": "answer"}}}}'::json END,
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


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.benchmark.reports")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--ratings", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    settings = load_settings()
    admin_dsn = os.environ.get("BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"zw_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    try:
        upgrade_to_head(url)
        started = time.perf_counter()
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            for statement in fill_sql(args.messages, args.tickets, args.ratings):
                conn.execute(statement)  # our own SQL, no user input
        took = time.perf_counter() - started
        print(
            f"填充 {args.messages:,} 条消息、{args.tickets:,} 张工单、{args.ratings:,} 条评价：{took:.1f} 秒"
        )
        return _measure(url, settings.timezone, settings.effective_embedding_cache, args.rounds)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _measure(url: str, timezone: str, cache: Path, rounds: int) -> int:
    engine = create_db_engine(url)
    calendar = WorkCalendar()
    hours = OfficeHours.parse("mon-fri 09:00-12:00,13:30-17:30", [], [], timezone)
    today = dt.datetime.now(ZoneInfo(timezone)).date()
    scope = ReportFilter(date_from=today - dt.timedelta(days=29), date_to=today, timezone=timezone)
    # One of each, as the app keeps them
    summary, volume = SummaryReport(engine), VolumeReport(engine)
    staff = StaffReport(engine, OfficeClock(hours, calendar), calendar, 3)
    gaps = GapReport(engine, embedder_for(cache), None)
    reports: dict[str, Callable[[], object]] = {
        "/api/v1/reports/summary": lambda: summary.build(scope, today),
        "/api/v1/reports/staff": lambda: staff.build(scope),
        "/api/v1/reports/volume": lambda: volume.build(scope),
        "/api/v1/reports/gaps": lambda: gaps.build(scope),
    }
    failed = False
    print(f"{'报表':<28}{'中位数':>10}{'p95':>10}  目标 ≤ {TARGET_SECONDS:.0f} 秒")
    for path, build in reports.items():
        build()  # warm: caches, the e5 model, PostgreSQL's buffers
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            build()
            samples.append(time.perf_counter() - started)
        worst = p95(samples)
        failed |= worst > TARGET_SECONDS
        verdict = "达标" if worst <= TARGET_SECONDS else "未达标"
        print(f"{path:<28}{statistics.median(samples):>9.3f}s{worst:>9.3f}s  {verdict}")
    engine.dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
