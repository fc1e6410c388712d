"""Answer a question about a service item from the knowledge base.

Which item, and whether to answer, offer candidates or say honestly that the guide does not
hold it, is the resolver's decision (`bot.actions.resolution`); this action renders it and
keeps the context slots: the current item, the question asked last and the candidates offered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import knowledge_provider
from bot.actions.handoff import ASKS_FOR_PERSON, classify_area, hand_to_person, handoff_payload
from bot.actions.intents import intent_of, latest_intent
from bot.actions.question_cues import (
    files_a_complaint,
    keeps_question,
    naming_part,
    question_cue,
    states_a_wish,
)
from bot.actions.resolution import (
    ITEM_KNOWN,
    SETTLED_BY_CONVERSATION,
    Decision,
    Outcome,
    Resolver,
    Turn,
    button_titles,
    document_terms,
    naming_terms,
    question_for,
    searched_text,
    tells_what_happened,
    without_names,
)
from bot.contracts.replies import Answer, AskItem, Clarify, Faq, HonestNo, OutOfScope, Place
from bot.contracts.tickets import HandoffReason
from bot.ratings import RATING_PROMPT, rating_buttons
from knowledge.render import QUESTION_LABELS, QuestionType, has_answer, render_answer, render_place
from knowledge.schema import ServiceItem, ServicePlace
from knowledge.search import FAQ_ANSWER_THRESHOLD, KnowledgeBase

SLOT = "service_item"
QUESTION_SLOT = "question_type"  # the question asked last, kept for 「那X呢」
CANDIDATES_SLOT = "candidates"  # item ids offered as buttons last, for a typed follow-up
HONEST_NO_FLOOR = 0.1
# Past this many naming characters a message DIET took for feedback tells a story («我跟老公
# 去年买了套二手房，贷款是…»), which a person reads better than retrieval; a question with a
# detail or two («小区电梯坏了，想用维修基金修，维修基金咋申请使用») is still a question.
STORY_NAMING = 24
# The rating question is asked from here, not with the domain's `utter_ask_rating`, so its
# buttons carry the five 好差评 words (bot/ratings.py) with the domain's payloads.
ASK_RATING = "ask_rating"
# Intents that are not questions but may hide one; each keeps its usual reply (responses).
NON_QUESTION_REPLIES: dict[str, tuple[str, ...]] = {
    "greet": ("utter_greet",),
    "out_of_scope": ("utter_out_of_scope",),
    "chitchat": ("utter_chitchat",),
    "goodbye": ("utter_goodbye", ASK_RATING),
    "thanks": ("utter_thanks",),
    "bot_challenge": ("utter_bot_challenge",),
}
PLACE_QUESTIONS = frozenset({QuestionType.location, QuestionType.hours, QuestionType.contact})
RESET_FALLBACK: tuple[EventType, ...] = (SlotSet("fallback_count", 0), SlotSet("pending_guess", None))

ASK_WHICH_ITEM = "请问您想咨询哪一项业务？可以点击下面的选项，或直接告诉我业务名称，例如“补办身份证”。"
NO_ITEM_FOUND = "请告诉我您要办理的具体业务名称，例如“补办身份证”“异地就医备案”“租房提取公积金”。"
# After an answer, the questions citizens most often ask next about the same item, as buttons.
FOLLOW_UP_ORDER = (
    QuestionType.materials,
    QuestionType.fee,
    QuestionType.location,
    QuestionType.time_limit,
    QuestionType.steps,
)
FOLLOW_UP_COUNT = 3
UNANSWERED = "这个问题办事指南里暂时没有答案，正在为您转接人工服务。"
HONEST_NO = (
    "抱歉，本区办事指南里暂未收录您问的这项业务，我没法给您准确答复。"
    "您可以拨打 12345 政务服务便民热线咨询，或点击“转人工”由工作人员为您解答。"
)
# A matter the guide lacks but whose usual handler is known (knowledge/referrals.yml).
REFERRED = (
    "抱歉，本区办事指南里没有收录「{title}」，我没法给您准确答复。{handled_by}"
    "您也可以拨打 12345 政务服务便民热线咨询，或点击“转人工”由工作人员为您解答。"
)
NOT_FOUND_AGAIN = "抱歉，还是没有找到与您的问题相符的事项，正在为您转接人工服务。"
KNOWLEDGE_DOWN = "抱歉，办事指南暂时无法查询，请稍后再试，或拨打 12345 政务服务便民热线咨询。"


def follow_up_buttons(item: ServiceItem, asked: QuestionType) -> list[dict[str, str]]:
    """«要多少钱 / 在哪里办 / 要多久» for the item just answered (payloads name the item, so
    a click is understood whatever was said in between)."""
    questions = [q for q in FOLLOW_UP_ORDER if q != asked][:FOLLOW_UP_COUNT]
    slot = json.dumps({SLOT: item.id}, ensure_ascii=False)
    return [{"title": QUESTION_LABELS[q], "payload": f"/{intent_of(q)}{slot}"} for q in questions]


def candidate_buttons(question: QuestionType, items: Sequence[ServiceItem]) -> list[dict[str, str]]:
    """One button per candidate; the payload carries the item and the question, so a click is
    understood whatever was said in between."""
    intent = intent_of(question)
    return [
        {"title": title, "payload": f"/{intent}{json.dumps({SLOT: item.id}, ensure_ascii=False)}"}
        for title, item in zip(button_titles(items), items, strict=True)
    ]


def current_turn(tracker: Tracker) -> Turn:
    """What the resolver needs from the tracker: the text, the intent, a clicked button's item
    (a payload, never a name DIET picked out of free text) and the context slots."""
    text = tracker.latest_message.get("text") or ""
    clicked = None
    if text.startswith("/"):
        clicked = next((str(v) for v in tracker.get_latest_entity_values(SLOT)), None)
    last = tracker.get_slot(QUESTION_SLOT)
    return Turn(
        text=text,
        intent=latest_intent(tracker),
        clicked_item=clicked,
        current_item=item_before_this_message(tracker),
        earlier_item=item_discussed_earlier(tracker),
        discussed=items_discussed(tracker),
        last_question=QuestionType(last) if last in QuestionType.__members__ else None,
        offered=list(tracker.get_slot(CANDIDATES_SLOT) or []),
        previous_text=previous_user_text(tracker),
    )


def item_before_this_message(tracker: Tracker) -> str | None:
    """The item the conversation was about before the latest message: the slot as our actions
    left it. Rasa fills the slot from any service_item entity DIET finds in the new message
    («办证收钱吗» gives «办证»), which is not an item and must not erase the context; what the
    new message names is the resolver's to find."""
    values = _item_slot_values(tracker)
    return values[-1] if values and values[-1] else None


