"""The area classifier: trained from our own text, checked on real citizen messages when the
shared evaluation data is present (it is never copied into the repository)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.area_classifier import (
    AreaClassifier,
    AreaTrainingError,
    jsonl_examples,
    named_area,
    training_examples,
)
from bot.evaluation.areas import MESSAGES_FILE, load_messages
from bot.settings import REPO_ROOT, Settings
from knowledge.dense import embedder_for
from knowledge.schema import Area
from tests.conftest import make_settings

SHARED_MESSAGES = REPO_ROOT.parent / "shared" / "eval" / MESSAGES_FILE


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("areas") / "var")


@pytest.fixture(scope="module")
def classifier(settings: Settings) -> AreaClassifier:
    return AreaClassifier.train(training_examples(settings), embedder_for(settings.effective_embedding_cache))


@pytest.mark.parametrize(
    ("text", "area"),
    [("我要投诉交通方面的问题", Area.transport), ("对教育这块有意见", Area.education),
     ("社保卡丢了", None), ("出租车不打表", None)],
)  # fmt: skip
def test_an_area_named_outright_is_taken_as_said(text: str, area: Area | None) -> None:
    assert named_area(text) == area


@pytest.mark.parametrize(
    ("text", "area"),
    [("出租车司机绕路多收钱", Area.transport), ("公司三个月没发工资", Area.employment),
     ("小区楼下烧烤店噪音扰民到半夜", Area.other), ("医院挂号排了三个小时", Area.healthcare),
     ("開發商延期交房一年多了", Area.housing), ("孩子转学学籍一直转不过来", Area.education)],
)  # fmt: skip
def test_problems_are_routed_to_their_area(classifier: AreaClassifier, text: str, area: Area) -> None:
    prediction = classifier.predict(text)
    assert prediction.area == area
    assert 0.0 < prediction.confidence <= 1.0


def test_every_area_and_other_has_authored_examples(settings: Settings) -> None:
    examples = training_examples(settings)
    counts = {area: sum(1 for _, a in examples if a == area) for area in Area}
    assert min(counts.values()) >= 90, counts


def test_a_district_history_file_is_validated_by_line(tmp_path: Path) -> None:
    good = tmp_path / "history.jsonl"
    good.write_text('{"text": "公交站牌被撤", "area": "transport"}\n\n', encoding="utf-8")
    assert jsonl_examples(good) == [("公交站牌被撤", Area.transport)]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "area": "transport"}\n{"text": "b", "area": "traffic"}\n', encoding="utf-8")
    with pytest.raises(AreaTrainingError, match="第 2 行"):
        jsonl_examples(bad)


@pytest.mark.skipif(not SHARED_MESSAGES.exists(), reason="../shared/eval is not present")
def test_real_citizen_messages_are_routed_at_least_85_percent_right(classifier: AreaClassifier) -> None:
    """Real 问政 messages, none of them trained on (about 5–8% of their labels are noisy)."""
    messages = load_messages(SHARED_MESSAGES)
    predicted = [p.area for p in classifier.predict_many([m.text for m in messages])]
    named = [named_area(m.text) for m in messages]
    final = [n or p for n, p in zip(named, predicted, strict=True)]
    accuracy = sum(f == m.area for f, m in zip(final, messages, strict=True)) / len(messages)
    assert accuracy >= 0.85, json.dumps({"accuracy": accuracy})
