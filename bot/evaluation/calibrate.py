"""Fit the item-confidence model on the dev split of the end-to-end questions and the
retrieval questions.

`python -m bot.evaluation.calibrate` reads knowledge/eval/e2e/dev/ and knowledge/eval/
questions_*.yml (the e2e test split is never used here), runs retrieval on every question the
way the answer action does, labels each candidate (is it the item the question expects?),
fits a logistic regression on the features of `knowledge.confidence`, and chooses the
thresholds on the dev singles:

- answer: the lowest at which wrong direct answers stay at or below 1.5% of the questions
  (under the 2% target, with a margin for questions not seen);
- clarify: the one that best separates «the expected item is among the candidates» from
  «the question is about something the guide does not hold» (a neighbour offered for the
  latter counts three times: it misleads, where a missed candidate only costs a question).

- lone: the lowest at which an item the resolver would offer alone (no other above the clarify
  threshold) was right at least 97% of the time on the dev singles; it is answered instead.

`--keep-weights` keeps the shipped weights and thresholds and chooses the lone one anew.
It writes knowledge/confidence_model.json, which the action server reads at start.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace

import numpy as np
from sklearn.linear_model import LogisticRegression

from bot.actions.resolution import Outcome, Resolver, Turn, naming_terms, searched_text
from bot.evaluation.e2e import load_split
from bot.privacy import mask_personal_data, nlu_placeholders
from bot.settings import load_settings
from knowledge.chinese import as_mandarin
from knowledge.confidence import FEATURES, MODEL_FILE, ConfidenceModel, features, load_model
from knowledge.evaluate import load_questions
from knowledge.search import Hit, KnowledgeBase
from knowledge.service import open_knowledge_base, prepare_knowledge

MAX_WRONG_SHARE = 0.015
LONE_MIN_PRECISION = 0.97
LONE_MIN_SUPPORT = 20
HONEST_NO_WEIGHT = 3.0
DEPTH = 5


@dataclass(frozen=True)
class Example:
    raw: str  # the message as the action server reads it: masked, simplified
    text: str
    expected: str | None  # the item id, or None when no item should be answered
    hits: list[Hit]
    normalised: str
    terms: list[str]
    from_dev: bool  # a dev single (thresholds are chosen on these), else a retrieval question


def examples(knowledge: KnowledgeBase) -> list[Example]:
    """The dev singles that expect an item or none, then the retrieval questions of
    knowledge/eval/ (each expects an item). The weights are fitted on all of them (about 560
    questions; the dev singles alone are 211, and weights fitted on so few moved between
    fits); the thresholds on the dev singles alone, whose share of questions the guide does
    not hold is the one citizens bring."""
    labelled: list[tuple[str, str | None, bool]] = []
    for _area, single in load_split("dev").singles:
        expect = single.expect
        if expect.kind in ("answer", "honest_no", "out_of_scope"):
            labelled.append((single.text, expect.answer.item if expect.answer is not None else None, True))
    labelled += [(question, item, False) for _area, question, item in load_questions()]
    rows = []
    for raw, expected, from_dev in labelled:
        read = as_mandarin(nlu_placeholders(mask_personal_data(raw)))
        text = searched_text(knowledge, read)
        hits = knowledge.search(text, k=DEPTH)
        terms = naming_terms(knowledge, text)
        rows.append(Example(read, text, expected, hits, knowledge.normalise(text), terms, from_dev))
    return rows


def _outcomes(model: ConfidenceModel, rows: list[Example]) -> list[tuple[float, bool, bool]]:
    """Per question: (best probability, best is right, expected is among any candidate)."""
    out = []
    for row in rows:
        if not row.hits:
            out.append((0.0, False, False))
            continue
        scores = model.score(row.normalised, row.terms, row.hits)
        best = int(np.argmax(scores))
        out.append((scores[best], row.hits[best].item.id == row.expected, False))
    return out


def choose_answer_threshold(outcomes: list[tuple[float, bool, bool]], total: int) -> float:
    for threshold in np.arange(0.30, 0.99, 0.01):
        wrong = sum(1 for score, right, _ in outcomes if score >= threshold and not right)
        if wrong / total <= MAX_WRONG_SHARE:
            return round(float(threshold), 2)
    return 0.99


def choose_lone_threshold(model: ConfidenceModel, knowledge: KnowledgeBase, rows: list[Example]) -> float:
    """The lowest probability from which an item that the resolver would offer alone is
    answered instead: where, from there up, such items were right at least LONE_MIN_PRECISION
    of the time on the dev singles (a button offering one item alone only asks to confirm).
    Judged on the resolver's decisions, not on retrieval alone: the checks it makes after
    retrieval (documents named, nouns the guide never writes) remove most wrong lone items."""
    resolver = Resolver(knowledge, replace(model, lone_threshold=None))  # lone items offered, not answered
    lone: list[tuple[float, bool]] = []
    for row in rows:
        decision = resolver.decide(Turn(row.raw))
        if (
            decision.outcome is Outcome.clarify
            and decision.how == "candidates"
            and len(decision.candidates) == 1
        ):
            lone.append((decision.confidence, decision.candidates[0].id == row.expected))
    for threshold in np.arange(model.clarify_threshold, model.answer_threshold, 0.01):
        above = [right for score, right in lone if score >= threshold]
        if len(above) >= LONE_MIN_SUPPORT and sum(above) / len(above) >= LONE_MIN_PRECISION:
            return round(float(threshold), 2)
    return model.answer_threshold


def choose_clarify_threshold(model: ConfidenceModel, rows: list[Example]) -> float:
    best_threshold, best_score = 0.1, -1.0
    for threshold in np.arange(0.02, 0.6, 0.02):
        score = 0.0
        for row in rows:
            scores = model.score(row.normalised, row.terms, row.hits) if row.hits else []
            offered = {h.item.id for h, s in zip(row.hits, scores, strict=True) if s >= threshold}
            if row.expected is None:
                # Offering a neighbour for a matter the guide lacks misleads; weigh it heavier.
                score += 0 if offered else HONEST_NO_WEIGHT
            else:
                score += 1 if row.expected in offered else 0
        if score > best_score:
            best_threshold, best_score = float(threshold), score
    return round(best_threshold, 2)


def fit(rows: list[Example], knowledge: KnowledgeBase) -> ConfidenceModel:
    x, y = [], []
    for row in rows:
        for n, hit in enumerate(row.hits):
            x.append(features(row.normalised, row.terms, row.hits, n))
            y.append(1 if hit.item.id == row.expected else 0)
    regression = LogisticRegression(C=1.0, max_iter=2000)
    regression.fit(np.array(x), np.array(y))
    draft = ConfidenceModel(
        weights=tuple(round(float(w), 4) for w in regression.coef_[0]),
        bias=round(float(regression.intercept_[0]), 4),
        answer_threshold=0.5,
        clarify_threshold=0.1,
    )
    dev = [row for row in rows if row.from_dev]
    answer = choose_answer_threshold(_outcomes(draft, dev), len(dev))
    clarify = min(choose_clarify_threshold(draft, dev), answer)
    thresholds = ConfidenceModel(draft.weights, draft.bias, answer, clarify)
    return replace(thresholds, lone_threshold=choose_lone_threshold(thresholds, knowledge, dev))


def report(model: ConfidenceModel, rows: list[Example]) -> None:
    rows = [row for row in rows if row.from_dev]
    outcomes = _outcomes(model, rows)
    answered = [(s, r) for s, r, _ in outcomes if s >= model.answer_threshold]
    wrong = sum(1 for _, r in answered if not r)
    print(f"  开发集 {len(rows)} 题：直接作答 {len(answered)}，其中答错 {wrong}（{wrong / len(rows):.1%}）")
    print(
        f"  作答阈值 {model.answer_threshold}，唯一候选作答阈值 {model.lone_answer_threshold}，"
        f"澄清阈值 {model.clarify_threshold}"
    )
    for name, weight in zip(FEATURES, model.weights, strict=True):
        print(f"    {name:16}{weight:+.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.evaluation.calibrate", description="在开发集上拟合事项置信度"
    )
    parser.add_argument("--dry-run", action="store_true", help="只报告，不写模型文件")
    parser.add_argument(
        "--keep-weights", action="store_true", help="保留现有权重与阈值，只重新选择唯一候选作答阈值"
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    prepare_knowledge(settings)
    knowledge = open_knowledge_base(settings)
    print("检索开发集问题 ……", flush=True)
    rows = examples(knowledge)
    if args.keep_weights:
        shipped = load_model()
        dev = [row for row in rows if row.from_dev]
        model = replace(shipped, lone_threshold=choose_lone_threshold(shipped, knowledge, dev))
    else:
        model = fit(rows, knowledge)
    report(model, rows)
    if not args.dry_run:
        MODEL_FILE.write_text(model.to_json() + "\n", encoding="utf-8")
        print(f"已写入 {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
