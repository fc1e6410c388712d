"""Run under .venv-rasa (tests/unit/bot/scripts/test_rasa_launcher_guards.py starts it): the two guards
of our Rasa launcher (bot/scripts/rasa_server.py), on the real lock file and environment and
on made-up ones. Prints one JSON line of findings; exits non-zero when a check fails."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bot" / "scripts"))

import rasa_server

LOCK = (
    "rasa==3.6.21\nrasa_sdk==3.6.2 \\\n    --hash=sha256:00\nTensorFlow==2.12.0 ; python_version < '3.11'\n"
)


def check_versions() -> dict[str, Any]:
    real = rasa_server.version_mismatches(
        rasa_server.installed_versions(), rasa_server.LOCK_FILE.read_text(encoding="utf-8")
    )
    locked = {"rasa": "3.6.21", "rasa-sdk": "3.6.2", "tensorflow": "2.12.0"}
    cases = {
        "same": rasa_server.version_mismatches(locked, LOCK),
        "other": rasa_server.version_mismatches({**locked, "tensorflow": "2.13.0", "rasa-sdk": None}, LOCK),
        "unpinned": rasa_server.version_mismatches(locked, "rasa==3.6.21\ntensorflow==2.12.0\n"),
    }
    return {"installed": rasa_server.installed_versions(), "real_mismatches": real, "cases": cases}


class SurpriseError(RuntimeError):
    pass


def check_loader_fallback() -> dict[str, Any]:
    """A model the inference-only loader cannot build is loaded by Rasa's own loader: the
    citizen is still served, and the fallback is logged and counted."""
    from rasa.utils.tensorflow import models

    real_load = models.RasaModel.__dict__["load"]
    stock_calls: list[tuple[Any, ...]] = []

    def stock_load(cls: Any, *args: Any, **kwargs: Any) -> str:
        stock_calls.append(args)
        return "stock model"

    class Unbuildable:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise SurpriseError("not what the loader was written for")

    records: list[logging.LogRecord] = []

    class Kept(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Kept()
    rasa_server.logger.addHandler(handler)
    models.RasaModel.load = classmethod(stock_load)
    try:
        rasa_server.install_inference_loader()
        before = dict(rasa_server.FALLBACK_COUNTS)
        loaded = models.RasaModel.load.__func__(Unbuildable, "model.tf_model", "example")
        after = dict(rasa_server.FALLBACK_COUNTS)
    finally:
        models.RasaModel.load = real_load
        rasa_server.logger.removeHandler(handler)
    return {
        "loaded": loaded,
        "stock_calls": len(stock_calls),
        "fallbacks_before": before,
        "fallbacks_after": after,
        "warnings": [record.getMessage() for record in records if record.levelno == logging.WARNING],
        "warning_has_traceback": all(record.exc_info for record in records),
    }


def check_stock_paths() -> dict[str, Any]:
    """`RASA_STOCK_PATHS` as the launcher reads it: names in install order, unknown refused."""
    try:
        rasa_server.stock_paths("parse_cache, nonsense,parse_thread,graph_runner")
        refusal = None
    except SystemExit as exit_:
        refusal = str(exit_.code)
    return {
        "names": list(rasa_server.REPLACEMENTS),
        "empty": rasa_server.stock_paths(None) + rasa_server.stock_paths(" , "),
        "chosen": rasa_server.stock_paths("parse_cache, graph_runner,"),
        "refusal": refusal,
    }


if __name__ == "__main__":
    findings = {**check_versions(), "loader": check_loader_fallback(), "stock_paths": check_stock_paths()}
    print(json.dumps(findings, ensure_ascii=False))
