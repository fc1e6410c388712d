"""`make eval` (retrieval part): Recall@1, Recall@3 and MRR per area on the held-out
questions in knowledge/eval/, written by hand and never used to tune the search.

Runs against a throwaway copy of the store and index under var/eval/, so it measures the
authored knowledge base exactly as shipped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.settings import REPO_ROOT, Settings, load_settings
from knowledge.search import ANSWER_THRESHOLD, CLARIFY_THRESHOLD, KnowledgeBase
from knowledge.service import open_knowledge_base, prepare_knowledge

EVAL_DIR = REPO_ROOT / "knowledge" / "eval"
RANK_DEPTH = 10


@dataclass
class AreaScore:
    questions: int = 0
    at1: int = 0
    at3: int = 0
    reciprocal_ranks: float = 0.0
    misses: list[str] = field(default_factory=list)

    def add(self, rank: int | None, question: str) -> None:
        self.questions += 1
        if rank is None:
            self.misses.append(question)
            return
        self.at1 += rank == 1
        self.at3 += rank <= 3
        self.reciprocal_ranks += 1 / rank
        if rank > 1:
            self.misses.append(question)

    def row(self) -> dict[str, float | int]:
        n = max(self.questions, 1)
        return {
            "questions": self.questions,
            "recall@1": round(self.at1 / n, 3),
            "recall@3": round(self.at3 / n, 3),
            "mrr": round(self.reciprocal_ranks / n, 3),
        }


def load_questions(eval_dir: Path = EVAL_DIR) -> list[tuple[str, str, str]]:
    """(area, question, expected item id) for every held-out question."""
    rows = []
    for path in sorted(eval_dir.glob("questions_*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        rows += [(data["area"], q["q"], q["item"]) for q in data["questions"]]
    return rows


BANDS = (("answer ≥0.8", ANSWER_THRESHOLD), ("clarify 0.3–0.8", CLARIFY_THRESHOLD), ("hand off <0.3", 0.0))


def evaluate(
    knowledge: KnowledgeBase, questions: list[tuple[str, str, str]], bands: dict[str, list[int]] | None = None
) -> dict[str, AreaScore]:
    """Per-area scores; `bands` (if given) collects, per confidence band of the top hit,
    [questions, top hit right, right item within the top 3] to show the calibration."""
    scores: dict[str, AreaScore] = {}
    for area, question, expected in questions:
        hits = knowledge.search(question, k=RANK_DEPTH)
        ranked = [hit.item.id for hit in hits]
        rank = ranked.index(expected) + 1 if expected in ranked else None
        scores.setdefault(area, AreaScore()).add(rank, question)
        scores.setdefault("all", AreaScore()).add(rank, question)
        if bands is not None and hits:
            band = next(name for name, floor in BANDS if hits[0].confidence >= floor)
            counts = bands.setdefault(band, [0, 0, 0])
            counts[0] += 1
            counts[1] += rank == 1
            counts[2] += rank is not None and rank <= 3
    return scores


def eval_settings(base: Settings) -> Settings:
    return base.model_copy(update={"var_dir": base.var_dir / "eval", "database_url": ""})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.evaluate", description="检索效果评测")
    parser.add_argument("--show-misses", action="store_true", help="列出未排第一的问题")
    args = parser.parse_args(argv)
    settings = eval_settings(load_settings())
    prepare_knowledge(settings)
    knowledge = open_knowledge_base(settings)
    questions = load_questions()
    started = time.perf_counter()
    bands: dict[str, list[int]] = {}
    scores = evaluate(knowledge, questions, bands)
    elapsed = time.perf_counter() - started

    print(f"检索评测：{len(questions)} 个留出问题，{knowledge.item_count()} 个事项，用时 {elapsed:.1f} 秒")
    print(f"{'领域':<22}{'问题数':>6}{'R@1':>8}{'R@3':>8}{'MRR':>8}")
    table: dict[str, object] = {}
    for area in sorted(scores, key=lambda a: (a == "all", a)):
        row = table[area] = scores[area].row()
        print(
            f"{area:<22}{row['questions']:>6}{row['recall@1']:>8.3f}{row['recall@3']:>8.3f}{row['mrr']:>8.3f}"
        )
        if args.show_misses and area != "all":
            for miss in scores[area].misses:
                print(f"    未命中第一：{miss}")
    print("按首条结果置信度分档（校准）：")
    for name, _floor in BANDS:
        total, right, within3 = bands.get(name, [0, 0, 0])
        if total:
            print(
                f"  {name:<18}{total:>5} 题  首条正确 {right / total:.3f}  前三含正确 {within3 / total:.3f}"
            )
    table["confidence_bands"] = {
        name: dict(zip(("questions", "top1", "top3"), v, strict=True)) for name, v in bands.items()
    }
    out = settings.var_dir / "retrieval.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(table, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"结果已写入 {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
