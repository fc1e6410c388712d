"""What the latest message asked: its intent and the question type that intent stands for.

Shared by every action (answering, fallback, handoff), so it lives apart from all of them."""

from __future__ import annotations

from rasa_sdk import Tracker

from knowledge.render import QuestionType

INTENT_QUESTIONS: dict[str, QuestionType] = {
    "ask_materials": QuestionType.materials,
    "ask_fee": QuestionType.fee,
    "ask_steps": QuestionType.steps,
    "ask_location": QuestionType.location,
    "ask_time_limit": QuestionType.time_limit,
    "ask_hours": QuestionType.hours,
    "ask_eligibility": QuestionType.eligibility,
    "ask_online": QuestionType.online,
    "ask_contact": QuestionType.contact,
    "ask_overview": QuestionType.overview,
    "ask_benefit": QuestionType.benefit,
    "ask_record": QuestionType.record,
}
QUESTION_INTENTS: dict[QuestionType, str] = {
    question: intent for intent, question in INTENT_QUESTIONS.items()
}


def intent_of(question: QuestionType) -> str:
    """The intent a button sends to ask `question` (the inverse of INTENT_QUESTIONS)."""
    return QUESTION_INTENTS[question]


def latest_intent(tracker: Tracker) -> str | None:
    name = (tracker.latest_message.get("intent") or {}).get("name")
    return str(name) if name else None


def question_of(intent: str | None) -> QuestionType:
    return INTENT_QUESTIONS.get(intent or "", QuestionType.overview)
