"""The bot's answers by question type and its most asked-about items, proven against a
hand-counted week (2026-09-28 to 10-04, Asia/Shanghai) on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import JSON, DateTime, Engine, bindparam, text, update
from sqlalchemy.orm import Session

from bot.contracts.conversation import Role
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.models import Conversation, KnowledgeItem, Message
from bot.persistence.store import ConversationStore, create_db_engine
from bot.reports.bot_answers import BotAnswersReport, BotAnswersResult
from bot.reports.breakdown_tables import bot_answer_tables
from bot.reports.conversation_list import Containing, ConversationList
from bot.reports.summary import ReportFilter
from tests.query_plans import query_plans
from tests.unit.bot.reports.week import WEEK, at

START = at(9, 29, 12).astimezone(dt.UTC)
ID_CARD = {"type": "answer", "item_id": "id_card_reissue", "area": "certificates"}
FUND = {"type": "answer", "item_id": "fund_withdrawal", "area": "housing"}
REPLIES: list[tuple[str, dict[str, Any], Any]] = [  # conversation, the reply's data, local time
    ("a", {**ID_CARD, "question": "materials"}, at(9, 28, 10)),
    ("a", {**ID_CARD, "question": "fee"}, at(9, 28, 10, 5)),
    ("a", {**ID_CARD, "question": "materials"}, at(9, 29, 9)),
    ("b", {**FUND, "question": "materials"}, at(9, 30, 14)),
    ("b", {"type": "faq", "faq_id": "faq-1", "area": "housing", "confidence": 0.9}, at(10, 1, 8)),
    ("a", {"type": "place", "place_id": "hall", "question": "hours"}, at(10, 2, 16)),
    ("a", {"type": "honest_no", "question": "fee"}, at(10, 2, 16, 1)),  # not an answer
    ("b", {**FUND, "question": "materials"}, at(9, 27, 23, 59)),  # the day before the range
    ("a", {**ID_CARD, "question": "steps"}, at(10, 5, 0, 30)),  # the day after
]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        session.add(Conversation(id="a", channel="rest", external_id="u1"))
        session.add(Conversation(id="b", channel="widget", external_id="u2"))
        session.add(
            KnowledgeItem(
                id="id_card_reissue", area="certificates", name="居民身份证补领", origin="authored", data={}
            )
        )
        session.flush()
        for conversation, data, local in REPLIES:
            moment = local.astimezone(dt.UTC)  # SQLite keeps an aware datetime's wall clock as given
            session.add(
                Message(conversation_id=conversation, role="citizen", text="…", payload={}, created_at=moment)
            )
            session.add(
                Message(
                    conversation_id=conversation,
                    role="bot",
                    text="…",
                    payload={"data": data},
                    created_at=moment,
                )
            )
        no_data: list[dict[str, Any]] = [{}, {"buttons": []}]
        for payload in no_data:  # a bot reply without data is no answer
            session.add(Message(conversation_id="a", role="bot", text="…", payload=payload, created_at=START))
        session.commit()
    yield engine
    engine.dispose()


def counts(result: BotAnswersResult) -> list[tuple[str, str, int]]:
    return [(c.key, c.label, c.count) for c in result.by_question]


def test_answers_by_question_type_and_the_top_items(engine: Engine) -> None:
    result = BotAnswersReport(engine).build(ReportFilter(**WEEK))
    assert result.answers == 6
    assert counts(result) == [
        ("materials", "所需材料", 3),
        ("faq", "常见问题（FAQ）", 1),
        ("fee", "收费标准", 1),
        ("hours", "办公时间", 1),
    ]
    top = [
        (i.item_id, i.name, i.area, i.count, [(q.key, q.count) for q in i.by_question])
        for i in result.top_items
    ]
    assert top == [
        ("id_card_reissue", "居民身份证补领", "certificates", 3, [("materials", 2), ("fee", 1)]),
        ("fund_withdrawal", "fund_withdrawal", "housing", 1, [("materials", 1)]),  # not in the table: its id
    ]


def test_bot_answers_filtered_by_channel_and_by_the_answers_own_area(engine: Engine) -> None:
    widget = BotAnswersReport(engine).build(ReportFilter(**WEEK, channel="widget"))
    assert counts(widget) == [("faq", "常见问题（FAQ）", 1), ("materials", "所需材料", 1)]
    housing = BotAnswersReport(engine).build(ReportFilter(**WEEK, areas=("housing",)))
    assert (housing.answers, [i.item_id for i in housing.top_items]) == (2, ["fund_withdrawal"])
    certificates = BotAnswersReport(engine).build(ReportFilter(**WEEK, areas=("certificates",)))
    assert certificates.answers == 3  # the hall's hours have no area: left out


def behind(engine: Engine, scope: ReportFilter, **narrow: str) -> dict[str, int | None]:
    """The conversations listed behind a row, each with how many of its answers it holds."""
    found = ConversationList(engine).search(scope, containing=Containing(**narrow))
    assert found.counted == sum(c.counted or 0 for c in found.conversations)
    return {c.id: c.counted for c in found.conversations}


def test_each_answer_row_opens_on_the_conversations_holding_its_answers(engine: Engine) -> None:
    """Every row's link lists the conversations whose answers it counted, and their answers
    add up to the row: a's two 材料 answers are one conversation; a's honest no about the fee
    and the answers outside the range are in no row."""
    week = ReportFilter(**WEEK)
    tables = bot_answer_tables(BotAnswersReport(engine).build(week))
    for name, column in (("bot_answers_by_question", 1), ("bot_top_items", 2)):
        links = tables[name].links
        assert links is not None
        for row, link in zip(tables[name].rows, links, strict=True):
            assert link is not None and (link["list"], link["kind"]) == ("conversations", "all")
            found = ConversationList(engine).search(week, containing=Containing(**narrowed(link)))
            assert found.counted == row[column], (name, row)
    by_question = tables["bot_answers_by_question"].links or []
    assert {
        narrowed(link)["question_type"]: behind(engine, week, **narrowed(link)) for link in by_question
    } == {
        "materials": {"a": 2, "b": 1},
        "faq": {"b": 1},
        "fee": {"a": 1},
        "hours": {"a": 1},
    }
    assert behind(engine, week, item="id_card_reissue") == {"a": 3}
    assert behind(engine, week, item="fund_withdrawal") == {"b": 1}  # its 9-27 answer is outside
    assert behind(engine, week, question_type="steps") == {}  # asked the day after the range
    assert behind(engine, week, item="id_card_reissue", question_type="fee") == {"a": 1}


def test_the_answer_lists_keep_the_reports_channel_and_area_rules(engine: Engine) -> None:
    """A staff member of housing (or an area chosen) sees the answers of that area, whatever
    their conversation's tickets: the place answer (no area) is left out, as in the report."""
    widget = ReportFilter(**WEEK, channel="widget")
    assert behind(engine, widget, question_type="materials") == {"b": 1}
    housing = ReportFilter(**WEEK, areas=("housing",))
    assert behind(engine, housing, question_type="materials") == {"b": 1}
    assert behind(engine, housing, question_type="faq") == {"b": 1}
    assert behind(engine, housing, question_type="hours") == {}
    assert behind(engine, housing, item="id_card_reissue") == {}
    certificates = ReportFilter(**WEEK, areas=("certificates",))
    assert behind(engine, certificates, question_type="materials") == {"a": 2}
    assert (
        behind(engine, ReportFilter(**WEEK, staff="（未接单）"), question_type="materials") == {}
    )  # no ticket


