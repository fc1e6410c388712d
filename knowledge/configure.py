"""The settings turned into what the knowledge library is handed: where its inputs live.

The library itself never reads the settings (tests/unit/test_import_layers.py); the
processes and commands that use it call this. Kept apart from `knowledge.service` because
this is cheap to import (no jieba, OpenCC or numpy), so the runner and the training step
can use it without loading the NLP stack.
"""

from __future__ import annotations

from bot.settings import Settings
from knowledge.paths import USERDICT_NAME, KnowledgePaths


def knowledge_paths(settings: Settings) -> KnowledgePaths:
    cache = settings.effective_embedding_cache if settings.dense_search else None
    return KnowledgePaths(
        settings.knowledge_dir,
        settings.jieba_dict_dir / USERDICT_NAME,
        settings.nlu_data_dir / "synonyms.yml",
        cache,
    )
