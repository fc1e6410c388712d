"""The message mix every benchmark target replays: short, realistic conversations.

Citizens ask about a real item (a paraphrase of an evaluation question or a question about an
item by one of its names or situations, `bot/benchmark/questions.py`: never the same first
question twice in a run), follow up on it in their own words, greet, thank, and now and then
ask for a person or complain. Conversations come from one seeded stream, so every target in a
run, and every run, replays exactly the same turns, and no two phases share a first question.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from bot.benchmark.questions import QuestionPool, follow_up_forms

GREETINGS = ("你好", "您好，想咨询一下", "在吗", "你好呀", "有人吗", "您好", "你好，打扰了", "早上好")
CLOSINGS = ("谢谢", "好的，谢谢你", "再见", "明白了，谢谢", "好的", "谢了", "知道了，谢谢")
HANDOFFS = (
    "我要人工",
    "转人工客服",
    "我要投诉出租车司机绕路多收钱",
    "建议大厅周末也开放",
    "找个真人",
    "人工服务",
)
HANDOFF_SHARE = 0.1


@dataclass(frozen=True)
class Conversation:
    turns: tuple[str, ...]


def conversation_stream(seed: int = 2026) -> Iterator[Conversation]:
    """An endless stream of conversations of 2–6 turns (about 4 on average), each opening
    with a first question not used before in the stream. The question pool is built here,
    not at the first `next()`: that takes seconds, and must not stall a running load."""
    rng = random.Random(seed)
    pool = QuestionPool(seed)
    follow_ups = follow_up_forms()

    def stream() -> Iterator[Conversation]:
        while True:
            turns: list[str] = []
            if rng.random() < 0.3:
                turns.append(rng.choice(GREETINGS))
            turns.append(pool.draw())
            turns += rng.sample(follow_ups, rng.randint(1, 2))
            if rng.random() < HANDOFF_SHARE:
                turns.append(rng.choice(HANDOFFS))
            elif rng.random() < 0.5:
                turns.append(rng.choice(CLOSINGS))
            yield Conversation(tuple(turns))

    return stream()
