"""Training the Rasa model only when its inputs changed.

The model is named by a digest of everything that shapes it (config, domain, training data,
the generated jieba dictionary and lookup table, the pinned Rasa environment), so an
unchanged checkout reuses the model it trained before and a changed one never runs stale.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bot.settings import REPO_ROOT, Settings
from knowledge.catalog import content_hash, load_catalog
from knowledge.nlu_export import generated_files, write_generated

CONFIG = REPO_ROOT / "config.yml"
DOMAIN = REPO_ROOT / "bot" / "domain.yml"
RASA_LOCK = REPO_ROOT / "requirements" / "rasa.lock"
MODELS_KEPT = 3


class TrainingError(RuntimeError):
    pass


def rasa_executable(settings: Settings) -> Path:
    rasa = settings.rasa_venv / "bin" / "rasa"
    if not rasa.exists():
        raise TrainingError(f"找不到 Rasa（{rasa}）。请先运行 make setup。")
    return rasa


def rasa_environment() -> dict[str, str]:
    """Rasa's environment: no telemetry (no network), quiet TensorFlow."""
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONWARNINGS="ignore",
    )
    return env


def refresh_generated_nlu(settings: Settings) -> list[Path]:
    paths = settings.knowledge_paths()
    catalog = load_catalog(paths.data_dir)
    return write_generated(
        generated_files(catalog, paths.userdict, settings.generated_nlu_dir, paths.synonyms)
    )


def model_fingerprint(settings: Settings) -> str:
    nlu_dir = settings.nlu_data_dir
    inputs = [(p.name, p) for p in (CONFIG, DOMAIN, RASA_LOCK)]
    inputs += [(f"nlu_data/{p.relative_to(nlu_dir)}", p) for p in nlu_dir.rglob("*") if p.is_file()]
    return content_hash(inputs)


def model_path(settings: Settings) -> Path:
    return settings.models_dir / f"{model_fingerprint(settings)}.tar.gz"


def _prune_old_models(models_dir: Path, keep: Path) -> None:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [m for m in models if m != keep][MODELS_KEPT - 1 :]:
        old.unlink(missing_ok=True)


def ensure_model(settings: Settings, log: Path | None = None) -> Path:
    """Return the model for the current inputs, training it first if it does not exist."""
    refresh_generated_nlu(settings)
    target = model_path(settings)
    if target.exists():
        print(f"模型已是最新，跳过训练：{target.name}", flush=True)
        return target
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(rasa_executable(settings)),
        "train",
        "--config",
        str(CONFIG),
        "--domain",
        str(DOMAIN),
        "--data",
        str(settings.nlu_data_dir),
        "--out",
        str(settings.models_dir),
        "--fixed-model-name",
        target.name.removesuffix(".tar.gz"),
    ]
    print(f"训练数据有变化，开始训练 Rasa 模型（两核机器上约需 6–8 分钟）→ {target.name}", flush=True)
    started = time.perf_counter()
    output = open(log, "w") if log else None  # noqa: SIM115 (closed below)
    try:
        result = subprocess.run(
            command,
            cwd=REPO_ROOT,
            env=rasa_environment(),
            stdout=output or sys.stdout,
            stderr=subprocess.STDOUT,
        )
    finally:
        if output:
            output.close()
    if result.returncode != 0 or not target.exists():
        raise TrainingError(
            f"Rasa 训练失败（退出码 {result.returncode}）" + (f"，日志：{log}" if log else "")
        )
    print(f"训练完成，用时 {time.perf_counter() - started:.0f} 秒。", flush=True)
    _prune_old_models(settings.models_dir, target)
    return target
