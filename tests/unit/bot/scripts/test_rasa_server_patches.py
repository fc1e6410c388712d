"""Our Rasa launcher replaces a few of Rasa's inner functions for speed
(bot/scripts/rasa_server.py); each replacement must compute what the original computes.
The comparison runs in Rasa's own environment, against Rasa's and sklearn's code."""

from __future__ import annotations

from bot.settings import Settings
from tests.rasa_side_runner import run_rasa_side_check


def test_crf_decoding_and_count_features_match_rasa_and_sklearn(settings: Settings) -> None:
    findings = run_rasa_side_check(settings, "check_rasa_server_patches.py")
    assert findings["crf_trials"] == 400
    assert findings["crf_max_confidence_difference"] < 1e-6
    assert findings["count_vector_matrices"] == 18
