"""The five 好差评 levels of a satisfaction rating, defined once for the rating buttons, the
follow-up list and the reports. 不满意 and 非常不满意 are 差评: each opens a follow-up task."""

from __future__ import annotations

import re

SATISFACTION_LEVELS: dict[int, str] = {
    5: "非常满意",
    4: "满意",
    3: "基本满意",
    2: "不满意",
    1: "非常不满意",
}
RATING_SCORES = tuple(sorted(SATISFACTION_LEVELS))
BAD_SCORES = frozenset({1, 2})
RATING_PROMPT = "请为本次服务打个分吧（1 分最低，5 分最高）："


def rating_buttons() -> list[dict[str, str]]:
    """The buttons of the rating question, best first; payloads as in the domain's
    `utter_ask_rating`, so Rasa reads a press exactly as before."""
    return [
        {"title": f"{score} 分 {label}", "payload": f'/rate_service{{"rating": "{score}"}}'}
        for score, label in SATISFACTION_LEVELS.items()
    ]


# 追评: pressed in the citizen's conversation after a follow-up task reaches 已整改; read by the
# gateway itself (not Rasa), so the payload names the task.
SECOND_RATING_PROMPT = "您之前反映的问题已整改完毕。请对整改结果再评价一次（只需评价一次）："
SECOND_RATING = re.compile(r'^/follow_up_rating\{"follow_up": (\d{1,18}), "rating": "([1-5])"\}$')


def second_rating_buttons(task_id: int) -> list[dict[str, str]]:
    return [
        {
            "title": f"{score} 分 {label}",
            "payload": f'/follow_up_rating{{"follow_up": {task_id}, "rating": "{score}"}}',
        }
        for score, label in SATISFACTION_LEVELS.items()
    ]
