"""The area classifier: trained from our own text, checked on real citizen messages when the
shared evaluation data is present (it is never copied into the repository)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from rasa_sdk import Tracker

from bot import area_classifier
from bot.actions import knowledge_provider
from bot.actions.handoff import classify_area
from bot.area_classifier import (
    AreaClassifier,
    AreaTrainingError,
    jsonl_examples,
    named_area,
    says_nothing_about_a_matter,
    training_examples,
)
from bot.contracts.areas import Area
from bot.evaluation.areas import MESSAGES_FILE, load_messages, split_holdout
from bot.settings import REPO_ROOT, Settings
from knowledge.search import KnowledgeBase
from tests.conftest import make_settings

SHARED_MESSAGES = REPO_ROOT.parent / "shared" / "eval" / MESSAGES_FILE


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("areas") / "var")


@pytest.fixture(scope="module")
def classifier(settings: Settings) -> AreaClassifier:
    # As shipped: our messages and catalog, no history; the one the run's gateways share
    # (tests/conftest.py), so the run trains it once.
    return area_classifier.open_area_classifier(settings)


@pytest.mark.parametrize(
    ("text", "area"),
    [("我要投诉交通方面的问题", Area.transport), ("对教育这块有意见", Area.education),
     ("社保卡丢了", None), ("出租车不打表", None)],
)  # fmt: skip
def test_an_area_named_outright_is_taken_as_said(text: str, area: Area | None) -> None:
    assert named_area(text) == area


@pytest.mark.model_scores
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


@pytest.mark.parametrize(
    "text",
    ["我要人工", "转人工", "你是机器人吗", "有人吗", "人工客服",
     "轉人工客服！", "在吗？", "怎么没人回复", "我要投诉"],
)  # fmt: skip
def test_a_request_for_a_person_with_no_matter_goes_to_the_general_queue(
    classifier: AreaClassifier, text: str
) -> None:
    assert says_nothing_about_a_matter(text)
    assert classifier.predict(text).area == Area.other
    assert classifier.predict_many([text, "公司三个月没发工资"])[0].area == Area.other


@pytest.mark.model_scores
@pytest.mark.parametrize(
    ("text", "area"),
    [("我要人工，社保卡丢了怎么补", Area.social_security), ("转学", Area.education),
     ("找工作", Area.employment), ("你好，公积金怎么提取", Area.housing)],
)  # fmt: skip
def test_a_matter_is_still_routed_when_a_person_is_asked_for(
    classifier: AreaClassifier, text: str, area: Area
) -> None:
    assert not says_nothing_about_a_matter(text)
    assert classifier.predict(text).area == area


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
def test_the_holdout_split_is_fixed_and_stratified() -> None:
    messages = load_messages(SHARED_MESSAGES)
    holdout, rest = split_holdout(messages)
    # The same 203 rows on every machine, as long as the file does not change.
    ids = ",".join(sorted(m.row_id for m in holdout))
    assert (len(holdout), hashlib.sha256(ids.encode()).hexdigest()[:16]) == (203, "a4bc4de3c4f13697")
    assert split_holdout(list(reversed(messages))) == (holdout[::-1], rest)  # order does not matter
    assert not {m.row_id for m in holdout} & {m.row_id for m in rest}
    assert len(holdout) + len(rest) == len(messages)
    for area in {m.area for m in messages}:
        total = sum(m.area == area for m in messages)
        assert sum(m.area == area for m in holdout) == round(0.3 * total)


@pytest.mark.model_scores
@pytest.mark.skipif(not SHARED_MESSAGES.exists(), reason="../shared/eval is not present")
def test_real_citizen_messages_are_routed_at_least_85_percent_right(classifier: AreaClassifier) -> None:
    """The fixed holdout of real 问政 messages, never trained or tuned on (about 5–8% of
    their labels are noisy)."""
    messages, _ = split_holdout(load_messages(SHARED_MESSAGES))
    predicted = [p.area for p in classifier.predict_many([m.text for m in messages])]
    named = [named_area(m.text) for m in messages]
    final = [n or p for n, p in zip(named, predicted, strict=True)]
    accuracy = sum(f == m.area for f, m in zip(final, messages, strict=True)) / len(messages)
    assert accuracy >= 0.85, json.dumps({"accuracy": accuracy})


@pytest.mark.parametrize(
    "text", ["我交了快一个月了都没消息 打电话也没人接 店都装修好了开不了门 我要投诉", "转人工"]
)
def test_words_that_name_no_area_are_routed_by_the_item_discussed(
    classifier: AreaClassifier, kb: KnowledgeBase, text: str
) -> None:
    """«…店都装修好了开不了门 我要投诉» after 食品经营许可: the classifier says «other» (no area
    in the words); the conversation names the area. Without an item discussed it stays «other»."""
    knowledge_provider.install(kb, classifier)  # type: ignore[arg-type]  # same predict() as the background one
    try:
        discussed = Tracker(
            "citizen", {"service_item": "enterprise_licensing.food_business_license"}, {"text": text},
            [], False, None, None, None,
        )  # fmt: skip
        assert classify_area(text, discussed).area is Area.enterprise_licensing
        alone = Tracker("citizen", {}, {"text": text}, [], False, None, None, None)
        assert classify_area(text, alone).area is Area.other
    finally:
        knowledge_provider.install(None)
