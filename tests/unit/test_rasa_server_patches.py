"""Our Rasa launcher replaces a few of Rasa's inner functions for speed
(bot/scripts/rasa_server.py); each replacement must compute what the original computes.
The comparison runs in Rasa's own environment, against Rasa's and sklearn's code."""

from __future__ import annotations

import json
import subprocess

import pytest

from bot.settings import REPO_ROOT, Settings
from bot.training import rasa_environment

CHECK = REPO_ROOT / "tests" / "rasa_side" / "check_rasa_server_patches.py"


def test_crf_decoding_and_count_features_match_rasa_and_sklearn(settings: Settings) -> None:
    python = settings.rasa_venv / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run make setup")
    done = subprocess.run(
        [str(python), str(CHECK)], env=rasa_environment(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    findings = json.loads(done.stdout.strip().splitlines()[-1])
    assert findings["crf_trials"] == 400
    assert findings["crf_max_confidence_difference"] < 1e-6
    assert findings["count_vector_matrices"] == 18
