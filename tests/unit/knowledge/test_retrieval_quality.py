"""Guards on what `make eval` and `make bench` report, so a content or search change that
hurts citizens fails the build instead of only a number in a report."""

from __future__ import annotations

import json

import pytest

from bot.settings import REPO_ROOT
from knowledge.bench import main as bench_main
from knowledge.evaluate import evaluate, load_questions
from knowledge.search import KnowledgeBase

pytestmark = pytest.mark.benchmark


def test_held_out_recall_at_3_is_at_least_095(kb: KnowledgeBase) -> None:
    questions = load_questions()
    assert len(questions) >= 200
    scores = evaluate(kb, questions)
    overall = scores["all"].row()
    assert overall["recall@3"] >= 0.95, overall
    for area, score in scores.items():
        assert score.row()["recall@3"] >= 0.85, (area, score.row())


def test_bench_smoke_run_writes_its_report() -> None:
    assert bench_main(["--smoke"]) == 0
    report = json.loads((REPO_ROOT / "var" / "bench" / "search-smoke.json").read_text(encoding="utf-8"))
    assert {row["backend"] for row in report["search"]} == {"embedded", "elasticsearch-api"}
    assert report["import"]["rows"] == 300
