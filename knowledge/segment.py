"""Chinese segmentation shared by the index, the queries and (through the same user
dictionary file) Rasa's JiebaTokenizer, so that a term splits the same way everywhere."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import jieba

from knowledge.chinese import to_simplified
from knowledge.homophones import COMMON_CHARACTERS

# Texts whose search terms are kept (most recently used first): ~50k short texts, some tens of MB.
_TERM_CACHE = 50_000
_WORD = re.compile(r"[\w]+", re.UNICODE)
# jieba's part-of-speech tags of common nouns: noun, other proper noun, verbal noun, organisation.
_COMMON_NOUN_TAGS = frozenset({"n", "nz", "vn", "nt"})
# jieba's tags of words that name an action or event: verb, verbal noun, verb used as adverb.
_VERB_TAGS = frozenset({"v", "vn", "vd"})
# Function words that say nothing about which service is meant.
_STOPWORDS = frozenset(
    """
    的 了 吗 呢 啊 呀 吧 么 嘛 哈 我 你 您 他 她 要 想 请问 请 问 一下 怎么 什么 哪里 哪儿
    这个 那个 那 这 是 在 有 和 与 及 或 还 就 都 也 会 能 可以 需要 如何 多少 多久 几 个
    去 办 办理 到 给 让 把 被 对 是不是 一个
    """.split()  # noqa: SIM905 (a word list reads better as text)
)


class Segmenter:
    """jieba with our user dictionary, plus synonym normalisation to canonical terms."""

    def __init__(self, userdict: Path | None, synonyms: dict[str, str]) -> None:
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        # The dictionary's common nouns (~16 MiB): read on the first question that needs them.
        self._nouns: frozenset[str] | None = None
        self._verbs: frozenset[str] = frozenset()
        if userdict is not None and userdict.exists():
            self._tokenizer.load_userdict(str(userdict))
        # Canonical terms map to themselves so that 住房公积金 is not rewritten by 公积金→住房公积金;
        # the alternation is longest first, so the longest term at a position wins.
        self._canonical = {**{c: c for c in synonyms.values()}, **synonyms}
        terms = sorted(self._canonical, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, terms))) if terms else None
        # The same texts are cut again and again (item passages on every index build, item
        # names for every knowledge base opened, FAQ questions, citizens' repeated questions);
        # the segmenter never changes once built.
        self._terms = lru_cache(maxsize=_TERM_CACHE)(self._cut_terms)
        self._spellings = lru_cache(maxsize=_TERM_CACHE)(self._spelling_words)

    def normalise(self, text: str) -> str:
        """Simplified script, lower case, and each synonym variant replaced by its canonical
        form in one pass."""
        text = to_simplified(text).lower()
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._canonical[m.group(0)], text)

    def is_word(self, text: str) -> bool:
        """The text is a word of the dictionary (jieba's own or ours)."""
        return bool(self._tokenizer.FREQ.get(text))

    def is_common_noun(self, word: str) -> bool:
        """The word is a common noun of jieba's dictionary (a thing or an organisation, not a
        place, a person's name or a time): «烟草», «护士», «自行车»; not «上周», «广州», nor
        a piece the segmenter guessed («我查»)."""
        return word in self._word_classes()[0]

    def is_verb(self, word: str) -> bool:
        """The word names an action or event in jieba's dictionary («离婚», «收养», «生育»),
        not a thing, a place or a pronoun («出生日期», «那边»)."""
        return word in self._word_classes()[1]

    def _word_classes(self) -> tuple[frozenset[str], frozenset[str]]:
        """The common nouns and the verbs of jieba's dictionary, read on first use (most
        processes never ask, and the sets cost some megabytes)."""
        if self._nouns is None:
            nouns, verbs = set(), set()
            with self._tokenizer.get_dict_file() as dictionary:
                for line in dictionary:
                    entry = line.decode("utf-8").split()
                    if len(entry) != 3:
                        continue
                    if entry[2] in _COMMON_NOUN_TAGS:
                        nouns.add(entry[0])
                    if entry[2] in _VERB_TAGS:
                        verbs.add(entry[0])
            self._nouns, self._verbs = frozenset(nouns), frozenset(verbs)
        return self._nouns, self._verbs

    def spelling_words(self, text: str) -> set[str]:
        """The dictionary words a text is written with (no synonyms), for putting mistypes right:
        its words, and the dictionary words inside long ones: of three characters or more, or of
        two without one of the commonest characters (普通护照 teaches 护照, so «护找» is put right;
        不动产 must not teach 不动). A word the name is cut into counts even when the dictionary
        lacks it (驾驶证|审验: the guide's own term)."""
        return set(self._spellings(text))

    def _spelling_words(self, text: str) -> frozenset[str]:
        text = to_simplified(text)
        whole = {w for w in self._tokenizer.lcut(text) if len(w) >= 2}
        inner = {
            w
            for w in self._tokenizer.lcut_for_search(text)
            if self.is_word(w) and (len(w) >= 3 or (len(w) == 2 and not COMMON_CHARACTERS.intersection(w)))
        }
        return frozenset(w for w in whole | inner if _WORD.fullmatch(w))

    def cut(self, text: str) -> list[str]:
        """The text cut into words, every character kept (the pieces join back into it)."""
        return [str(word) for word in self._tokenizer.lcut(text)]

    def terms(self, text: str) -> list[str]:
        """Search terms: search-mode segmentation, stop words and punctuation dropped."""
        return list(self._terms(text))

    def _cut_terms(self, text: str) -> tuple[str, ...]:
        words = self._tokenizer.lcut_for_search(self.normalise(text))
        return tuple(w for w in words if _WORD.fullmatch(w) and w not in _STOPWORDS)


def quiet_jieba() -> None:
    """jieba logs its cache loading at INFO on every start; keep it to warnings."""
    jieba.setLogLevel(logging.WARNING)
