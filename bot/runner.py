"""`make run`: build what is stale, start Rasa, the action server and the gateway, watch them.

A child that dies is reported loudly (its name and exit code) and started again after a
growing pause, while the others keep serving: the gateway keeps each citizen's message and
tells them the assistant is recovering, and Rasa's tracker store in the app database lets it
go on with every conversation. Only a child that keeps crashing (`RESTART_MAX_CRASHES` within
`RESTART_WINDOW_SECONDS`) brings the stack down, since restarting it again would not help.
Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import NoReturn

import httpx
import yaml

from bot.rasa_stores import lock_store_entry, tracker_store_entry
from bot.settings import REPO_ROOT, Settings
from bot.training import ensure_model, rasa_environment, rasa_executable

READY_TIMEOUT_SECONDS = 240.0
# Rasa's CLI with its models loaded for inference only (see the script's docstring).
RASA_SERVER = REPO_ROOT / "bot" / "scripts" / "rasa_server.py"
# One TensorFlow thread per pool: a one-message DIET inference is too small to split, and on
# a 2-core machine extra pool threads only contend with the gateway and the action server
# (`make bench` CPU per turn). Set in the environment to override.
TF_THREADS = {"TF_INTRA_OP_PARALLELISM_THREADS": "1", "TF_INTER_OP_PARALLELISM_THREADS": "1"}
STOP_GRACE_SECONDS = 10.0
PR_SET_PDEATHSIG = 1
# A crashed child is started again after 1, 2, 4 … seconds (its crashes within the window).
FIRST_RESTART_DELAY_SECONDS = 1.0
LONGEST_RESTART_DELAY_SECONDS = 30.0
WATCH_INTERVAL_SECONDS = 0.5


@dataclass
class Child:
    name: str
    argv: list[str]
    ready_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    crashes: list[float] = field(default_factory=list)  # monotonic times, within the window
    restart_at: float | None = None


@dataclass(frozen=True)
class RestartPolicy:
    max_crashes: int = Settings.model_fields["restart_max_crashes"].default
    window_seconds: float = Settings.model_fields["restart_window_seconds"].default

    @classmethod
    def of(cls, settings: Settings) -> RestartPolicy:
        return cls(settings.restart_max_crashes, settings.restart_window_seconds)

    def delay(self, crashes: int) -> float:
        return float(min(LONGEST_RESTART_DELAY_SECONDS, FIRST_RESTART_DELAY_SECONDS * 2 ** (crashes - 1)))


class ChildDiedError(RuntimeError):
    pass


def describe_exit(code: int) -> str:
    """`退出码 1`, or for a signal `退出码 -9（SIGKILL）`."""
    if code < 0:
        try:
            return f"退出码 {code}（{signal.Signals(-code).name}）"
        except ValueError:
            pass
    return f"退出码 {code}"


def write_rasa_endpoints(settings: Settings, stock: bool = False) -> tuple[Path, Path]:
    """Rasa's endpoints and credentials files. Ours asks for a selective domain: stock Rasa
    sends its whole domain (every response text) with each action call, and no action of
    ours reads it. Ours keeps conversations in the app database and, with `REDIS_URL`, locks
    in Redis (bot/rasa_stores.py). The stock baseline keeps Rasa's defaults throughout (as
    before: in-memory tracker and lock stores)."""
    run_dir = settings.var_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    endpoints = run_dir / ("endpoints-stock.yml" if stock else "endpoints.yml")
    action_endpoint = f'action_endpoint:\n  url: "{settings.actions_url}/webhook"\n'
    if not stock:
        action_endpoint += "  enable_selective_domain: true\n"
    stores = {
        name: entry
        for name, entry in (
            ("tracker_store", tracker_store_entry(settings)),
            ("lock_store", lock_store_entry(settings)),
        )
        if entry is not None and not stock
    }
    if stores:
        action_endpoint += yaml.safe_dump(stores, allow_unicode=True, sort_keys=False)
    endpoints.write_text(action_endpoint, encoding="utf-8")
    endpoints.chmod(0o600)  # the database and Redis URLs may carry passwords
    credentials = run_dir / "credentials.yml"
    credentials.write_text("rest:\n", encoding="utf-8")
    return endpoints, credentials


def free_port() -> int:
    """A loopback port nobody listens on now (for tests and benchmarks that start servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rasa_command(settings: Settings, stock: bool = False) -> list[str]:
    """How Rasa is started: through our launcher, or (`stock`, the benchmark's baseline) with
    Rasa's own CLI exactly as it installs."""
    rasa = rasa_executable(settings)
    return [str(rasa)] if stock else [str(rasa.with_name("python")), str(RASA_SERVER)]


def _uvicorn() -> list[str]:
    # No `server: uvicorn` banner: it tells a prober which server and so which exploits to try.
    return [sys.executable, "-m", "uvicorn", "--factory", "--log-level", "warning", "--no-server-header"]


def rasa_child(settings: Settings, model: Path, stock_rasa: bool = False) -> Child:
    """Rasa on loopback only: its HTTP API is enabled and has no authentication of its own."""
    endpoints, credentials = write_rasa_endpoints(settings, stock_rasa)
    return Child(
        "rasa",
        [
            *rasa_command(settings, stock_rasa),
            "run",
            "--model",
            str(model),
            "--enable-api",
            "--interface",
            "127.0.0.1",
            "--port",
            str(settings.rasa_port),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(credentials),
        ],
        f"{settings.rasa_url}/status",
        {**TF_THREADS, **rasa_environment(), **settings.as_environment()},
    )


def actions_child(settings: Settings) -> Child:
    return Child(
        "actions",
        [
            *_uvicorn(),
            "bot.action_server:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(settings.actions_port),
            # Rasa keeps its connection to us open between calls (kept_alive_sessions in
            # rasa_server.py); the server must not be the side that closes first.
            "--timeout-keep-alive",
            "60",
        ],
        f"{settings.actions_url}/health",
        {**os.environ, **settings.as_environment()},
    )


def gateway_child(settings: Settings) -> Child:
    return Child(
        "gateway",
        [
            *_uvicorn(),
            "bot.gateway.app:create_app",
            "--host",
            settings.host,
            "--port",
            str(settings.port),
            # A WebSocket frame gets the request body's ceiling (uvicorn's default is 16 MiB).
            "--ws-max-size",
            str(settings.max_request_bytes),
        ],
        f"http://127.0.0.1:{settings.port}/healthz",
        {**os.environ, **settings.as_environment()},
    )


def children(settings: Settings, model: Path, stock_rasa: bool = False) -> list[Child]:
    """The three processes; each gets `settings` through its environment, so a test (or an
    operator) that changes a setting in the parent changes it in every child."""
    return [rasa_child(settings, model, stock_rasa), actions_child(settings), gateway_child(settings)]


SERVICES = ("gateway", "rasa", "actions")


def serve(settings: Settings, name: str) -> NoReturn:
    """`python -m bot gateway|rasa|actions`: one of the three in the foreground, replacing this
    process (a container's PID 1 then gets the signals), started exactly as `make run` starts
    it. For deployments where an orchestrator, not our supervisor, restarts what dies."""
    if name == "rasa":
        kid = rasa_child(settings, ensure_model(settings))
    elif name == "actions":
        kid = actions_child(settings)
    else:
        kid = gateway_child(settings)
    os.chdir(REPO_ROOT)
    os.execvpe(kid.argv[0], kid.argv, kid.env)


class Supervisor:
    def __init__(self, kids: list[Child], policy: RestartPolicy | None = None) -> None:
        self.kids = kids
        self.policy = policy or RestartPolicy()
        self._stopping = False
        self._lock = threading.Lock()  # `watch` may run on a thread of its own (tests)

    def start(self, only: str | None = None) -> None:
        """Start every child, or (again) just the one named `only`."""
        for kid in self.kids:
            if only is not None and kid.name != only:
                continue
            print(f"启动 {kid.name} …", flush=True)
            kid.process = subprocess.Popen(kid.argv, cwd=REPO_ROOT, env=kid.env, preexec_fn=_die_with_parent)

    def check_alive(self) -> None:
        """One look at every child: one that died is reported and, after its pause, started
        again; ChildDiedError when it crashed too often within the window."""
        with self._lock:
            if self._stopping:
                return
            now = time.monotonic()
            for kid in self.kids:
                if kid.restart_at is not None:
                    if now >= kid.restart_at:
                        kid.restart_at = None
                        print(f"!!! 重启 {kid.name}（第 {len(kid.crashes)} 次）", file=sys.stderr, flush=True)
                        self.start(kid.name)
                    continue
                assert kid.process is not None
                code = kid.process.poll()
                if code is not None:
                    self._schedule_restart(kid, code, now)

    def _schedule_restart(self, kid: Child, code: int, now: float) -> None:
        window = self.policy.window_seconds
        kid.crashes = [at for at in kid.crashes if now - at < window] + [now]
        if len(kid.crashes) >= self.policy.max_crashes:
            raise ChildDiedError(
                f"进程 {kid.name} 在 {window:.0f} 秒内崩溃 {len(kid.crashes)} 次"
                f"（最近一次{describe_exit(code)}），不再重启"
            )
        delay = self.policy.delay(len(kid.crashes))
        print(
            f"!!! 进程 {kid.name} 意外退出（{describe_exit(code)}），{delay:.0f} 秒后自动重启"
            f"（{window:.0f} 秒内第 {len(kid.crashes)} 次；其余进程照常运行）",
            file=sys.stderr,
            flush=True,
        )
        kid.restart_at = now + delay

    def watch(self, until: threading.Event | None = None) -> None:
        """Look after the children until `until` is set (or for ever); raises ChildDiedError."""
        while until is None or not until.is_set():
            self.check_alive()
            time.sleep(WATCH_INTERVAL_SECONDS)

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        pending = list(self.kids)
        with httpx.Client(timeout=2.0) as client:
            while pending:
                self.check_alive()
                if time.monotonic() > deadline:
                    names = "、".join(k.name for k in pending)
                    raise TimeoutError(f"等待 {names} 就绪超时（{timeout:.0f} 秒）")
                for kid in list(pending):
                    try:
                        if client.get(kid.ready_url).status_code == 200:
                            print(f"  {kid.name} 已就绪", flush=True)
                            pending.remove(kid)
                    except httpx.HTTPError:
                        pass
                time.sleep(0.5)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
        for kid in reversed(self.kids):
            if kid.process and kid.process.poll() is None:
                kid.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for kid in reversed(self.kids):
            if kid.process is None:
                continue
            try:
                kid.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"{kid.name} 未在 {STOP_GRACE_SECONDS:.0f} 秒内退出，强制结束", flush=True)
                kid.process.kill()
                kid.process.wait()