def item_discussed_earlier(tracker: Tracker) -> str | None:
    """The last item the conversation was about before the latest message, even when the
    context was dropped since (an honest no about another matter): «认定能在网上申请吗» after
    «普通话考试在哪报名» goes back to 教师资格认定."""
    return next((value for value in reversed(_item_slot_values(tracker)) if value), None)


def items_discussed(tracker: Tracker) -> tuple[str, ...]:
    """Every item the conversation was about before the latest message, the latest first:
    «刚才那个身份证 换的话多少天能拿到手» points back past the item discussed now."""
    return tuple(dict.fromkeys(value for value in reversed(_item_slot_values(tracker)) if value))


def _item_slot_values(tracker: Tracker) -> list[str | None]:
    """The item slot's values as our actions set them, before the latest message."""
    events = tracker.events
    users = [n for n, event in enumerate(events) if event.get("event") == "user"]
    last_user = users[-1] if users else len(events)
    return [
        str(event.get("value")) if event.get("value") else None
        for event in events[:last_user]
        if event.get("event") == "slot" and event.get("name") == SLOT
    ]


def previous_user_text(tracker: Tracker) -> str:
    """The citizen's last message before the latest one that named something ("" when there is
    none): «养老保险咋交» → «在哪办» → «我没单位，在村里种地» is read with «养老保险咋交»;
    elliptical follow-ups and clicked buttons say nothing of the matter."""
    texts = [event.get("text") or "" for event in tracker.events if event.get("event") == "user"]
    named = [text for text in texts[:-1] if not text.startswith("/") and naming_part(text)]
    return named[-1] if named else ""


def resolver(knowledge: KnowledgeBase) -> Resolver:
    return Resolver(knowledge, knowledge_provider.confidence_model())


