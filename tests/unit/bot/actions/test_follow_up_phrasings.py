"""Every follow-up phrasing in `follow_up_phrasings.tsv` is read as the question type it asks.

The file holds follow-ups as citizens type them after an answer (a quarter in traditional
characters), written per question type without looking at the cue lists; a change to the cues
that stops reading one of them right fails here, with the lines it broke.
"""

from __future__ import annotations

from pathlib import Path

from bot.actions.question_cues import question_cue
from knowledge.chinese import as_mandarin

_PHRASINGS = Path(__file__).with_name("follow_up_phrasings.tsv")


def _rows() -> list[tuple[str, str]]:
    lines = _PHRASINGS.read_text(encoding="utf-8").splitlines()
    return [
        (kind, text)
        for kind, text in (line.split("\t", 1) for line in lines if line and not line.startswith("#"))
    ]


def test_every_follow_up_phrasing_is_read_as_the_question_it_asks() -> None:
    rows = _rows()
    assert len(rows) >= 390
    misread = []
    for kind, text in rows:
        cue = question_cue(as_mandarin(text))  # the gateway hands the actions standard Mandarin
        if cue is None or cue.value != kind:
            misread.append(f"{kind}: {text} → {cue.value if cue else None}")
    assert not misread, "\n".join(misread)
