"""Our Rasa launcher replaces a few of Rasa's inner functions for speed
(bot/scripts/rasa_server.py); each replacement must compute what the original computes.
The comparison runs in Rasa's own environment, against Rasa's, jsonschema's, dask's and
sklearn's code; tests/integration/test_rasa_replacements.py compares whole parses."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_settings
from tests.rasa_side_runner import run_rasa_side_check


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = make_settings(tmp_path_factory.mktemp("patches") / "var")
    return run_rasa_side_check(settings, "check_rasa_server_patches.py")


def test_crf_decoding_and_count_features_match_rasa_and_sklearn(findings: dict[str, Any]) -> None:
    assert findings["crf_trials"] == 400
    assert findings["crf_max_confidence_difference"] < 1e-6
    assert findings["count_vector_matrices"] == 18


def test_event_validators_accept_and_reject_what_jsonschema_does(findings: dict[str, Any]) -> None:
    """Action results and request bodies, valid and broken in many ways: the same verdict as
    `jsonschema.validate` on Rasa's schema, and where it rejects, the same error."""
    assert findings["event_lists"] == 708
    assert findings["events_accepted"] > 500 and findings["events_rejected"] > 500


def test_graph_runner_gives_what_dask_gives(findings: dict[str, Any]) -> None:
    assert findings["graph_runs"] == 11


def test_kept_alive_sessions_answer_as_a_session_per_call_does(findings: dict[str, Any]) -> None:
    """The same 20 action calls (answers, a 400 now and then, empty bodies): the same results
    and errors as Rasa's session per call, over one connection instead of twenty."""
    assert findings["session_calls"] == 20 and findings["session_errors"] == 4
    assert findings["stock_connections"] == 20
    assert findings["kept_connections"] == 1
