"""Matters citizens often ask about that the district guide does not hold (低保, 公证, 健康证…),
with who usually handles them (knowledge/referrals.yml).

Retrieval alone cannot tell such a matter from an item whose wording mentions it: the guide
writes 低保 only as who qualifies for other items (低保户, 低保对象), so «低保怎么申请» found
医疗救助 confidently, and «健康证在哪办» after 食品经营许可 stayed on the licence. Naming the
common outside matters lets the assistant say honestly that the guide lacks them, and where
to go instead, rather than answer a neighbour."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

REFERRALS_FILE = Path(__file__).with_name("referrals.yml")

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Referral(BaseModel):
    """One matter outside the guide: the patterns that name it and who handles it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[a-z_]+$")]
    title: NonEmpty
    names: tuple[NonEmpty, ...] = Field(min_length=1)
    handled_by: NonEmpty

    @field_validator("names")
    @classmethod
    def _compiles(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        for name in names:
            try:
                re.compile(name)
            except re.error as exc:
                raise ValueError(f"正则表达式 {name!r} 有误：{exc}") from exc
        return names


class _ReferralsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    referrals: list[Referral]

    @field_validator("referrals")
    @classmethod
    def _unique(cls, referrals: list[Referral]) -> list[Referral]:
        seen: set[str] = set()
        for referral in referrals:
            if referral.id in seen:
                raise ValueError(f"编号重复：{referral.id}")
            seen.add(referral.id)
        return referrals


class Referrals:
    """The outside matters, each with one compiled pattern over all its names."""

    def __init__(self, referrals: list[Referral]) -> None:
        self._patterns = [(referral, re.compile("|".join(referral.names))) for referral in referrals]
        # One pass over a message that names none of them (nearly every message).
        self._any = re.compile("|".join(f"(?:{name})" for referral in referrals for name in referral.names))

    def __len__(self) -> int:
        return len(self._patterns)

    def __iter__(self) -> Iterator[Referral]:
        return (referral for referral, _ in self._patterns)

    def any_named_in(self, text: str) -> bool:
        """Whether the text names any of them (an empty list names nothing)."""
        return bool(self._patterns) and self._any.search(text) is not None

    def named_in(self, text: str) -> Iterator[tuple[Referral, str]]:
        """Each outside matter the (simplified) text names, with the words that name it."""
        for referral, pattern in self._patterns:
            match = pattern.search(text)
            if match is not None:
                yield referral, match.group()


@cache
def load_referrals(path: Path = REFERRALS_FILE) -> Referrals:
    """The outside matters of `path` (validated; a bad file fails loudly at first use)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Referrals(_ReferralsFile.model_validate(raw).referrals)
