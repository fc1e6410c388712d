"""The fallback, feedback, handoff and rating actions, run with rasa-sdk's CollectingDispatcher
on tracker JSON recorded from the real Rasa server (the integration tests run the same flows
through the real servers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import knowledge_provider
from bot.actions.fallback import ActionConfirmReply, ActionFallback
from bot.actions.feedback import (
    ActionRequestHuman,
    ActionStartFeedback,
    ActionSubmitFeedback,
    describes_something,
    names_a_matter,
)
from bot.actions.rating import ActionStoreRating, rating_score
from bot.settings import REPO_ROOT
from knowledge.search import KnowledgeBase

TRACKERS = REPO_ROOT / "tests" / "fixtures" / "trackers"


def tracker(text: str, intent: str, slots: dict[str, Any] | None = None, **latest: Any) -> Tracker:
    state = json.loads((TRACKERS / "materials_without_item.json").read_text(encoding="utf-8"))
    state["slots"] = {"service_item": None, **(slots or {})}
    state["latest_message"].update(
        {"text": text, "intent": {"name": intent, "confidence": 0.3}, "entities": [], "intent_ranking": []}
    )
    state["latest_message"].update(latest)
    return Tracker.from_dict(state)


async def run(action: Action, state: Tracker) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, state, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}


@pytest.fixture
def installed(kb: KnowledgeBase) -> Iterator[KnowledgeBase]:
    knowledge_provider.install(kb)
    yield kb
    knowledge_provider.install(None)


async def test_first_miss_confirms_the_best_guess_with_yes_no_buttons(installed: KnowledgeBase) -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "ask_fee", "confidence": 0.35}]
    state = tracker("补办身份证那个事", "nlu_fallback", intent_ranking=ranking)
    [message], slots = await run(ActionFallback(), state)
    assert message["text"] == "您是想了解「居民身份证补领」的收费标准吗？"
    assert message["buttons"][0]["payload"] == '/ask_fee{"service_item": "certificates.id_card_reissue"}'
    assert message["buttons"][1]["payload"] == "/deny"
    assert slots["fallback_count"] == 1
    assert json.loads(slots["pending_guess"]) == {"intent": "ask_fee", "item": "certificates.id_card_reissue"}


async def test_first_miss_naming_a_document_of_several_items_offers_them(installed: KnowledgeBase) -> None:
    """«社保卡用不了了»: no question, but the items named after the card are offered as buttons
    rather than a yes-or-no on the first of them."""
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "ask_record", "confidence": 0.3}]
    [message], _ = await run(
        ActionFallback(), tracker("社保卡用不了了", "nlu_fallback", intent_ranking=ranking)
    )
    offered = {button["payload"] for button in message["buttons"]}
    assert any("social_security.ss_card_replacement" in payload for payload in offered), message
    assert any("social_security.ss_card_activation" in payload for payload in offered), message


async def test_an_unsure_intent_with_a_named_item_and_a_clear_question_is_answered(
    installed: KnowledgeBase,
) -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "ask_steps", "confidence": 0.35}]
    state = tracker("补办身份证那个费用的事", "nlu_fallback", intent_ranking=ranking)
    [message], slots = await run(ActionFallback(), state)
    assert message["text"].startswith("【居民身份证补领】收费标准：")
    assert slots["service_item"] == "certificates.id_card_reissue" and slots["question_type"] == "fee"


async def test_an_unsure_intent_asking_about_an_item_it_names_outright_is_answered(
    installed: KnowledgeBase,
) -> None:
    """No cue of a question type, but it asks (咋用, 啥) about an item it names: DIET's likeliest
    question is answered rather than confirmed."""
    ranking = [{"name": "nlu_fallback", "confidence": 0.45}, {"name": "ask_materials", "confidence": 0.19}]
    state = tracker(
        "退休了要去深圳跟儿子住 在那边看病医保咋用 要办个啥备案", "nlu_fallback", intent_ranking=ranking
    )
    [message], slots = await run(ActionFallback(), state)
    assert slots["service_item"] == "healthcare.cross_province_medical_filing", message["text"]
    assert slots["question_type"] == "materials"


async def test_an_unsure_complaint_is_handed_over_not_guessed_at(installed: KnowledgeBase) -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 0.45}, {"name": "ask_record", "confidence": 0.3}]
    state = tracker("举报有家中介用假材料骗领技能提升补贴", "nlu_fallback", intent_ranking=ranking)
    [message], _ = await run(ActionFallback(), state)
    assert message["custom"]["type"] == "handoff" and message["custom"]["reason"] == "complaint"


async def test_first_miss_without_any_guess_asks_to_rephrase(installed: KnowledgeBase) -> None:
    [message], slots = await run(ActionFallback(), tracker("嗯嗯那个啥", "nlu_fallback"))
    assert message["text"].startswith("抱歉，我没有完全理解")
    assert slots == {"fallback_count": 1, "pending_guess": None}


async def test_second_miss_in_a_row_offers_a_person(installed: KnowledgeBase) -> None:
    state = tracker("嗯嗯那个啥", "nlu_fallback", slots={"fallback_count": 1})
    [message], slots = await run(ActionFallback(), state)
    assert message["custom"]["type"] == "handoff" and message["custom"]["reason"] == "fallback"
    assert slots["fallback_count"] == 0


async def test_yes_answers_the_pending_guess_and_no_asks_to_rephrase(installed: KnowledgeBase) -> None:
    guess = json.dumps({"intent": "ask_fee", "item": "certificates.id_card_reissue"})
    [answer], slots = await run(
        ActionConfirmReply(), tracker("是的", "affirm", slots={"pending_guess": guess})
    )
    assert answer["text"].startswith("【居民身份证补领】收费标准：")
    assert slots["pending_guess"] is None and slots["fallback_count"] == 0
    [rephrase], slots = await run(
        ActionConfirmReply(), tracker("不是", "deny", slots={"pending_guess": guess})
    )
    assert rephrase["text"].startswith("好的。请您换个说法")
    assert slots == {"pending_guess": None}


async def test_yes_without_a_pending_guess_is_a_plain_acknowledgement(installed: KnowledgeBase) -> None:
    [message], slots = await run(ActionConfirmReply(), tracker("好的", "affirm"))
    assert message["text"] == "好的。还有其他问题吗？" and slots == {}


async def test_a_question_read_as_a_no_is_answered_for_the_item_discussed(installed: KnowledgeBase) -> None:
    """«要不要给钱» (DIET hears its «不要») after 居民身份证补领 asks the fee."""
    state = json.loads((TRACKERS / "fee_follow_up.json").read_text(encoding="utf-8"))
    state["latest_message"].update({"text": "要不要给钱", "intent": {"name": "deny", "confidence": 0.6}})
    [answer], _ = await run(ActionConfirmReply(), Tracker.from_dict(state))
    assert answer["text"].startswith("【居民身份证补领】收费标准："), answer["text"]


@pytest.mark.parametrize(
    ("text", "describes"),
    [("我要投诉", False), ("我想反映一下社保的问题", False), ("对教育这块有意见", False),
     ("投诉出租车司机绕路多收钱", True), ("建议政务大厅周末也开放半天", True)],
)  # fmt: skip
def test_an_announcement_is_told_apart_from_a_description(text: str, describes: bool) -> None:
    assert describes_something(text) is describes


async def test_start_feedback_fills_the_description_only_when_there_is_one() -> None:
    _, empty = await run(ActionStartFeedback(), tracker("我要投诉", "complaint"))
    assert empty == {"feedback_kind": "complaint", "feedback_description": None}
    _, filled = await run(ActionStartFeedback(), tracker("建议公交车晚上多开几班", "suggestion"))
    assert filled == {"feedback_kind": "suggestion", "feedback_description": "建议公交车晚上多开几班"}


async def test_submit_routes_by_the_area_the_citizen_named(installed: KnowledgeBase) -> None:
    state = tracker(
        "窗口排队太久了",
        "complaint",
        slots={"feedback_kind": "complaint", "feedback_description": "社保窗口排队太久了"},
    )
    [message], slots = await run(ActionSubmitFeedback(), state)
    assert message["custom"]["area"] == "social_security"
    assert message["custom"]["area_named_by_citizen"] is True
    assert message["custom"]["description"] == "社保窗口排队太久了"
    assert slots == {"feedback_kind": None, "feedback_description": None, "requested_slot": None}


async def test_submit_of_a_cancelled_form_hands_nothing_off(installed: KnowledgeBase) -> None:
    state = tracker("算了", "deny", slots={"feedback_kind": "complaint", "feedback_description": "算了"})
    [message], _ = await run(ActionSubmitFeedback(), state)
    assert message["text"].startswith("好的，已取消") and message.get("custom") in (None, {})


async def test_request_human_without_a_classifier_takes_the_area_of_the_item(
    installed: KnowledgeBase,
) -> None:
    state = tracker(
        "转人工", "request_human", slots={"service_item": "housing.provident_fund_rent_withdrawal"}
    )
    [message], _ = await run(ActionRequestHuman(), state)
    assert message["custom"]["reason"] == "request_human"
    assert message["custom"]["area"] == "housing"
    assert message["custom"]["service_item"] == "housing.provident_fund_rent_withdrawal"


@pytest.mark.parametrize(
    ("entities", "text", "score"),
    [(["4"], "/rate_service", 4), ([], "给你打5分", 5), ([], "打个四分吧", 4), ([], "非常不满意", 1),
     ([], "不满意", 2), ([], "一般般吧", 3), ([], "满意", 4), ([], "基本满意", 3), ([], "5", 5),
     ([], "好的", None)],
)  # fmt: skip
def test_rating_scores_from_digits_and_words(entities: list[str], text: str, score: int | None) -> None:
    assert rating_score(entities, text) == score


async def test_rating_is_emitted_for_the_gateway_to_store() -> None:
    [message], _ = await run(ActionStoreRating(), tracker("非常满意", "rate_service"))
    assert message["custom"] == {"type": "rating", "score": 5}
    assert message["text"].startswith("感谢您的评价（5 分，非常满意）")
    rated_two = tracker("/rate_service", "rate_service", entities=[{"entity": "rating", "value": "2"}])
    [bad], _ = await run(ActionStoreRating(), rated_two)
    assert bad["custom"]["score"] == 2 and "（2 分，不满意）" in bad["text"] and "回访" in bad["text"]
    [again], _ = await run(ActionStoreRating(), tracker("还可以吧嗯", "rate_service"))
    assert again["text"].startswith("请回复 1 到 5")


@pytest.mark.parametrize(
    "text",
    ["找个人工跟我说", "帮我转个客服", "我要找真人", "算了 你帮我转人工吧",
     "看着头大 有没有人工 我直接跟人说"],
)  # fmt: skip
async def test_a_request_for_a_person_that_says_nothing_goes_to_the_general_queue(
    installed: KnowledgeBase, text: str
) -> None:
    [message], _ = await run(ActionRequestHuman(), tracker(text, "request_human"))
    assert message["custom"]["area"] == "other"


async def test_asking_how_to_complain_is_answered_by_the_item_that_takes_complaints(
    installed: KnowledgeBase,
) -> None:
    """«怎么投诉» is a question when the guide has the complaint's own item; «我要投诉» is not."""
    asked = tracker("小区物业电梯坏了一个月也不修，怎么投诉他们", "complaint")
    [answer], _ = await run(ActionStartFeedback(), asked)
    assert answer["custom"]["type"] == "answer"
    assert answer["custom"]["item_id"] == "housing.property_service_complaint"
    told = tracker("小区物业电梯坏了一个月也不修，我要投诉", "complaint")
    _, filled = await run(ActionStartFeedback(), told)
    assert filled["feedback_kind"] == "complaint"
    # «想投诉» followed by whom to call asks too; a question told before «我要投诉» does not
    asked = tracker("单位一直不给交公积金，想投诉，打哪个电话", "complaint")
    [answer], _ = await run(ActionStartFeedback(), asked)
    assert answer["custom"]["item_id"] == "housing.provident_fund_violation_complaint"
    told = tracker("车管所的网上预约天天崩，约了一周都约不上，我要投诉", "complaint")
    _, filled = await run(ActionStartFeedback(), told)
    assert filled["feedback_kind"] == "complaint"


