"""`make eval` after the retrieval part: area routing, NLU cross-validation, test stories.
Prints one table and writes var/eval/dialogue.json."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.evaluation.areas import evaluate_areas
from bot.evaluation.nlu import FOLDS, cross_validate_nlu, test_stories
from bot.settings import REPO_ROOT, load_settings

SHARED_EVAL = REPO_ROOT.parent / "shared" / "eval"
TARGETS = {
    "intent_macro_f1": 0.92,
    "entity_micro_f1": 0.90,
    "area_authored_only": 0.85,
    "area_with_history": 0.88,
}


def _against(value: float, target: float) -> str:
    return f"{value:.3f}（目标 ≥{target:.2f}，{'达标' if value >= target else '未达标'}）"


def _print_areas(areas: dict[str, Any]) -> bool:
    authored, history = areas["holdout_authored_only"], areas["holdout_with_history"]
    print(
        f"  {areas['messages']} 条留言，固定留出 {areas['holdout_messages']} 条只用于评分，"
        f"其余 {areas['history_messages']} 条充当本区历史留言"
    )
    print(
        f"  留出集，仅用自编样例训练：准确率 {_against(authored['accuracy'], TARGETS['area_authored_only'])}"
    )
    print(f"  留出集，加入本区历史留言：准确率 {_against(history['accuracy'], TARGETS['area_with_history'])}")
    print(
        f"  “其他”（九个领域之外）召回率：仅自编 {authored['other_recall']:.3f}，"
        f"加入历史 {history['other_recall']:.3f}"
    )
    for name, scores in (("仅自编", authored), ("加入历史", history)):
        cells = "，".join(
            f"{area} {s['accuracy']:.2f}/{s['messages']}" for area, s in scores["per_area"].items()
        )
        print(f"  各领域准确率（{name}）：{cells}")
    curve = "，".join(f"{p['history']} 条 {p['accuracy']:.3f}" for p in areas["learning_curve"])
    print(f"  学习曲线（加入的历史留言条数 → 留出集准确率）：{curve}")
    return bool(
        authored["accuracy"] >= TARGETS["area_authored_only"]
        and history["accuracy"] >= TARGETS["area_with_history"]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluation", description="对话与领域分类评测")
    parser.add_argument("--folds", type=int, default=FOLDS, help=f"交叉验证折数（默认 {FOLDS}）")
    parser.add_argument("--skip-nlu", action="store_true", help="跳过耗时的 NLU 交叉验证")
    parser.add_argument("--areas-only", action="store_true", help="只评测领域分类（不跑测试故事和 NLU）")
    parser.add_argument("--shared-eval", type=Path, default=SHARED_EVAL, help="真实留言数据所在目录")
    args = parser.parse_args(argv)
    settings = load_settings()
    out = settings.var_dir / "eval"
    summary: dict[str, object] = {}
    ok = True

    print("领域分类（真实问政留言，按标题分类）……", flush=True)
    areas = evaluate_areas(settings, args.shared_eval)
    if areas is None:
        print(f"  跳过：{args.shared_eval} 下没有评测数据")
    else:
        summary["areas"] = areas
        ok &= _print_areas(areas)

    if not args.areas_only:
        print("测试故事（rasa test core）……", flush=True)
        stories = test_stories(settings, out / "stories")
        summary["stories"] = asdict(stories)
        ok &= stories.correct == stories.stories
        print(
            f"  {stories.correct} / {stories.stories} 个故事通过"
            + (f"；失败：{stories.failed}" if stories.failed else "")
        )

    if not args.skip_nlu and not args.areas_only:
        print(f"NLU {args.folds} 折交叉验证（rasa test nlu，每折重新训练，约需 15 分钟）……", flush=True)
        nlu = cross_validate_nlu(settings, out / "nlu", args.folds)
        summary["nlu"] = asdict(nlu)
        ok &= (
            nlu.intent_macro_f1 >= TARGETS["intent_macro_f1"]
            and nlu.entity_micro_f1 >= TARGETS["entity_micro_f1"]
        )
        print(f"  {nlu.examples} 条样例，用时 {nlu.seconds:.0f} 秒")
        print(f"  意图 macro-F1 {_against(nlu.intent_macro_f1, TARGETS['intent_macro_f1'])}")
        print(f"  实体 micro-F1 {_against(nlu.entity_micro_f1, TARGETS['entity_micro_f1'])}")
        print(f"  意图准确率 {nlu.intent_accuracy:.3f}；各实体 F1：{nlu.per_entity_f1}")
        print(f"  最弱的意图：{nlu.weakest_intents}")

    path = out / "dialogue.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if args.areas_only and path.exists():  # keep the last full run's other parts
        summary = {**json.loads(path.read_text(encoding="utf-8")), **summary}
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"结果已写入 {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
