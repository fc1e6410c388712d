"""The message mix every benchmark target replays: short, realistic conversations.

Citizens ask about a real item (the held-out evaluation questions, so the mix covers every
area and the knowledge base is really searched), follow up on it, greet, thank, and now and
then ask for a person or complain. Scripts are drawn with a fixed seed, so every target in a
run, and every run, replays exactly the same turns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from knowledge.evaluate import load_questions

GREETINGS = ("你好", "您好，想咨询一下", "在吗")
FOLLOW_UPS = ("那要多少钱", "在哪里办", "要多久能办好", "需要带什么材料", "可以网上办吗", "办理流程是怎样的")
CLOSINGS = ("谢谢", "好的，谢谢你", "再见")
HANDOFFS = ("我要人工", "转人工客服", "我要投诉出租车司机绕路多收钱", "建议大厅周末也开放")
HANDOFF_SHARE = 0.1


@dataclass(frozen=True)
class Conversation:
    turns: tuple[str, ...]


def conversation_mix(count: int, seed: int = 2026) -> list[Conversation]:
    """`count` conversations of 2–6 turns each (about 4 on average)."""
    rng = random.Random(seed)
    questions = [question for _, question, _ in load_questions()]
    mix = []
    for _ in range(count):
        turns: list[str] = []
        if rng.random() < 0.3:
            turns.append(rng.choice(GREETINGS))
        turns.append(rng.choice(questions))
        turns += rng.sample(FOLLOW_UPS, rng.randint(1, 2))
        if rng.random() < HANDOFF_SHARE:
            turns.append(rng.choice(HANDOFFS))
        elif rng.random() < 0.5:
            turns.append(rng.choice(CLOSINGS))
        mix.append(Conversation(tuple(turns)))
    return mix
