"""Runs a check script of tests/rasa_side/ in Rasa's own environment (.venv-rasa), where our
replacements of Rasa's internals can be compared with the code they replace."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from bot.settings import REPO_ROOT, Settings
from bot.training import rasa_environment

CHECKS = REPO_ROOT / "tests" / "rasa_side"


def rasa_python(settings: Settings) -> str:
    python = settings.rasa_venv / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run make setup")
    return str(python)


def run_rasa_side_check(settings: Settings, script: str) -> dict[str, Any]:
    """The findings the script prints as its last line (JSON); fails on a non-zero exit."""
    done = subprocess.run(
        [rasa_python(settings), str(CHECKS / script)],
        env=rasa_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    findings: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return findings
