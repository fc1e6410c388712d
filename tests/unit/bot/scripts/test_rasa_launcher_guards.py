"""Our Rasa launcher (bot/scripts/rasa_server.py) replaces Rasa and TensorFlow internals, so it
refuses to start on versions other than the locked ones, and a replacement that hands its work
back to Rasa's own code says so and counts it. Checked in Rasa's own environment
(tests/rasa_side/check_launcher_guards.py); tests/integration/test_dialogue.py requires that
the running server counted no fallback."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from bot.settings import REPO_ROOT, Settings
from bot.training import rasa_environment
from tests.conftest import make_settings
from tests.rasa_side_runner import rasa_python, run_rasa_side_check

SCRIPTS = REPO_ROOT / "bot" / "scripts"


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = make_settings(tmp_path_factory.mktemp("guards") / "var")
    return run_rasa_side_check(settings, "check_launcher_guards.py")


def test_rasas_environment_has_exactly_the_locked_versions(findings: dict[str, Any]) -> None:
    assert findings["real_mismatches"] == [], findings["installed"]


def test_the_version_check_names_each_package_that_differs(findings: dict[str, Any]) -> None:
    cases = findings["cases"]
    assert cases["same"] == []  # also with hashes, markers, `rasa_sdk` and `TensorFlow` spellings
    assert cases["other"] == [
        "rasa-sdk：未安装（锁定版本 3.6.2）",
        "tensorflow：已安装 2.13.0，锁定版本 2.12.0",
    ]
    assert cases["unpinned"] == ["rasa-sdk：锁定文件中没有它的版本（应写作 rasa-sdk==版本号）"]


def test_the_launcher_refuses_to_start_on_another_version(settings: Settings) -> None:
    """The launcher itself, with TensorFlow 2.13 "installed": a message, exit 1, no Rasa."""
    program = (
        "import sys\n"
        f"sys.path.insert(0, {str(SCRIPTS)!r})\n"
        "import rasa_server\n"
        "rasa_server.installed_versions = lambda: "
        "{'rasa': '3.6.21', 'rasa-sdk': '3.6.2', 'tensorflow': '2.13.0'}\n"
        "sys.argv = ['rasa_server.py', 'run', '--enable-api']\n"
        "try:\n"
        "    rasa_server.main()\n"
        "finally:\n"
        "    print(sorted(name for name in sys.modules if name.split('.')[0] in ('rasa', 'tensorflow')))\n"
    )
    done = subprocess.run(
        [rasa_python(settings), "-c", program],
        env=rasa_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr[-3000:]
    assert "错误：Rasa 环境的版本与锁定版本不一致，Rasa 服务未启动。" in done.stderr
    assert "tensorflow：已安装 2.13.0，锁定版本 2.12.0" in done.stderr
    assert "make setup" in done.stderr
    assert done.stdout.strip() == "[]"  # refused before importing Rasa or TensorFlow


def test_a_loader_fallback_still_loads_the_model_and_is_logged_and_counted(findings: dict[str, Any]) -> None:
    loader = findings["loader"]
    assert loader["loaded"] == "stock model" and loader["stock_calls"] == 1
    assert loader["fallbacks_before"] == {"inference_loader": 0, "direct_predict": 0}
    assert loader["fallbacks_after"] == {"inference_loader": 1, "direct_predict": 0}
    [warning] = loader["warnings"]
    assert warning.startswith("[回退 inference_loader] 按推理方式加载 Unbuildable 失败")
    assert loader["warning_has_traceback"]


def test_stock_paths_name_known_replacements_only(findings: dict[str, Any]) -> None:
    """The A/B tool's switch (`RASA_STOCK_PATHS`): a misspelt name would measure nothing, so
    the launcher refuses it and lists the names it knows."""
    stock = findings["stock_paths"]
    assert stock["empty"] == []
    assert stock["chosen"] == ["graph_runner", "parse_cache"]  # in install order
    assert stock["refusal"].startswith("错误：RASA_STOCK_PATHS 中有未知的替换名：nonsense，Rasa 服务未启动。")
    assert all(name in stock["refusal"] for name in stock["names"])
