"""Where the inputs of the index live: a small value the knowledge library is handed
(`knowledge.configure` builds it from the settings).

Kept apart from `knowledge.indexing` so that building it does not load jieba, OpenCC or
numpy: the segmenter and the embedder are imported only when asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.catalog import content_hash, data_files

if TYPE_CHECKING:
    from knowledge.dense import Embedder
    from knowledge.segment import Segmenter

USERDICT_NAME = "userdict.txt"


@dataclass(frozen=True)
class KnowledgePaths:
    """Where the inputs of the index live, and how it is built (dense vectors or not)."""

    data_dir: Path
    userdict: Path
    synonyms: Path
    embedding_cache: Path | None = None  # None: no dense vectors

    def authored_fingerprint(self) -> str:
        return content_hash((p.name, p) for p in data_files(self.data_dir))

    def segmentation_fingerprint(self) -> str:
        return content_hash((p.name, p) for p in (self.userdict, self.synonyms) if p.exists())

    def segmenter(self) -> Segmenter:
        return _segmenter(self.userdict, self.synonyms, self.segmentation_fingerprint())

    def embedder(self) -> Embedder | None:
        from knowledge.dense import embedder_for

        return embedder_for(self.embedding_cache) if self.embedding_cache else None


@lru_cache(maxsize=4)
def _segmenter(userdict: Path, synonyms: Path, _fingerprint: str) -> Segmenter:
    """jieba takes about a second to load; share one segmenter per dictionary version."""
    from knowledge.segment import Segmenter
    from knowledge.synonyms import load_synonyms

    return Segmenter(userdict, load_synonyms(synonyms))
