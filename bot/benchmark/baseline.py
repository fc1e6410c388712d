"""The raw-Rasa baseline: what a stock Rasa 3.6 deployment of the same assistant costs.

Rasa's default recipe (`rasa init`'s config) with its default policies — Memoization, Rule,
UnexpecTED and TED — trained on our `nlu_data/` and domain. The NLU pipeline is ours, not the
recipe's: the recipe's WhitespaceTokenizer sees a whole Chinese sentence as one token, so a
Chinese deployment replaces it with jieba, and with an identical pipeline Rasa reuses the NLU
components it trained for our model from its cache. Only the policies are trained here.

The model is cached under `models/bench/` by a digest of its inputs, like our own model.

Stock dependencies too: `pip install rasa==3.6.21` resolves jsonschema 4.17.3, whose
`validate()` re-checks Rasa's action-result schema against the 2020-12 metaschema on every
custom action call (38 ms of CPU each, the largest single cost in a py-spy profile of a
turn). Our Rasa environment pins jsonschema 3.2.0 (allowed by Rasa: >=3.2,<4.18), which
checks against draft 7 in 4 ms. The baseline gets the stock version back through
PYTHONPATH (requirements/rasa-stock.txt), so the comparison is with Rasa as it installs,
not with our tuned environment.
"""

from __future__ import annotations

import hashlib
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from bot.settings import REPO_ROOT, Settings
from bot.training import CONFIG, DOMAIN, TrainingError, model_fingerprint, rasa_environment, rasa_executable

DEFAULT_POLICIES: list[dict[str, Any]] = [
    {"name": "MemoizationPolicy"},
    {"name": "RulePolicy"},
    {"name": "UnexpecTEDIntentPolicy", "max_history": 5, "epochs": 100},
    {"name": "TEDPolicy", "max_history": 5, "epochs": 100, "constrain_similarities": True},
]


def stock_site_packages(settings: Settings) -> Path:
    """The folder `make setup` fills from requirements/rasa-stock.txt."""
    folder = settings.rasa_venv / "stock"
    if not folder.is_dir():
        raise TrainingError(f"找不到基线用的原版依赖（{folder}）。请先运行 make setup。")
    return folder


def baseline_config(policy_epochs: int | None = None) -> dict[str, Any]:
    """Our config.yml with the default recipe's policies. `policy_epochs` shortens training
    for a smoke run only: the epochs change what TED learns, not what a prediction costs."""
    config: dict[str, Any] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    policies = [dict(policy) for policy in DEFAULT_POLICIES]
    if policy_epochs is not None:
        for policy in policies:
            if "epochs" in policy:
                policy["epochs"] = policy_epochs
    config["policies"] = policies
    return config


def baseline_model(settings: Settings, policy_epochs: int | None = None) -> Path:
    """The baseline model for the current training data, trained first when missing."""
    config = baseline_config(policy_epochs)
    config_text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    digest = hashlib.sha256(f"{model_fingerprint(settings)}\0{config_text}".encode()).hexdigest()[:16]
    target = settings.models_dir / "bench" / f"default-recipe-{digest}.tar.gz"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    config_path = target.parent / "config-default-recipe.yml"
    config_path.write_text(config_text, encoding="utf-8")
    kept = sorted(target.parent.glob("default-recipe-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    for old in kept[:-1]:  # keep one other (the smoke run's next to the full one)
        old.unlink()
    print("训练基线模型（Rasa 默认策略：Memoization、Rule、UnexpecTED、TED）……", flush=True)
    started = time.perf_counter()
    command = [str(rasa_executable(settings)), "train", "--config", str(config_path)]
    command += ["--domain", str(DOMAIN), "--data", str(settings.nlu_data_dir)]
    command += ["--out", str(target.parent), "--fixed-model-name", target.name.removesuffix(".tar.gz")]
    log = target.parent / "train.log"
    with log.open("w", encoding="utf-8") as output:
        result = subprocess.run(
            command, cwd=REPO_ROOT, env=rasa_environment(), stdout=output, stderr=subprocess.STDOUT
        )
    if result.returncode != 0 or not target.exists():
        raise TrainingError(f"基线模型训练失败（退出码 {result.returncode}），日志：{log}")
    print(f"基线模型训练完成，用时 {time.perf_counter() - started:.0f} 秒。", flush=True)
    return target
