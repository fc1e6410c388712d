"""The handoff request an action hands to the gateway: a channel-neutral custom payload
(`json_message`) that the gateway turns into a ticket in the right area's queue.

Rasa never talks to staff or channels itself; it only says «a person should take this, for
this reason, in this area», with what it knows (item, question, description).
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import knowledge_provider
from bot.actions.intents import INTENT_QUESTIONS, latest_intent
from bot.area_classifier import AreaPrediction, named_area
from bot.contracts.areas import Area
from bot.contracts.replies import HandoffRequest
from bot.contracts.tickets import HandoffReason
from knowledge.schema import ServiceItem

__all__ = ["ASKS_FOR_PERSON", "HandoffReason", "classify_area", "hand_to_person", "handoff_payload"]

# Below this the classifier's area gives way to the area of the item being discussed.
CONFIDENT_AREA = 0.6
# Slots worth passing on to staff (the form's bookkeeping is not).
HANDOFF_SLOTS = ("service_item", "place", "area", "feedback_kind", "feedback_description")


def classify_area(text: str, tracker: Tracker, item: ServiceItem | None = None) -> AreaPrediction:
    """The area the citizen names (entity or word), else the item's when the question is
    about a known item, else the classifier's, else the area of the item being discussed,
    else `other`."""
    for value in tracker.get_latest_entity_values("area"):
        try:
            return AreaPrediction(Area(str(value)), 1.0, explicit=True)
        except ValueError:
            continue
    if item is not None:
        return AreaPrediction(item.area, 1.0)
    classifier = knowledge_provider.area_classifier()
    discussed = _discussed_area(tracker)
    if classifier is not None and text.strip():
        predicted = classifier.predict(text)  # an area named outright included
        # «我要投诉你们窗口» right after a question about 企业变更: the text says little, the
        # conversation says which area.
        # «我交了快一个月了都没消息…我要投诉» after 食品经营许可: «other» only says the words
        # name no area; the conversation does.
        general = predicted.area is Area.other
        confident = predicted.confidence >= CONFIDENT_AREA and not general
        if predicted.explicit or discussed is None or confident:
            return predicted
        return discussed
    named = named_area(text)
    if named is not None:
        return AreaPrediction(named, 1.0, explicit=True)
    return discussed or AreaPrediction(Area.other, 0.0)


def _discussed_area(tracker: Tracker) -> AreaPrediction | None:
    """The area of the item the conversation is about, or else of the candidates just offered
    when they share one («居住证申请了一个多月还没拿到» was offered 居住证申领; «派出所一直说等通知
    …给我转人工» is about it)."""
    item_id = tracker.get_slot("service_item")
    ids = [item_id] if item_id else list(tracker.get_slot("candidates") or [])
    try:
        knowledge = knowledge_provider.current()
    except knowledge_provider.KnowledgeUnavailableError:
        return None
    areas = {item.area for item in map(knowledge.resolve, map(str, ids)) if item is not None}
    return AreaPrediction(areas.pop(), 0.5) if len(areas) == 1 else None


# Asking for a person in so many words, whatever DIET reads («有没有活人在 喂喂»).
ASKS_FOR_PERSON = re.compile(
    "转人工|人工客服|人工服务|找人工|要人工|接人工|真人|活人|(找|要|叫|转|换)(个|一个)?(工作人员|客服)"
)


def hand_to_person(
    dispatcher: CollectingDispatcher, tracker: Tracker, text: str, named: bool
) -> list[EventType]:
    """Hand the conversation to a person; `named` says whether the text names a matter to
    route by (else the conversation's area, or the general queue)."""
    area = classify_area(text if named else "", tracker)
    dispatcher.utter_message(
        text="好的，正在为您转接人工服务，您的咨询记录会一并转给工作人员，不用重复说明。",
        json_message=handoff_payload(HandoffReason.request_human, area, tracker, text),
    )
    return []


def handoff_payload(
    reason: HandoffReason, area: AreaPrediction, tracker: Tracker, description: str = ""
) -> dict[str, Any]:
    intent = latest_intent(tracker)
    question = INTENT_QUESTIONS.get(intent or "")
    return HandoffRequest(
        reason=reason,
        area=area.area,
        area_confidence=area.confidence,
        area_named_by_citizen=area.explicit,
        description=description,
        service_item=tracker.get_slot("service_item"),
        intent=intent,
        question_type=question.value if question is not None else None,
        slots={name: tracker.get_slot(name) for name in HANDOFF_SLOTS if tracker.get_slot(name)},
    ).dump()
