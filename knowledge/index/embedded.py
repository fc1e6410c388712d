"""Embedded on-disk index: one SQLite file with an FTS5 table ranked by BM25.

No server to run and it survives restarts. A full rebuild writes a new file and renames it
over the old one, so a reader never sees half an index; incremental changes are ordinary
transactions on the same file (WAL mode, so readers are not blocked). Documents hold
pre-segmented terms separated by spaces; FTS5's unicode61 tokenizer keeps each CJK term
whole because it only splits on spaces and punctuation.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.index.base import BackendHit, DocKind, IndexedDoc

_SCHEMA = """
PRAGMA journal_mode=WAL;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (
    doc_id TEXT PRIMARY KEY, kind TEXT NOT NULL, names TEXT NOT NULL, json TEXT NOT NULL,
    fts_rowid INTEGER, vector BLOB
);
CREATE INDEX sources_kind ON sources (kind);
CREATE VIRTUAL TABLE docs USING fts5(doc_id UNINDEXED, kind UNINDEXED, title, body, tokenize='unicode61');
"""
TITLE_WEIGHT = 4.0
BODY_WEIGHT = 1.0


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _write(conn: sqlite3.Connection, docs: Iterable[IndexedDoc]) -> int:
    count = 0
    for doc in docs:
        _remove(conn, [doc.doc_id])
        fts_rowid = None
        if doc.title_terms or doc.body_terms:
            fts_rowid = conn.execute(
                "INSERT INTO docs VALUES (?, ?, ?, ?)",
                (doc.doc_id, doc.kind, " ".join(doc.title_terms), " ".join(doc.body_terms)),
            ).lastrowid
        conn.execute(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?)",
            (
                doc.doc_id,
                doc.kind,
                json.dumps(list(doc.names), ensure_ascii=False),
                json.dumps(doc.source, ensure_ascii=False),
                fts_rowid,
                None if doc.vector is None else doc.vector.astype(np.float32).tobytes(),
            ),
        )
        count += 1
    return count


def _remove(conn: sqlite3.Connection, doc_ids: Sequence[str]) -> None:
    """Delete by the FTS rowid recorded in `sources` (a lookup by the UNINDEXED doc_id
    column would scan the whole FTS table for every document)."""
    for doc_id in doc_ids:
        row = conn.execute("SELECT fts_rowid FROM sources WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            continue
        if row[0] is not None:
            conn.execute("DELETE FROM docs WHERE rowid = ?", (row[0],))
        conn.execute("DELETE FROM sources WHERE doc_id = ?", (doc_id,))


def _set_fingerprint(conn: sqlite3.Connection, fingerprint: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (fingerprint,))


class EmbeddedIndex:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._local = threading.local()

    def _reader(self) -> sqlite3.Connection | None:
        """One read connection per thread, reopened after a rebuild replaced the file."""
        if not self._path.exists():
            return None
        stamp = self._path.stat().st_ino
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "stamp", None) != stamp:
            if conn is not None:
                conn.close()
            conn = sqlite3.connect(self._path, check_same_thread=False)
            self._local.conn, self._local.stamp = conn, stamp
        return conn

    def rebuild(self, docs: Iterable[IndexedDoc], fingerprint: str) -> int:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(f".tmp{os.getpid()}")
        tmp.unlink(missing_ok=True)
        conn = sqlite3.connect(tmp)
        try:
            conn.executescript(_SCHEMA)
            with conn:
                count = _write(conn, docs)
                _set_fingerprint(conn, fingerprint)
        finally:
            conn.close()
        os.replace(tmp, self._path)
        return count

    def _writer(self) -> sqlite3.Connection:
        if not self._path.exists():
            raise FileNotFoundError(f"索引不存在：{self._path}")
        return sqlite3.connect(self._path, timeout=30)

    def upsert(self, docs: Sequence[IndexedDoc], fingerprint: str) -> None:
        conn = self._writer()
        try:
            with conn:
                _write(conn, docs)
                _set_fingerprint(conn, fingerprint)
        finally:
            conn.close()

    def delete(self, doc_ids: Sequence[str], fingerprint: str) -> None:
        conn = self._writer()
        try:
            with conn:
                _remove(conn, doc_ids)
                _set_fingerprint(conn, fingerprint)
        finally:
            conn.close()

    def fingerprint(self) -> str | None:
        conn = self._reader()
        if conn is None:
            return None
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        except sqlite3.DatabaseError:
            return None
        return str(row[0]) if row else None

    def search(self, terms: Sequence[str], k: int, kinds: Sequence[DocKind] = ("item",)) -> list[BackendHit]:
        conn = self._reader()
        if conn is None or not terms:
            return []
        match = " OR ".join(_quote(t) for t in dict.fromkeys(terms))
        placeholders = ",".join("?" * len(kinds))
        rows = conn.execute(
            f"SELECT doc_id, kind, bm25(docs, 0.0, 0.0, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS rank "
            f"FROM docs WHERE docs MATCH ? AND kind IN ({placeholders}) ORDER BY rank LIMIT ?",
            (match, *kinds, k),
        ).fetchall()
        return [BackendHit(doc_id, kind, -float(rank)) for doc_id, kind, rank in rows]

    def source(self, doc_id: str) -> dict[str, Any] | None:
        conn = self._reader()
        if conn is None:
            return None
        row = conn.execute("SELECT json FROM sources WHERE doc_id = ?", (doc_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def sources(self, kind: DocKind) -> list[dict[str, Any]]:
        conn = self._reader()
        if conn is None:
            return []
        rows = conn.execute("SELECT json FROM sources WHERE kind = ? ORDER BY doc_id", (kind,)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def all_names(self) -> Iterator[tuple[str, Sequence[str]]]:
        conn = self._reader()
        if conn is None:
            return
        for doc_id, names in conn.execute("SELECT doc_id, names FROM sources WHERE kind = 'item'"):
            yield doc_id, json.loads(names)

    def vectors(self) -> tuple[list[str], npt.NDArray[np.float32]]:
        conn = self._reader()
        rows = (
            []
            if conn is None
            else conn.execute("SELECT doc_id, vector FROM sources WHERE vector IS NOT NULL")
        )
        ids, blobs = [], []
        for doc_id, blob in rows:
            ids.append(doc_id)
            blobs.append(np.frombuffer(blob, dtype=np.float32))
        return ids, (np.stack(blobs) if blobs else np.empty((0, 0), dtype=np.float32))

    def count(self, kind: DocKind | None = None) -> int:
        conn = self._reader()
        if conn is None:
            return 0
        if kind is None:
            return int(conn.execute("SELECT count(*) FROM sources").fetchone()[0])
        return int(conn.execute("SELECT count(*) FROM sources WHERE kind = ?", (kind,)).fetchone()[0])

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
