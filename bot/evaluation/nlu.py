"""`make eval` (NLU and dialogue): Rasa's own evaluators, run in the Rasa virtualenv.

- `rasa test nlu --cross-validation`: every training example is predicted by a model trained
  on the other folds, with the shipped pipeline (FallbackClassifier included, so a message
  that falls below the threshold counts as wrong). Reported: intent macro-F1 and entity
  micro-F1 over the accumulated test folds. The split is seeded (`CV_SEED`): Rasa draws it
  from NumPy's unseeded global generator, so every run had other folds (two runs on the same
  3,047 examples: 0.911 and 0.917 macro-F1). `bot/scripts/seeded_rasa.py` seeds Python's and
  NumPy's generators before starting Rasa's CLI (Rasa's files unchanged), so the same data
  gives the same folds and before/after comparisons are fair. (Adding or removing examples
  still changes the split; TensorFlow's threads leave a little noise.)
- `rasa test core` on tests/stories/: the test stories of every flow, with the trained model
  (their user texts go through NLU too).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import REPO_ROOT, Settings
from bot.training import CONFIG, ensure_model, rasa_environment, rasa_executable

TEST_STORIES = REPO_ROOT / "tests" / "stories"
FOLDS = 3
CV_SEED = 2026
SEEDED_RASA = REPO_ROOT / "bot" / "scripts" / "seeded_rasa.py"


class EvaluationError(RuntimeError):
    """A Rasa evaluator failed; the message names its log file."""


@dataclass(frozen=True)
class NluScores:
    folds: int
    examples: int
    intent_macro_f1: float
    intent_accuracy: float
    entity_micro_f1: float
    per_entity_f1: dict[str, float]
    weakest_intents: dict[str, float]
    seconds: float


@dataclass(frozen=True)
class StoryScores:
    stories: int
    correct: int
    failed: list[str]


def _run(command: list[str], log: Path, name: str) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as out:
        result = subprocess.run(
            command, cwd=REPO_ROOT, env=rasa_environment(), stdout=out, stderr=subprocess.STDOUT
        )
    if result.returncode != 0:
        raise EvaluationError(f"{name} 失败（退出码 {result.returncode}），日志：{log}")


def cross_validate_nlu(
    settings: Settings, out_dir: Path, folds: int = FOLDS, seed: int = CV_SEED
) -> NluScores:
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    rasa_python = rasa_executable(settings).parent / "python"
    command = [
        str(rasa_python),
        str(SEEDED_RASA),
        str(seed),
        "test",
        "nlu",
        "--config",
        str(CONFIG),
        "--nlu",
        str(settings.nlu_data_dir),
        "--cross-validation",
        "--folds",
        str(folds),
        "--out",
        str(out_dir),
        "--no-plot",
        "--successes",
    ]
    _run(command, out_dir / "rasa-test-nlu.log", "rasa test nlu")
    intents: dict[str, Any] = json.loads((out_dir / "intent_report.json").read_text(encoding="utf-8"))
    entities: dict[str, Any] = json.loads(
        (out_dir / "DIETClassifier_report.json").read_text(encoding="utf-8")
    )
    per_intent = {
        name: round(float(row["f1-score"]), 3)
        for name, row in intents.items()
        if isinstance(row, dict)
        and "f1-score" in row
        and name not in ("macro avg", "weighted avg", "micro avg")
    }
    per_entity = {
        name: round(float(row["f1-score"]), 3)
        for name, row in entities.items()
        if isinstance(row, dict) and name not in ("macro avg", "weighted avg", "micro avg", "accuracy")
    }
    entity_f1 = entities.get("micro avg", entities.get("weighted avg", {})).get("f1-score", 0.0)
    return NluScores(
        folds=folds,
        examples=int(intents["macro avg"]["support"]),
        intent_macro_f1=round(float(intents["macro avg"]["f1-score"]), 3),
        intent_accuracy=round(float(intents.get("accuracy", 0.0)), 3),
        entity_micro_f1=round(float(entity_f1), 3),
        per_entity_f1=per_entity,
        weakest_intents=dict(sorted(per_intent.items(), key=lambda kv: kv[1])[:5]),
        seconds=round(time.perf_counter() - started, 1),
    )


def test_stories(settings: Settings, out_dir: Path) -> StoryScores:
    model = ensure_model(settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(rasa_executable(settings)),
        "test",
        "core",
        "--model",
        str(model),
        "--stories",
        str(TEST_STORIES),
        "--out",
        str(out_dir),
        "--no-plot",
    ]
    log = out_dir / "rasa-test-core.log"
    _run(command, log, "rasa test core")
    # The first «Correct: n / m» Rasa logs is the conversation level (whole stories).
    found = re.search(r"Correct:\s+(\d+) / (\d+)", log.read_text(encoding="utf-8"))
    if found is None:
        raise EvaluationError(f"rasa test core 的输出中没有结果，日志：{log}")
    failed_file = out_dir / "failed_test_stories.yml"
    failed_text = failed_file.read_text(encoding="utf-8") if failed_file.exists() else ""
    failed = [
        line.split(":", 1)[1].strip()
        for line in failed_text.splitlines()
        if line.strip().startswith("- story:")
    ]
    return StoryScores(stories=int(found.group(2)), correct=int(found.group(1)), failed=failed)
