"""The main virtualenv's lock files (requirements/runtime.lock, requirements/dev.lock) agree
with pyproject.toml and with each other: every package pinned to one version with the hashes
`pip install --require-hashes` checks, a package in both files pinned the same, and every
declared dependency locked. `make lock` writes them; a hand edit that breaks this fails here
rather than in `make setup`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from bot.settings import REPO_ROOT

REQUIREMENTS = REPO_ROOT / "requirements"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path) -> dict[str, tuple[str, int]]:
    """name → (version, number of hashes), from a `uv pip compile --generate-hashes` file."""
    found: dict[str, tuple[str, int]] = {}
    current = ""
    for line in lock.read_text(encoding="utf-8").splitlines():
        if pin := PIN.match(line):
            current = canonical(pin.group(1))
            assert current not in found, f"{lock.name}: {current} 出现两次"
            found[current] = (pin.group(2), 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = found[current]
            found[current] = (version, hashes + 1)
        elif line and not line.startswith((" ", "#")):
            pytest.fail(f"{lock.name}: 不是“名称==版本”加哈希的行：{line!r}")
    return found


def names(specs: list[str]) -> set[str]:
    matches = [NAME.match(spec) for spec in specs]
    return {canonical(match.group(1)) for match in matches if match}


def declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return names(project["project"]["dependencies"]), names(project["dependency-groups"]["dev"])


@pytest.mark.parametrize("lock", ["runtime.lock", "dev.lock"])
def test_every_package_is_pinned_with_its_hashes(lock: str) -> None:
    found = pins(REQUIREMENTS / lock)
    assert len(found) > 10
    assert not [name for name, (_, hashes) in found.items() if hashes == 0]


def test_packages_in_both_locks_have_one_version() -> None:
    runtime, dev = pins(REQUIREMENTS / "runtime.lock"), pins(REQUIREMENTS / "dev.lock")
    shared = runtime.keys() & dev.keys()
    differ = {name: (runtime[name][0], dev[name][0]) for name in shared if runtime[name][0] != dev[name][0]}
    assert differ == {}


def test_every_declared_dependency_is_locked() -> None:
    runtime, dev = declared()
    assert runtime - pins(REQUIREMENTS / "runtime.lock").keys() == set()
    assert dev - pins(REQUIREMENTS / "dev.lock").keys() == set()
