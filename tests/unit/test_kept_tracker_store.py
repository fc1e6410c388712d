"""Rasa keeps conversations in the app database through our `KeptSQLTrackerStore`
(bot/scripts/kept_tracker_store.py), which hands a conversation's saved tracker back to its
next turn instead of reading it again. It must hand out exactly what Rasa's stock
`SQLTrackerStore` would read and store exactly the rows the stock store stores; the
comparison runs in Rasa's own environment (tests/rasa_side/check_kept_tracker_store.py)."""

from __future__ import annotations

import json
import subprocess

import pytest

from bot.settings import REPO_ROOT, Settings
from bot.training import rasa_environment

CHECK = REPO_ROOT / "tests" / "rasa_side" / "check_kept_tracker_store.py"


def test_kept_trackers_equal_stock_reads_and_the_rows_equal_stock_saves(settings: Settings) -> None:
    python = settings.rasa_venv / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run make setup")
    done = subprocess.run(
        [str(python), str(CHECK)], env=rasa_environment(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    findings = json.loads(done.stdout.strip().splitlines()[-1])
    assert findings["turns_checked"] == 160
    assert findings["rows"] > 600
    # Most turns must take the kept path, or this compared the stock store with itself.
    assert findings["kept_hits"] > 80