def knowledge_or_apology(dispatcher: CollectingDispatcher) -> KnowledgeBase | None:
    """The knowledge base, or None after telling the citizen it cannot be consulted now."""
    try:
        return knowledge_provider.current()
    except knowledge_provider.KnowledgeUnavailableError:
        dispatcher.utter_message(text=KNOWLEDGE_DOWN)
        return None


def answer_item(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    knowledge: KnowledgeBase,
    item: ServiceItem,
    question: QuestionType,
) -> list[EventType]:
    """Render one answer; an answer ends any fallback sequence. When the item's record lacks
    what was asked, a person is offered at once (the question was clear, the data is not)."""
    places = knowledge.places_of(item)
    if question is QuestionType.steps and not has_answer(item, question, places):
        question = QuestionType.overview  # «怎么办» about a record without steps: what it has
    dispatcher.utter_message(
        text=render_answer(item, question, places),
        buttons=follow_up_buttons(item, question),
        json_message=Answer(
            item_id=item.id,
            area=item.area,
            question=question.value,
            source=item.source,
            last_verified=item.last_verified.isoformat(),
        ).dump(),
    )
    if not has_answer(item, question, places):
        text = tracker.latest_message.get("text") or ""
        dispatcher.utter_message(
            text=UNANSWERED,
            json_message=handoff_payload(
                HandoffReason.unanswered, classify_area(text, tracker, item), tracker, text
            ),
        )
    return [
        SlotSet(SLOT, item.id),
        SlotSet(QUESTION_SLOT, question.value),
        SlotSet(CANDIDATES_SLOT, None),
        *RESET_FALLBACK,
    ]


def offer_candidates(dispatcher: CollectingDispatcher, decision: Decision) -> list[EventType]:
    dispatcher.utter_message(
        text=ASK_WHICH_ITEM,
        buttons=candidate_buttons(decision.question, decision.candidates),
        json_message=Clarify(
            question=decision.question.value, item_ids=[item.id for item in decision.candidates]
        ).dump(),
    )
    return [
        SlotSet(QUESTION_SLOT, decision.question.value),
        SlotSet(CANDIDATES_SLOT, [item.id for item in decision.candidates]),
    ]


def say_honest_no(dispatcher: CollectingDispatcher, decision: Decision) -> list[EventType]:
    """Not in the guide: say so, name no neighbour, offer 12345 and a person. The context is
    dropped too, so a later 「那要多少钱」 does not fall back on an unrelated item."""
    referral = decision.referral
    text = (
        HONEST_NO
        if referral is None
        else REFERRED.format(title=referral.title, handled_by=referral.handled_by)
    )
    dispatcher.utter_message(
        text=text,
        buttons=[{"title": "转人工", "payload": "/request_human"}],
        json_message=HonestNo(
            question=decision.question.value, matter=referral.id if referral is not None else None
        ).dump(),
    )
    return [SlotSet(SLOT, None), SlotSet(CANDIDATES_SLOT, None), *RESET_FALLBACK]


def find_place(tracker: Tracker, knowledge: KnowledgeBase) -> ServicePlace | None:
    """A hall named in this message («车管所几点上班»); only the latest message counts."""
    for value in tracker.get_latest_entity_values("place"):
        place = knowledge.resolve_place(str(value))
        if place is not None:
            return place
    return None


def answer_from_faq(
    dispatcher: CollectingDispatcher, knowledge: KnowledgeBase, text: str, candidates_at: float = 0.0
) -> bool:
    """Answer from a loose FAQ pair when retrieval is confident, and more confident than the
    candidates the resolver would offer instead (`candidates_at`: «想开个店，营业执照咋办» is
    个体户登记 more likely than the FAQ «先办营业执照还是先办许可证»); False otherwise."""
    faqs = knowledge.search_faqs(text, k=1)
    if not faqs or faqs[0].confidence < max(FAQ_ANSWER_THRESHOLD, candidates_at):
        return False
    faq = faqs[0].faq
    searched = searched_text(knowledge, text)
    written = knowledge.normalise(f"{faq.q}{faq.a}")
    if any(d not in written for d in document_terms(knowledge, searched, naming_terms(knowledge, searched))):
        # «领结婚证要提前预约吗» is not answered by «办证件要提前预约吗» about 出入境证件.
        return False
    asked = knowledge.normalise(searched)
    if any(d not in asked for d in document_terms(knowledge, faq.q, naming_terms(knowledge, faq.q))):
        # «社保卡搞丢了» is not «社保卡和身份证都丢了怎么办»: the pair is about another case.
        return False
    dispatcher.utter_message(
        text=f"【常见问题】{faq.q}\n{faq.a}\n如需了解具体事项，请告诉我事项名称，例如“补办身份证”。",
        json_message=Faq(faq_id=faq.id, area=faq.area, confidence=faqs[0].confidence).dump(),
    )
    return True


