"""Training the Rasa model only when its inputs changed.

The model is named by a digest of everything that shapes it (config, domain, training data,
the generated jieba dictionary and lookup table, the pinned Rasa environment), so an
unchanged checkout reuses the model it trained before and a changed one never runs stale.

Items the app DB holds beyond the authored files (an imported catalog) are answered from the
index at once; their names reach the model at the next training. They go to files under
`var/nlu/` (a lookup table, jieba words, and a copy of config.yml whose JiebaTokenizer reads
the authored dictionary plus those words), never into the committed nlu_data/: that stays the
same in every checkout, and an instance without imported items trains exactly the model it
describes. The files are part of the digest, so an import makes the next `make run` retrain.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from bot.persistence.migrate import upgrade_to_head
from bot.persistence.store import create_db_engine
from bot.settings import REPO_ROOT, Settings
from knowledge.catalog import Catalog, content_hash, load_catalog
from knowledge.configure import knowledge_paths
from knowledge.nlu_export import ADDED_USERDICT_NAME, added_files, generated_files, write_generated
from knowledge.schema import ServiceItem
from knowledge.store import KnowledgeStore

CONFIG = REPO_ROOT / "config.yml"
DOMAIN = REPO_ROOT / "bot" / "domain.yml"
RASA_LOCK = REPO_ROOT / "requirements" / "rasa.lock"
MODELS_KEPT = 3
_DICTIONARY_PATH = re.compile(r"^(\s*dictionary_path:).*$", re.MULTILINE)


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


def _added_items(settings: Settings) -> list[ServiceItem]:
    """The items the app DB holds beyond the authored files (imported, or from the API)."""
    upgrade_to_head(settings.effective_database_url)
    engine = create_db_engine(settings.effective_database_url)
    try:
        return KnowledgeStore(engine).added_items()
    finally:
        engine.dispose()


def _added_data_dir(settings: Settings) -> Path:
    return settings.added_nlu_dir / "data"


def _added_config(settings: Settings) -> Path:
    return settings.added_nlu_dir / "config.yml"


def _config_reading(jieba_dir: Path) -> str:
    """config.yml with the JiebaTokenizer reading `jieba_dir`: relative to the repository (Rasa
    trains there), so the same var dir gives the same digest in every clone."""
    location = os.path.relpath(jieba_dir.resolve(), REPO_ROOT)
    config, count = _DICTIONARY_PATH.subn(lambda m: f"{m.group(1)} {location}", CONFIG.read_text("utf-8"))
    if count != 1:
        raise TrainingError(f"{CONFIG} 中应恰有一处 JiebaTokenizer 的 dictionary_path，实际 {count} 处。")
    return config


def added_training_files(settings: Settings, catalog: Catalog) -> dict[Path, str]:
    """The files under var/nlu/ for the names the app DB adds; none when it adds none (or
    when `TRAIN_ON_IMPORTED_NAMES` is off)."""
    if not settings.train_on_imported_names:
        return {}
    jieba_dir = settings.added_nlu_dir / "jieba"
    files = added_files(
        catalog,
        _added_items(settings),
        knowledge_paths(settings).synonyms,
        _added_data_dir(settings),
        jieba_dir,
    )
    if jieba_dir / ADDED_USERDICT_NAME in files:
        # The tokenizer reads one folder: the authored dictionary goes there too.
        for source in sorted(p for p in settings.jieba_dict_dir.iterdir() if p.is_file()):
            files[jieba_dir / source.name] = source.read_text(encoding="utf-8")
        files[_added_config(settings)] = _config_reading(jieba_dir)
    return files


def _remove_all_but(folder: Path, keep: set[Path]) -> list[Path]:
    removed = [p for p in sorted(folder.rglob("*")) if p.is_file() and p not in keep]
    for path in removed:
        path.unlink()
    for empty in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        if not any(empty.iterdir()):
            empty.rmdir()
    return removed


def refresh_generated_nlu(settings: Settings) -> list[Path]:
    """Bring the generated training inputs up to date; returns the files written or removed.
    nlu_data/ from the authored files; var/nlu/ from the items the app DB adds to them
    (emptied when it adds none). Sorted output: unchanged inputs give identical files."""
    paths = knowledge_paths(settings)
    catalog = load_catalog(paths.data_dir)
    changed = write_generated(
        generated_files(catalog, paths.userdict, settings.generated_nlu_dir, paths.synonyms)
    )
    added = added_training_files(settings, catalog)  # after the authored dictionary it copies
    changed += write_generated(added)
    if settings.added_nlu_dir.is_dir():
        changed += _remove_all_but(settings.added_nlu_dir, set(added))
    return changed


def training_inputs(settings: Settings) -> tuple[Path, list[Path]]:
    """The config and the data paths `rasa train` is given."""
    config = _added_config(settings)
    data = [settings.nlu_data_dir, _added_data_dir(settings)]
    return (config if config.exists() else CONFIG), [p for p in data if p.exists()]


def model_fingerprint(settings: Settings) -> str:
    nlu_dir, added_dir = settings.nlu_data_dir, settings.added_nlu_dir
    inputs = [(p.name, p) for p in (CONFIG, DOMAIN, RASA_LOCK)]
    inputs += [(f"nlu_data/{p.relative_to(nlu_dir)}", p) for p in nlu_dir.rglob("*") if p.is_file()]
    inputs += [(f"var/nlu/{p.relative_to(added_dir)}", p) for p in added_dir.rglob("*") if p.is_file()]
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
    config, data = training_inputs(settings)
    command = [
        str(rasa_executable(settings)),
        "train",
        "--config",
        str(config),
        "--domain",
        str(DOMAIN),
        "--data",
        *map(str, data),
        "--out",
        str(settings.models_dir),
        "--fixed-model-name",
        target.name.removesuffix(".tar.gz"),
    ]
    print(f"训练数据有变化，开始训练 Rasa 模型（两核机器上约需 6–8 分钟）→ {target.name}", flush=True)
    if len(data) > 1:
        print(f"  含数据库中导入事项的名称（{settings.added_nlu_dir}）", flush=True)
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
