"""The handoff request an action hands to the gateway: a channel-neutral custom payload
(`json_message`) that the gateway turns into a ticket in the right area's queue.

Rasa never talks to staff or channels itself; it only says «a person should take this, for
this reason, in this area», with what it knows (item, question, description).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from bot.actions import knowledge_provider
from bot.actions.intents import INTENT_QUESTIONS, latest_intent
from bot.area_classifier import AreaPrediction, named_area
from bot.contracts.areas import Area
from bot.contracts.replies import HandoffRequest
from bot.contracts.tickets import HandoffReason
from knowledge.schema import ServiceItem

__all__ = ["HandoffReason", "classify_area", "handoff_payload"]

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
    """The area of the item the conversation is about, if any."""
    item_id = tracker.get_slot("service_item")
    if not item_id:
        return None
    try:
        item = knowledge_provider.current().resolve(str(item_id))
    except knowledge_provider.KnowledgeUnavailableError:
        return None
    return AreaPrediction(item.area, 0.5) if item is not None else None


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