class ActionAnswerQuestion(Action):
    """Every question about a service item, and the intents that may hide one (a message DIET
    calls out of scope or small talk is answered when it plainly names an item)."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        knowledge = knowledge_or_apology(dispatcher)
        if knowledge is None:
            return []
        turn = current_turn(tracker)
        if turn.intent in NON_QUESTION_REPLIES and ASKS_FOR_PERSON.search(turn.text):
            # «有没有活人在 喂喂» (DIET: a greeting): a person asked for in so many words.
            return hand_to_person(dispatcher, tracker, turn.text, named=False)
        if turn.intent in ("goodbye", "thanks") and only_closes(turn.text):
            # «明白了，谢谢» after three buttons picks none of them, and «知道了» asks nothing of
            # the item just answered: nothing for retrieval to read.
            return reply_to_non_question(dispatcher, turn, Decision(Outcome.ask_item, QuestionType.overview))
        text = turn.text
        question = question_for(turn)

        decision = resolver(knowledge).decide(turn)
        place = find_place(tracker, knowledge)
        if place is not None and question in PLACE_QUESTIONS and decision.how != "named":
            # «车管所几点上班»: the hall's own hours, unless the message names an item
            # («车管所周六能去把到期的驾照换了吗» asks about 驾驶证换领 there).
            dispatcher.utter_message(
                text=render_place(place, question),
                json_message=Place(place_id=place.id, question=question.value).dump(),
            )
            return list(RESET_FALLBACK)
        if turn.intent in NON_QUESTION_REPLIES and not outweighs_intent(turn, decision):
            return reply_to_non_question(dispatcher, turn, decision)
        if decision.outcome is Outcome.answer and decision.item is not None:
            return answer_item(dispatcher, tracker, knowledge, decision.item, decision.question)
        offered_at = decision.confidence if decision.outcome is Outcome.clarify else 0.0
        if decision.outcome is not Outcome.ask_item and answer_from_faq(
            dispatcher, knowledge, text, offered_at
        ):
            return list(RESET_FALLBACK)
        if decision.outcome is Outcome.clarify:
            return offer_candidates(dispatcher, decision)
        if decision.outcome is Outcome.honest_no:
            return say_honest_no(dispatcher, decision)
        if int(tracker.get_slot("fallback_count") or 0) >= 1:
            dispatcher.utter_message(
                text=NOT_FOUND_AGAIN,
                json_message=handoff_payload(
                    HandoffReason.low_confidence, classify_area(text, tracker), tracker, text
                ),
            )
            return list(RESET_FALLBACK)
        dispatcher.utter_message(text=NO_ITEM_FOUND, json_message=AskItem().dump())
        return [SlotSet("fallback_count", 1)]


# Words that close a conversation or thank: a goodbye or thanks DIET reads without any of
# them is a message about the matter discussed.
_CLOSING = re.compile(
    "再见|拜拜|拜|88|谢|辛苦|没(有)?(别的|其他)?(问题|事)了|没了|好的|好吧|行|知道了|明白了|了解了|懂了|"
    "ok|嗯|好嘞|先这样|就这样|可以了|清楚了|收到|麻烦(你|您)?了|thanks?|thx",
    re.IGNORECASE,
)
# What is left of a closing once its words are gone: punctuation, particles, «你».
_CLOSING_FILLER = re.compile(r"[\s\W_啊呀哈啦了的吧哦噢呢哟嘛你您们哈哈]+")


def only_closes(text: str) -> bool:
    """«知道了，谢谢», «好的谢谢你», «明白了»: nothing but the words of a closing."""
    return _CLOSING.search(text) is not None and not _CLOSING_FILLER.sub("", _CLOSING.sub("", text))


# Decisions the conversation makes certain enough to stand against DIET's «not a question»:
# a name written out, a candidate picked in words or found with the question it answers, «那X呢»
# read in the frame of the question before.
_OUTWEIGH_ANY_INTENT = frozenset({"named", "with_previous", "picked_by_meaning", "variant", "sibling"})


def outweighs_intent(turn: Turn, decision: Decision) -> bool:
    """A message DIET took for small talk, a goodbye or something out of scope that the
    conversation shows to be a question: «原来那张丢了» after «which card?», «房东不配合，我一个
    租客自己能去办吗» about the item just answered. A word or two picked out of the candidates
    («好的») or a follow-up without a question cue («知道了») stays the intent's reply, and so
    do candidates for anything but a question DIET calls out of scope (a matter the guide
    lacks, «烟草零售许可证咋办», is an honest no before candidates are found)."""
    if decision.outcome is Outcome.clarify and decision.how == "candidates":
        # «卖吃的要办的那个证怎么办»: candidates that every noun of a question is written for
        # (a noun the guide never writes is an honest no before this) outweigh «out of scope».
        # So do they for «那X呢» after a question («那老大读高一 高中的呢»): the question stands.
        # So do they for a question that ends in thanks («…注销户口需要带哪些东西呢 麻烦您了 谢谢»).
        asks = question_cue(turn.text) is not None or asks_again(turn)
        closes = turn.intent in ("goodbye", "thanks") and not only_closes(turn.text)
        return (turn.intent == "out_of_scope" or closes) and asks
    if decision.outcome is Outcome.honest_no and turn.intent in ("goodbye", "thanks"):
        # «…继承公证怎么办理呀 麻烦您了 谢谢»: a matter the guide lacks, asked politely.
        return (
            not only_closes(turn.text)
            and question_cue(turn.text) is not None
            and bool(naming_part(turn.text))
        )
    if decision.outcome is not Outcome.answer:
        return False
    if decision.how in _OUTWEIGH_ANY_INTENT:
        return True
    if turn.intent in ("goodbye", "thanks") and not _CLOSING.search(turn.text):
        # «就个体户，夫妻店» (DIET: goodbye) says nothing that closes a conversation: it tells
        # the case of the item discussed.
        return True
    if decision.how == "picked":
        return tells_what_happened(turn.text) or (
            turn.intent != "goodbye" and len(naming_part(turn.text)) > 3
        )
    return decision.how in ("follow_up", "earlier") and question_cue(turn.text) is not None


def asks_again(turn: Turn) -> bool:
    """«那X呢» in a conversation that asked something before: the same question about X.
    Without a question before, «今天股市行情怎么样» asks nothing of the guide."""
    return turn.last_question is not None and keeps_question(turn.text)


def reply_to_non_question(
    dispatcher: CollectingDispatcher, turn: Turn, decision: Decision
) -> list[EventType]:
    """The usual reply to a goodbye, small talk or an out-of-scope message, marked for channels
    and `make eval`. An out-of-scope message with a question cue is a government matter the
    guide lacks («结婚证在哪办», «那电动车上牌呢» after another question), which deserves an
    honest no rather than «not my job» — when retrieval found anything near it at all (a
    maths problem is still out of scope)."""
    if (
        turn.intent == "out_of_scope"
        and (question_cue(turn.text) is not None or asks_again(turn))
        and naming_part(turn.text)
        and decision.confidence >= HONEST_NO_FLOOR
    ):
        if decision.referral is not None:  # «劳动仲裁咋申请»: the guide lacks it; who handles it
            return say_honest_no(dispatcher, decision)
        dispatcher.utter_message(
            text=HONEST_NO,
            buttons=[{"title": "转人工", "payload": "/request_human"}],
            json_message=HonestNo().dump(),
        )
        return [SlotSet(SLOT, None), SlotSet(CANDIDATES_SLOT, None)]
    for response in NON_QUESTION_REPLIES[turn.intent or "out_of_scope"]:
        if response == ASK_RATING:
            dispatcher.utter_message(text=RATING_PROMPT, buttons=rating_buttons())
            continue
        marker = OutOfScope().dump() if turn.intent in ("out_of_scope", "chitchat") else None
        dispatcher.utter_message(response=response, json_message=marker)
    return []


# Words of a real complaint, suggestion or request for a person: such a message is never
# answered as a question, whatever else it names.
FEEDBACK_WORDS = re.compile(
    # «医生建议在家休养» passes on someone else's advice; it is not the citizen's suggestion.
    "投诉|投述|举报|反映|态度|乱收费|不作为|刁难|推诿|差评|不满|意见|(?<!医生)(?<!大夫)(?<!老师)(?<!单位)建议|"
    "太慢|(?<![头板司位东业介商])(?<![头板司位东业介商]一直)(?<![头板司位东业介商]总是)拖着不|骗|违规|违法|曝光|"
    # «两个人工资都不高»: 人|工资, not a person asked for
    "人工(?!资)|真人|活人|工作人员|客服|转接|找个人|找人工|叫个人|叫人出来|来个人|出来管管|管一管|管管"
)


# Venting without the word 投诉 («转了三个人…真服了», «来回跑了四趟 太折腾人了»): a complaint
# too, unless it asks how to complain to the item that takes complaints.
VENTING = re.compile(
    "服了|折腾|屁用|管不管|没人管|没人理|不归.{0,4}管|踢皮球|推来推去|白跑|跑了.{1,2}趟|"
    "挂(了|我)(的)?电话|电话.{0,3}挂了|(给|把)我挂了|气死|气人|糊弄|敷衍|无语|离谱|坑人|"
    "什么破|破(效率|系统|服务|地方)|效率(太|真|也太)?(低|差)|"
    # «打电话也没人接 你们就是这样办事的？»
    "(电话|打了)[^，。？?,\\s]{0,4}没人接|(就是|都是)这样办事|这么办事|怎么办事的"
)


def question_in_disguise(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """A question DIET took for a complaint, suggestion or request for a person («老家宅基地
    上盖的房子没有证，想办个不动产证怎么弄»): answered (or candidates offered) when the wording
    asks something, names an item and has no word of a complaint; told honestly that the guide
    lacks it when it asks about a matter the guide does not hold; None otherwise."""
    text = tracker.latest_message.get("text") or ""
    turn = current_turn(tracker)
    asks = question_cue(text) is not None or keeps_question(text) or states_a_wish(text)
    # «开发商刚交房的新房» answers «which one?»: no question of its own, and no complaint; nor
    # is «我自己拉货 没单位» told about the item being discussed (a complaint has its words).
    if not asks and not turn.offered and not turn.current_item:
        return None
    try:
        knowledge = knowledge_provider.current()
    except knowledge_provider.KnowledgeUnavailableError:
        return None
    decision = resolver(knowledge).decide(turn)
    # «统计建议提案办理情况查询需要什么材料»: words of the item's own name are no complaint, nor
    # is asking how to file one with the item that takes it («出租车绕路多收钱，怎么投诉他»).
    rest = without_names(text, decision.item) if decision.item else text
    # «…约不上，我要投诉» files a complaint, whichever item takes complaints.
    names = "；".join(decision.item.names) if decision.item and not files_a_complaint(text) else ""
    if any(found.group() not in names for found in FEEDBACK_WORDS.finditer(rest)):
        return None
    if VENTING.search(rest) and "投诉" not in names:
        return None
    if (decision.how in SETTLED_BY_CONVERSATION or decision.how in ITEM_KNOWN) and decision.item is not None:
        return answer_item(dispatcher, tracker, knowledge, decision.item, decision.question)
    if asks and decision.outcome is Outcome.clarify and decision.how == "candidates":
        return offer_candidates(dispatcher, decision)
    if (
        (question_cue(text) is not None or (asks and decision.referral is not None))
        and decision.outcome is Outcome.honest_no
        and decision.confidence >= HONEST_NO_FLOOR
        # a long story is read better by a person, unless its asking clause names a matter
        # the guide lacks
        and (len(naming_part(text)) <= STORY_NAMING or decision.referral is not None)
    ):
        # «老小区加装电梯有补贴吗» asks about a matter the guide lacks: the honest no (which
        # still offers a person), not a suggestion filed in the citizen's name. A long message
        # tells circumstances retrieval reads poorly; a person reads it better.
        return say_honest_no(dispatcher, decision)
    return None
