"""What simulated citizens say: thousands of distinct first questions, and follow-ups in many forms.

Why: our Rasa server keeps the parse of recent texts (`bot/scripts/rasa_server.py`), so a
benchmark that sends the same few hundred questions over and over measures that cache, not
the system. The first questions here are paraphrases, made deterministically (a fixed seed, no
network), of the end-to-end evaluation's **dev** split (the test split stays unseen) and of the
knowledge base's item names, aliases and situations, with the openings, closings and question
words citizens use. A `QuestionPool` hands each text out once: nothing is repeated in a run.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.evaluation.e2e import load_split
from bot.settings import REPO_ROOT
from knowledge.catalog import load_catalog

KNOWLEDGE_DIR = REPO_ROOT / "knowledge" / "data"

OPENINGS = (
    "", "", "", "请问", "请问一下，", "你好，", "您好，请问", "你好，我想问一下", "我想问一下",
    "想咨询一下，", "麻烦问下", "打扰一下，", "问一下，", "同志你好，", "咨询个事，", "您好，",
)  # fmt: skip
CLOSINGS = ("", "", "", "？", "?", "呢", "啊", "，谢谢", "，麻烦告诉我", "，急", "。", "，谢谢了")
ASPECTS = (
    "需要什么材料", "要带什么材料", "要准备哪些东西", "在哪办", "去哪里办", "在哪个窗口办", "多少钱",
    "收费吗", "要交多少钱", "要多久", "多长时间能办好", "几天能拿到", "怎么办", "怎么办理", "流程是什么",
    "有什么条件", "能网上办吗", "手机上能办吗", "可以代办吗",
)  # fmt: skip
NAME_FRAMES = ("{name}{aspect}", "我要办{name}，{aspect}", "想办{name}，{aspect}", "{name}的话{aspect}")
SITUATION_FRAMES = ("{situation}", "{situation}，{aspect}", "{situation}，请问{aspect}")

# Follow-ups on the item just answered: what citizens ask next, in the words they use.
FOLLOW_UP_FORMS = (
    "那要多少钱", "要钱不", "收费吗", "费用是多少", "多少钱啊", "要交钱吗", "免费吗",
    "在哪里办", "去哪办", "办理地点在哪", "地址在哪里", "几点上班", "周末能办吗", "要去哪个窗口",
    "要多久能办好", "几天能拿到", "多久出结果", "办理时限是多久", "当天能办完吗",
    "需要带什么材料", "要准备啥", "材料有哪些", "要带身份证吗", "要复印件吗",
    "可以网上办吗", "手机上能办吗", "能不能线上申请", "有没有网上办的地方",
    "办理流程是怎样的", "具体怎么操作", "第一步做什么", "怎么申请",
    "可以找人代办吗", "家里人能替我办吗", "要本人去吗", "有什么条件", "我能办吗", "外地户口能办吗",
    "咨询电话是多少", "要预约吗", "依据是哪个文件",
)  # fmt: skip
FOLLOW_UP_OPENINGS = ("", "", "", "那", "好的，", "嗯，", "还有，", "再问下，", "对了，")
FOLLOW_UP_CLOSINGS = ("", "", "", "？", "呢", "啊")
MAX_TRIES = 1000
TRAILING = re.compile(r"[？?。！!，,\s]+$")


def _bare(text: str) -> str:
    return TRAILING.sub("", text.strip())


@functools.cache
def eval_questions() -> tuple[str, ...]:
    """The dev split's single questions and every dialogue's opening turn."""
    split = load_split("dev")
    texts = [single.text for _, single in split.singles]
    texts += [dialogue.turns[0].text for dialogue in split.dialogues if dialogue.turns]
    return tuple(sorted({_bare(text) for text in texts} - {""}))


@functools.cache
def catalog_cores(knowledge_dir: Path = KNOWLEDGE_DIR) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Questions about each item by its names ("{name}{aspect}"), and the items' situations
    ("孩子明年上小学，需要什么材料")."""
    catalog = load_catalog(knowledge_dir)
    named: set[str] = set()
    situated: set[str] = set()
    for item in catalog.items.values():
        for name in item.names:
            named.update(
                frame.format(name=name, aspect=aspect) for frame in NAME_FRAMES for aspect in ASPECTS
            )
        for situation in item.situations:
            bare = _bare(situation).removesuffix("怎么办")
            situated.update(
                frame.format(situation=bare, aspect=aspect)
                for frame in SITUATION_FRAMES
                for aspect in ASPECTS
            )
    return tuple(sorted(named)), tuple(sorted(situated))


@dataclass
class QuestionPool:
    """First questions without replacement. Each source (evaluation questions, item names,
    situations) is a list of question cores shuffled once with the seed and walked round and
    round; each draw picks a source by its share, takes its next core and dresses it in an
    opening and a closing; a text already given is never given again."""

    seed: int = 2026
    shares: tuple[float, ...] = (0.4, 0.3, 0.3)
    _cores: list[list[str]] = field(init=False)
    _next: list[int] = field(init=False)
    _given: set[str] = field(init=False, default_factory=set)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        named, situated = catalog_cores()
        self._cores = [list(eval_questions()), list(named), list(situated)]
        for cores in self._cores:
            self._rng.shuffle(cores)
        self._next = [0] * len(self._cores)

    def draw(self) -> str:
        """The next first question, never one given before by this pool."""
        for _ in range(MAX_TRIES):
            number = self._rng.choices(range(len(self._cores)), weights=self.shares)[0]
            cores = self._cores[number]
            core = cores[self._next[number] % len(cores)]
            self._next[number] += 1
            text = f"{self._rng.choice(OPENINGS)}{core}{self._rng.choice(CLOSINGS)}"
            if text not in self._given:
                self._given.add(text)
                return text
        raise RuntimeError(f"连续 {MAX_TRIES} 次抽到用过的首句：问题池已用尽")


def follow_up_forms() -> list[str]:
    """Every follow-up a simulated citizen may send (several hundred distinct texts)."""
    return sorted(
        {
            f"{opening}{form}{closing}"
            for opening in FOLLOW_UP_OPENINGS
            for form in FOLLOW_UP_FORMS
            for closing in FOLLOW_UP_CLOSINGS
            if not (opening == "那" and form.startswith("那"))
        }
    )
