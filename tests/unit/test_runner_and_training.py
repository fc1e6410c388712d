from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from bot.runner import Child, ChildDiedError, Supervisor
from bot.settings import Settings
from bot.training import model_fingerprint, refresh_generated_nlu
from knowledge.__main__ import main as knowledge_cli
from tests.conftest import make_settings


def test_a_child_that_dies_is_reported_by_name_and_exit_code() -> None:
    doomed = Child("actions", [sys.executable, "-c", "raise SystemExit(3)"], "http://127.0.0.1:9/", {})
    supervisor = Supervisor([doomed])
    supervisor.start()
    assert doomed.process is not None
    doomed.process.wait(timeout=10)
    with pytest.raises(ChildDiedError, match="actions 意外退出（退出码 3）"):
        supervisor.wait_ready(timeout=5)
    supervisor.stop()


def test_stop_terminates_running_children() -> None:
    sleeper = Child(
        "gateway", [sys.executable, "-c", "import time; time.sleep(60)"], "http://127.0.0.1:9/", {}
    )
    supervisor = Supervisor([sleeper])
    supervisor.start()
    supervisor.stop()
    assert sleeper.process is not None and sleeper.process.returncode is not None


def _copied_nlu(settings: Settings, tmp_path: Path) -> Settings:
    shutil.copytree(settings.nlu_data_dir, tmp_path / "nlu_data")
    return make_settings(tmp_path / "var", NLU_DATA_DIR=tmp_path / "nlu_data")


def test_model_fingerprint_changes_only_with_training_inputs(settings: Settings, tmp_path: Path) -> None:
    copy = _copied_nlu(settings, tmp_path)
    assert model_fingerprint(copy) == model_fingerprint(settings)
    with (copy.nlu_data_dir / "nlu" / "smalltalk.yml").open("a", encoding="utf-8") as f:
        f.write("    - 早上好呀\n")
    assert model_fingerprint(copy) != model_fingerprint(settings)


def test_generated_nlu_files_in_the_repository_are_up_to_date(settings: Settings, tmp_path: Path) -> None:
    copy = _copied_nlu(settings, tmp_path)
    assert refresh_generated_nlu(copy) == []
    assert knowledge_cli(["export-nlu", "--check"]) == 0
