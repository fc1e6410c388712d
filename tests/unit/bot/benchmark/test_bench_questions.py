"""The benchmark's citizens (bot/benchmark/questions.py, conversations.py): thousands of
distinct first questions, none repeated in a run, the same ones on every run, drawn from the
evaluation's dev split and never from its test split."""

from __future__ import annotations

import itertools

import pytest

from bot.benchmark.conversations import GREETINGS, conversation_stream
from bot.benchmark.questions import QuestionPool, eval_questions, follow_up_forms
from bot.evaluation.e2e import load_split

pytestmark = pytest.mark.benchmark


def first_questions(seed: int, count: int) -> list[str]:
    stream = conversation_stream(seed)
    return [next(t for t in c.turns if t not in GREETINGS) for c in itertools.islice(stream, count)]


def test_a_run_never_repeats_a_first_question_and_every_run_draws_the_same() -> None:
    firsts = first_questions(2026, 3000)
    assert len(set(firsts)) == 3000
    assert first_questions(2026, 200) == firsts[:200]
    assert first_questions(7, 200) != firsts[:200]


def test_the_pool_mixes_evaluation_paraphrases_item_names_and_situations() -> None:
    pool = QuestionPool(seed=1)
    drawn = [pool.draw() for _ in range(1500)]
    assert len(set(drawn)) == 1500
    dev = eval_questions()
    from_dev = [text for text in drawn if any(core in text for core in dev)]
    assert 0.3 < len(from_dev) / len(drawn) < 0.5  # its share is 0.4
    # Exactly the dev split's singles and dialogue openings: nothing of the test split's own.
    split = load_split("dev")
    openings = [single.text for _, single in split.singles] + [d.turns[0].text for d in split.dialogues]
    assert set(dev) == {text.strip().rstrip("？?。！!，, ") for text in openings}


def test_follow_ups_come_in_hundreds_of_forms() -> None:
    forms = follow_up_forms()
    assert len(forms) == len(set(forms)) > 500
    assert "那要多少钱" in forms and "那那要多少钱" not in forms
