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

Two looser readings catch what the strict one misses, each with its own guard:
- the segmenter may cut through a mistype (机动车住销 → 机动车|住|销要): a stretch that meets
  the message's words at one end only is rewritten when the rewritten text is then cut with
  the word whole (机动车|注销|要);
- many citizens do not tell apart z/zh, c/ch, s/sh, n/l, -n/-ng (生份证 for 身份证): a word of
  three characters or more may also be matched by that blurred sound, one character differing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from pypinyin import lazy_pinyin

# Characters so common that a same-sounding word is more likely meant as written.
COMMON_CHARACTERS = frozenset(
    "不去在几是有上用公到了的我你他就也都还要会能可以个一家年级加号度立居取场事工办里"
)
# Common characters that stand alone as words (要, 在, 了), unlike 工 of 施工 or 学 of 小学.
_STANDS_ALONE = frozenset("不去在是有到了的我你他就也都还要会能可以")
_SHORT_WORD = 3  # up to this length a stretch that is itself a word is left alone
_LONG_WORD = 5  # from this length two characters may differ
_BLURRED_WORD = 3  # from this length a word may be matched by its blurred sound
_RECENT_TEXTS = 4096


def _is_chinese(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


@lru_cache(maxsize=8192)
def _syllable(char: str) -> str:
    return lazy_pinyin(char)[0] if _is_chinese(char) else char


def _sound(text: str) -> tuple[str, ...]:
    return tuple(_syllable(char) for char in text)


# The sounds that many dialects do not tell apart: retroflex and flat initials, n and l, and
# the front and back nasal finals.
_BLURRED_INITIAL = re.compile("^(zh|ch|sh|n|l)")
_BLURRED_FINAL = re.compile("(?<=[aei])ng$")
_INITIALS = {"zh": "z", "ch": "c", "sh": "s", "n": "l", "l": "l"}


@lru_cache(maxsize=8192)
def _blurred_syllable(syllable: str) -> str:
    return _BLURRED_FINAL.sub("n", _BLURRED_INITIAL.sub(lambda m: _INITIALS[m.group(1)], syllable))


def _blurred(sound: tuple[str, ...]) -> tuple[str, ...]:
    """The sound as a speaker who merges z/zh, c/ch, s/sh, n/l and -n/-ng would type it."""
    return tuple(map(_blurred_syllable, sound))


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
        by_blur: dict[tuple[str, ...], set[str]] = {}
        for sound, found in by_sound.items():
            if len(sound) >= _BLURRED_WORD:
                by_blur.setdefault(_blurred(sound), set()).update(found)
        self._blurred = {sound: next(iter(found)) for sound, found in by_blur.items() if len(found) == 1}
        self._lengths = sorted({len(sound) for sound in self._words}, reverse=True)
        self._is_word = is_word
        self._cut = cut
        # One turn reads the same text several ways (alone, framed by the previous question, its
        # naming part), each through `respell`: the recent results are kept.
        self.respell = lru_cache(maxsize=_RECENT_TEXTS)(self._respell)

    def _respell(self, text: str) -> str:
        sounds = _sound(text)
        # Where the text's own words begin and end: a rewrite never cuts through one
        # («用公积金» has no «用公» to put right).
        bounds, at = {0}, 0
        words: dict[int, str] = {}  # where each of the text's dictionary words ends: the word
        for piece in self._cut(text):
            at += len(piece)
            bounds.add(at)
            if len(piece) >= 2 and self._is_word(piece):
                words[at] = piece
        out: list[str] = []
        position = 0
        while position < len(text):
            for length in self._lengths:
                stretch = text[position : position + length]
                if len(stretch) < length:
                    continue
                sound = sounds[position : position + length]
                meant, blurred = self._meant(sound)
                if meant is not None and (
                    meant == stretch or self._fits(text, position, stretch, meant, bounds, words, blurred)
                ):
                    out.append(meant)
                    position += length
                    break
            else:
                out.append(text[position])
                position += 1
        return "".join(out)

    def _meant(self, sound: tuple[str, ...]) -> tuple[str | None, bool]:
        """The guide's word with this sound, and whether only the blurred sound matched."""
        exact = self._words.get(sound)
        if exact is not None or len(sound) < _BLURRED_WORD:
            return exact, False
        return self._blurred.get(_blurred(sound)), True

    def _fits(
        self,
        text: str,
        position: int,
        stretch: str,
        meant: str,
        bounds: set[int],
        words: dict[int, str],
        blurred: bool,
    ) -> bool:
        """A mistype of `meant` that meets the message's words at both ends, or, when it sounds
        exactly like it, at one end when the text with it put right is cut with the word whole
        (自行车上牌 must not become 自新车上牌 by the blurred sound of 新车上牌) and the end it
        cuts through is no dictionary word of the message («报|小学一年级» has no «报销»), or
        leaves of one only a common character («身份正|要»: 要)."""
        if not self._mistyped(stretch, meant):
            return False
        end = position + len(stretch)
        starts, ends = position in bounds, end in bounds
        if starts and ends:
            return True
        if blurred or not (starts or ends):
            return False
        cut_at = end if starts else position
        for stop, word in words.items():
            if stop - len(word) < cut_at < stop:
                # «身份正|要…» cuts 正要, leaving a common character that stands alone (要);
                # «报小|学» would leave 学 of 小学.
                left = text[cut_at:stop] if starts else text[stop - len(word) : cut_at]
                if not (len(left) == 1 and left in _STANDS_ALONE):
                    return False
        mended = text[:position] + meant + text[position + len(stretch) :]
        return meant in self._cut(mended)

    def _mistyped(self, stretch: str, word: str) -> bool:
        differing = [a for a, b in zip(stretch, word, strict=True) if a != b]
        if len(differing) > (2 if len(word) >= _LONG_WORD else 1):
            return False
        if len(word) > _SHORT_WORD:
            return True
        # A short stretch: not a word itself, and the character typed is not one of the
        # commonest (不发 is «not sent», not a mistyped 补发).
        return not self._is_word(stretch) and not COMMON_CHARACTERS.intersection(differing)
