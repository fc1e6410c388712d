"""Which of the nine areas (or none) a complaint, suggestion or request belongs to, so the
ticket lands in the right staff queue.

Citizens describe problems, not service items («出租车不打表», «三个月没发工资»), so the
knowledge-base search cannot route them. A linear classifier over two views does: the
multilingual-e5 query vector (meaning, robust to wording) and character 1–3-gram TF-IDF
(exact terms such as 公积金, 驾驶证). Measured by `make eval` on real 问政 messages, the two
together beat either alone (see knowledge/evaluate_areas.py).

It is trained at start-up from text we wrote ourselves: the area-labelled sample messages in
`knowledge/areas/`, and the names, aliases and FAQ questions of every authored item. A district
may add its own labelled history (`AREA_TRAINING_FILES`, JSONL lines `{"text", "area"}`).
Vectors are cached on disk, so after the first start training takes about a second.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.settings import Settings
from knowledge.catalog import load_catalog
from knowledge.chinese import to_simplified
from knowledge.dense import Embedder, embedder_for
from knowledge.schema import AREA_TERMS, Area

logger = logging.getLogger(__name__)

# The e5 view is worth about twice the TF-IDF view (5-fold accuracy 0.898 vs 0.890 at 1×).
_DENSE_WEIGHT = 2.0
_MAX_CHARS = 200
MESSAGES_GLOB = "messages_*.yml"


class AreaTrainingError(ValueError):
    """A training file is malformed; the message names the file and line."""


class _AreaMessages(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: Area
    messages: list[str]


@dataclass(frozen=True)
class AreaPrediction:
    area: Area
    confidence: float
    explicit: bool = False  # the citizen named the area («交通方面»)


def _clip(text: str) -> str:
    return to_simplified(text.strip())[:_MAX_CHARS]


class AreaClassifier:
    def __init__(self, embedder: Embedder, vectorizer: TfidfVectorizer, model: LogisticRegression) -> None:
        self._embedder = embedder
        self._vectorizer = vectorizer
        self._model = model

    @classmethod
    def train(cls, examples: Sequence[tuple[str, Area]], embedder: Embedder) -> AreaClassifier:
        texts = [_clip(text) for text, _ in examples]
        labels = [area.value for _, area in examples]
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        vectorizer.fit(texts)
        model = LogisticRegression(C=20.0, max_iter=3000)
        classifier = cls(embedder, vectorizer, model)
        model.fit(classifier._features(texts), labels)
        return classifier

    def _features(self, clipped: Sequence[str]) -> Any:
        """Both views side by side: TF-IDF of the characters, weighted e5 vector."""
        dense = csr_matrix(self._embedder.queries(clipped) * _DENSE_WEIGHT)
        return hstack([self._vectorizer.transform(clipped), dense]).tocsr()

    def predict_many(self, texts: Sequence[str]) -> list[AreaPrediction]:
        """The model's answer for each text (an area named outright is not looked for here)."""
        probabilities = self._model.predict_proba(self._features([_clip(text) for text in texts]))
        classes = list(self._model.classes_)
        best = np.argmax(probabilities, axis=1)
        return [
            AreaPrediction(Area(classes[int(i)]), round(float(row[int(i)]), 4))
            for i, row in zip(best, probabilities, strict=True)
        ]

    def predict(self, text: str) -> AreaPrediction:
        named = named_area(text)
        if named is not None:
            return AreaPrediction(named, 1.0, explicit=True)
        return self.predict_many([text])[0]


# Longest first, so 交通方面 wins over 交通 and a sentence is searched once per term.
AREA_TERMS_LONGEST_FIRST: tuple[tuple[str, Area], ...] = tuple(
    sorted(((t, a) for a, ts in AREA_TERMS.items() for t in ts), key=lambda ta: -len(ta[0]))
)


def named_area(text: str) -> Area | None:
    """The area the citizen names outright («我要投诉交通方面的问题»)."""
    simplified = to_simplified(text)
    for term, area in AREA_TERMS_LONGEST_FIRST:
        if len(term) >= 2 and term in simplified and f"{term}卡" not in simplified:
            return area
    return None


def authored_examples(messages_dir: Path, knowledge_dir: Path) -> list[tuple[str, Area]]:
    """Our own labelled text: sample messages per area, and every item's names and FAQs."""
    examples: list[tuple[str, Area]] = []
    for path in sorted(messages_dir.glob(MESSAGES_GLOB)):
        try:
            messages = _AreaMessages.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, ValidationError) as exc:
            raise AreaTrainingError(f"{path}：格式错误：{exc}") from exc
        examples += [(text, messages.area) for text in messages.messages]
    catalog = load_catalog(knowledge_dir)
    for item in catalog.items.values():
        examples += [(name, item.area) for name in item.names]
        examples += [(faq.q, item.area) for faq in item.faqs]
    examples += [(faq.q, faq.area) for faq in catalog.faqs.values()]
    return examples


def jsonl_examples(path: Path) -> list[tuple[str, Area]]:
    """A district's own labelled history: one `{"text": ..., "area": ...}` per line."""
    examples: list[tuple[str, Area]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            examples.append((str(row["text"]), Area(row["area"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise AreaTrainingError(
                f"{path} 第 {number} 行：需要 text 和 area（九个领域之一或 other）：{exc}"
            ) from exc
    return examples


def training_examples(settings: Settings) -> list[tuple[str, Area]]:
    examples = authored_examples(settings.area_messages_dir, settings.knowledge_dir)
    for path in settings.area_training_files:
        examples += jsonl_examples(path)
    return examples


def open_area_classifier(settings: Settings) -> AreaClassifier:
    """Train from the configured examples (vectors come from the shared on-disk cache)."""
    return AreaClassifier.train(training_examples(settings), embedder_for(settings.effective_embedding_cache))


def warm_area_vectors(settings: Settings) -> int:
    """Embed the training texts into the on-disk cache before the servers start, so their
    background training is a second of fitting, not a minute of embedding. Returns the count."""
    texts = [_clip(text) for text, _ in training_examples(settings)]
    embedder_for(settings.effective_embedding_cache).queries(texts)
    return len(texts)


class BackgroundAreaClassifier:
    """Trains in a thread started at once, so a server is ready before the classifier (about
    7 s on two cores); the first prediction waits for it."""

    def __init__(self, settings: Settings) -> None:
        self._ready = threading.Event()
        self._model: AreaClassifier | None = None
        self._error: Exception | None = None
        threading.Thread(target=self._train, args=(settings,), name="area-classifier", daemon=True).start()

    def _train(self, settings: Settings) -> None:
        try:
            self._model = open_area_classifier(settings)
        except Exception as exc:  # reported on every use: a broken training file must be seen
            self._error = exc
            logger.error("领域分类模型训练失败：%s", exc)
        finally:
            self._ready.set()

    def predict(self, text: str, timeout: float = 60.0) -> AreaPrediction:
        """The classifier's answer; a named area needs no model; `other` if training failed."""
        named = named_area(text)
        if named is not None:
            return AreaPrediction(named, 1.0, explicit=True)
        if not self._ready.wait(timeout) or self._model is None:
            return AreaPrediction(Area.other, 0.0)
        return self._model.predict_many([text])[0]