async def test_a_question_about_a_matter_the_guide_lacks_taken_for_feedback_is_an_honest_no(
    installed: KnowledgeBase,
) -> None:
    """«老小区加装电梯有补贴吗» (DIET: suggestion) asks; the guide has no such item, so the citizen
    hears that, with a person on offer, instead of a suggestion filed in their name. A real
    complaint with a question in it is still handed over."""
    asked = tracker("我们小区想加装电梯，政府的补贴怎么申请", "suggestion")
    [message], _ = await run(ActionStartFeedback(), asked)
    assert message["custom"]["type"] == "honest_no"
    assert message["buttons"] == [{"title": "转人工", "payload": "/request_human"}]
    # a question with a detail or two is still a question; a long story that names items
    # retrieval splits its belief between gets them offered
    detailed = tracker("还有小区电梯坏了，想用维修基金修，维修基金咋申请使用", "complaint")
    [message], _ = await run(ActionStartFeedback(), detailed)
    assert message["custom"]["type"] == "honest_no"
    story = (
        "我开了个小饭馆，招了两个四五十岁找不到工作的下岗职工，听说单位给他们交社保政府能补一部分，怎么申请"
    )
    [message], _ = await run(ActionStartFeedback(), tracker(story, "complaint"))
    assert message["custom"]["type"] == "clarify"
    assert "employment.employer_social_insurance_subsidy" in message["custom"]["item_ids"]
    complaint = tracker("窗口工作人员态度太差了，该找哪个部门投诉", "complaint")
    _, filled = await run(ActionStartFeedback(), complaint)
    assert filled["feedback_kind"] == "complaint"


