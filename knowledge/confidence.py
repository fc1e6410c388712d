"""A calibrated confidence that a retrieved item is the one the citizen means.

Retrieval gives several signals of different scales (a name or alias found verbatim, how much
of the name and of the message the match covers, BM25, the e5 cosine and the margins to the
runner-up). A small logistic model, fitted on the dev split of the end-to-end questions
(`python -m bot.evaluation.calibrate`), turns them into one probability; the answer threshold
stored with it was chosen on the same split for at most 2% wrong answers. The model is a few
numbers in a JSON file, applied with plain arithmetic, so nothing numeric is loaded for it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from knowledge.search import Hit

MODEL_FILE = Path(__file__).with_name("confidence_model.json")
FEATURES = (
    "name",
    "alias",
    "name_covered",
    "terms_named",
    "bm25",
    "cosine",
    "cosine_margin",
    "bm25_margin",
    "rank",
    "terms_covered",
)
_COSINE_BASE = 0.8  # e5 cosines of unrelated Chinese texts sit around 0.8; centre the feature there
_BM25_SCALE = 60.0


def longest_common(a: str, b: str) -> int:
    """Length of the longest run of characters the two texts share."""
    if not a or not b:
        return 0
    match = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return match.size


def features(message: str, terms: Sequence[str], hits: Sequence[Hit], index: int) -> list[float]:
    """The signals for `hits[index]`, `message` normalised the way names are (simplified,
    lower case, synonyms applied), `terms` its naming words. Margins compare with the best
    other candidate; `terms_named` and `terms_covered` are the shares of the naming words that
    the item's names, and its whole wording (names, aliases, situations, FAQ questions), contain:
    「执业医师注册」 is not explained by 执业药师注册, whose words lack 医师."""
    hit = hits[index]
    others = [h for n, h in enumerate(hits) if n != index]
    names = hit.item.names
    covered = max(longest_common(message, name) / len(name) for name in names)
    named_by = hit.names_text
    best_other_cosine = max((h.cosine for h in others), default=_COSINE_BASE)
    best_other_bm25 = max((h.bm25 for h in others), default=0.0)
    return [
        1.0 if hit.matched_by == "name" else 0.0,
        1.0 if hit.matched_by == "alias" else 0.0,
        covered,
        sum(1 for term in terms if term in named_by) / len(terms) if terms else 1.0,
        hit.bm25 / (hit.bm25 + _BM25_SCALE) if hit.bm25 > 0 else 0.0,
        (hit.cosine - _COSINE_BASE) * 10 if hit.cosine else 0.0,
        (hit.cosine - best_other_cosine) * 10 if hit.cosine else 0.0,
        (hit.bm25 - best_other_bm25) / _BM25_SCALE,
        float(index),
        sum(1 for term in terms if term in hit.about) / len(terms) if terms else 1.0,
    ]


@dataclass(frozen=True)
class ConfidenceModel:
    """Logistic weights over FEATURES, and the thresholds chosen with them on the dev split.

    `lone_threshold` is for an item that is the only one retrieval finds likely at all (every
    other below the clarify threshold): a button offering it alone only asks the citizen to
    confirm what the assistant is almost sure of, so it is answered from a lower probability
    (chosen on dev, like the others)."""

    weights: tuple[float, ...]
    bias: float
    answer_threshold: float
    clarify_threshold: float
    lone_threshold: float | None = None

    @property
    def lone_answer_threshold(self) -> float:
        return self.answer_threshold if self.lone_threshold is None else self.lone_threshold

    def probability(self, values: Sequence[float]) -> float:
        z = self.bias + sum(w * v for w, v in zip(self.weights, values, strict=True))
        return 1 / (1 + math.exp(-max(min(z, 30.0), -30.0)))

    def score(self, message: str, terms: Sequence[str], hits: Sequence[Hit]) -> list[float]:
        """The calibrated probability of each hit."""
        return [self.probability(features(message, terms, hits, n)) for n in range(len(hits))]

    def to_json(self) -> str:
        return json.dumps(
            {
                "features": list(FEATURES),
                "weights": list(self.weights),
                "bias": self.bias,
                "answer_threshold": self.answer_threshold,
                "clarify_threshold": self.clarify_threshold,
                "lone_threshold": self.lone_answer_threshold,
            },
            ensure_ascii=False,
            indent=2,
        )


# Before any calibration: a hand-set model equivalent to the old rule (a verbatim name or
# alias answers, a text match at most clarifies).
DEFAULT_MODEL = ConfidenceModel(
    weights=(4.0, 3.5, 2.0, 1.0, 2.0, 1.0, 1.0, 0.5, -0.5),
    bias=-4.5,
    answer_threshold=0.8,
    clarify_threshold=0.2,
)


def load_model(path: Path = MODEL_FILE) -> ConfidenceModel:
    """The fitted model; the default when none has been fitted (or the feature set changed)."""
    if not path.exists():
        return DEFAULT_MODEL
    raw = json.loads(path.read_text(encoding="utf-8"))
    if tuple(raw.get("features", ())) != FEATURES:
        return DEFAULT_MODEL
    return ConfidenceModel(
        weights=tuple(float(w) for w in raw["weights"]),
        bias=float(raw["bias"]),
        answer_threshold=float(raw["answer_threshold"]),
        clarify_threshold=float(raw["clarify_threshold"]),
        lone_threshold=float(raw["lone_threshold"]) if "lone_threshold" in raw else None,
    )
