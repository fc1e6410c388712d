"""Which of the nine areas (or none) a complaint, suggestion or request belongs to, so the
ticket lands in the right staff queue.

Citizens describe problems, not service items («出租车不打表», «三个月没发工资»), so the
knowledge-base search cannot route them. A linear classifier over two views does: the
multilingual-e5 query vector (meaning, robust to wording) and character 1–3-gram TF-IDF
(exact terms such as 公积金, 驾驶证). Measured by `make eval` on a fixed holdout of real 问政
messages (bot/evaluation/areas.py), the two together beat either alone.

It is trained at start-up from text we wrote ourselves: the area-labelled sample messages in
`knowledge/areas/` (`other` included: matters outside the nine areas go to the general queue),
and, weighing half as much, the names, aliases and FAQ questions of every authored item. A
district may add its own labelled history (`AREA_TRAINING_FILES`, JSONL lines `{"text",
"area"}`), which weighs as much as our messages. A message with nothing in it but a request
for a person, a greeting or a test of the bot («转人工», «有人吗») is `other` without asking
the model. Vectors are cached on disk, so after the first start training takes about a second.
"""

from __future__ import annotations

import json
import logging
import re
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

from bot.contracts.areas import Area
from bot.settings import Settings
from knowledge.catalog import load_catalog
from knowledge.chinese import to_simplified
from knowledge.dense import Embedder, embedder_for
from knowledge.schema import AREA_TERMS
from knowledge.yaml_io import safe_load

logger = logging.getLogger(__name__)

# Weights chosen on the dev rows outside the fixed holdout (`make eval`, bot/evaluation/areas.py):
# with the e5 view at 1× rather than 2× the TF-IDF view and a message weighing twice a catalog
# name or FAQ, 5-fold accuracy with history rose from 0.883 to 0.903, authored-only from
# 0.869 to 0.877 (472 rows: differences of a few rows, no worse anywhere).
_DENSE_WEIGHT = 1.0
_MESSAGE_WEIGHT = 2.0
_MAX_CHARS = 200
MESSAGES_GLOB = "messages_*.yml"


Example = tuple[str, Area]


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


# What a citizen types to reach a person, greet or test the bot, without a word about a
# matter («我要人工» «转人工» «你是机器人吗» «有人吗»). Such a message belongs to the general
# queue: a model made to choose among areas would pick one by accident (人工 → 就业).
_PERSON = r"(?:人工客服|人工服务|人工坐席|人工|真人|客服|工作人员|机器人|智能助手|小助手|助手)"
_NO_MATTER = re.compile(
    rf"(?:转接|接通|转|找|接|叫|换|联系)?(?:个|一个|一下)?{_PERSON}|"
    r"你好|您好|哈喽|hello|hi|喂|在吗|在不在|有人吗|有没有人|有人在吗|有人|没人|人呢|谢谢|好的|"
    r"我要|我想|我需要|需要|能不能|可不可以|可以|请问|请|帮我|帮忙|给我|麻烦|怎么|为什么|还|都|"
    r"你们|你是|是不是|你|我|是|吗|呢|啊|吧|呀|哦|嗯|了|的|一下|"
    r"回复|回答|说话|投诉|反映|咨询|问题|举报|建议|留言"
)
_LEFTOVER = re.compile(r"[\W_\d]+")


def says_nothing_about_a_matter(text: str) -> bool:
    """True for a request for a person, a greeting or a test of the bot: nothing is left
    once such words, particles and punctuation are taken out."""
    return not _LEFTOVER.sub("", _NO_MATTER.sub("", _clip(text).lower()))


