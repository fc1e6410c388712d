from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bot.contracts.areas import Area
from bot.persistence.migrate import upgrade_to_head
from bot.runner import Child, ChildDiedError, RestartPolicy, Supervisor, write_rasa_endpoints
from bot.settings import REPO_ROOT, Settings
from bot.training import CONFIG, model_fingerprint, refresh_generated_nlu, training_inputs
from knowledge.__main__ import main as knowledge_cli
from knowledge.nlu_export import ADDED_LOOKUP_NAME, ADDED_USERDICT_NAME
from knowledge.schema import ServiceItem
from knowledge.service import import_catalog, open_store, prepare_knowledge
from tests.conftest import make_settings


def _watch_until(supervisor: Supervisor, done: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "timed out watching the children"
        supervisor.check_alive()
        time.sleep(0.05)


def test_a_killed_child_is_restarted_loudly_while_the_others_keep_running(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sleep = [sys.executable, "-c", "import time; time.sleep(60)"]
    rasa, gateway = (
        Child("rasa", sleep, "http://127.0.0.1:9/", {}),
        Child("gateway", sleep, "http://127.0.0.1:9/", {}),
    )
    supervisor = Supervisor([rasa, gateway], RestartPolicy(max_crashes=3, window_seconds=60))
    supervisor.start()
    try:
        assert rasa.process is not None and gateway.process is not None
        first, untouched = rasa.process, gateway.process
        first.kill()
        first.wait(timeout=10)
        _watch_until(supervisor, lambda: rasa.process is not first)
        assert rasa.process.poll() is None and gateway.process is untouched and untouched.poll() is None
        printed = capsys.readouterr().err
        assert "进程 rasa 意外退出（退出码 -9（SIGKILL）），1 秒后自动重启" in printed
        assert "重启 rasa（第 1 次）" in printed
    finally:
        supervisor.stop()


def test_a_child_that_keeps_crashing_stops_the_stack_with_its_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doomed = Child("actions", [sys.executable, "-c", "raise SystemExit(3)"], "http://127.0.0.1:9/", {})
    supervisor = Supervisor([doomed], RestartPolicy(max_crashes=3, window_seconds=60))
    supervisor.start()
    started = time.monotonic()
    try:
        with pytest.raises(
            ChildDiedError, match=r"actions 在 60 秒内崩溃 3 次（最近一次退出码 3），不再重启"
        ):
            _watch_until(supervisor, lambda: False)
    finally:
        supervisor.stop()
    assert time.monotonic() - started >= 3.0  # waited 1 s, then 2 s, before the two restarts
    assert capsys.readouterr().err.count("秒后自动重启") == 2


def test_rasa_keeps_conversations_in_the_app_database_and_locks_in_redis(tmp_path: Path) -> None:
    scaled = make_settings(
        tmp_path / "scaled",
        DATABASE_URL="postgresql+psycopg://zw:s%40cret@db.internal:5433/zhengwu",
        REDIS_URL="redis://:pw@cache.internal:6380/2",
        REDIS_PREFIX="zw:prod:",
    )
    path, _ = write_rasa_endpoints(scaled)
    endpoints = yaml.safe_load(path.read_text(encoding="utf-8"))
    # psycopg2, the driver in Rasa's own virtualenv; the password survives the round trip
    assert endpoints["tracker_store"] == {
        "type": "kept_tracker_store.KeptSQLTrackerStore",
        "url": "postgresql://zw:s%40cret@db.internal:5433/zhengwu",
    }
    assert endpoints["lock_store"] == {
        "type": "redis",
        "url": "cache.internal",
        "port": 6380,
        "db": 2,
        "key_prefix": "zwprod",
        "use_ssl": False,
        "password": "pw",
    }
    assert path.stat().st_mode & 0o777 == 0o600

    embedded = make_settings(tmp_path / "embedded")
    endpoints = yaml.safe_load(write_rasa_endpoints(embedded)[0].read_text(encoding="utf-8"))
    assert endpoints["tracker_store"]["url"] == f"sqlite:///{tmp_path / 'embedded' / 'app.db'}"
    assert "lock_store" not in endpoints

    in_memory = make_settings(tmp_path / "memory", RASA_TRACKER_STORE="memory")
    assert "tracker_store" not in yaml.safe_load(
        write_rasa_endpoints(in_memory)[0].read_text(encoding="utf-8")
    )


def test_backoff_doubles_up_to_its_ceiling() -> None:
    assert [RestartPolicy().delay(n) for n in (1, 2, 3, 6, 20)] == [1.0, 2.0, 4.0, 30.0, 30.0]


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


def _committed_files(settings: Settings) -> dict[str, bytes]:
    return {
        str(p.relative_to(settings.nlu_data_dir)): p.read_bytes()
        for p in sorted(settings.nlu_data_dir.rglob("*"))
        if p.is_file()
    }


def _relative(path: Path) -> str:
    return os.path.relpath(path.resolve(), REPO_ROOT)


def _imported(item_id: str, name: str, *aliases: str) -> ServiceItem:
    area = Area(item_id.split(".")[0])
    return ServiceItem(
        id=item_id,
        area=area,
        name=name,
        aliases=list(aliases),
        department="示例区人力资源和社会保障局",
        type="行政确认",
        last_verified=dt.date(2026, 11, 1),
        source="示例区办事指南（样例数据）",
    )


def test_an_authored_only_db_trains_on_exactly_the_committed_files(
    settings: Settings, tmp_path: Path
) -> None:
    copy = _copied_nlu(settings, tmp_path)
    fingerprint = model_fingerprint(copy)
    prepare_knowledge(copy)  # the DB seeded with the authored items, as `make run` leaves it
    assert refresh_generated_nlu(copy) == []
    assert _committed_files(copy) == _committed_files(make_settings(tmp_path / "repo"))
    assert not copy.added_nlu_dir.exists()
    assert training_inputs(copy) == (CONFIG, [copy.nlu_data_dir])
    assert model_fingerprint(copy) == fingerprint


def test_imported_names_reach_the_training_inputs_under_var_and_change_the_fingerprint(
    settings: Settings, tmp_path: Path
) -> None:
    copy = _copied_nlu(settings, tmp_path)
    committed = _committed_files(copy)
    before = model_fingerprint(copy)
    upgrade_to_head(copy.effective_database_url)
    store = open_store(copy)
    items = [
        # Two records of one matter (one per window) share their name; a third reuses an
        # authored name; an alias with a space fits the lookup table but not jieba's format.
        _imported("employment.imp_a", "合成测试：灵活就业人员登记"),
        _imported("employment.imp_b", "合成测试：灵活就业人员登记", "合成灵活就业登记"),
        _imported("certificates.imp_c", "补办身份证"),
        _imported("housing.imp_d", "合成测试：租赁备案", "合成 租赁备案"),
    ]
    store.upsert_items(items, "imported")

    changed = refresh_generated_nlu(copy)

    added = copy.added_nlu_dir
    lookup = added / "data" / ADDED_LOOKUP_NAME
    jieba = added / "jieba"
    assert sorted(changed) == sorted(
        [lookup, jieba / ADDED_USERDICT_NAME, jieba / "userdict.txt", added / "config.yml"]
    )
    assert _committed_files(copy) == committed  # the repository's files stay authored-only
    assert lookup.read_text(encoding="utf-8").endswith(
        "- lookup: service_item\n  examples: |\n"
        "    - 合成 租赁备案\n    - 合成测试：灵活就业人员登记\n"
        "    - 合成测试：租赁备案\n    - 合成灵活就业登记\n"
    )
    assert "synonym" not in lookup.read_text(encoding="utf-8")  # a shared name maps to no single id
    assert (jieba / ADDED_USERDICT_NAME).read_text(encoding="utf-8") == (
        "合成测试：灵活就业人员登记 50000\n合成测试：租赁备案 50000\n合成灵活就业登记 50000\n"
    )
    assert (jieba / "userdict.txt").read_bytes() == (copy.jieba_dict_dir / "userdict.txt").read_bytes()
    config = (added / "config.yml").read_text(encoding="utf-8")
    assert f"    dictionary_path: {_relative(jieba)}\n" in config  # the authored words and the added ones
    assert config.replace(f"dictionary_path: {_relative(jieba)}", "dictionary_path: nlu_data/jieba") == (
        CONFIG.read_text(encoding="utf-8")
    )
    assert training_inputs(copy) == (added / "config.yml", [copy.nlu_data_dir, added / "data"])
    after = model_fingerprint(copy)
    assert after != before

    assert refresh_generated_nlu(copy) == []  # deterministic: an unchanged DB, identical files
    assert model_fingerprint(copy) == after

    for item in items:
        store.delete_item(item.id)
    assert sorted(refresh_generated_nlu(copy)) == sorted(changed)  # removed again
    assert training_inputs(copy) == (CONFIG, [copy.nlu_data_dir])
    assert model_fingerprint(copy) == before


def test_a_catalog_import_puts_its_names_into_the_next_training(settings: Settings, tmp_path: Path) -> None:
    copy = _copied_nlu(settings, tmp_path)
    before = model_fingerprint(copy)
    rows = [
        {
            "id": f"housing.synthetic_{n}",
            "area": "housing",
            "name": "合成测试：住房租赁合同备案",  # the same matter at two windows
            "department": f"示例区住房和城乡建设局第{n}窗口",
            "type": "行政确认",
            "last_verified": "2026-11-01",
            "source": "示例区办事指南（样例数据）",
        }
        for n in (1, 2)
    ]
    file = tmp_path / "catalog.json"
    file.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    report = import_catalog(copy, file, None, dry_run=False, echo=lambda _line: None)
    assert report.accepted and report.new_names == 1

    refresh_generated_nlu(copy)
    lookup = (copy.added_nlu_dir / "data" / ADDED_LOOKUP_NAME).read_text(encoding="utf-8")
    assert lookup.count("    - 合成测试：住房租赁合同备案\n") == 1
    assert "合成测试：住房租赁合同备案 50000\n" in (
        copy.added_nlu_dir / "jieba" / ADDED_USERDICT_NAME
    ).read_text(encoding="utf-8")
    assert model_fingerprint(copy) != before
