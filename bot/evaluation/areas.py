"""`make eval` (area routing): accuracy of the area classifier on real citizen messages.

The messages (`../shared/eval/citizen_messages_dev.jsonl`, posts on a provincial 问政 board)
are read where they lie and never copied. A message is classified by its subject line, which
is what a citizen types in the chat.

The rows are split once, for good, into a **holdout** (30% of each area, chosen by a hash of
the row id, so the same rows every time and on every machine) and the **rest**. Nobody reads
the holdout's texts or tunes anything on it: it only scores. The rest may be read to
understand the label conventions (never copied into the repository), and stands in for a
district's own labelled history. Reported, all on the holdout:

- **authored only**: the shipped classifier, trained on our own text;
- **with local history**: trained on our own text plus all of the rest, which is what a
  district gets when it adds its history through `AREA_TRAINING_FILES`;
- per-area accuracy of both, and the recall of `other` (matters for the general queue);
- a **learning curve**: accuracy with 0, 100, 300 and all rows of the rest added as history
  (nested subsets, in hash order).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.area_classifier import AreaClassifier, Example, catalog_examples, message_examples
from bot.contracts.areas import Area
from bot.settings import Settings
from knowledge.dense import Embedder, embedder_for

MESSAGES_FILE = "citizen_messages_dev.jsonl"
HOLDOUT_SHARE = 0.3
_HOLDOUT_SALT = "area-holdout"
LEARNING_CURVE = (0, 100, 300)  # and then all of the rest


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    area: Area
    row_id: str = ""


def load_messages(path: Path) -> list[LabelledMessage]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [LabelledMessage(str(row["title"]), Area(row["area"]), str(row["id"])) for row in rows]


def _rank(message: LabelledMessage) -> str:
    return hashlib.sha256(f"{_HOLDOUT_SALT}:{message.row_id}".encode()).hexdigest()


def split_holdout(
    messages: Sequence[LabelledMessage], share: float = HOLDOUT_SHARE
) -> tuple[list[LabelledMessage], list[LabelledMessage]]:
    """(holdout, rest): in each area, the `share` of rows whose id hashes lowest. Depends on
    nothing but the ids, so it never changes while the file does not; the rest comes back in
    hash order, so its first N rows are a fair sample of it."""
    by_area: dict[Area, list[LabelledMessage]] = defaultdict(list)
    for message in messages:
        by_area[message.area].append(message)
    held: set[str] = set()
    for rows in by_area.values():
        ranked = sorted(rows, key=_rank)
        held.update(m.row_id for m in ranked[: round(share * len(ranked))])
    holdout = [m for m in messages if m.row_id in held]
    rest = sorted((m for m in messages if m.row_id not in held), key=_rank)
    return holdout, rest


def _accuracy(predicted: Sequence[Area], messages: Sequence[LabelledMessage]) -> float:
    return sum(p == m.area for p, m in zip(predicted, messages, strict=True)) / len(messages)


def _per_area(predicted: Sequence[Area], messages: Sequence[LabelledMessage]) -> dict[str, dict[str, float]]:
    totals = Counter(m.area for m in messages)
    hits = Counter(m.area for p, m in zip(predicted, messages, strict=True) if p == m.area)
    return {
        area.value: {"messages": totals[area], "accuracy": round(hits[area] / totals[area], 3)}
        for area in sorted(totals, key=lambda a: a.value)
    }


def _other_precision(predicted: Sequence[Area], messages: Sequence[LabelledMessage]) -> float:
    said_other = [m for p, m in zip(predicted, messages, strict=True) if p == Area.other]
    return sum(m.area == Area.other for m in said_other) / len(said_other) if said_other else 0.0


def _classify(
    examples: list[Example], catalog: list[Example], embedder: Embedder, messages: Sequence[LabelledMessage]
) -> list[Area]:
    """Trained as the shipped classifier is (`open_area_classifier`), asked as a ticket is."""
    model = AreaClassifier.train(examples, embedder, catalog=catalog)
    return [model.predict(m.text).area for m in messages]


def _scores(predicted: Sequence[Area], messages: Sequence[LabelledMessage]) -> dict[str, object]:
    return {
        "accuracy": round(_accuracy(predicted, messages), 3),
        "other_recall": _per_area(predicted, messages).get(Area.other.value, {}).get("accuracy", 0.0),
        "other_precision": round(_other_precision(predicted, messages), 3),
        "per_area": _per_area(predicted, messages),
    }


def evaluate_areas(settings: Settings, shared_eval_dir: Path) -> dict[str, object] | None:
    path = shared_eval_dir / MESSAGES_FILE
    if not path.exists():
        return None
    messages = load_messages(path)
    holdout, rest = split_holdout(messages)
    embedder = embedder_for(settings.effective_embedding_cache)
    ours = message_examples(settings.area_messages_dir)
    catalog = catalog_examples(settings.knowledge_dir)
    history: list[Example] = [(m.text, m.area) for m in rest]

    authored_only = _classify(ours, catalog, embedder, holdout + rest)
    with_history = _classify(ours + history, catalog, embedder, holdout)
    curve = [{"history": 0, "accuracy": round(_accuracy(authored_only[: len(holdout)], holdout), 3)}]
    for size in LEARNING_CURVE[1:]:
        if size < len(rest):
            predicted = _classify(ours + history[:size], catalog, embedder, holdout)
            curve.append({"history": size, "accuracy": round(_accuracy(predicted, holdout), 3)})
    curve.append({"history": len(rest), "accuracy": round(_accuracy(with_history, holdout), 3)})

    return {
        "messages": len(messages),
        "holdout_messages": len(holdout),
        "history_messages": len(rest),
        "authored_examples": len(ours) + len(catalog),
        "holdout_authored_only": _scores(authored_only[: len(holdout)], holdout),
        "holdout_with_history": _scores(with_history, holdout),
        "learning_curve": curve,
        # The rows one may read while writing training text: a development figure, not a score.
        "rest_authored_only_accuracy": round(_accuracy(authored_only[len(holdout) :], rest), 3),
    }