async def test_a_long_question_about_an_outside_matter_names_who_handles_it(installed: KnowledgeBase) -> None:
    """A story told before «劳动仲裁咋申请» (DIET: complaint) would go to a person; its asking
    clause names a matter the guide lacks (knowledge/referrals.yml), so the citizen hears at
    once where such cases go, with a person still on offer."""
    story = "在工地干了大半年 说好年底结的工钱到现在一分没给 想申请劳动仲裁 劳动仲裁咋申请"
    [message], _ = await run(ActionStartFeedback(), tracker(story, "complaint"))
    assert message["custom"] == {"type": "honest_no", "question": "steps", "matter": "labor_arbitration"}
    assert "劳动人事争议仲裁委员会" in message["text"] and "12345" in message["text"]
    assert message["buttons"] == [{"title": "转人工", "payload": "/request_human"}]


@pytest.mark.parametrize(
    "text",
    ["上次打电话问这事 转了三个人都说不归他们管 最后直接给我挂了 真服了",
     "上回材料交上去说不全让补 补完又说不行 来回跑了四趟 太折腾人了",
     "车管所排了一上午队 轮到我说系统坏了让明天再来 什么破效率"],
)  # fmt: skip
async def test_venting_without_the_word_complaint_is_no_question_in_disguise(
    installed: KnowledgeBase, text: str
) -> None:
    """A citizen venting in the middle of questions («真服了», «太折腾人了») is filed as a
    complaint, not answered with the item discussed."""
    slots = {"service_item": "social_security.work_injury_recognition"}
    _, filled = await run(ActionStartFeedback(), tracker(text, "complaint", slots))
    assert filled["feedback_kind"] == "complaint"


