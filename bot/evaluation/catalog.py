"""`make eval`, imported catalog: a district's real 办事指南 export, imported into a fresh
instance and asked about through `POST /api/v1/chat` without retraining Rasa.

For every imported record three questions a citizen would type, 「{事项名称}需要什么材料」
「{事项名称}在哪里办理」「{事项名称}要多长时间」: right when the first reply answers that record
with that question, or, where several records share the name (one matter listed per
department or window), offers it among candidates that tell them apart.

By default Rasa is not retrained (the shipped model, which has never seen these names);
`--retrained` measures after the retraining an import makes `make run` do.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from bot.evaluation.e2e import ChatClient, observe, running_stack
from bot.runner import free_port
from bot.settings import REPO_ROOT, load_settings
from knowledge.catalog import load_catalog
from knowledge.store import KnowledgeStore

SHARED_CATALOG = REPO_ROOT.parent / "shared" / "eval" / "gd_catalog_sample.jsonl"
GD_MAPPING = REPO_ROOT / "knowledge" / "mappings" / "gd_catalog.yml"
QUESTIONS = {"materials": "{}需要什么材料", "location": "{}在哪里办理", "time_limit": "{}要多长时间"}


def imported_items(database_url: str, authored_dir: Path) -> list[tuple[str, str]]:
    """(id, name) of every record that did not come from the authored files."""
    from bot.persistence.store import create_db_engine

    authored = set(load_catalog(authored_dir).items)
    store = KnowledgeStore(create_db_engine(database_url))
    return [(item.id, item.name) for item in store.items() if item.id not in authored]


def judge(item_id: str, question: str, shared_name: bool, reply: dict[str, Any]) -> str:
    seen = observe(reply)
    if seen.answers:
        answered_item, answered_question = seen.answers[0]
        if answered_item != item_id:
            return "wrong"
        return "right" if answered_question == question else "right_item_other_question"
    if item_id in seen.offered:
        return "right" if shared_name else "clarified"
    return "other"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.evaluation.catalog", description="导入真实目录后的问答评测"
    )
    parser.add_argument("--catalog", type=Path, default=SHARED_CATALOG)
    parser.add_argument("--mapping", type=Path, default=GD_MAPPING)
    parser.add_argument(
        "--retrained", action="store_true", help="先用导入的事项名称重新训练 Rasa 再评测（默认不重新训练）"
    )
    args = parser.parse_args(argv)
    if not args.catalog.exists():
        print(f"跳过：没有 {args.catalog}")
        return 0
    base = load_settings()
    var_dir = base.var_dir / "eval" / "catalog"
    shutil.rmtree(var_dir, ignore_errors=True)
    port = free_port()
    env = {
        **os.environ,
        "VAR_DIR": str(var_dir),
        "GATEWAY_PORT": str(port),
        "RASA_PORT": str(free_port()),
        "ACTIONS_PORT": str(free_port()),
        "EMBEDDING_CACHE": str(base.effective_embedding_cache),
        "TRAIN_ON_IMPORTED_NAMES": "true" if args.retrained else "false",
    }
    print(f"导入 {args.catalog.name}（--skip-invalid）到全新实例 {var_dir} ……", flush=True)
    command = [sys.executable, "-m", "knowledge", "import", str(args.catalog), "--mapping", str(args.mapping)]
    subprocess.run([*command, "--skip-invalid"], cwd=REPO_ROOT, env=env, check=True)
    items = imported_items(f"sqlite:///{var_dir / 'app.db'}", base.knowledge_dir)
    names = Counter(name for _, name in items)
    url = f"http://127.0.0.1:{port}"
    results: Counter[str] = Counter()
    by_question: dict[str, Counter[str]] = {q: Counter() for q in QUESTIONS}
    failures = []
    with running_stack(url, env=env):
        client = ChatClient(url)
        try:
            for item_id, name in items:
                for question, template in QUESTIONS.items():
                    text = template.format(name)
                    result = judge(
                        item_id, question, names[name] > 1, client.say(f"cat-{uuid.uuid4().hex}", text)
                    )
                    results[result] += 1
                    by_question[question][result] += 1
                    if result != "right":
                        failures.append({"text": text, "item": item_id, "result": result})
        finally:
            client.close()
    total = sum(results.values())
    retrained = "已" if args.retrained else "未"
    right_share = results["right"] / max(total, 1)
    print(f"\n导入目录（{retrained}重新训练 Rasa）：{len(items)} 个事项，{total} 个问题", end="；")
    print(f"首答正确 {right_share:.1%}")
    for question, counts in by_question.items():
        n = sum(counts.values())
        right, wrong = counts["right"] / max(n, 1), counts["wrong"] / max(n, 1)
        print(f"  {question:12}{n:>5}  正确 {right:.1%}  答错 {wrong:.1%}")
    out = base.var_dir / "eval" / "catalog.json"
    summary = {
        "catalog": str(args.catalog),
        "retrained": args.retrained,
        "items": len(items),
        "questions": total,
        "right": round(results["right"] / max(total, 1), 3),
        "counts": dict(results),
        "by_question": {q: dict(c) for q, c in by_question.items()},
        "failures": failures,
    }
    out.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"结果已写入 {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
