"""Reading the settings is cheap: every command, test and process reads them first, and the
settings sit at the bottom of the layers, so they must not pull in the NLP or numeric stack
(jieba, OpenCC, numpy) or the database layer above them (issue 20)."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.settings import REPO_ROOT

HEAVY = ("jieba", "opencc", "numpy", "sklearn", "sqlalchemy", "knowledge.indexing", "bot.persistence")


def test_importing_the_settings_loads_no_nlp_numeric_or_database_module() -> None:
    probe = "import json, sys\nimport bot.settings\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    loaded = json.loads(done.stdout)
    assert not [m for m in loaded if m.split(".")[0] in HEAVY or m.startswith(HEAVY)], loaded