def _raise_keyboard_interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM us if the supervisor itself dies,
    so a killed `make run` never leaves an orphaned Rasa holding its port."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def run(settings: Settings) -> int:
    started = time.perf_counter()
    print("检查知识库与检索索引……", flush=True)
    # In a child process: jieba and the embedding model would otherwise stay in this
    # supervisor's memory for as long as the assistant runs.
    env = {**os.environ, **settings.as_environment()}
    prepared = subprocess.run([sys.executable, "-m", "bot", "prepare"], cwd=REPO_ROOT, env=env)
    if prepared.returncode != 0:
        print("!!! 知识库准备失败，见上方错误。", file=sys.stderr, flush=True)
        return prepared.returncode
    model = ensure_model(settings)
    supervisor = Supervisor(children(settings, model), RestartPolicy.of(settings))
    # Installed explicitly: a shell starting us in the background leaves SIGINT ignored.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_keyboard_interrupt)
    try:
        supervisor.start()
        supervisor.wait_ready()
        print(
            f"\n政务咨询助手已启动（用时 {time.perf_counter() - started:.1f} 秒）\n"
            f"  演示页面    {settings.gateway_url}/ （右下角为聊天挂件）\n"
            f"  工作台      {settings.gateway_url}/console （先用 python -m bot staff add 创建账号）\n"
            f"  报表        {settings.gateway_url}/console/reports （督查员账号加 --role supervisor）\n"
            f"  对话接口    POST {settings.gateway_url}/api/v1/chat\n"
            f"  就绪检查    {settings.gateway_url}/readyz\n"
            f"  接口文档    {settings.gateway_url}/docs\n"
            f"  Rasa        {settings.rasa_url}（仅本机）\n"
            f"  动作服务    {settings.actions_url}（仅本机）\n"
            "按 Ctrl-C 停止。",
            flush=True,
        )
        supervisor.watch()
        return 0  # not reached: watching ends with an exception
    except KeyboardInterrupt:
        print("\n正在停止所有进程……", flush=True)
        return 0
    except (ChildDiedError, TimeoutError) as exc:
        print(f"\n!!! {exc}。正在停止其余进程。", file=sys.stderr, flush=True)
        return 1
    finally:
        supervisor.stop()
