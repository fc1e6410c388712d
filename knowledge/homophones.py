"""Typing by sound: put back the word a citizen meant when the input method picked a
same-sounding character (身份正 → 身份证, 失业宝险金 → 失业保险金, 食品经营许刻证 →
食品经营许可证, 社报卡 → 社保卡, 公基金 → 公积金).

Chinese is typed by pinyin, so most misspellings sound exactly like the intended word. The
words put back are only the knowledge base's own: item names, aliases and the dictionary words
they are written with (`Segmenter.spelling_words`). A stretch of the message is rewritten when
it sounds like one of them (syllables without tones, each character's most common reading),
begins and ends where the message's own words do, differs in one character (two for words of
five or more), and, for words of two or three characters, is not itself a dictionary word and
was not typed with one of the commonest characters (事业 stays 事业 although it sounds like
失业; 一直不发 stays, though 补发 sounds alike).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from pypinyin import lazy_pinyin

# Characters so common that a same-sounding word is more likely meant as written.
_COMMON = frozenset("不去在几是有上用公到了的我你他就也都还要会能可以个一家年级加号度立居取场事工办里")
_SHORT_WORD = 3  # up to this length a stretch that is itself a word is left alone
_LONG_WORD = 5  # from this length two characters may differ


def _is_chinese(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


@lru_cache(maxsize=8192)
def _syllable(char: str) -> str:
    return lazy_pinyin(char)[0] if _is_chinese(char) else char


def _sound(text: str) -> tuple[str, ...]:
    return tuple(_syllable(char) for char in text)


class SoundSpeller:
    """Rewrites same-sounding stretches of a message into the knowledge base's own words."""

    def __init__(
        self, words: Iterable[str], is_word: Callable[[str], bool], cut: Callable[[str], Sequence[str]]
    ) -> None:
        by_sound: dict[tuple[str, ...], set[str]] = {}
        for word in words:
            if len(word) >= 2 and all(_is_chinese(char) for char in word):
                by_sound.setdefault(_sound(word), set()).add(word)
        # Two words that sound alike (a homophone pair in the guide itself): neither is guessed.
        self._words = {sound: next(iter(found)) for sound, found in by_sound.items() if len(found) == 1}
        self._lengths = sorted({len(sound) for sound in self._words}, reverse=True)
        self._is_word = is_word
        self._cut = cut

    def respell(self, text: str) -> str:
        sounds = _sound(text)
        # Where the text's own words begin and end: a rewrite never cuts through one
        # («用公积金» has no «用公» to put right).
        bounds, at = {0}, 0
        for piece in self._cut(text):
            at += len(piece)
            bounds.add(at)
        out: list[str] = []
        position = 0
        while position < len(text):
            for length in self._lengths:
                stretch = text[position : position + length]
                if len(stretch) < length:
                    continue
                meant = self._words.get(sounds[position : position + length])
                aligned = position in bounds and position + length in bounds
                if meant is not None and (meant == stretch or (aligned and self._mistyped(stretch, meant))):
                    out.append(meant)
                    position += length
                    break
            else:
                out.append(text[position])
                position += 1
        return "".join(out)

    def _mistyped(self, stretch: str, word: str) -> bool:
        differing = [a for a, b in zip(stretch, word, strict=True) if a != b]
        if len(differing) > (2 if len(word) >= _LONG_WORD else 1):
            return False
        if len(word) > _SHORT_WORD:
            return True
        # A short stretch: not a word itself, and the character typed is not one of the
        # commonest (不发 is «not sent», not a mistyped 补发).
        return not self._is_word(stretch) and not _COMMON.intersection(differing)
