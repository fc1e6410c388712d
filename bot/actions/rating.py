"""The 1–5 satisfaction rating asked for at the end of a conversation. The action emits it as
a custom payload; the gateway stores it with the conversation (supervisors report on it)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.answer_question import ActionAnswerQuestion
from bot.actions.question_cues import naming_part
from bot.contracts.replies import Rating
from bot.ratings import BAD_SCORES, SATISFACTION_LEVELS
from knowledge.chinese import to_simplified

_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
# Longest phrases first, so 非常不满意 is not read as 满意.
_WORDS: tuple[tuple[str, int], ...] = (
    ("非常不满意", 1),
    ("很不满意", 1),
    ("特别不满意", 1),
    ("差评", 1),
    ("不太满意", 2),
    ("不满意", 2),
    ("非常满意", 5),
    ("很满意", 5),
    ("特别满意", 5),
    ("挺满意", 5),
    ("好评", 5),
    ("比较满意", 4),
    ("还算满意", 4),
    ("基本满意", 3),
    ("满意", 4),
    ("一般", 3),
    ("还行", 3),
    ("凑合", 3),
)
_ANY_SCORE = re.compile(r"([1-5一二两三四五])")
_SCORE_IN_TEXT = re.compile(r"([1-5一二两三四五])\s*(?:分|星|颗)|^\s*([1-5])\s*$")
ASK_AGAIN = "请回复 1 到 5 的数字为本次服务打分（5 分最满意）。"


def _digit(match: re.Match[str]) -> int:
    digit = next(group for group in match.groups() if group)
    return int(digit) if digit.isdigit() else _DIGITS[digit]


def rating_score(entity_values: list[str], text: str) -> int | None:
    """The score from the `rating` entity, else «N分/N星» or a bare digit, else the words."""
    for value in entity_values:
        found = _ANY_SCORE.search(to_simplified(value))
        if found:
            return _digit(found)
    simplified = to_simplified(text)
    found = _SCORE_IN_TEXT.search(simplified)
    if found:
        return _digit(found)
    return next((score for phrase, score in _WORDS if phrase in simplified), None)


def thanks_for(score: int) -> str:
    """The reply to a rating, naming its 好差评 level; a 差评 is promised a call back (the
    gateway opens the follow-up task as it stores the rating)."""
    thanks = f"感谢您的评价（{score} 分，{SATISFACTION_LEVELS[score]}）！"
    if score in BAD_SCORES:
        return thanks + "很抱歉这次没能让您满意，工作人员会尽快回访了解情况并改进。"
    return thanks + "我们会继续改进服务。"


class ActionStoreRating(Action):
    def name(self) -> str:
        return "action_store_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        values = [str(v) for v in tracker.get_latest_entity_values("rating")]
        text = tracker.latest_message.get("text") or ""
        score = rating_score(values, text)
        if score is None and naming_part(text):
            # No score in it at all («还房贷» typed to choose among 公积金 candidates): DIET's
            # «rating» guess was wrong, and the message is read as any other question.
            return await ActionAnswerQuestion().run(dispatcher, tracker, domain)
        if score is None:
            dispatcher.utter_message(text=ASK_AGAIN)
            return []
        dispatcher.utter_message(text=thanks_for(score), json_message=Rating(score=score).dump())
        return []