def narrowed(link: dict[str, str] | None) -> dict[str, str]:
    assert link is not None
    return {key: link[key] for key in ("question_type", "item") if key in link}


def test_a_reply_counts_in_its_row_whoever_wrote_it_and_moves_when_rewritten(engine: Engine) -> None:
    """The four fields the answer rows and their lists select are columns the database
    generates from the payload (migration 0010): a reply stored by the conversation store (a
    Core insert) or by plain SQL counts like the ORM's rows above, and one whose payload is
    rewritten moves to its new row."""
    store = ConversationStore(engine)
    conversation = store.open_conversation("rest", "u3").id
    store.append(conversation, Role.citizen, "补办身份证多少钱")
    fee = store.append(conversation, Role.bot, "…", {"data": {**ID_CARD, "question": "fee"}})
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO messages (conversation_id, role, text, payload, created_at) "
                "VALUES (:conversation, 'bot', '…', :payload, :moment)"
            ).bindparams(
                bindparam("payload", type_=JSON), bindparam("moment", type_=DateTime(timezone=True))
            ),
            {
                "conversation": conversation,
                "payload": {"data": {"type": "faq", "faq_id": "faq-2", "area": "housing"}},
                "moment": fee.created_at,
            },
        )
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    now = ReportFilter(date_from=today - dt.timedelta(days=1), date_to=today + dt.timedelta(days=1))
    assert counts(BotAnswersReport(engine).build(now)) == [
        ("faq", "常见问题（FAQ）", 1),
        ("fee", "收费标准", 1),
    ]
    assert behind(engine, now, question_type="fee") == {conversation: 1}
    assert behind(engine, now, item="id_card_reissue") == {conversation: 1}
    assert behind(engine, now, question_type="faq") == {conversation: 1}
    housing = now.model_copy(update={"areas": ("housing",)})
    assert behind(engine, housing, question_type="faq") == {conversation: 1}
    with engine.begin() as connection:
        connection.execute(
            update(Message)
            .where(Message.id == fee.id)
            .values(payload={"data": {**FUND, "question": "steps"}})
        )
    assert behind(engine, now, question_type="fee") == {}
    assert behind(engine, now, item="id_card_reissue") == {}
    assert behind(engine, now, item="fund_withdrawal", question_type="steps") == {conversation: 1}
    store.close()


def test_the_answer_rows_and_lists_read_the_range_index_of_reply_fields(engine: Engine) -> None:
    """The report and the lists behind its rows read the range through ix_messages_range_reply,
    which holds the four fields: on SQLite the replies' rows are then never read (an index
    preferred to it, such as 0009's narrower one, would fetch every reply of the range)."""
    week = ReportFilter(**WEEK)
    with query_plans(engine, lambda statement: "reply_type" in statement) as plans:
        BotAnswersReport(engine).build(week)
        ConversationList(engine).search(week, containing=Containing(question_type="fee"))
        housing = week.model_copy(update={"areas": ("housing",)})
        ConversationList(engine).search(housing, containing=Containing(item="x"))
    assert len(plans) == 5  # the report's one; each list's count and page
    assert all("ix_messages_range_reply" in plan for plan in plans), plans
