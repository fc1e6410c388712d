"""Starting what is measured, and measuring the processes themselves: `make run` to ready,
resident memory per process, and where their CPU time goes (py-spy)."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from bot.settings import REPO_ROOT

READY_TIMEOUT_SECONDS = 300.0
MIB = 1024 * 1024


@dataclass(frozen=True)
class StartedSystem:
    process: subprocess.Popen[bytes]
    seconds_to_ready: float


def role_of(process: psutil.Process) -> str:
    """Which part of the assistant a process is, from its command line."""
    command = " ".join(process.cmdline())
    for marker, role in (
        ("bot.gateway.app", "gateway"),
        ("bot.action_server", "actions"),
        ("rasa_server.py run", "rasa"),
        ("-m bot run", "supervisor"),
    ):
        if marker in command:
            return role
    return Path(process.name()).name


def memory_mib(pid: int) -> float:
    return round(float(psutil.Process(pid).memory_info().rss) / MIB, 1)


def cpu_seconds(pids: Mapping[str, int]) -> dict[str, float]:
    """User + system CPU time so far of each process (all its threads, TensorFlow's too),
    and of this one, which generates the load."""
    times = {"bench": sum(psutil.Process().cpu_times()[:2])}
    for role, pid in pids.items():
        try:
            times[role] = sum(psutil.Process(pid).cpu_times()[:2])
        except psutil.NoSuchProcess:
            continue
    return times


def parse_cache_counts(rasa_url: str) -> dict[str, int]:
    """Our Rasa server's parse-cache hits and misses so far (an extra field of its `/status`,
    `bot/scripts/rasa_server.py`); empty for a server without the cache (stock Rasa)."""
    try:
        counts = httpx.get(f"{rasa_url}/status", timeout=10).json().get("parse_cache")
    except (httpx.HTTPError, ValueError, AttributeError):
        return {}
    return {"hits": int(counts["hits"]), "misses": int(counts["misses"])} if isinstance(counts, dict) else {}


def cache_use(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """Hits and misses between two readings (empty when either is missing)."""
    if not before or not after:
        return {}
    return {key: after[key] - before[key] for key in ("hits", "misses")}


def hit_rate(use: Mapping[str, int]) -> float | None:
    parses = use.get("hits", 0) + use.get("misses", 0)
    return round(use["hits"] / parses, 3) if parses else None


def pids_by_role(root_pid: int) -> dict[str, int]:
    root = psutil.Process(root_pid)
    found: dict[str, int] = {}
    for process in root.children(recursive=True):
        found.setdefault(role_of(process), process.pid)
    return found


MAKE_RUN = ("make", "--no-print-directory", "run")
# What `make run` runs once `make setup` is done: for a tool that starts a system in a
# checkout whose environments it must not rebuild (the A/B tool).
BOT_RUN = (sys.executable, "-m", "bot", "run")


def start_make_run(
    environment: Mapping[str, str], gateway_url: str, log: Path, command: Sequence[str] = MAKE_RUN
) -> StartedSystem:
    """`make run` exactly as an operator types it (or `command`); the clock stops when
    `/readyz` says every dependency answers (Rasa with its model, actions, database, index)."""
    started = time.perf_counter()
    with log.open("wb") as output:
        process = subprocess.Popen(
            list(command),
            cwd=REPO_ROOT,
            env={**os.environ, **environment},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = started + READY_TIMEOUT_SECONDS
    with httpx.Client(timeout=2.0) as client:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"make run 提前退出（退出码 {process.returncode}），日志：{log}")
            if time.perf_counter() > deadline:
                stop_process_group(process)
                raise TimeoutError(f"make run 在 {READY_TIMEOUT_SECONDS:.0f} 秒内未就绪，日志：{log}")
            try:
                if client.get(f"{gateway_url}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
    return StartedSystem(process, round(time.perf_counter() - started, 1))


def stop_process_group(process: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """Ctrl-C to the whole group (as a terminal would), then SIGKILL what is left."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def sampling_profiles(pids: Mapping[str, int], out_dir: Path, seconds: int) -> Iterator[None]:
    """py-spy samples each process while the body runs (collapsed stacks, 100 Hz)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    py_spy = Path(sys.executable).with_name("py-spy")
    recorders = [
        subprocess.Popen(
            [
                str(py_spy),
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(seconds),
                "--rate",
                "100",
                "--format",
                "raw",
                "--output",
                str(out_dir / f"{role}.txt"),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for role, pid in pids.items()
    ]
    try:
        yield
    finally:
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)
        for recorder in recorders:
            try:
                recorder.wait(timeout=30)
            except subprocess.TimeoutExpired:
                recorder.kill()


def hot_code(collapsed: Path, top: int = 12) -> dict[str, list[tuple[str, float]]]:
    """Where a process's CPU samples land: the share of samples whose innermost frame is in
    each package (tensorflow, jsonschema, sqlalchemy …), and the hottest innermost frames."""
    packages: collections.Counter[str] = collections.Counter()
    frames: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        innermost = stack.split(";")[-1].strip()
        frames[innermost] += count
        location = innermost.partition("(")[2]
        packages[location.split("/")[0].split(".")[0] or "?"] += count
    if not total:
        return {"packages": [], "frames": []}
    return {
        "packages": [(name, round(n / total, 3)) for name, n in packages.most_common(top)],
        "frames": [(name, round(n / total, 3)) for name, n in frames.most_common(top)],
    }
