"""Rasa keeps conversations in the app database through our `KeptSQLTrackerStore`
(bot/scripts/kept_tracker_store.py), which hands a conversation's saved tracker back to its
next turn instead of reading it again. It must hand out exactly what Rasa's stock
`SQLTrackerStore` would read and store exactly the rows the stock store stores; the
comparison runs in Rasa's own environment (tests/rasa_side/check_kept_tracker_store.py)."""

from __future__ import annotations

from bot.settings import Settings
from tests.rasa_side_runner import run_rasa_side_check


def test_kept_trackers_equal_stock_reads_and_the_rows_equal_stock_saves(settings: Settings) -> None:
    findings = run_rasa_side_check(settings, "check_kept_tracker_store.py")
    assert findings["turns_checked"] == 160
    assert findings["rows"] > 600
    # Most turns must take the kept path, or this compared the stock store with itself.
    assert findings["kept_hits"] > 80
