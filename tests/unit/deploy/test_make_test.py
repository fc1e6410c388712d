"""`make test` (what CI runs) runs every test exactly once: the unit selection on both cores
(pytest-xdist), then the rest (integration, model scores, benchmarks) in one serial run, since
integration tests share real servers. `make test-unit` is the first of those runs."""

from __future__ import annotations

import itertools
import re
import tomllib

from bot.settings import REPO_ROOT

MAKE_VARIABLE = re.compile(r"^(\w+)\s*:=\s*(.*)$", re.MULTILINE)
PYTEST = re.compile(r"-m pytest (.*)$")
SELECTION = re.compile(r'-m "([^"]+)"')


def _makefile() -> tuple[str, dict[str, str]]:
    text = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    return text, dict(MAKE_VARIABLE.findall(text))


def _expand(value: str, variables: dict[str, str]) -> str:
    while (expanded := re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), ""), value)) != value:
        value = expanded
    return value


def _pytest_runs(target: str) -> list[str]:
    """The pytest arguments of each command of a target's recipe, variables expanded."""
    text, variables = _makefile()
    recipe = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert recipe is not None, target
    return [
        found.group(1)
        for line in recipe.group(1).splitlines()
        if (found := PYTEST.search(_expand(line, variables)))
    ]


def _selected(arguments: str, markers: dict[str, bool]) -> bool:
    """Whether a test with these markers is run by a pytest command with these arguments."""
    found = SELECTION.search(arguments)
    if found is None:
        return True
    return bool(eval(found.group(1), {"__builtins__": {}}, markers))


def _markers() -> list[str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [line.split(":")[0] for line in project["tool"]["pytest"]["ini_options"]["markers"]]


def test_make_test_runs_every_test_exactly_once_unit_tests_in_parallel() -> None:
    runs = _pytest_runs("test")
    assert len(runs) == 2 and "-n 2" in runs[0] and "-n " not in runs[1], runs
    names = _markers()
    assert {"integration", "model_scores", "benchmark"} <= set(names)
    for values in itertools.product([False, True], repeat=len(names)):
        markers = dict(zip(names, values, strict=True))
        chosen = [run for run in runs if _selected(run, markers)]
        assert len(chosen) == 1, (markers, chosen)
        if markers["integration"]:
            assert chosen == [runs[1]], markers  # integration tests never run in parallel


def test_make_test_unit_is_the_parallel_run_of_make_test() -> None:
    assert _pytest_runs("test-unit") == _pytest_runs("test")[:1]
