"""Embedded on-disk index: one SQLite file with an FTS5 table ranked by BM25.

No server to run, survives restarts, and the whole index is swapped atomically: a rebuild
writes a new file and renames it over the old one, so a reader never sees half an index.
Documents hold pre-segmented terms separated by spaces; FTS5's unicode61 tokenizer keeps
each CJK term whole because it only splits on spaces and punctuation.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from knowledge.index.base import BackendHit, IndexedDoc

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (doc_id TEXT PRIMARY KEY, kind TEXT NOT NULL, json TEXT NOT NULL);
CREATE VIRTUAL TABLE docs USING fts5(doc_id UNINDEXED, title, body, tokenize='unicode61');
"""
TITLE_WEIGHT = 4.0
BODY_WEIGHT = 1.0


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class EmbeddedIndex:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection | None:
        """One read connection per thread, reopened after a rebuild replaced the file."""
        if not self._path.exists():
            return None
        stamp = self._path.stat().st_ino
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "stamp", None) != stamp:
            if conn is not None:
                conn.close()
            conn = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True, check_same_thread=False)
            self._local.conn, self._local.stamp = conn, stamp
        return conn

    def rebuild(self, docs: Iterable[IndexedDoc], fingerprint: str) -> int:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(f".tmp{os.getpid()}")
        tmp.unlink(missing_ok=True)
        count = 0
        with sqlite3.connect(tmp) as conn:
            conn.executescript(_SCHEMA)
            for doc in docs:
                conn.execute(
                    "INSERT INTO sources VALUES (?, ?, ?)",
                    (doc.doc_id, doc.kind, json.dumps(doc.source, ensure_ascii=False)),
                )
                if doc.title_terms or doc.body_terms:
                    conn.execute(
                        "INSERT INTO docs VALUES (?, ?, ?)",
                        (doc.doc_id, " ".join(doc.title_terms), " ".join(doc.body_terms)),
                    )
                count += 1
            conn.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (fingerprint,))
        conn.close()
        os.replace(tmp, self._path)
        return count

    def fingerprint(self) -> str | None:
        conn = self._connection()
        if conn is None:
            return None
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        except sqlite3.DatabaseError:
            return None
        return str(row[0]) if row else None

    def search(self, terms: Sequence[str], k: int) -> list[BackendHit]:
        conn = self._connection()
        if conn is None or not terms:
            return []
        match = " OR ".join(_quote(t) for t in dict.fromkeys(terms))
        rows = conn.execute(
            f"SELECT doc_id, bm25(docs, 0.0, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS rank "
            "FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT ?",
            (match, k),
        ).fetchall()
        return [BackendHit(doc_id, -float(rank)) for doc_id, rank in rows]

    def sources(self, kind: str) -> list[dict[str, Any]]:
        conn = self._connection()
        if conn is None:
            return []
        rows = conn.execute("SELECT json FROM sources WHERE kind = ? ORDER BY doc_id", (kind,)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def count(self) -> int:
        conn = self._connection()
        if conn is None:
            return 0
        return int(conn.execute("SELECT count(*) FROM sources").fetchone()[0])

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
