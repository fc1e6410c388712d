"""The answer action, run with rasa-sdk's CollectingDispatcher on tracker JSON recorded from
the real Rasa server (tests/fixtures/trackers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import knowledge_provider
from bot.actions.answer_question import (
    ActionAnswerQuestion,
    answer_from_faq,
    item_before_this_message,
    item_discussed_earlier,
    question_in_disguise,
)
from bot.settings import REPO_ROOT
from knowledge.search import KnowledgeBase

RESET = [
    {"event": "slot", "timestamp": None, "name": "fallback_count", "value": 0},
    {"event": "slot", "timestamp": None, "name": "pending_guess", "value": None},
]
TRACKERS = REPO_ROOT / "tests" / "fixtures" / "trackers"


def recorded(name: str, **changes: Any) -> Tracker:
    state = json.loads((TRACKERS / f"{name}.json").read_text(encoding="utf-8"))
    state.update(changes)
    return Tracker.from_dict(state)


@pytest.fixture
def installed(kb: KnowledgeBase) -> Iterator[KnowledgeBase]:
    knowledge_provider.install(kb)
    yield kb
    knowledge_provider.install(None)


async def run(tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerQuestion().run(dispatcher, tracker, {})
    return dispatcher.messages, [dict(e) for e in events]


async def test_materials_from_the_entity_sets_the_slot_to_the_item_id(installed: KnowledgeBase) -> None:
    tracker = recorded("materials_with_entity", slots={"service_item": "补办身份证"})
    messages, events = await run(tracker)
    [message] = messages
    assert message["text"].startswith("【居民身份证补领】所需材料：\n1. 居民户口簿")
    assert message["custom"]["item_id"] == "certificates.id_card_reissue"
    assert events == [
        {"event": "slot", "timestamp": None, "name": "service_item", "value": "certificates.id_card_reissue"},
        {"event": "slot", "timestamp": None, "name": "question_type", "value": "materials"},
        {"event": "slot", "timestamp": None, "name": "candidates", "value": None},
        *RESET,
    ]


async def test_follow_up_fee_uses_the_item_in_the_slot(installed: KnowledgeBase) -> None:
    messages, _ = await run(recorded("fee_follow_up"))
    assert "【居民身份证补领】收费标准" in messages[0]["text"]
    assert "20 元" in messages[0]["text"]


async def test_a_new_item_in_the_text_wins_over_the_slot(installed: KnowledgeBase) -> None:
    tracker = recorded("fee_follow_up")
    tracker.latest_message["text"] = "那补办驾驶证要多少钱"
    messages, events = await run(tracker)
    assert messages[0]["text"].startswith("【机动车驾驶证补领】收费标准：\n1. 机动车驾驶证工本费：每证 10 元")
    assert events[0]["value"] == "transport.driving_license_reissue"


async def test_without_any_item_the_citizen_is_asked_which(installed: KnowledgeBase) -> None:
    messages, events = await run(recorded("materials_without_item"))
    assert "业务" in messages[0]["text"]
    assert events == [{"event": "slot", "timestamp": None, "name": "fallback_count", "value": 1}]


async def test_no_matching_item_twice_hands_off_for_low_confidence(installed: KnowledgeBase) -> None:
    tracker = recorded("materials_without_item")
    tracker.slots["fallback_count"] = 1
    messages, events = await run(tracker)
    handoff = messages[-1]["custom"]
    assert handoff["type"] == "handoff" and handoff["reason"] == "low_confidence"
    assert "转接人工" in messages[-1]["text"]
    assert {"event": "slot", "timestamp": None, "name": "fallback_count", "value": 0} in events


async def test_vague_text_offers_candidate_buttons_with_intent_payloads(installed: KnowledgeBase) -> None:
    tracker = recorded("materials_without_item")
    tracker.latest_message["text"] = "社保卡的事"  # no cue in the words: the intent asks
    messages, events = await run(tracker)
    buttons = messages[0]["buttons"]
    assert messages[0]["custom"]["type"] == "clarify" and buttons
    # The intent (ask_materials in the recorded tracker) travels in each payload.
    prefix = '/ask_materials{"service_item": "social_security.ss_card_'
    assert all(b["payload"].startswith(prefix) for b in buttons)
    offered = next(e["value"] for e in events if e["name"] == "candidates")
    assert offered == messages[0]["custom"]["item_ids"]


async def test_missing_knowledge_base_gives_a_polite_message() -> None:
    knowledge_provider.install(None)
    messages, events = await run(recorded("fee_follow_up"))
    assert "12345" in messages[0]["text"]
    assert events == []


@pytest.mark.parametrize(
    ("intent", "text", "label"),
    [("ask_hours", "几点上班", "办公时间"), ("ask_eligibility", "要什么条件", "受理条件"),
     ("ask_online", "网上能办吗", "网上办理"), ("ask_contact", "电话多少", "咨询电话"),
     ("ask_overview", "具体介绍一下", "事项概况"), ("ask_record", "我的办好了没", "查询方式")],
)  # fmt: skip
async def test_every_question_type_is_answered_from_its_field(
    installed: KnowledgeBase, intent: str, text: str, label: str
) -> None:
    tracker = recorded("fee_follow_up")
    tracker.latest_message["intent"] = {"name": intent, "confidence": 0.99}
    tracker.latest_message["text"] = text
    messages, _ = await run(tracker)
    assert messages[0]["text"].startswith(f"【居民身份证补领】{label}：\n1. ")
    assert messages[0]["custom"]["question"] == intent.removeprefix("ask_")


async def test_a_question_without_item_is_answered_from_a_close_faq(installed: KnowledgeBase) -> None:
    tracker = recorded("materials_without_item")
    tracker.latest_message["text"] = "办证件要不要提前预约啊"
    messages, events = await run(tracker)
    assert messages[0]["text"].startswith("【常见问题】办证件要提前预约吗？\n")
    assert messages[0]["custom"]["type"] == "faq"
    assert events == RESET


async def test_a_faq_silent_on_the_document_asked_about_is_no_answer(installed: KnowledgeBase) -> None:
    """«办证件要提前预约吗» is about 出入境证件; the 结婚证 the citizen asks about is not in it."""
    tracker = recorded("materials_without_item")
    tracker.latest_message["text"] = "年底去领结婚证 民政那边要提前预约吗"
    messages, _ = await run(tracker)
    assert messages[0]["custom"]["type"] != "faq", messages[0]["text"]


async def test_an_unrelated_faq_is_not_offered_as_an_answer(installed: KnowledgeBase) -> None:
    tracker = recorded("materials_without_item")
    tracker.latest_message["text"] = "要带什么材料"
    messages, _ = await run(tracker)
    assert not messages[0]["text"].startswith("【常见问题】")


async def test_an_answer_offers_follow_up_questions_about_the_same_item(installed: KnowledgeBase) -> None:
    messages, _ = await run(recorded("materials_with_entity", slots={"service_item": "补办身份证"}))
    buttons = messages[0]["buttons"]
    assert [b["title"] for b in buttons] == ["收费标准", "办理地点", "办理时限"]
    assert buttons[0]["payload"] == '/ask_fee{"service_item": "certificates.id_card_reissue"}'


async def test_a_question_about_the_current_item_stands_against_an_out_of_scope_intent(
    installed: KnowledgeBase,
) -> None:
    tracker = recorded("fee_follow_up")
    tracker.latest_message["intent"] = {"name": "out_of_scope", "confidence": 0.61}
    tracker.latest_message["text"] = "人在外地回不来，也能办吗"
    messages, _ = await run(tracker)
    assert messages[0]["custom"]["type"] == "answer", messages[0]["text"]
    assert messages[0]["custom"]["item_id"] == "certificates.id_card_reissue"


async def test_candidates_for_a_question_stand_against_an_out_of_scope_intent(
    installed: KnowledgeBase,
) -> None:
    """«卖吃的要办的那个证怎么办» (DIET: out of scope) asks, and the guide holds the licences it
    may mean: they are offered. A maths problem, with no candidates, stays out of scope."""
    tracker = recorded("materials_without_item")
    tracker.latest_message["intent"] = {"name": "out_of_scope", "confidence": 0.99}
    tracker.latest_message["text"] = "卖吃的要办的那个证怎么办"
    messages, _ = await run(tracker)
    assert messages[0]["custom"]["type"] == "clarify", messages[0]["text"]
    assert "enterprise_licensing.food_business_license" in messages[0]["custom"]["item_ids"]
    tracker.latest_message["text"] = "一元二次方程怎么解"
    messages, _ = await run(tracker)
    assert messages[0]["custom"]["type"] == "out_of_scope", messages[0]


async def test_thanks_that_go_on_to_ask_get_the_answer(installed: KnowledgeBase) -> None:
    """«好的谢谢 哦对了…年检合格标志在哪领» (DIET: thanks) asks on; plain thanks are thanked."""
    tracker = recorded("fee_follow_up")
    tracker.latest_message["intent"] = {"name": "thanks", "confidence": 0.9}
    tracker.latest_message["text"] = "好的谢谢 哦对了过完户还要年检吧 机动车检验合格标志在哪领"
    messages, _ = await run(tracker)
    assert messages[0]["custom"]["type"] == "answer", messages[0]["text"]
    assert messages[0]["custom"]["item_id"] != "certificates.id_card_reissue"
    tracker.latest_message["text"] = "好的谢谢"
    messages, _ = await run(tracker)
    assert [m.get("response") for m in messages] == ["utter_thanks"]


async def test_a_goodbye_without_a_closing_word_is_about_the_matter(installed: KnowledgeBase) -> None:
    """DIET read «就个体户，夫妻店» as a goodbye: no word of such a message closes the
    conversation; it tells the case of the item discussed (here: 就本人，户口在这边)."""
    tracker = recorded("fee_follow_up")
    tracker.latest_message["intent"] = {"name": "goodbye", "confidence": 0.81}
    tracker.latest_message["text"] = "就本人，户口在这边"
    messages, _ = await run(tracker)
    assert messages[0]["custom"]["type"] == "answer", messages[0]["text"]
    assert messages[0]["custom"]["item_id"] == "certificates.id_card_reissue"


async def test_a_goodbye_after_an_answer_stays_a_goodbye(installed: KnowledgeBase) -> None:
    tracker = recorded("fee_follow_up")
    tracker.latest_message["intent"] = {"name": "goodbye", "confidence": 0.97}
    tracker.latest_message["text"] = "好的，知道了"
    messages, _ = await run(tracker)
    assert all((m.get("custom") or {}).get("type") != "answer" for m in messages)
    assert messages[0]["response"] == "utter_goodbye"
    # The rating buttons carry the five 好差评 words and the domain's payloads.
    assert [(b["title"], b["payload"]) for b in messages[-1]["buttons"]] == [
        ("5 分 非常满意", '/rate_service{"rating": "5"}'),
        ("4 分 满意", '/rate_service{"rating": "4"}'),
        ("3 分 基本满意", '/rate_service{"rating": "3"}'),
        ("2 分 不满意", '/rate_service{"rating": "2"}'),
        ("1 分 非常不满意", '/rate_service{"rating": "1"}'),
    ]


async def test_a_greeting_is_greeted_and_a_question_read_as_one_is_answered(installed: KnowledgeBase) -> None:
    """DIET read «我老伴那本护照…重新办一本多少钱» as a greeting: a message that names an item
    and asks is answered; «你好» alone is greeted."""
    tracker = recorded("materials_without_item")
    tracker.latest_message["intent"] = {"name": "greet", "confidence": 0.56}
    tracker.latest_message["text"] = "我老伴那本护照是十年前出国考察办的 早过期了 重新办一本多少钱"
    messages, _ = await run(tracker)
    assert messages[0]["custom"]["type"] == "answer", messages[0]
    assert messages[0]["custom"]["item_id"] == "certificates.ordinary_passport"
    tracker.latest_message["intent"] = {"name": "greet", "confidence": 0.99}
    tracker.latest_message["text"] = "你好"
    messages, _ = await run(tracker)
    assert [m["response"] for m in messages] == ["utter_greet"]


@pytest.mark.parametrize("closing", ["明白了，谢谢", "知道了，谢谢", "好的，谢谢你", "行 知道了 麻烦了"])
async def test_thanks_after_candidates_pick_none_of_them(installed: KnowledgeBase, closing: str) -> None:
    """«明白了，谢谢» after three 公积金提取 buttons was answered with the first of them (read
    with the question before it); a closing picks nothing and asks nothing."""
    offered = [
        "housing.provident_fund_rent_withdrawal",
        "housing.provident_fund_retirement_withdrawal",
        "housing.provident_fund_purchase_withdrawal",
    ]
    events = [
        {"event": "user", "text": "公积金怎么提取", "parse_data": {"intent": {"name": "ask_steps"}}},
        {"event": "slot", "name": "question_type", "value": "steps"},
        {"event": "slot", "name": "candidates", "value": offered},
        {"event": "user", "text": closing, "parse_data": {"intent": {"name": "thanks"}}},
    ]
    latest = {"text": closing, "intent": {"name": "thanks", "confidence": 0.99}, "entities": []}
    slots = {"question_type": "steps", "candidates": offered, "service_item": None}
    tracker = Tracker("citizen", slots, latest, events, False, None, None, None)
    messages, _ = await run(tracker)
    assert [m.get("response") for m in messages] == ["utter_thanks"], messages


def test_asking_for_someone_to_come_and_see_to_it_is_a_complaint(installed: KnowledgeBase) -> None:
    """«…打电话也没人接 叫个人出来管管» names 材料 and the item, but asks for a person."""
    tracker = recorded("fee_follow_up")
    tracker.latest_message["intent"] = {"name": "complaint", "confidence": 0.99}
    tracker.latest_message["text"] = "材料两个月前就交了钱到现在没到账 打电话也没人接 叫个人出来管管"
    dispatcher = CollectingDispatcher()
    assert question_in_disguise(dispatcher, tracker) is None, dispatcher.messages


def test_the_item_discussed_earlier_outlives_an_honest_no() -> None:
    """The honest no drops the context (the slot is emptied), but the item discussed before it
    is still known for a message that names it again («认定能在网上申请吗»)."""
    events = [
        {"event": "user", "text": "想认定教师资格证 要什么条件"},
        {"event": "slot", "name": "service_item", "value": "education.teacher_qualification"},
        {"event": "user", "text": "普通话考试在哪报名啊"},
        {"event": "slot", "name": "service_item", "value": None},
        {"event": "user", "text": "认定能在网上申请吗"},
    ]
    tracker = Tracker("citizen", {}, {"text": "认定能在网上申请吗"}, events, False, None, None, None)
    assert item_before_this_message(tracker) is None
    assert item_discussed_earlier(tracker) == "education.teacher_qualification"


@pytest.mark.parametrize(
    ("text", "answered"),
    [
        # the pair is about both cards, the citizen lost one
        ("社保卡搞丢了", False),
        ("社保卡和身份证都丢了怎么办", True),
    ],
)
def test_a_loose_faq_pair_about_another_case_is_not_given(
    kb: KnowledgeBase, text: str, answered: bool
) -> None:
    dispatcher = CollectingDispatcher()
    assert answer_from_faq(dispatcher, kb, text) is answered
    assert bool(dispatcher.messages) is answered


async def test_a_question_that_ends_in_thanks_is_answered(installed: KnowledgeBase) -> None:
    """«…注销户口需要带哪些东西呢 麻烦您了 谢谢» (DIET: thanks) asks; it was only thanked."""
    tracker = recorded("materials_without_item")
    tracker.latest_message["intent"] = {"name": "thanks", "confidence": 0.7}
    tracker.latest_message["text"] = (
        "您好 请问一下 我老伴上个月走了 去派出所注销户口需要带哪些东西呢 麻烦您了 谢谢"
    )
    messages, _ = await run(tracker)
    assert messages[0].get("response") != "utter_thanks", messages
    assert messages[0]["custom"]["type"] in ("answer", "clarify"), messages[0]


async def test_a_person_asked_for_in_so_many_words_is_handed_over(installed: KnowledgeBase) -> None:
    """«有没有活人在 喂喂» (DIET: a greeting) asks for a person, to the general queue."""
    tracker = recorded("materials_without_item")
    tracker.latest_message["intent"] = {"name": "greet", "confidence": 0.6}
    tracker.latest_message["text"] = "有没有活人在 喂喂"
    messages, _ = await run(tracker)
    assert messages[0]["custom"]["type"] == "handoff", messages
    assert messages[0]["custom"]["area"] == "other"


def test_asking_whether_this_is_how_they_work_is_a_complaint(installed: KnowledgeBase) -> None:
    """«…打电话也没人接 你们就是这样办事的？» about the item discussed: venting, not a question."""
    tracker = recorded("fee_follow_up")
    tracker.latest_message["intent"] = {"name": "complaint", "confidence": 0.8}
    tracker.latest_message["text"] = (
        "三月份就把材料交上去了 到现在一分钱没见到 打电话也没人接 你们就是这样办事的？"
    )
    dispatcher = CollectingDispatcher()
    assert question_in_disguise(dispatcher, tracker) is None, dispatcher.messages
