"""Run under .venv-rasa (tests/unit/bot/scripts/test_kept_tracker_store.py starts it): our kept tracker
store (bot/scripts/kept_tracker_store.py) against Rasa's stock `SQLTrackerStore`.

The same seeded conversations (new sessions, slots, another server writing in between, a turn
that fails before saving, a tracker changed after its save, a tracker read by a stock store
and saved through ours) are played twice: once through
our store, once through the stock one, each on its own SQLite file. Before each turn the
tracker ours hands out must equal what a stock store reads from ours's database, and at the
end both databases must hold the same rows. Prints one JSON line; exits non-zero on a
mismatch."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "bot" / "scripts"))

from kept_tracker_store import KeptSQLTrackerStore  # noqa: E402
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import (  # noqa: E402
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity  # noqa: E402
from rasa.shared.utils.common import class_from_module_path  # noqa: E402

QUESTIONS = ["补办身份证要带什么", "那要多少钱", "在哪里办", "居住证到期了怎么续", "转人工"]


class Clock:
    """Event timestamps that are the same in both runs."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def tick(self) -> float:
        self.now += 0.25
        return self.now


def turn_events(clock: Clock, rng: random.Random, new_session: bool) -> list[Event]:
    events: list[Event] = []
    if new_session:
        events += [
            ActionExecuted("action_session_start", timestamp=clock.tick()),
            SessionStarted(timestamp=clock.tick()),
            ActionExecuted("action_listen", timestamp=clock.tick()),
        ]
    text = rng.choice(QUESTIONS)
    parse = {"text": text, "intent": {"name": "ask_material", "confidence": 0.93}, "entities": []}
    events += [
        UserUttered(text, parse_data=parse, timestamp=clock.tick()),
        ActionExecuted("action_answer", timestamp=clock.tick()),
        BotUttered(
            f"关于「{text}」：……",
            data={"buttons": [{"title": "要多少钱", "payload": "/ask_fee"}]},
            timestamp=clock.tick(),
        ),
        SlotSet("service_item", rng.choice(["居民身份证补领", "居住证签注", None]), timestamp=clock.tick()),
        ActionExecuted("action_listen", timestamp=clock.tick()),
    ]
    return events


def state(tracker: DialogueStateTracker | None) -> Any:
    return None if tracker is None else tracker.current_state(EventVerbosity.ALL)


async def play(
    store: TrackerStore, reader: SQLTrackerStore, other: SQLTrackerStore, seed: int
) -> dict[str, int]:
    """The scenario, through `store`; `reader` and `other` are stock stores on its database:
    one to compare with, one to write as another server would."""
    rng, clock = random.Random(seed), Clock()
    checked = 0
    for turn in range(160):
        sender = f"citizen-{rng.randrange(6)}"
        roll = rng.random()
        if roll < 0.1:  # another Rasa server took this conversation's last turn
            elsewhere = await other.retrieve(sender) or DialogueStateTracker(sender, other.domain.slots)
            for event in turn_events(clock, rng, new_session=not elsewhere.events):
                elsewhere.update(event)
            await other.save(elsewhere)
        expected = state(await reader.retrieve(sender))
        tracker = await store.retrieve(sender)
        if state(tracker) != expected:
            raise AssertionError(f"turn {turn}, {sender}: the tracker handed out differs from a stock read")
        checked += 1
        if tracker is not None and 0.30 <= roll < 0.36:
            # A tracker this store did not hand out (read by a stock store): its save counts
            # what the database holds of its session, as the stock save does.
            tracker = await reader.retrieve(sender)
        if tracker is None:
            tracker = await store.create_tracker(sender, append_action_listen=False)
        for event in turn_events(clock, rng, new_session=not tracker.events or roll < 0.18):
            tracker.update(event)
        if roll < 0.24:  # the turn fails before its save
            continue
        await store.save(tracker)
        if roll < 0.30:  # changed after its save, never saved again
            tracker.update(SlotSet("service_item", "不应保留", timestamp=clock.tick()))
    return {"turns_checked": checked}


def rows(store: SQLTrackerStore) -> list[tuple[Any, ...]]:
    table = store.SQLEvent.__table__
    with store.engine.connect() as connection:
        query = table.select().order_by(table.c.id)
        return [tuple(row)[1:] for row in connection.execute(query)]


async def main() -> dict[str, int]:
    domain = Domain.load(str(REPO_ROOT / "bot" / "domain.yml"))
    folder = Path(tempfile.mkdtemp(prefix="kept-tracker-"))
    ours_url, stock_url = f"sqlite:///{folder / 'ours.db'}", f"sqlite:///{folder / 'stock.db'}"
    endpoint_class = class_from_module_path("kept_tracker_store.KeptSQLTrackerStore")
    ours = endpoint_class(domain=domain, host=ours_url)
    stock = SQLTrackerStore(domain=domain, host=stock_url)
    findings = await play(
        ours,
        SQLTrackerStore(domain=domain, host=ours_url),
        SQLTrackerStore(domain=domain, host=ours_url),
        2026,
    )
    await play(
        stock,
        SQLTrackerStore(domain=domain, host=stock_url),
        SQLTrackerStore(domain=domain, host=stock_url),
        2026,
    )
    ours_rows, stock_rows = rows(ours), rows(stock)
    if ours_rows != stock_rows:
        raise AssertionError("the two databases hold different events")
    assert isinstance(ours, KeptSQLTrackerStore)
    return {**findings, "rows": len(ours_rows), "kept_hits": ours.kept_hits}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