async def test_an_unsure_complaint_without_a_word_of_one_is_not_filed(installed: KnowledgeBase) -> None:
    """«我那个小店不想干了» (DIET: complaint, unsure) is a message not understood, not a complaint
    filed in the citizen's name; a sure one, or one with a complaint's words, still is."""
    events = await ActionStartFeedback().run(
        CollectingDispatcher(), tracker("我那个小店不想干了", "complaint"), {}
    )
    assert events == [{"event": "followup", "timestamp": None, "name": "action_fallback"}]
    sure = tracker("我那个小店不想干了", "complaint")
    sure.latest_message["intent"] = {"name": "complaint", "confidence": 0.95}
    _, filled = await run(ActionStartFeedback(), sure)
    assert filled["feedback_kind"] == "complaint"


async def test_a_case_told_about_the_item_discussed_is_no_complaint(installed: KnowledgeBase) -> None:
    """«我自己拉货 开个面包车跑货拉拉 没单位» (DIET: complaint 0.71) after 就业登记 tells the
    citizen's case, with no word of a complaint: the item is answered, nothing is filed."""
    slots = {"service_item": "employment.individual_employment_registration", "last_question": "steps"}
    told = tracker("我自己拉货 开个面包车跑货拉拉 没单位", "complaint", slots)
    told.latest_message["intent"] = {"name": "complaint", "confidence": 0.71}
    # the item the conversation was about, as the answer action left it before this message
    told.events += [
        {"event": "slot", "name": "service_item", "value": slots["service_item"]},
        {"event": "user", "text": told.latest_message["text"]},
    ]
    [message], filled = await run(ActionStartFeedback(), told)
    assert message["custom"]["item_id"] == "employment.individual_employment_registration"
    assert "feedback_kind" not in filled


