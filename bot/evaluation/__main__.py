"""`make eval` after the retrieval part: area routing, NLU cross-validation, test stories.
Prints one table and writes var/eval/dialogue.json."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from bot.evaluation.areas import evaluate_areas
from bot.evaluation.nlu import FOLDS, cross_validate_nlu, test_stories
from bot.settings import REPO_ROOT, load_settings

SHARED_EVAL = REPO_ROOT.parent / "shared" / "eval"
TARGETS = {"intent_macro_f1": 0.92, "entity_micro_f1": 0.90, "area_accuracy": 0.85}


def _against(value: float, target: float) -> str:
    return f"{value:.3f}（目标 ≥{target:.2f}，{'达标' if value >= target else '未达标'}）"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluation", description="对话与领域分类评测")
    parser.add_argument("--folds", type=int, default=FOLDS, help=f"交叉验证折数（默认 {FOLDS}）")
    parser.add_argument("--skip-nlu", action="store_true", help="跳过耗时的 NLU 交叉验证")
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
        accuracy = float(str(areas["cross_validated_accuracy"]))
        ok &= accuracy >= TARGETS["area_accuracy"]
        print(f"  {areas['messages']} 条留言；仅用自编样例训练：准确率 {areas['authored_only_accuracy']:.3f}")
        print(f"  5 折交叉验证（加入另外 4/5 留言）：准确率 {_against(accuracy, TARGETS['area_accuracy'])}")

    print("测试故事（rasa test core）……", flush=True)
    stories = test_stories(settings, out / "stories")
    summary["stories"] = asdict(stories)
    ok &= stories.correct == stories.stories
    print(
        f"  {stories.correct} / {stories.stories} 个故事通过"
        + (f"；失败：{stories.failed}" if stories.failed else "")
    )

    if not args.skip_nlu:
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
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"结果已写入 {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