class AreaClassifier:
    def __init__(self, embedder: Embedder, vectorizer: TfidfVectorizer, model: LogisticRegression) -> None:
        self._embedder = embedder
        self._vectorizer = vectorizer
        self._model = model

    @classmethod
    def train(
        cls, examples: Sequence[Example], embedder: Embedder, catalog: Sequence[Example] = ()
    ) -> AreaClassifier:
        """`examples` are messages as citizens write them (our samples, a district's history);
        `catalog` the names and FAQ questions of items, which weigh half as much: they ask
        about a service item rather than describe a problem, and outnumber the messages."""
        texts = [_clip(text) for text, _ in [*examples, *catalog]]
        labels = [area.value for _, area in [*examples, *catalog]]
        weights = np.array([_MESSAGE_WEIGHT] * len(examples) + [1.0] * len(catalog))
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        vectorizer.fit(texts)
        model = LogisticRegression(C=20.0, max_iter=3000)
        classifier = cls(embedder, vectorizer, model)
        model.fit(classifier._features(texts), labels, sample_weight=weights)
        return classifier

    def _features(self, clipped: Sequence[str]) -> Any:
        """Both views side by side: TF-IDF of the characters, weighted e5 vector."""
        dense = csr_matrix(self._embedder.queries(clipped) * _DENSE_WEIGHT)
        return hstack([self._vectorizer.transform(clipped), dense]).tocsr()

    def predict_many(self, texts: Sequence[str]) -> list[AreaPrediction]:
        """The model's answer for each text (an area named outright is not looked for here);
        `other` for a text that says nothing about a matter."""
        answers: list[AreaPrediction | None] = [
            AreaPrediction(Area.other, 1.0) if says_nothing_about_a_matter(text) else None for text in texts
        ]
        asked = [i for i, answer in enumerate(answers) if answer is None]
        if asked:
            probabilities = self._model.predict_proba(self._features([_clip(texts[i]) for i in asked]))
            classes = list(self._model.classes_)
            for i, row in zip(asked, probabilities, strict=True):
                best = int(np.argmax(row))
                answers[i] = AreaPrediction(Area(classes[best]), round(float(row[best]), 4))
        return [answer for answer in answers if answer is not None]

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


def message_examples(messages_dir: Path) -> list[Example]:
    """Our own sample messages per area, written the way citizens describe problems."""
    examples: list[Example] = []
    for path in sorted(messages_dir.glob(MESSAGES_GLOB)):
        try:
            messages = _AreaMessages.model_validate(safe_load(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, ValidationError) as exc:
            raise AreaTrainingError(f"{path}：格式错误：{exc}") from exc
        examples += [(text, messages.area) for text in messages.messages]
    return examples


def catalog_examples(knowledge_dir: Path) -> list[Example]:
    """Every authored item's names and FAQ questions, and the loose FAQ questions."""
    catalog = load_catalog(knowledge_dir)
    examples: list[Example] = []
    for item in catalog.items.values():
        examples += [(name, item.area) for name in item.names]
        examples += [(faq.q, item.area) for faq in item.faqs]
    examples += [(faq.q, faq.area) for faq in catalog.faqs.values()]
    return examples


def authored_examples(messages_dir: Path, knowledge_dir: Path) -> list[Example]:
    """Our own labelled text: sample messages per area, and every item's names and FAQs."""
    return message_examples(messages_dir) + catalog_examples(knowledge_dir)


def jsonl_examples(path: Path) -> list[Example]:
    """A district's own labelled history: one `{"text": ..., "area": ...}` per line."""
    examples: list[Example] = []
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


def history_examples(settings: Settings) -> list[Example]:
    """The district's own labelled history (`AREA_TRAINING_FILES`)."""
    return [example for path in settings.area_training_files for example in jsonl_examples(path)]


def training_examples(settings: Settings) -> list[Example]:
    """Everything the classifier learns from: our messages, the district's, our catalog."""
    return authored_examples(settings.area_messages_dir, settings.knowledge_dir) + history_examples(settings)


def open_area_classifier(settings: Settings) -> AreaClassifier:
    """Train from the configured examples (vectors come from the shared on-disk cache)."""
    return AreaClassifier.train(
        message_examples(settings.area_messages_dir) + history_examples(settings),
        embedder_for(settings.effective_embedding_cache),
        catalog=catalog_examples(settings.knowledge_dir),
    )


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