async def test_a_question_with_wages_in_it_asks_for_no_person(installed: KnowledgeBase) -> None:
    """«两个人工资都不高» holds 人工 only across two words: the question is answered."""
    asked = tracker("儿子儿媳刚结婚 两个人工资都不高 在县城租房住 公租房他们能申请吗", "complaint")
    asked.latest_message["intent"] = {"name": "complaint", "confidence": 0.77}
    [message], filled = await run(ActionStartFeedback(), asked)
    assert message["custom"]["item_id"] == "housing.public_rental_housing_application"
    assert "feedback_kind" not in filled


@pytest.mark.parametrize(
    ("text", "names"),
    [("学籍的事我要找人工", True), ("驾照的问题转人工", True), ("社保方面找人工", True),
     ("车管所的事我要找人工", True),
     ("算了 你帮我转人工吧", False), ("不想跟机器说了 给俺找个真人", False)],
)  # fmt: skip
def test_a_request_for_a_person_is_routed_by_what_it_names_of_the_guide(
    installed: KnowledgeBase, text: str, names: bool
) -> None:
    assert names_a_matter(text) is names


async def test_an_unsure_intent_telling_the_case_of_the_item_discussed_goes_on_with_it(
    installed: KnowledgeBase,
) -> None:
    """«我就个体户 开了个小面馆 不干了» after the materials of 个体工商户注销登记: no question of
    its own, so the question asked before is answered again for the item discussed, not guessed."""
    item = "enterprise_licensing.individual_business_deregistration"
    state = tracker("我就个体户 开了个小面馆 不干了", "nlu_fallback", slots={"question_type": "materials"})
    state.events = [
        {"event": "user", "text": "想把执照注销了 要准备啥"},
        {"event": "slot", "name": "service_item", "value": item},
        {"event": "slot", "name": "question_type", "value": "materials"},
        {"event": "user", "text": "我就个体户 开了个小面馆 不干了"},
    ]
    [message], slots = await run(ActionFallback(), state)
    assert message["custom"]["type"] == "answer", message
    assert slots["service_item"] == item and slots["question_type"] == "materials"


async def test_an_unsure_message_asking_for_a_person_is_handed_over(installed: KnowledgeBase) -> None:
    """«医保报销的钱拖了半年还没打到卡上 什么效率 给我转人工» (DIET unsure) got a yes-or-no guess
    at 医疗保险关系转移; a person asked for in so many words is handed over."""
    ranking = [{"name": "nlu_fallback", "confidence": 0.45}, {"name": "ask_overview", "confidence": 0.3}]
    state = tracker(
        "医保报销的钱拖了半年还没打到卡上 什么效率 给我转人工", "nlu_fallback", intent_ranking=ranking
    )
    [message], _ = await run(ActionFallback(), state)
    assert message["custom"]["type"] == "handoff", message
    assert message["custom"]["reason"] == "request_human"


async def test_a_handoff_right_after_candidates_goes_to_their_area(installed: KnowledgeBase) -> None:
    """«派出所一直说等通知…给我转人工» right after 居住证申领 was offered: 证件, not «other»."""
    state = tracker(
        "派出所一直说等通知 打电话也冇人接 太离谱了 给我转人工",
        "request_human",
        slots={"candidates": ["certificates.residence_permit"]},
    )
    [message], _ = await run(ActionRequestHuman(), state)
    assert message["custom"]["type"] == "handoff", message
    assert message["custom"]["area"] == "certificates"
