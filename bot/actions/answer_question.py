"""Answer a question about a service item from the knowledge base.

The item comes, in order, from the entity in this message, a name or alias written in the
message, or the `service_item` slot (so 「那要多少钱」 refers to the item asked about last).
Without an item the citizen is asked which one, with the best candidates as buttons.
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import knowledge_provider
from bot.actions.handoff import HandoffReason, classify_area, handoff_payload
from bot.actions.intents import INTENT_QUESTIONS, latest_intent, question_of
from knowledge.render import QUESTION_LABELS, QuestionType, has_answer, render_answer, render_place
from knowledge.schema import ServiceItem, ServicePlace
from knowledge.search import CLARIFY_THRESHOLD, FAQ_ANSWER_THRESHOLD, KnowledgeBase

SLOT = "service_item"
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
NOT_FOUND_AGAIN = "抱歉，还是没有找到与您的问题相符的事项，正在为您转接人工服务。"
KNOWLEDGE_DOWN = "抱歉，办事指南暂时无法查询，请稍后再试，或拨打 12345 政务服务便民热线咨询。"


def follow_up_buttons(item: ServiceItem, asked: QuestionType) -> list[dict[str, str]]:
    """«要多少钱 / 在哪里办 / 要多久» for the item just answered (payloads name the item, so
    a click is understood whatever was said in between)."""
    intents = {question: intent for intent, question in INTENT_QUESTIONS.items()}
    questions = [q for q in FOLLOW_UP_ORDER if q != asked][:FOLLOW_UP_COUNT]
    slot = json.dumps({SLOT: item.id}, ensure_ascii=False)
    return [{"title": QUESTION_LABELS[q], "payload": f"/{intents[q]}{slot}"} for q in questions]


def find_item(tracker: Tracker, knowledge: KnowledgeBase) -> ServiceItem | None:
    for value in tracker.get_latest_entity_values(SLOT):
        item = knowledge.resolve(str(value))
        if item is not None:
            return item
    hits = knowledge.match_names(tracker.latest_message.get("text") or "")
    if hits:
        return hits[0].item
    slot_value = tracker.get_slot(SLOT)
    return knowledge.resolve(str(slot_value)) if slot_value else None


def candidate_buttons(intent: str, text: str, knowledge: KnowledgeBase) -> list[dict[str, str]]:
    hits = [h for h in knowledge.search(text, k=3) if h.confidence >= CLARIFY_THRESHOLD]
    return [
        {"title": hit.item.name, "payload": f"/{intent}{json.dumps({SLOT: hit.item.id}, ensure_ascii=False)}"}
        for hit in hits
    ]


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
    dispatcher.utter_message(
        text=render_answer(item, question, places),
        buttons=follow_up_buttons(item, question),
        json_message={
            "type": "answer",
            "item_id": item.id,
            "area": item.area.value,
            "question": question.value,
            "source": item.source,
            "last_verified": item.last_verified.isoformat(),
        },
    )
    if not has_answer(item, question, places):
        text = tracker.latest_message.get("text") or ""
        dispatcher.utter_message(
            text=UNANSWERED,
            json_message=handoff_payload(
                HandoffReason.unanswered, classify_area(text, tracker, item), tracker, text
            ),
        )
    return [SlotSet(SLOT, item.id), *RESET_FALLBACK]


def find_place(tracker: Tracker, knowledge: KnowledgeBase) -> ServicePlace | None:
    """A hall named in this message («车管所几点上班»); only the latest message counts."""
    for value in tracker.get_latest_entity_values("place"):
        place = knowledge.resolve_place(str(value))
        if place is not None:
            return place
    return None


def answer_from_faq(dispatcher: CollectingDispatcher, knowledge: KnowledgeBase, text: str) -> bool:
    """Answer from a loose FAQ pair when retrieval is confident; False when it is not."""
    faqs = knowledge.search_faqs(text, k=1)
    if not faqs or faqs[0].confidence < FAQ_ANSWER_THRESHOLD:
        return False
    faq = faqs[0].faq
    dispatcher.utter_message(
        text=f"【常见问题】{faq.q}\n{faq.a}\n如需了解具体事项，请告诉我事项名称，例如“补办身份证”。",
        json_message={
            "type": "faq",
            "faq_id": faq.id,
            "area": faq.area.value,
            "confidence": faqs[0].confidence,
        },
    )
    return True


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = latest_intent(tracker) or "ask_overview"
        question = question_of(intent)
        knowledge = knowledge_or_apology(dispatcher)
        if knowledge is None:
            return []
        text = tracker.latest_message.get("text") or ""

        place = find_place(tracker, knowledge)
        if (
            place is not None
            and question in PLACE_QUESTIONS
            and not (list(tracker.get_latest_entity_values(SLOT)) or knowledge.match_names(text))
        ):
            dispatcher.utter_message(
                text=render_place(place, question),
                json_message={"type": "place", "place_id": place.id, "question": question.value},
            )
            return list(RESET_FALLBACK)

        item = find_item(tracker, knowledge)
        if item is not None:
            return answer_item(dispatcher, tracker, knowledge, item, question)
        if answer_from_faq(dispatcher, knowledge, text):
            return list(RESET_FALLBACK)
        buttons = candidate_buttons(intent, text, knowledge)
        if buttons:
            dispatcher.utter_message(text=ASK_WHICH_ITEM, buttons=buttons)
            return []
        if int(tracker.get_slot("fallback_count") or 0) >= 1:
            dispatcher.utter_message(
                text=NOT_FOUND_AGAIN,
                json_message=handoff_payload(
                    HandoffReason.low_confidence, classify_area(text, tracker), tracker, text
                ),
            )
            return list(RESET_FALLBACK)
        dispatcher.utter_message(text=NO_ITEM_FOUND)
        return [SlotSet("fallback_count", 1)]
