"""Traditional → simplified Chinese with OpenCC, so that 「補辦身份證要帶什麼」 is understood
exactly like 「补办身份证要带什么」 by Rasa, the name matcher and the search index."""

from __future__ import annotations

from functools import cache

import opencc


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s.json")


def to_simplified(text: str) -> str:
    return str(_converter().convert(text))
