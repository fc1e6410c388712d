"""Complaints, suggestions and requests for a person: collect a short description when the
first message has none, classify the area, and emit the handoff request.

A message like «我要投诉» says nothing yet, so the feedback form asks what happened; a message
like «投诉出租车司机绕路多收钱» already does, so the form starts filled and submits at once.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import knowledge_provider
from bot.actions.answer_question import FEEDBACK_WORDS, STORY_NAMING, VENTING, question_in_disguise
from bot.actions.handoff import classify_area, hand_to_person, handoff_payload
from bot.actions.intents import latest_intent
from bot.actions.question_cues import files_a_complaint, naming_part
from bot.area_classifier import AREA_TERMS_LONGEST_FIRST
from bot.contracts.areas import AREA_LABELS
from bot.contracts.tickets import HandoffReason
from knowledge.chinese import to_simplified
from knowledge.schema import ServiceItem

MIN_DESCRIPTION_CHARS = 6
KIND_NAMES = {HandoffReason.complaint: "投诉", HandoffReason.suggestion: "建议"}

# Words that announce feedback without describing anything («我要投诉交通方面的问题»).
_ANNOUNCEMENTS = re.compile(
    "|".join(
        [
            "我(?:要|想|想要)?(?:再)?(?:投诉|投述|举报|反映|反应|提|提个|提一个|给个|有个|有一个)(?:一下)?(?:建议|意见|问题)?",
            "投诉|投述|举报|建议|意见|反映|问题|情况|事情|一下|这块|这方面|方面|关于|有关|的|了|吧|啊|呢",
            # Asking for a person says nothing of the matter («找个人工跟我说», «转个客服聊聊»).
            "(?:找|转|换|接|要|叫)?(?:个|一个)?(?:人工|真人|客服|工作人员|活人)(?:服务)?",
            "(?:跟|和|给)?我(?:说|聊|讲)(?:说|聊|一下)?|聊聊|说说|你们|帮我|我要|我想",
            "[，。！？,.!?、：:；;\\s]",
        ]
    )
)
_CANCEL = re.compile(r"^(?:算了|取消|不用了|不投诉了|不提了|没事了|没有了|不了)[。！!.，,]*$")


# Words only a complaint uses: a message DIET is unsure of that says one of them and asks
# nothing is a complaint, never a guess at the item it mentions («举报…套取职业培训补贴»).
_COMPLAINT = re.compile("投诉|投述|举报|曝光|乱收费|不作为|刁难|推诿|差评|好处费|索贿")


def states_a_complaint(text: str) -> bool:
    """A complaint with something in it: a complaint word and a description."""
    return bool(_COMPLAINT.search(to_simplified(text))) and describes_something(text)


def complains_about(text: str, item: ServiceItem | None) -> bool:
    """A complaint with something in it («举报有家中介用假材料骗领技能提升补贴»), unless it asks
    how to file one with the item that takes such complaints («出租车司机绕路多收我钱，怎么投诉
    他» and 城市公共交通和出租汽车服务投诉处理)."""
    if not states_a_complaint(text):
        return False
    if item is None or files_a_complaint(text):
        return True
    names = "；".join(item.names)
    return any(word not in names for word in _COMPLAINT.findall(to_simplified(text)))


def _left_over(text: str) -> str:
    """What the message says beyond announcing feedback, asking for a person and naming an area."""
    rest = to_simplified(text)
    for word, _ in AREA_TERMS_LONGEST_FIRST:
        rest = rest.replace(word, "")
    return _ANNOUNCEMENTS.sub("", rest)


def names_a_matter(text: str) -> bool:
    """A request for a person that says what it is about («学籍的事我要找人工»): worth routing
    by; «找个人工跟我说», «算了 你帮我转人工吧», «看着头大 我直接跟人说» are not. What is left
    beside the request must hold a word some item is named with (the area classifier picks
    an area for any words at all, and gave 就业 for «算了…»)."""
    simplified = to_simplified(text)
    if any(word in simplified for word, _ in AREA_TERMS_LONGEST_FIRST):
        return True
    rest = _left_over(text)
    if len(rest) < 2:
        return False
    try:
        knowledge = knowledge_provider.current()
    except knowledge_provider.KnowledgeUnavailableError:
        return True  # routed by the classifier, as before the guide's words were consulted
    words = knowledge.terms(naming_part(rest))  # «有没有» is in a name or two, and names nothing
    if any(len(term) >= 2 and knowledge.in_some_name(term) for term in words):
        return True
    # «车管所的事我要找人工»: a hall is no item's name, but says which staff the matter is for.
    return any(len(term) >= 2 and knowledge.resolve_place(term) is not None for term in knowledge.terms(rest))


def describes_something(text: str) -> bool:
    """True when the message says what happened, beyond announcing feedback and an area."""
    return len(_left_over(text)) >= MIN_DESCRIPTION_CHARS


# Below this DIET confidence, a complaint or suggestion without a single word of one is a guess.
UNSURE_FEEDBACK = 0.6


def unsure_without_feedback_words(tracker: Tracker) -> bool:
    """DIET is unsure, and a short message has no word of a complaint, a suggestion or venting
    (a long story still goes to a person, who reads it better than a guess)."""
    text = to_simplified(tracker.latest_message.get("text") or "")
    confidence = float((tracker.latest_message.get("intent") or {}).get("confidence") or 0.0)
    worded = FEEDBACK_WORDS.search(text) or VENTING.search(text) or _COMPLAINT.search(text)
    return confidence < UNSURE_FEEDBACK and not worded and len(naming_part(text)) <= STORY_NAMING


def _kind(tracker: Tracker) -> HandoffReason:
    value = tracker.get_slot("feedback_kind") or latest_intent(tracker)
    return HandoffReason.suggestion if value == "suggestion" else HandoffReason.complaint


def submit(dispatcher: CollectingDispatcher, tracker: Tracker, kind: HandoffReason, description: str) -> None:
    area = classify_area(description, tracker)
    summary = description if len(description) <= 60 else description[:60] + "…"
    dispatcher.utter_message(
        text=(
            f"已记录您的{KIND_NAMES[kind]}：「{summary}」，归入「{AREA_LABELS[area.area]}」领域，"
            "正在转交该领域的工作人员处理。"
        ),
        json_message=handoff_payload(kind, area, tracker, description),
    )


_CLEAR_FORM: tuple[EventType, ...] = (
    SlotSet("feedback_kind", None),
    SlotSet("feedback_description", None),
    SlotSet("requested_slot", None),
)


class ActionStartFeedback(Action):
    def name(self) -> str:
        return "action_start_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        answered = question_in_disguise(dispatcher, tracker)
        if answered is not None:
            # Not feedback after all: the form the rule starts next is skipped.
            return [*answered, FollowupAction("action_listen")]
        if unsure_without_feedback_words(tracker):
            # «我那个小店不想干了» (DIET: complaint 0.48) files nothing in the citizen's name:
            # it is a message not understood, which the fallback guesses at or asks again.
            return [FollowupAction("action_fallback")]
        kind = _kind(tracker)
        text = (tracker.latest_message.get("text") or "").strip()
        # Filled here, the form finds nothing to ask and hands over to submit at once.
        description = text if describes_something(text) else None
        return [SlotSet("feedback_kind", kind.value), SlotSet("feedback_description", description)]


class ActionSubmitFeedback(Action):
    """Runs when the form has the description."""

    def name(self) -> str:
        return "action_submit_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        description = str(tracker.get_slot("feedback_description") or "").strip()
        if not description or _CANCEL.match(description):
            dispatcher.utter_message(text="好的，已取消。如有其他问题随时问我。")
        else:
            submit(dispatcher, tracker, _kind(tracker), description)
        return list(_CLEAR_FORM)


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        answered = question_in_disguise(dispatcher, tracker)
        if answered is not None:
            return answered
        text = (tracker.latest_message.get("text") or "").strip()
        return hand_to_person(dispatcher, tracker, text, names_a_matter(text))
