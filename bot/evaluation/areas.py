"""`make eval` (area routing): accuracy of the area classifier on real citizen messages.

The messages (`../shared/eval/citizen_messages_dev.jsonl`, posts on a provincial 问政 board)
are read where they lie and never copied. A message is classified by its subject line, which
is what a citizen types in the chat. Two numbers:

- **authored only**: the shipped classifier, trained on our own text, on all rows;
- **with local history** (the figure the target is about): 5-fold cross-validation, each fold
  trained on our own text plus the other four fifths of the rows (stratified by area, seed 0)
  and scored on the fifth it never saw. This is what a district gets when it adds its own
  labelled history through `AREA_TRAINING_FILES`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sklearn.model_selection import StratifiedKFold

from bot.area_classifier import AreaClassifier, authored_examples
from bot.settings import Settings
from knowledge.dense import embedder_for
from knowledge.schema import Area

MESSAGES_FILE = "citizen_messages_dev.jsonl"
FOLDS = 5


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    area: Area


def load_messages(path: Path) -> list[LabelledMessage]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [LabelledMessage(str(row["title"]), Area(row["area"])) for row in rows]


def _accuracy(predicted: list[Area], messages: list[LabelledMessage]) -> float:
    return sum(p == m.area for p, m in zip(predicted, messages, strict=True)) / len(messages)


def _per_area(predicted: list[Area], messages: list[LabelledMessage]) -> dict[str, dict[str, float]]:
    totals = Counter(m.area for m in messages)
    hits = Counter(m.area for p, m in zip(predicted, messages, strict=True) if p == m.area)
    return {
        area.value: {"messages": totals[area], "accuracy": round(hits[area] / totals[area], 3)}
        for area in sorted(totals, key=lambda a: a.value)
    }


def evaluate_areas(settings: Settings, shared_eval_dir: Path) -> dict[str, object] | None:
    path = shared_eval_dir / MESSAGES_FILE
    if not path.exists():
        return None
    messages = load_messages(path)
    embedder = embedder_for(settings.effective_embedding_cache)
    ours = authored_examples(settings.area_messages_dir, settings.knowledge_dir)

    shipped = AreaClassifier.train(ours, embedder)
    authored_only = [shipped.predict(m.text).area for m in messages]

    cross_validated: list[Area] = [Area.other] * len(messages)
    labels = [m.area.value for m in messages]
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    for train_rows, test_rows in folds.split(labels, labels):
        history = [(messages[i].text, messages[i].area) for i in train_rows]
        fold_model = AreaClassifier.train(ours + history, embedder)
        for i in test_rows:
            cross_validated[i] = fold_model.predict(messages[i].text).area

    return {
        "messages": len(messages),
        "authored_examples": len(ours),
        "authored_only_accuracy": round(_accuracy(authored_only, messages), 3),
        "cross_validated_accuracy": round(_accuracy(cross_validated, messages), 3),
        "per_area_cross_validated": _per_area(cross_validated, messages),
    }
