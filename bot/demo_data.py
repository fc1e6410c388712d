"""`python -m bot demo-data --days 90`: plausible sample conversations, tickets, ratings and
follow-up tasks in an empty database, so a newcomer sees a full dashboard. The bot's and
staff's messages carry the same `data` the real ones do, built with the reply models of
`bot.contracts.replies`.

Everything is clearly marked as sample data: conversations are on channel `demo` with senders
`demo-…`, every text starts with 【演示】, case numbers start with DEMO-. A database that already
holds conversations is refused (sample rows must never mix with real ones). The same seed gives
the same data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.contracts.areas import Area
from bot.contracts.conversation import Role
from bot.contracts.replies import Answer, AskItem, HandoffRequest, HonestNo, Rephrase, ReplyData, StaffReply
from bot.contracts.tickets import HandoffReason, TicketStatus
from bot.persistence.follow_ups import FollowUpStore
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.models import Conversation, Message, Ticket
from bot.persistence.store import create_db_engine
from bot.settings import Settings
from bot.work_calendar import WorkCalendar

DEMO_CHANNEL = "demo"
MARK = "【演示】"
DEMO_SOURCE = MARK + "示例区政务服务中心办事指南（样例数据）"  # the answers' `source`
ANSWERED: list[tuple[Area, str, str, str]] = [
    # (area, question, the item answered about, the question type it answered)
    (Area.housing, "公积金租房提取要什么材料", "housing.provident_fund_rent_withdrawal", "materials"),
    (Area.social_security, "社保卡丢了怎么补办", "social_security.ss_card_replacement", "steps"),
    (Area.certificates, "补办身份证要带什么材料", "certificates.id_card_reissue", "materials"),
    (Area.education, "小学入学报名需要哪些材料", "education.primary_school_enrollment", "materials"),
    (Area.transport, "驾驶证到期怎么换证", "transport.driving_license_renewal", "steps"),
    (Area.employment, "失业金怎么申领", "employment.unemployment_insurance_benefit", "steps"),
    (Area.healthcare, "医保异地就医怎么备案", "healthcare.cross_province_medical_filing", "steps"),
    (
        Area.enterprise_licensing,
        "个体户营业执照怎么办",
        "enterprise_licensing.individual_business_registration",
        "steps",
    ),
]
# (area, question the bot could not answer, how it said so)
UNANSWERED: list[tuple[Area, str, ReplyData]] = [
    (Area.certificates, "结婚证在哪里办", HonestNo()),
    (Area.certificates, "结婚登记去哪里办理", HonestNo()),
    (Area.other, "养狗要办证吗", Rephrase()),
    (Area.other, "狗证怎么办理", AskItem()),
    (Area.housing, "小区停车位太少怎么办", HonestNo()),
]
REASONS: list[HandoffReason] = list(HandoffReason)
SCORES = [5, 5, 5, 5, 4, 4, 4, 3, 2, 1]


@dataclass(frozen=True)
class DemoSummary:
    conversations: int
    messages: int
    tickets: int
    ratings: int


class DemoDataError(RuntimeError):
    """The database is not empty; the message says so in Chinese."""


def fill(settings: Settings, days: int, today: dt.date, seed: int = 17) -> DemoSummary:
    url = settings.effective_database_url
    upgrade_to_head(url)
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            if session.scalar(select(func.count()).select_from(Conversation)):
                raise DemoDataError("数据库中已有会话：演示数据只写入空数据库，以免与真实数据混在一起。")
        zone = ZoneInfo(settings.timezone)
        chance = random.Random(seed)
        ratings: list[tuple[str, int, dt.datetime]] = []
        counts = {"conversations": 0, "messages": 0, "tickets": 0}
        with Session(engine) as session:
            for offset in range(days, 0, -1):
                day = today - dt.timedelta(days=offset - 1)
                workday = day.weekday() < 5
                for _ in range(chance.randint(20, 45) if workday else chance.randint(5, 12)):
                    counts["conversations"] += 1
                    number = counts["conversations"]
                    hour = chance.choice([8, 9, 9, 10, 10, 10, 11, 14, 14, 15, 15, 16, 17, 19, 21])
                    start = dt.datetime.combine(day, dt.time(hour, chance.randint(0, 59)), tzinfo=zone)
                    start = start.astimezone(dt.UTC)
                    key = f"demo{number:07d}"
                    session.add(
                        Conversation(
                            id=key, channel=DEMO_CHANNEL, external_id=f"demo-{number}", created_at=start
                        )
                    )
                    session.flush()
                    ticketed = _turns(session, chance, key, start, number, counts)
                    if chance.random() < 0.35:
                        ratings.append((key, chance.choice(SCORES), start + dt.timedelta(minutes=30)))
                    if ticketed:
                        counts["tickets"] += 1
            session.commit()
        store = FollowUpStore(
            engine,
            WorkCalendar.from_iso(settings.holidays, settings.makeup_workdays),
            settings.follow_up_working_days,
            settings.timezone,
        )
        for key, score, moment in ratings:
            store.record_rating(key, score, at=moment)
        return DemoSummary(counts["conversations"], counts["messages"], counts["tickets"], len(ratings))
    finally:
        engine.dispose()


def _turns(
    session: Session, chance: random.Random, key: str, start: dt.datetime, number: int, counts: dict[str, int]
) -> bool:
    """One question and the bot's reply; sometimes a gap, sometimes a ticket. True: a ticket."""

    def say(role: Role, text: str, reply: ReplyData | None, at: dt.datetime) -> None:
        """One stored message; `reply` its data (a citizen's message carries none)."""
        counts["messages"] += 1
        data = reply.dump() if reply is not None else {}
        session.add(
            Message(
                conversation_id=key, role=role.value, text=MARK + text, payload={"data": data}, created_at=at
            )
        )

    roll = chance.random()
    if roll < 0.15:
        _, question, admitted = chance.choice(UNANSWERED)
        say(Role.citizen, question, None, start)
        say(Role.bot, "这个问题办事指南中暂时没有。", admitted, start + dt.timedelta(seconds=1))
        return False
    area, question, item, asked = chance.choice(ANSWERED)
    say(Role.citizen, question, None, start)
    answer = Answer(
        item_id=item,
        area=area,
        question=asked,
        source=DEMO_SOURCE,
        last_verified=start.date().isoformat(),
    )
    say(Role.bot, "以下是办理指南。", answer, start + dt.timedelta(seconds=1))
    if roll > 0.25:
        return False
    reason = chance.choice(REASONS)
    created = start + dt.timedelta(minutes=1)
    case_number = f"DEMO-{number:07d}"
    say(Role.citizen, "我要人工", None, created)
    say(Role.bot, "正在为您转接人工。", HandoffRequest(reason=reason, area=area), created)
    claimed = created + dt.timedelta(seconds=chance.randint(20, 1800)) if chance.random() < 0.9 else None
    replied = claimed + dt.timedelta(seconds=chance.randint(10, 600)) if claimed else None
    resolved = replied + dt.timedelta(hours=chance.choice([0.2, 1, 3, 30, 80, 150])) if replied else None
    if replied is not None:
        say(Role.staff, "您好，已为您查询。", StaffReply(case_number=case_number), replied)
    status = TicketStatus.resolved if resolved else (TicketStatus.claimed if claimed else TicketStatus.queued)
    session.add(
        Ticket(
            case_number=case_number,
            conversation_id=key,
            channel=DEMO_CHANNEL,
            area=area.value,
            status=status.value,
            reason=reason.value,
            priority=2,
            packet={"demo": True},
            note=MARK,
            created_at=created,
            claimed_at=claimed,
            first_reply_at=replied,
            resolved_at=resolved,
        )
    )
    return True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=int, default=90, help="生成最近多少天的演示数据（默认 90）")


def run(settings: Settings, args: argparse.Namespace) -> int:
    if not 1 <= args.days <= 366:
        print("--days 应在 1 到 366 之间", file=sys.stderr)
        return 2
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    try:
        done = fill(settings, args.days, today)
    except DemoDataError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(
        f"已写入演示数据（渠道 demo，文字以{MARK}开头）：{done.conversations} 个会话、"
        f"{done.messages} 条消息、{done.tickets} 张工单、{done.ratings} 条评价（差评已生成回访任务）。",
        flush=True,
    )
    return 0
