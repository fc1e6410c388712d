"""Shared fixtures. Outbound network is blocked for every test: only loopback and Unix
sockets may be connected to, so an accidental call to the internet fails loudly."""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from bot import area_classifier
from bot.persistence import staff as staff_store
from bot.runner import free_port
from bot.settings import REPO_ROOT, UNTHROTTLED, Settings
from knowledge import dense
from knowledge.search import KnowledgeBase
from knowledge.service import open_knowledge_base, prepare_knowledge
from tests.citizen import CONVERSATION_SECRET
from tests.postgres import throwaway_postgres_database

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class OutboundNetworkBlockedError(RuntimeError):
    pass


def _is_loopback(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _is_loopback(address):
        raise OutboundNetworkBlockedError(f"测试中禁止访问外部网络：{address!r}")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _is_loopback(address):
        raise OutboundNetworkBlockedError(f"测试中禁止访问外部网络：{address!r}")
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _block_outbound_network() -> Iterator[None]:
    mp = pytest.MonkeyPatch()
    mp.setattr(socket.socket, "connect", _guarded_connect)
    mp.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    yield
    mp.undo()


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes() -> Iterator[None]:
    """Staff passwords hashed with Argon2id as in production, at its lowest cost: with
    argon2-cffi's defaults (64 MiB, 3 passes, 4 lanes) each hash or check took 0.16 s of CPU
    here, and the tests create accounts and log in a few hundred times. A hash made with other
    parameters (a server started as its own process) is still checked, then rehashed."""
    mp = pytest.MonkeyPatch()
    mp.setattr(staff_store, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    mp.undo()


@pytest.fixture(autouse=True, scope="session")
def _one_embedding_run_at_a_time() -> Iterator[None]:
    """The unit tests run in two worker processes (pytest-xdist) that share one embedding
    cache. With it empty (a fresh clone), both would embed the same few thousand texts at
    once, each at half speed; instead the vectors a process lacks are read or embedded under
    a lock on the cache file, so the second reads what the first wrote."""
    read_or_embed = dense.Embedder._read_or_embed

    def one_at_a_time(embedder: dense.Embedder, *args: Any, **kwargs: Any) -> None:
        lock_path = embedder._cache_path.with_name(embedder._cache_path.name + ".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                read_or_embed(embedder, *args, **kwargs)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    mp = pytest.MonkeyPatch()
    mp.setattr(dense.Embedder, "_read_or_embed", one_at_a_time)
    yield
    mp.undo()


@pytest.fixture(autouse=True, scope="session")
def _one_area_classifier_per_run() -> Iterator[None]:
    """Every action server a test starts in-process trains the area classifier in the
    background (BackgroundAreaClassifier, several seconds of CPU on two cores). The authored
    training data does not change during a run, so those servers share one classifier, trained
    by the shipped `open_area_classifier` on first use; one given a district's history
    (AREA_TRAINING_FILES) or other folders trains its own."""
    train = area_classifier.open_area_classifier
    authored = (
        Settings.model_fields["area_messages_dir"].default,
        Settings.model_fields["knowledge_dir"].default,
    )
    trained: dict[Path, area_classifier.AreaClassifier] = {}
    lock = threading.Lock()

    def shared(settings: Settings) -> area_classifier.AreaClassifier:
        if settings.area_training_files or (settings.area_messages_dir, settings.knowledge_dir) != authored:
            return train(settings)
        with lock:
            cache = settings.effective_embedding_cache
            if cache not in trained:
                trained[cache] = train(settings)
            return trained[cache]

    mp = pytest.MonkeyPatch()
    mp.setattr(area_classifier, "open_area_classifier", shared)
    yield
    mp.undo()


def make_settings(var_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test: its own var dir and free ports; the repo's knowledge and models."""
    values: dict[str, Any] = {
        "VAR_DIR": var_dir,
        "GATEWAY_PORT": free_port(),
        "RASA_PORT": free_port(),
        "ACTIONS_PORT": free_port(),
        "DATABASE_URL": "",
        "MODELS_DIR": REPO_ROOT / "models",
        # Shared across tests and runs: embedding the catalog once is enough.
        "EMBEDDING_CACHE": REPO_ROOT / "var" / "test-cache" / "embeddings.sqlite3",
        # One signing key for every test gateway, replicas included (tests/citizen.py).
        "CONVERSATION_TOKEN_SECRET": CONVERSATION_SECRET,
        # Tests drive many turns and logins from one address; the limits' own tests set theirs.
        **UNTHROTTLED,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test once on a SQLite file and once on a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'app.db'}"
    else:
        with throwaway_postgres_database() as url:
            yield url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var")


@pytest.fixture(scope="session")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The real knowledge base over the repository's authored data, indexed once per run."""
    test_settings = make_settings(tmp_path_factory.mktemp("kb") / "var")
    prepare_knowledge(test_settings)
    return open_knowledge_base(test_settings)
