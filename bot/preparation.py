"""`python -m bot prepare`: everything the servers would otherwise build at start.

A module of its own so that the long-lived `make run` supervisor, which only starts and
watches processes, never imports jieba, scikit-learn or the embedding model.
"""

from __future__ import annotations

from bot.area_classifier import warm_area_vectors
from bot.settings import Settings
from knowledge.service import prepare_knowledge


def prepare(settings: Settings) -> None:
    """The knowledge index and the area classifier's vectors (both cached on disk, so a
    second run is quick)."""
    prepare_knowledge(settings)
    count = warm_area_vectors(settings)
    print(f"领域分类器：{count} 条训练文本的向量已就绪。", flush=True)
