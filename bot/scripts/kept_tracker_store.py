"""Rasa's SQL tracker store (conversations in the app database) that does not read a
conversation back from the database on every turn. Runs under .venv-rasa; Rasa loads it by
the module path in its endpoints file (bot/rasa_stores.py), from the launcher's folder.

Why: the stock `SQLTrackerStore` reads every event of the conversation's session and replays
them at the start of each turn, and at the end counts them again (a query with a sub-query)
to find which events are new. Profiled on this machine that was ~5 ms of Rasa's CPU a turn,
almost all of it SQLAlchemy building and running those ORM queries, for data that Rasa
itself wrote a few seconds earlier.

Here the tracker saved at the end of a turn is kept, and the next turn gets it back after one
indexed query proves the database still holds exactly what was saved: the number of the
conversation's events and the highest event id. Whatever else wrote in between (another Rasa
server after a fail-over, a restarted process, a retention job) changes one of the two, and
the turn then reads the database as stock Rasa does. Persistence is unchanged: every event is
written at the end of the turn, as before, and a restarted Rasa reads everything back.

What a kept tracker holds is what a fresh read would build: a save that started a new session
keeps a tracker rebuilt from the events of that session only (stock reads filter by the latest
`session_started`), and a tracker that changed after its save is not handed out again.
tests/rasa_side/ compares both paths turn by turn.

Its database engine also checks a pooled PostgreSQL connection before using it: one
ended under it (a restarted database, `pg_terminate_backend`, a proxy's idle timeout) is
replaced instead of failing the citizen's next turn with a 500. On SQLite it keeps its
connections (SQLAlchemy 1.4 opens a new one per session there) and sets what the gateway's
engine sets on the shared file (bot/persistence/store.py): WAL syncs at checkpoints rather
than on every commit, and a writer waits up to 5 s for the other process's lock.
"""

from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

# Conversations kept per Rasa server: about the citizens writing at the same time. At ~40 KB
# a tracker this bounds the store at ~20 MB; the least recently used is dropped first.
KEPT_CONVERSATIONS = 500

# The attribute under which a tracker handed out by this store remembers what is stored.
STORED = "_zw_stored"


def engine_options(url: Any) -> dict[str, Any]:
    """A database server's connection is checked before use (a `SELECT 1` per checkout);
    a SQLite file has no connection to lose."""
    if str(url).startswith("sqlite"):
        return {"poolclass": sa.pool.QueuePool, "connect_args": {"check_same_thread": False}}
    return {**create_engine_kwargs(url), "pool_pre_ping": True}


def set_sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


@dataclass(frozen=True)
class Stored:
    """What the database holds of one conversation after a save or read through this store."""

    count: int  # the conversation's events in the database, every session
    last_id: int | None  # the highest of their ids
    events: int  # how many of this tracker object's events those are

    def stamp(self) -> tuple[int, int | None]:
        return self.count, self.last_id


class KeptSQLTrackerStore(SQLTrackerStore):  # type: ignore[misc]  # Rasa is untyped (Any) to mypy
    """`SQLTrackerStore` with the last saved tracker of each recent conversation kept."""

    engine: sa.engine.Engine

    def __init__(self, *args: Any, kept_conversations: int = KEPT_CONVERSATIONS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kept_conversations = kept_conversations
        self._kept: OrderedDict[str, DialogueStateTracker] = OrderedDict()
        self.kept_hits = 0  # turns that began without reading the conversation back
        url = self.engine.url
        self.engine.dispose()  # the stock engine only created the table
        self.engine = sa.create_engine(url, **engine_options(url))
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", set_sqlite_pragmas)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        # Built once: SQLAlchemy 1.4 spent more on building these two statements each turn
        # (`sa.func`, the cache key) than on running them.
        table = self.SQLEvent.__table__
        self._stamp_query = sa.select(sa.func.count(table.c.id), sa.func.max(table.c.id)).where(
            table.c.sender_id == sa.bindparam("sender_id")
        )
        self._insert_events = table.insert()

    def _stamp(self, sender_id: str, connection: Any) -> tuple[int, int | None]:
        count, last_id = connection.execute(self._stamp_query, {"sender_id": sender_id}).one()
        return int(count), last_id

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The kept tracker when the database still holds exactly what it saved; otherwise
        the stock read. The kept tracker is handed out once: the caller owns it until it
        saves it back, so two callers never share (and change) one object."""
        with self.engine.connect() as connection:
            stamp = self._stamp(sender_id, connection)
        kept = self._kept.pop(sender_id, None)
        if kept is not None:
            stored: Stored = kept.__dict__[STORED]
            if stored.stamp() == stamp and stored.events == len(kept.events):
                self.kept_hits += 1
                return kept
        if stamp[0] == 0:  # a new conversation: nothing to read
            return None
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            # A write between the stamp and the read only makes the next stamp differ.
            tracker.__dict__[STORED] = Stored(*stamp, events=len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """The stock save, except that the events already stored are known for trackers this
        store handed out (the stock save counts them in the database), and the rows go in as
        one multi-row insert (the stock save flushes an ORM object per event)."""
        await self.stream_events(tracker)
        known: Stored | None = tracker.__dict__.get(STORED)
        first_new = self._stored_in_session(tracker.sender_id) if known is None else known.events
        rows = [
            self._row(tracker.sender_id, event) for event in itertools.islice(tracker.events, first_new, None)
        ]
        with self.engine.begin() as connection:
            if rows:
                connection.execute(self._insert_events, rows)
            count, last_id = self._stamp(tracker.sender_id, connection)
        tracker.__dict__[STORED] = Stored(count, last_id, events=len(tracker.events))
        written_alone = known is None or count == known.count + len(rows)
        # A stock read of no events gives None, not an empty tracker; and a conversation that
        # someone else wrote to since this tracker was read is read again next turn.
        if tracker.events and written_alone:
            self._keep(self._as_read(tracker))

    def _stored_in_session(self, sender_id: str) -> int:
        """How many events of the conversation's latest session the database holds, as the
        stock save counts them. A conversation with no events at all (a new one: most trackers
        this store did not hand out) is known from the stamp, without the stock query and its
        sub-query."""
        with self.engine.connect() as connection:
            if self._stamp(sender_id, connection)[0] == 0:
                return 0
        with self.session_scope() as session:
            return int(self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count())

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict[str, Any]:
        """The columns the stock save fills for an event."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    def _as_read(self, tracker: DialogueStateTracker) -> DialogueStateTracker:
        """The tracker a stock read would build now: only the events from the latest
        `session_started` on. Only a save that started a session needs a rebuild."""
        starts = [event.timestamp for event in tracker.events if isinstance(event, SessionStarted)]
        session_start = max(starts, default=None)
        if session_start is None or all(event.timestamp >= session_start for event in tracker.events):
            return tracker
        events = [json.loads(json.dumps(e.as_dict())) for e in tracker.events if e.timestamp >= session_start]
        rebuilt = DialogueStateTracker.from_dict(tracker.sender_id, events, self.domain.slots)
        stored: Stored = tracker.__dict__[STORED]
        rebuilt.__dict__[STORED] = Stored(stored.count, stored.last_id, events=len(rebuilt.events))
        return rebuilt

    def _keep(self, tracker: DialogueStateTracker) -> None:
        self._kept.pop(tracker.sender_id, None)
        self._kept[tracker.sender_id] = tracker
        while len(self._kept) > self.kept_conversations:
            self._kept.popitem(last=False)
