"""Which item a message is about, decided once per turn, and what to do about it.

Three cases, in this order (DESIGN.md, "How an answer is chosen"):

(a) the message names or describes an item: a clicked button's item, else retrieval over
    names, aliases, situations and text, with a calibrated confidence
    (`knowledge.confidence`). Above the answer threshold → answer; above the clarify
    threshold → candidates, except that one candidate alone above the lone threshold is
    answered (a single button only asks to confirm); below → an honest «not in the guide»
    (never a neighbour's answer), as for a short question naming a noun the guide never writes;
(b) the message names nothing (「那要多少钱」「在哪里办」): it refers to the candidates just
    offered (ask again among them, or take the one the citizen picks in words: 「补办的那个」)
    or else to the current item;
(c) nothing to refer to: ask which item.

A message that names something never gets the current item's answer unless retrieval itself
finds the current item. 「那X呢」 keeps the previous question with the new item.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from enum import StrEnum

from bot.actions.intents import INTENT_QUESTIONS
from bot.actions.question_cues import (
    ALSO_RECORD,
    after_done,
    after_settled,
    asked_instead,
    asks_bare_amount,
    asks_form_of_paper,
    asks_only,
    asks_something,
    corrects,
    keeps_question,
    naming_part,
    question_cue,
    states_a_wish,
    without_negated,
    without_personal_numbers,
)
from knowledge.confidence import ConfidenceModel, longest_common
from knowledge.referrals import Referral, Referrals, load_referrals
from knowledge.render import QuestionType, has_answer
from knowledge.schema import ServiceItem
from knowledge.search import Hit, KnowledgeBase

MAX_CANDIDATES = 3
# Records sharing a name (one matter listed per department or window) are all offered.
MAX_SAME_NAME = 8
NAMED_CONFIDENCE = 0.99
# Items through which a citizen looks up their own records.
_LOOKUP = re.compile("查询|查档|记录查|信息查")
# e5 cosine by which one offered candidate must beat the others to count as the one meant.
PICK_MARGIN = 0.015
# «那X呢» read in the frame of the previous question: the least probability of the sibling.
SIBLING_FLOOR = 0.2
# An item offered beside a best candidate that is itself offered: at least this probable,
# and this close to the best («医保报销怎么弄»: 手工报销 0.62, not 医保电子凭证激活 0.43).
RUNNER_UP_FLOOR = 0.3
RUNNER_UP_SHARE = 0.75
# Below the clarify threshold, the items a naming word is shared by are offered together from
# this probability each (`Resolver._shared_between`).
_SHARED_FLOOR = 0.15
# A word this many items' names hold names a field, not a matter («公司», «登记»).
_SHARED_AT_MOST = 12
# The same for an item chosen because it answers the question kept and the one named does not.
ANSWERING_FLOOR = 0.02
# Words that name a document, licence, profession, exam or procedure, each a matter of its
# own (结婚证, 健康证, 执业医师, 中考, 劳动仲裁, 维修基金, 离婚登记, 契税; «交税», «退税» are
# acts, not taxes): an item that never mentions one is a neighbour, not what was asked about.
_DOCUMENT = re.compile(
    "..(证|证书|证明|卡|照|执照|许可|许可证)$|.师$|(中考|高考|自考|成考|考研)$|..(仲裁|鉴定|基金|登记)$"
    "|[^交缴纳免退扣报完欠偷逃漏]税$"
)
# Provinces, cities, counties and «老家»: where the citizen is, never which matter (a market,
# «夜市», «超市», is where they trade, which may tell the matter).
_PLACE = re.compile(
    "(北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|"
    "贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门)(省|市|人)?|.{1,3}(街道|镇|乡)|(?!夜市|超市|菜市|集市|早市|股市).{1,4}(省|市|县)|老家|家乡|外省|外市|内地|大陆|国内|国外|境外|.{0,2}(园区|工业园|产业园|开发区|工业区)|"
    # «他是本区的», «我在隔壁区»: whose district, not a matter
    "(本|这|我们|咱们?|外|隔壁|邻|其他|别的)(区|县|镇|乡|村|街)|本地|当地|外地|县城|城区|市区|"
    # «从老家县里迁过来», «在城里买了房»
    "(县|乡|村|镇|城|市|区)(里|上)|乡下"
)
# A count, an age or a span («五十二», «一年», «三个月»), which names no matter.
_QUANTITY = re.compile("[一二三四五六七八九十百千两几半\\d]+(年|个月|月|天|岁|周|次)?")
# «刚才那个…», «前面说的那个…», «回到贷款那个»: a word back to an item discussed before.
REFERS_BACK = re.compile(
    "(刚才|刚刚|前面|上面|一开始|最开始|开头|(之前|先前)(?=[说问讲提聊]))([说问讲提聊]过?)?的?(那个|那项|那件|那种)"
    "|(回到|说回|再说)(刚才|前面|之前)?的?(?=.{1,8}?那个)"
)
# «补房本那个 得多久», «执照那个 多久能下来»: a word or two of an item's name, then 那个 and
# the question, as northern speakers point back.
_POINTED_AT = re.compile(r"^\W*[^\s\W]{1,6}?(那个|那项|那种)(?=[\s，,])")
# Words with which citizens turn to another matter («那我老婆的医保卡丢了怎么补», «顺便问下…»,
# «学校里还有个国家励志奖学金»).
_SWITCH = re.compile(r"^\W*(那(?![边里儿])|那么|还有|另外|顺便|对了|再问|另问|我还想问|还想问)")
_ANOTHER = re.compile("还有(个|一个|种|一种|项|一项)")
_SEARCH_DEPTH = 5
# Words that count or measure («一次», «三个月», «两年»): circumstances, not matters; and
# pieces of question words that segmentation glues to a verb («哪考», «啥证»).
_COUNT = re.compile("[一二两三四五六七八九十百千几半每0-9]")
_ASKING_PIECE = re.compile("[哪啥吗呢么]")
# Words that point back at what was said («原来那张丢了»), never at another matter.
_POINTING = re.compile("[那这][张个本份件边里儿辆套]|原来|之前|以前|先前|上次")
# A wish stated anew («挂失完了想补张新卡», «生意不好想先停一段时间»): a matter of its own,
# not a detail of the one being discussed («我想问下…» only asks).
_WISH = re.compile("(?<!不)(?<!是)想(?!先?(问|请问|了解|咨询|知道|确认|打听|打电话|打过去|看看))")
# What happened to the citizen's document, and the words a guide names the remedy with: a
# lost or broken one is replaced (补领、补发), an expired one renewed (换领), and one never
# held is applied for the first time (首次申领).
_VARIANTS = (
    (
        re.compile(
            "丢|遗失|掉了|找不到|找不回|找不着|不见了|坏了|损坏|破损|弄坏|被偷|偷了|被扒|摸包|泡水|泡坏|烂了|撕坏|看不清|"
            "补(张|个|一张|一个|办一张)新的?"  # «挂完了要补张新的»: the remedy asked for outright
        ),
        re.compile("补"),
    ),
    (
        # «有效期下个月就到了», «老板说到时间了要再去审»: the document runs out; renewed by 换证,
        # by 复审 or 延续 where the guide calls it so
        re.compile(
            "过期|到期|失效|有效期[^，,。；\\s]{0,6}到|到时间了?要|到时间了|到年限了|要(去)?(复)?审一下"
        ),
        re.compile("换|复审|延续"),
    ),
    (
        re.compile("头一回|第一次|首次|初次|没办过|没拿过|没领过|新办|刚出生|刚生下来"),
        re.compile("首次|初次|申领|(?<!再次)签发"),
    ),
)

# A name or alias of at least this many characters written out names the item asked about.
_WRITTEN_NAME = 2
# Words of another item's wording that tell its case («夜市», «小车»): one may be chance.
_TOLD_WORDS = 2
# Read alone, a message this unlikely about the current item is not about it at all.
_NOT_AT_ALL = 0.01
# Read alone, a message this unlikely about the current item has strayed from it.
_STRAY = 0.1
# «不是丢了», «没过期»: what the citizen says did not happen to the document.
_NOT_HAPPENED = re.compile(
    "(不是|没有?|并没有?|也没)(被|给)?(弄)?(丢|遗失|掉|坏|损坏|破损|过期|到期|失效)了?"
)


def _remedy_words(text: str) -> re.Pattern[str] | None:
    """How a guide names the remedy for what the message says happened to a document (lost →
    补, expired → 换, never held → 首次/申领), ignoring what it says did not («不是丢了，是过期了»)."""
    meant = _NOT_HAPPENED.sub("", without_negated(text))
    return next((words for pattern, words in _VARIANTS if pattern.search(meant)), None)


def tells_what_happened(text: str) -> bool:
    """The message says what happened to a document (lost, expired, never held): a situation,
    never a farewell, whatever DIET reads into «丢了，要补办»."""
    return _remedy_words(text) is not None


# Item names put the document first and the procedure after («居住证签注», «居住证申领»):
# two items of one document share at least this many leading characters.
_DOCUMENT_PREFIX = 3
# A name written within this many characters of the message's start is its topic («那年报…»,
# «还有个事 年报…» once the opening words are cut).
_TOPIC_OPENING = 2
# After the item discussed is settled, a question of up to this many naming characters that
# names nothing the item's wording lacks («以后多久给答复») still asks about it; a longer one
# tells another matter in words the guide may not know («孩子在学校买的学平险 摔伤了理赔找谁»).
_SETTLED_ASKS_ALONE = 4
# «医保呢»: up to this many naming characters, «那X呢» puts X in the previous question's place.
_SWAPPED_NAMING = 4
# A procedure done to what was just named («户口也得销», «执照要换»).
_ACTS_ON = "(销|注销|补|补办|换|迁|上|开|改|转|领)"
_ACTED_UPON = f"[也都还]?(没有?|未)?(得|要|需要|该)?(去)?{_ACTS_ON}"
_CLAUSE = re.compile(r"[，,。；;！!？?\s]+")
# Up to this many naming characters a message is about its matter, not its circumstances.
SHORT_NAMING = 15
# The offices and counters citizens go to («招生办», «社保大厅», «户籍窗口», «柜台»): where they
# ask, never what they ask about.
_OFFICE = (
    "(招生|教育|社保|人社|医保|税务|房管|住建|民政|卫健|市场监管|工商|公安|交警|交管|车管|不动产|公积金|政务|"
    "审批|人才|就业|劳动|街道|乡镇|村委|居委|城管|残联|计生|卫生|户籍|户政)"
    "(办|局|所|队|站|处|科|室|中心|大厅|服务中心|窗口)|(人才|劳务|劳动力)市场|柜台|窗口|前台|办事处|服务站|派出所"
)
_OFFICES = re.compile(_OFFICE)
# Nouns of the citizen's circumstances, never the matter: their people and the offices they go to.
_CIRCUMSTANCE = re.compile(
    "儿子|女儿|老婆|老公|媳妇|爸爸|妈妈|父亲|母亲|爷爷|奶奶|外公|外婆|家长|同事|朋友|老乡|员工|中心|大厅|"
    # kin as citizens write them: 小舅子, 表哥, 二姨, 堂妹, 姑父, 侄女, 外甥…
    "(小|大|二|三|老|表|堂)?(舅|姨|叔|伯|姑|婶|嫂|哥|姐|弟|妹|侄|甥|孙)(子|妈|父|母|夫|姐|哥|弟|妹|女|儿|媳妇)?|"
    "舅舅|叔叔|伯伯|姑姑|婶婶|外甥女?|外孙女?|亲戚|邻居|房东|老板|师傅|徒弟|老师|班主任|校长|"
    "太太|丈夫|先生|妻子|爱人|对象|男朋友|女朋友|未婚妻|未婚夫|本地人|外地人|外国人|"
    "婆婆|公公|公婆|岳父|岳母|丈母娘|老丈人|老伴|老头|老头子|老太婆|老婆子|儿媳妇?|女婿|老人家|长辈|老一辈|"
    # what they cannot do themselves («他们不太会用手机»)
    "不?(太|大)?(会|懂)用?|不方便|不识字|"
    "老大|老二|老三|老小|大宝|二宝|三宝|小宝|闺女|丫头|小孩|娃儿|娃娃|小娃|宝宝|"
    # where a thing was lost or the citizen travels («挤地铁丢了»)
    "地铁|高铁|火车|飞机|机场|车站|火车站|"
    # the offices and counters they go to («招生办有电话没», «社保局几点上班», «去柜台查»)
    f"{_OFFICE}|"
    # and the plain act of getting a paper done («办证的派出所»), which names no paper
    "办证|办事|办手续|"
    # leaving a job, which is the case of what is asked («离职了想领失业金»), not a matter
    "离职|辞职|辞工|"
    # how much of something («能补贴一部分»)
    "(一|大|小)?部分|一半|"
    # who they are («我是瑶族的», «彝族»)
    ".{1,2}族|"
    # when («下学期想接过来»), and the work they do («在网上接单做设计»; not 司机 or 厨师, which
    # name qualifications)
    "(上|下|这|本|今|明|去)?学期|寒假|暑假|年底|年初|月底|月初|"
    "设计|设计师|程序员|出纳|保安|保洁|服务员|骑手|主播|装修|"
    "接单|卖菜|菜市场|菜市"
)
# Up to this many naming characters, a materials question names what to bring, not a matter.
_BRING_NAMING = 6
# A charge asked about («收不收中介费», «手续费多少») is a question of cost, not a matter.
_CHARGE = re.compile(".{1,3}费")
# When the citizen's case happens: a circumstance too («老大今年小学毕业»).
_WHEN = re.compile("(今|明|去|前|后)年|(今|明|昨|前|后)天|(上|下|这)(个)?(月|周|礼拜|星期)|最近|现在|目前")
# A Latin-letter word the guide never writes names a matter of its own («ETC», «HPV»), except
# the channels and chat words citizens write in any question («用APP能办吗», «ok»).
_LATIN_NAME = re.compile("[a-z]{2,}")
_CHANNEL_NAME = re.compile("[a-z]{2,}[0-9]*|[0-9]{5,}")  # an app or a hotline: «12123», «app»; not «60»
_LATIN_NOT_A_MATTER = frozenset(
    {"app", "ai", "id", "ok", "pdf", "qq", "wifi", "hi", "bye", "no", "thx", "sms", "ems"}
)


# Decisions the conversation itself settles: a candidate picked, «那X呢» in the previous
# frame, «弄丢了» of the current document.
SETTLED_BY_CONVERSATION = frozenset({"picked", "picked_by_meaning", "with_previous", "sibling", "variant"})

# Decisions about an item the message names, the one being discussed, or the one discussed
# before an honest no: the item is known, so only whether a question is asked is left open.
ITEM_KNOWN = frozenset({"named", "follow_up", "earlier"})


class Outcome(StrEnum):
    answer = "answer"
    clarify = "clarify"
    honest_no = "honest_no"  # the message is about something the guide does not hold
    ask_item = "ask_item"  # a question with no item to refer to


@dataclass(frozen=True)
class Turn:
    """What the action knows of this turn: the (masked, simplified) text, Rasa's intent, the
    item a clicked button carried, and the context kept in slots."""

    text: str
    intent: str | None = None
    clicked_item: str | None = None
    current_item: str | None = None
    last_question: QuestionType | None = None
    offered: Sequence[str] = ()
    previous_text: str = ""  # the citizen's last earlier message that named something
    earlier_item: str | None = None  # the last item discussed, even if the context was dropped since
    discussed: Sequence[str] = ()  # every item discussed before this message, the latest first


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    question: QuestionType
    item: ServiceItem | None = None
    candidates: tuple[ServiceItem, ...] = ()
    confidence: float = 0.0
    how: str = ""  # clicked / named / follow_up / picked / candidates / …, for logs and tests
    extra: dict[str, float] = field(default_factory=dict)
    referral: Referral | None = None  # who handles a matter the guide lacks, when known


def question_for(turn: Turn) -> QuestionType:
    """The wording's cue, else the previous question for 「那X呢」, else Rasa's question
    intent, else an overview. A cue in the words wins even when it is the broad «how / can I»
    kind: DIET's specific intents follow the topic as much as the ask («换城市上班了，公积金咋
    转过去» is not about office hours; «小本本丢了，咋补» not about a phone number), and on the
    dev questions the cue was right more often (+3 of 413 first replies, none lost). A wish
    with no question («想办个房产证») asks how, when DIET names no question either."""
    cue = question_cue(turn.text)
    if cue is not None:
        return cue
    if turn.last_question is not None and keeps_question(turn.text):
        return turn.last_question
    pressed = turn.text.startswith("/")  # a button's payload asks through its intent
    if (
        turn.last_question is not None
        and not pressed
        and not asks_something(turn.text)
        and not states_a_wish(turn.text)
    ):
        # «跨省的那个», «证已经有了，就是签注用完了»: told, not asked; the question asked
        # before stands.
        return turn.last_question
    intent_question = INTENT_QUESTIONS.get(turn.intent or "")
    wish = states_a_wish(turn.text)
    # «想先弄个助理级的» (DIET: overview): a wish that asks nothing else asks how, unless DIET
    # names something specific («想开个职业中介，得办啥许可» asks what it is).
    told_wish = wish and not asks_something(turn.text)
    if intent_question is not None and not (told_wish and intent_question is QuestionType.overview):
        return intent_question
    return QuestionType.steps if wish else QuestionType.overview


def asked_about(turn: Turn, question: QuestionType) -> QuestionType:
    """The question for an item the conversation settles (a candidate picked, another
    procedure of the same document): the one this message asks in words, else the one asked
    before — «补办的那个» answers «which one?» and asks nothing new."""
    return question if _asked_cue(turn) else (turn.last_question or question)


# When the citizen will go, told in answer to «which one?» with nothing asked («先弄个临时牌
# 周末要开回老家»): their case, not a question about opening hours or how long it takes.
_TOLD_WHEN = frozenset({QuestionType.hours, QuestionType.time_limit})
_YES_NO_END = re.compile("[不没吧][?？。！!]*$")


def _asked_cue(turn: Turn) -> QuestionType | None:
    cue = question_cue(turn.text)
    told = (
        cue in _TOLD_WHEN
        and naming_part(turn.text)
        and not asks_something(turn.text)
        and not _YES_NO_END.search(turn.text)
    )
    return None if told else cue


def _similarity(part: str, item: ServiceItem) -> tuple[int, int]:
    """(longest common run, characters in common) between the words and the item's names."""
    return max((longest_common(part, name), len(set(part) & set(name))) for name in item.names)


def pick_offered(part: str, offered: Sequence[ServiceItem]) -> ServiceItem | None:
    """The offered candidate the citizen picks in words («补办的那个», «第二个»): the one that
    shares a run of two characters with the words, or, for a word or two, the only one that
    shares a character; None when that does not single one out."""
    ordinals = ("第一", "第二", "第三")
    for position, ordinal in enumerate(ordinals[: len(offered)]):
        # «第一次办» says the document was never held, not which button.
        if re.search(f"{ordinal}(?!次|回)", part):
            return offered[position]
    scores = sorted(((_similarity(part, item), n) for n, item in enumerate(offered)), reverse=True)
    # A run every top candidate shares («个体户» of 个体户登记 and 个体户注销) picks none of them,
    # whatever other characters happen to match.
    if not scores or (len(scores) > 1 and scores[1][0][0] == scores[0][0][0]):
        return None
    (run, shared), best = scores[0]
    return offered[best] if run >= 2 or (shared >= 1 and len(part) <= 3) else None


class Resolver:
    """The per-turn decision over one knowledge base and one confidence model."""

    def __init__(
        self, knowledge: KnowledgeBase, model: ConfidenceModel, referrals: Referrals | None = None
    ) -> None:
        self._knowledge = knowledge
        self._model = model
        self._referrals = referrals if referrals is not None else load_referrals()

    def decide(self, turn: Turn) -> Decision:
        decision = self._resolve(turn)
        if (
            decision.question is QuestionType.benefit
            and decision.item is not None
            and _PAID_INTO.search(decision.item.name)
            and asks_bare_amount(turn.text)
        ):
            # «就是居民那种 一年多少钱» about 城乡居民基本医疗保险参保登记: what enrolling costs.
            decision = replace(decision, question=QuestionType.fee)
        return decision if turn.clicked_item else self._outside_the_guide(turn.text, decision)

    def _outside_the_guide(self, text: str, decision: Decision) -> Decision:
        """«低保怎么申请», «那个公证在哪办 收多少钱» after 户籍证明: the clause that asks names
        a matter the guide does not hold (knowledge/referrals.yml), which no item is named
        with, so the honest answer is that the guide lacks it and who handles it, not the item
        retrieval or the conversation found. Not when the message writes out a name of the
        item decided («我爸是低保 … 医疗救助能救多少»), nor when that item's own names or
        papers hold the words («委托书要公证吗» where the item asks for a notarised one)."""
        if not self._referrals.any_named_in(text):
            return decision
        item = decision.item
        clauses = _asked_clauses(text, self._names_a_thing)
        if decision.outcome is not Outcome.answer:
            # «老小区想加装电梯 政府有补贴吗»: the clause that asks says only «有补贴吗»; with no
            # item found for it, the matter is the one the message names before.
            clauses = [*clauses, text]
        for clause in clauses:
            for referral, words in self._referrals.named_in(clause):
                if self._knowledge.items_named_with(self._knowledge.normalise(words)):
                    continue  # the guide holds it after all (an imported catalog may)
                if _whether_needed(clause, words):
                    continue
                if item is not None and (
                    # not «无犯罪记录公证»: the outside matter done to the item's paper
                    (self._writes_a_name_of(clause, item) and not self._writes_a_name_of(clause, item, words))
                    or self._for_the_sake_of(clause, words)
                    or any(words in name for name in item.names)
                    or (
                        decision.question in _ABOUT_PAPERS
                        and any(words in material.name for material in item.materials)
                    )
                ):
                    continue
                # As sure as a click: the clause names the matter itself.
                return Decision(
                    Outcome.honest_no, decision.question, confidence=1.0, how="outside", referral=referral
                )
        return decision

    def _for_the_sake_of(self, clause: str, words: str) -> bool:
        """«办签证要医保参保证明 在哪打印», «出国签证要开无犯罪记录证明»: the outside matter is
        what a paper of the guide is needed for, and the paper is asked about (not «办签证要带
        户口本吗», which asks what the visa needs)."""
        needs = re.search(
            f"{re.escape(words)}[^，,。；\\s]{{0,3}}?(要|需要|得)(用|开|打|出|出具|提供)?", clause
        )
        if needs is None:
            return False
        paper = clause[needs.end() :]
        return not _BRING.match(paper) and self._names_a_thing(paper)

    def _names_a_thing(self, clause: str) -> bool:
        """The clause names something (a noun), not only what is done («能报销不»)."""
        return any(self._knowledge.is_common_noun(word) for word in self._words(clause))

    def _writes_a_name_of(self, text: str, item: ServiceItem, then: str = "") -> bool:
        """The text writes out a name of the item (followed by `then`, when given)."""
        written = self._knowledge.normalise(text)
        after = self._knowledge.normalise(then)
        return any(
            f"{self._knowledge.normalise(name)}{after}" in written
            for name in item.names
            if len(name) >= _WRITTEN_NAME
        )

    def _resolve(self, turn: Turn) -> Decision:
        back = self._referred_back(turn)
        if back is not None:
            return back
        current = self._knowledge.item(turn.current_item) if turn.current_item else None
        instead = asked_instead(turn.text)
        if current is not None and instead and not self._lacked_name_words(instead, current):
            asked = question_cue(instead)
            if asked is not None:  # «不是问材料 是问要几天才开得出来»: the same item
                return Decision(Outcome.answer, asked, current, confidence=1.0, how="follow_up")
        decision = self._decide(turn)
        moved_on = self._moved_on(turn)
        if moved_on is not None:
            # «护照那个整明白了 那去加拿大的签证也是你们这儿办不»: the item discussed is settled,
            # so what follows is read as a new question. Another item it names is answered; the
            # settled item is not answered again unless its words name it or, briefly, ask only
            # about it («投诉以后 多久给答复»). The conversation still tells what follows about the same
            # document («卡早拿到了 就是一直没激活» after 社会保障卡申领) when alone it finds nothing.
            rest, current = moved_on
            fresh = self._afresh(turn, rest)
            if fresh.outcome is Outcome.answer and fresh.item != current:
                return fresh
            stays = (
                self._asks_only_about(rest, current)
                and len(naming_part(rest)) <= _SETTLED_ASKS_ALONE
                and not (fresh.outcome is Outcome.clarify and self._names_another(rest, current))
            )
            if not stays and (fresh.outcome is Outcome.answer or decision.item == current):
                return fresh
        elif current_done := self._done_then(turn):
            # «登记完了失业金是不是还得另外申请…» after 失业登记: straight on from the item done
            # to another that the rest names outright.
            rest, current = current_done
            fresh = self._afresh(turn, rest)
            if fresh.outcome is Outcome.answer and fresh.how == "named" and fresh.item != current:
                return fresh
        elif turn.offered and not turn.clicked_item and naming_part(rest := after_settled(turn.text) or ""):
            # «养老的搞清楚了 医保是不是也要另外转» after 养老保险 and 医保 items were offered:
            # what follows names an item outright, which is the one meant, offered or not.
            fresh = self._afresh(turn, rest)
            if fresh.outcome is Outcome.answer and fresh.how == "named":
                return fresh
        if not (turn.current_item or turn.offered or turn.clicked_item):
            decision = self._by_asking_clause(turn, decision)
        if (
            decision.how == "candidates"
            and len(decision.candidates) == 1
            and decision.confidence >= self._model.lone_answer_threshold
        ):
            # Offered alone, the item would only ask the citizen to confirm what is nearly
            # certain (the lone threshold is chosen on dev where such items were right ≥97%).
            (item,) = decision.candidates
            decision = replace(decision, outcome=Outcome.answer, item=item, candidates=(), how="named")
        if decision.item is not None and decision.how == "named":
            # 「…办理进度查询需要什么材料」: the name's own words ask nothing. An alias that
            # is itself a question («医保码怎么弄») still asks it when nothing else does.
            # Without any cue the question stands as decided («今年九月上幼儿园» answers «which
            # one?» and keeps the question asked before).
            rest = without_names(turn.text, decision.item, runs=True)
            cue = question_cue(rest)
            # But an alias that is a question written out whole («…两口子工资都不高 公租房怎么申请»)
            # asks what it asks, beside the citizen's case.
            asked_by_alias = any(name in turn.text and question_cue(name) for name in decision.item.aliases)
            only_named = (
                cue is None
                and question_cue(turn.text) is not None
                and naming_part(rest)
                and not asked_by_alias
            )
            # «公积金咋转过来» for the alias 外地公积金转过来: the cut leaves the citizen's own
            # «咋», so the cue the whole message read («咋转») is theirs and stands.
            straddled = only_named and asks_something(rest)
            if rest != turn.text and (cue is not None or only_named) and not straddled:
                # A cue only the name held, beside words of the citizen's own («不是，我是教师资格
                # 证书丢了要补»: 资格), asks nothing either. But «一次性创业补贴有多少钱» asks the
                # sum the item pays, which its name («补贴») told, not a fee.
                asked = question_for(replace(turn, text=rest))
                item = decision.item
                whole = question_cue(turn.text)
                if (
                    asked is QuestionType.fee
                    and whole is QuestionType.benefit
                    and has_answer(item, QuestionType.benefit, self._knowledge.places_of(item))
                ):
                    asked = QuestionType.benefit
                if (
                    asked in ALSO_RECORD
                    and whole is QuestionType.record
                    and has_answer(item, QuestionType.record, self._knowledge.places_of(item))
                ):
                    # «继续教育学时在哪查»: the record asked (学时), which the name held, is
                    # looked up where the answer says; not the item's office.
                    asked = QuestionType.record
                return replace(decision, question=asked)
        return decision

    def _afresh(self, turn: Turn, rest: str) -> Decision:
        """What the rest of a message decides read as a new question, the item discussed and
        the candidates offered left behind."""
        return self.decide(Turn(text=rest, intent=turn.intent, last_question=turn.last_question))

    def _for_the_employer(self, text: str, current: ServiceItem, question: QuestionType) -> Decision | None:
        """«是给我店里新招的两个服务员登记 我是老板» after 就业登记（个体经营和灵活就业人员）: the
        citizen does the matter as an employer for staff, which the guide lists as the
        employer's item (劳动用工备案（用人单位就业登记）)."""
        if not (_AS_EMPLOYER.search(text) and _STAFF.search(text)) or _ONESELF.search(text):
            return None
        if not _FOR_ONESELF.search(current.name):
            return None
        matter = _FOR_ONESELF.sub("", re.sub("（[^）]*）", "", current.name))
        found, _ = self._retrieve(f"用人单位给员工办{matter}", question)
        likeliest = found.item or next(iter(found.candidates), None)
        if likeliest is None or likeliest == current or not _OF_EMPLOYERS.search(likeliest.name):
            return None
        return Decision(Outcome.answer, question, likeliest, confidence=found.confidence, how="for_staff")

    def _names_another(self, text: str, current: ServiceItem) -> bool:
        """A word of the message is in other items' names and not in the current item's
        («上户口» after 出生医学证明: the guide writes 户口 for the certificate, but names
        other items with it)."""
        names = "；".join(current.names)
        return any(self._knowledge.in_some_name(word) and word not in names for word in self._words(text))

    def _moved_on(self, turn: Turn) -> tuple[str, ServiceItem] | None:
        """What a message says after settling the item discussed, with that item."""
        return self._rest_after(turn, after_settled)

    def _done_then(self, turn: Turn) -> tuple[str, ServiceItem] | None:
        """What follows an opening «…完了» with no pause, with the item discussed."""
        return self._rest_after(turn, after_done)

    def _rest_after(self, turn: Turn, opening: Callable[[str], str | None]) -> tuple[str, ServiceItem] | None:
        """The rest of a message after the `opening` cut off, with the item discussed, when the
        rest names anything and an item is being discussed (no button clicked or offered)."""
        if turn.clicked_item or turn.offered or not turn.current_item:
            return None
        current = self._knowledge.item(turn.current_item)
        rest = opening(turn.text)
        return (rest, current) if current is not None and rest and naming_part(rest) else None

    def _by_asking_clause(self, turn: Turn, decision: Decision) -> Decision:
        """A first message that tells a long story before its question («在这边打工三年了 居住证
        该签注了 派出所礼拜天开门不 平时要上班») dilutes retrieval's confidence until nothing
        clears a threshold. Its asking clause (with the clause before it when the question
        names nothing) read alone may name an item outright; that item is answered when it is
        also the one the whole message finds likeliest and the message names no matter the
        guide lacks. Read without context, the 2,177 dev questions and topic-switch turns had
        23 readings changed by it, 22 rightly; the one wrong was a turn of a conversation, where
        it does not apply (there the conversation decides)."""
        if decision.outcome not in (Outcome.clarify, Outcome.honest_no) or decision.how not in (
            "candidates",
            "below_threshold",
        ):
            return decision
        clauses = [clause for clause in _CLAUSE.split(turn.text) if clause]
        if len(clauses) < 2:
            return decision
        asking = _asking_clause(turn.text)
        if not naming_part(asking):
            position = next(
                (n for n in range(len(clauses) - 1, -1, -1) if clauses[n] in asking), len(clauses) - 1
            )
            asking = "，".join(clauses[max(0, position - 1) : position + 1])
        if asking == turn.text:
            return decision
        alone = self._decide(replace(turn, text=asking))
        if alone.outcome is not Outcome.answer or alone.item is None:
            return decision
        _, scores = self._retrieve(turn.text, decision.question)
        likeliest = max(scores, key=lambda item_id: scores[item_id], default=None)
        if likeliest != alone.item.id or self.unheard_of(turn.text, [alone.item], alone.confidence):
            return decision
        # Named, as surely as by the whole message (the actions answer what is named); the
        # extra says how, for logs and tests.
        return replace(
            alone, question=decision.question, how="named", extra={**alone.extra, "asking_clause": 1.0}
        )

    def _decide(self, turn: Turn) -> Decision:
        question = question_for(turn)
        if turn.clicked_item:
            item = self._knowledge.resolve(turn.clicked_item)
            if item is not None:
                return Decision(Outcome.answer, question, item, confidence=1.0, how="clicked")
        offered = [i for i in (self._knowledge.item(x) for x in turn.offered) if i is not None]
        if offered:
            # A word or two typed instead of a click («补办») may be all function words.
            # «不对，我是个体户，不是公司»: what the citizen says they do not mean picks nothing.
            meant = without_negated(turn.text)
            compact = "".join(ch for ch in meant if ch.isalnum())
            part = naming_part(meant)
            picked = pick_offered(part or (compact if len(compact) <= 3 else ""), offered)
            takes_back = corrects(turn.text) and len(part) > 3
            remedy = _remedy_words(turn.text)
            if picked is not None and remedy is not None and not remedy.search(picked.name):
                # «没丢 是到期了» after 居民身份证补领 alone was offered: 丢 names the button,
                # but what happened (expired) asks for another procedure of the document.
                picked = None
            if picked is not None and (
                (len(offered) == 1 and self._names_more(turn.text, part, picked)) or takes_back
            ):
                # One candidate shares a word or two with a message that may name another
                # matter outright («是想把城乡居民养老并到职工养老里» after 养老保险关系转移;
                # «那叉车证呢» shares only 证 with 职业技能等级认定's «考技能等级证»); a
                # correction («不对 我说错了 是公司的执照») may take back what the candidates
                # were found for, so its words must find the one picked.
                found, _ = self._retrieve(turn.text, question)
                agrees = found.item == picked or picked in found.candidates
                elsewhere = found.item not in (None, picked) or bool(found.candidates and not agrees)
                if elsewhere or (takes_back and not agrees):
                    picked = None
            if picked is not None and len(offered) > 1 and len(part) > 3:
                # «那生育津贴呢» after 生育医疗费用支付 and 新生儿参保 were offered: a name
                # written out in full beats the two characters it shares with a button.
                found, _ = self._retrieve(turn.text, question)
                if (
                    found.item is not None
                    and found.item not in offered
                    and found.confidence >= NAMED_CONFIDENCE
                ):
                    return replace(found, question=asked_about(turn, question))
            if (
                picked is not None
                and len(offered) > 1
                and turn.previous_text
                and not turn.previous_text.startswith("/")
            ):
                # «就是个体户 一个卖衣服的小门面» after «准备注销» was offered 企业注销登记 and 歇业备案:
                # read with the question it answers, the case names an item not offered
                # (个体工商户注销登记), and the button the words picked is unlikely.
                together, together_scores = self._retrieve(f"{turn.previous_text}，{turn.text}", question)
                item = together.item or (together.candidates[0] if len(together.candidates) == 1 else None)
                if (
                    item is not None
                    and item not in offered
                    and together.confidence >= self._model.lone_answer_threshold
                    and together_scores.get(picked.id, 0.0) < self._model.clarify_threshold
                    and any(word in self._names(item) for word in self._words(turn.previous_text))
                ):
                    return Decision(Outcome.answer, asked_about(turn, question), item, how="with_previous")
            if picked is not None:
                return Decision(
                    Outcome.answer, asked_about(turn, question), picked, confidence=1.0, how="picked"
                )
            # «sorry说错了 不是身份证 是户口本丢了» after 身份证 items were offered: what happened
            # is to a thing no button is about.
            turned_away = corrects(turn.text) and self._names_none_offered(meant, offered)
            remedied = None if turned_away else _remedy_among(turn.text, offered)
            if remedied is not None:  # «孩子刚生下来，还没拿过» among 首次签发 and 补发
                return Decision(
                    Outcome.answer, asked_about(turn, question), remedied, confidence=1.0, how="variant"
                )
            if (
                remedy is not None
                and not turned_away
                and (len(offered) == 1 or not any(remedy.search(item.name) for item in offered))
                and not self._documents(turn.text)
            ):
                # «我自己那张也快过期了 换新的好久能拿到» after 居民身份证补领 was offered, «卡在我
                # 手上呢 有效期眼看就到了» after 首次申领、补领 and 临时身份证: the same document's item
                # for what happened to this one.
                variant = self._variant(turn, offered[0], question)
                if variant is not None:
                    return variant
        current = self._knowledge.item(turn.current_item) if turn.current_item else None
        if current is not None and _of_another_rank(" ".join(self._words(turn.text)), current):
            # «大学毕业证也丢了 能一起办吗» after 初中、高中毕业证书遗失: a grade the item is not
            # for, said as a word of its own (not «老大|学籍»); read as if nothing were discussed,
            # unless the current item's name with the grade asked names another item
            # («娃儿在读高一 一年能领多少» after 义务教育…生活补助 (初中生活补助): 高中…助学金).
            ranked = self._at_rank(turn.text, current, question)
            if ranked is not None:
                return ranked
            current = None
        if current is not None and not offered:
            for_staff = self._for_the_employer(turn.text, current, question)
            if for_staff is not None:
                return for_staff
        if not naming_part(turn.text):
            if len(offered) > 1:
                return Decision(Outcome.clarify, question, candidates=tuple(offered), how="offered_again")
            if offered:  # one candidate offered, and a question about it («要带什么»)
                return Decision(Outcome.answer, question, offered[0], confidence=1.0, how="picked")
            if current is not None:
                return self._variant(turn, current, question) or Decision(
                    Outcome.answer, question, current, confidence=1.0, how="follow_up"
                )
            return Decision(Outcome.ask_item, question, how="no_item")
        decision, scores = self._retrieve(turn.text, question)
        decision = self._confirmed_alone(turn.text, decision)
        earlier = self._back_to_earlier(turn, decision) if current is None and not offered else None
        if earlier is not None:
            return Decision(Outcome.answer, question, earlier, confidence=1.0, how="earlier")
        if current is not None and not offered and self._names_its_channel(turn.text, current):
            # «12123上能弄不» after 驾驶证期满换证: the app the current item is done on, which
            # other items' wording writes too, is no matter of its own.
            return Decision(Outcome.answer, question, current, confidence=1.0, how="follow_up")
        found = decision  # what retrieval found, before a matter the guide lacks is honestly told
        told = current is not None and not asks_something(turn.text)
        if (
            current is not None
            and not offered
            and asks_form_of_paper(turn.text)
            and not (turns_away(turn.text) or keeps_question(turn.text) or corrects(turn.text))
        ):
            # «新地址的租房合同给复印件行吗»: whether a copy will do is asked of the papers the
            # item being discussed needs, whatever paper it names.
            return Decision(Outcome.answer, QuestionType.materials, current, confidence=1.0, how="follow_up")
        if (
            decision.how == "candidates"
            and not told
            and self.unheard_of(turn.text, decision.candidates[:1], decision.confidence)
        ):
            decision = replace(decision, outcome=Outcome.honest_no, candidates=(), how="unheard_of")
        if offered:
            # The citizen answers «which one?»: the question asked before stands unless this
            # message asks another, and a fragment («给刚出生的宝宝办») is read together with
            # the question it answers, unless it names an offered item or one outright.
            asked = asked_about(turn, question)
            alone = decision.item is not None and (
                decision.item in offered or decision.confidence >= NAMED_CONFIDENCE
            )
            if decision.outcome is Outcome.answer and alone:
                return replace(decision, question=asked)
            found_apart = {item.id for item in (decision.item, *decision.candidates) if item is not None}
            if keeps_question(turn.text) and found_apart and not found_apart & set(turn.offered):
                # «那上户口呢» after 出生医学证明 was offered: the same question of another
                # matter, which its own words find; not read into the question it follows.
                return replace(decision, question=asked)
            if turn.previous_text and not turn.previous_text.startswith("/"):
                together, _ = self._retrieve(f"{turn.previous_text}，{turn.text}", question)
                if together.outcome is Outcome.answer:
                    return replace(together, question=asked, how="with_previous")
                if (
                    len(together.candidates) == 1
                    and together.candidates[0] in offered
                    and not corrects(turn.text)  # «不对…»: what was asked before is taken back
                ):
                    # «我在村里种地的 没单位» after «我想交养老保险»: read together, one of the
                    # items offered stands out alone; the citizen has said which.
                    (item,) = together.candidates
                    return replace(
                        together, outcome=Outcome.answer, question=asked, item=item, candidates=(),
                        how="with_previous",
                    )  # fmt: skip
        if (
            decision.outcome is Outcome.answer
            and current is not None
            and decision.item != current
            and not offered
            and not turns_away(turn.text)
            and not self._names_in_own_words(
                self._without_held(turn.text), decision.item, current, wording=True
            )
            and not (decision.item is not None and _same_document(decision.item, current))
            and not self._topic_named_elsewhere(turn.text, current)
            and not (
                _remedies_instead(turn.text, decision.item, current)
                and self._variant(turn, current, question) is None
            )
        ):
            # «考试要交多少钱» after 网约车驾驶员证: retrieval's confident other item is named by
            # nothing the citizen wrote beyond what the current item says too. Another procedure
            # of the same document («就是签注用完了» after 往来港澳通行证签发) is no stranger.
            decision = replace(decision, outcome=Outcome.honest_no)
        if (
            decision.outcome is Outcome.answer
            and decision.item is not None
            and current is not None
            and keeps_question(turn.text)
            and turn.previous_text
            and not has_answer(decision.item, question, self._knowledge.places_of(decision.item))
        ):
            # «那上了小学以后呢» after 学前资助一年有多少: 小学入学 pays nothing; the item that
            # answers the question kept, which the framed words find and name, is meant.
            answering = self._answering_sibling(
                f"{turn.previous_text}，{turn.text}", turn.text, current, question
            )
            if answering is not None:
                return answering
        if decision.outcome is Outcome.answer:
            return decision
        if current is not None and (corrects(turn.text) or self._details_of(turn.text, current)):
            # «原来那张丢了», «不是续，我还没办过»: what happened to the document being discussed.
            variant = self._variant(turn, current, question)
            if variant is not None:
                return variant
        if current is not None and tells_what_happened(turn.text) and not self._documents(turn.text):
            # «那找不回来要补一张呢» after 社会保障卡挂失: what happened to the same document.
            variant = self._variant(turn, current, question)
            if variant is not None:
                return variant
            remedy = _remedy_words(turn.text)
            if (
                remedy is not None
                and remedy.search(current.name)
                and not asks_something(turn.text)
                and not self._names_another_matter(turn.text, current)
            ):
                # «他们两个从来没办过这个证» after 往来港澳通行证签发: the case the item is for,
                # told without a question of its own.
                return Decision(Outcome.answer, question, current, confidence=1.0, how="follow_up")
        if current is not None and keeps_question(turn.text) and turn.previous_text:
            # «那养老保险呢» after «换工作去了外省，医保怎么转过去»: the new words in the frame of
            # the previous question, for an item other than the current one that they name.
            # «医保呢» after «公积金也要转 咋弄»: the previous question with the new words in
            # place of the current item's («医保 也要转 咋弄») is read first.
            named = naming_part(turn.text)
            swapped = (
                f"{named}{without_names(turn.previous_text, current, runs=True)}"
                if len(named) <= _SWAPPED_NAMING
                else ""
            )
            sibling = self._sibling(
                f"{turn.previous_text}，{turn.text}", turn.text, current, question, swapped=swapped
            )
            # A correction that picked none of the candidates offered takes them back.
            taken_back = corrects(turn.text) and sibling is not None and sibling.item in offered
            if sibling is not None and not taken_back:
                return sibling
        if told and turn.previous_text and not turn.previous_text.startswith("/") and current is not None:
            # «我是个体户» after 营业执照注销 answered as 企业注销登记: the case told makes the
            # question asked before one about another item, which its own words name.
            together, _ = self._retrieve(f"{turn.previous_text}，{turn.text}", question)
            if (
                together.outcome is Outcome.answer
                and together.item not in (None, current)
                and self._names_in_own_words(turn.text, together.item, current)
            ):
                return replace(together, question=asked_about(turn, question), how="with_previous")
        if len(offered) > 1:
            # The citizen is answering «which one?» in their own words («到期了换新的»): the
            # offered item closest in meaning, when it stands out from the others.
            closest = self._closest(turn.text, offered)
            if closest is not None:
                return Decision(Outcome.answer, asked_about(turn, question), closest, how="picked_by_meaning")
        if current is not None:
            # «之前办过证了，这次只要续签» after 往来港澳通行证签发: another procedure of the same
            # document, named by a word the current item never uses.
            procedure = self._other_procedure(turn.text, current, scores)
            if procedure is not None:
                confidence = scores[procedure.id]
                return Decision(
                    Outcome.answer,
                    asked_about(turn, question),
                    procedure,
                    confidence=confidence,
                    how="variant",
                )
        if (
            current is not None
            and not offered
            and _SWITCH.match(turn.text)
            and decision.outcome is Outcome.clarify
            and not _asks_for_counterpart(turn.text, current)  # «那正式补一张呢»: below
        ):
            # «那年报现在能在网上补报吗» after 经营异常名录移出: the citizen turns to, and names, the one
            # candidate whose names hold a word the current item's names lack, however much the
            # current item's wording speaks of it.
            words = self._words(turn.text)
            turned_to = [
                item for item in decision.candidates
                if item != current
                and any(w in self._names(item) and w not in self._names(current) for w in words)
            ]  # fmt: skip
            if len(turned_to) == 1:
                (item,) = turned_to
                return Decision(
                    Outcome.answer, question, item, confidence=scores.get(item.id, 0.0), how="named"
                )
        qualified = self._qualified_counterpart(turn.text, current) if current is not None else None
        if qualified is not None:
            # «等不了那么久 先办个临时的» after 居民身份证换领: the document's temporary (or
            # simplified) procedure, which the message names by its qualifier alone.
            return Decision(
                Outcome.answer, asked_about(turn, question), qualified,
                confidence=scores.get(qualified.id, 0.0), how="variant",
            )  # fmt: skip
        if (
            current is not None
            and scores.get(current.id, 0.0) >= self._model.clarify_threshold
            and not self._names_another_matter(turn.text, current)
        ):
            # Details about the item being discussed («新车6年内免检的也要领吗»), not another item.
            return Decision(Outcome.answer, question, current, confidence=scores[current.id], how="follow_up")
        if (
            current is not None
            and not offered
            and (
                (
                    (decision.how == "below_threshold" or self._found_by_no_name(turn.text, decision))
                    and self._asks_only_about(turn.text, current)
                )
                or self._asks_to_bring(turn.text, current)
            )
        ):
            # «礼拜天有人上班不», «材料要原件还是复印件» after an answer: retrieval found nothing,
            # and the question names no matter the current item's wording lacks. (Candidates
            # found by such words may be the matter turned to: «第一次申请要住满多久» after 签注,
            # except in a short question whether to bring one: «户口本要不要带»; candidates
            # none of whose names holds a word of the message are no matter turned to either:
            # «考完多久拿证» after 特种设备作业人员资格认定.)
            return Decision(Outcome.answer, question, current, confidence=0.0, how="follow_up")
        if (
            current is not None
            and self._details_of(turn.text, current)
            and not self._points_elsewhere(turn.text, found, scores, current)
        ):
            # «我普通话只有二级乙等，够不够» after 教师资格认定: details about the item being
            # discussed, which retrieval, read with the item's name, finds to be about it.
            together, _ = self._retrieve(f"{current.name}，{self._without_held(turn.text)}", question)
            if together.outcome is Outcome.answer and together.item == current:
                return replace(together, how="follow_up")
        if (
            current is not None
            and decision.outcome is Outcome.clarify
            and len(besides := [c for c in decision.candidates if c != current]) == 1
            and _same_document(besides[0], current)
        ):
            # «挂失完了想补张新卡» after 社会保障卡挂失: the one item offered besides the current
            # one is another procedure of the document being discussed; the conversation settles it.
            (item,) = besides
            return replace(decision, outcome=Outcome.answer, item=item, candidates=(), how="variant")
        if current is not None and _asks_for_counterpart(turn.text, current):
            # «正式上牌一般要多久» after the temporary plate: never the temporary one again; the
            # other items retrieval found at all are offered, or the guide honestly lacks it.
            others = tuple(
                item
                for item_id, probability in sorted(scores.items(), key=lambda pair: -pair[1])
                if item_id != current.id
                and probability >= _COUNTERPART_FLOOR
                and (item := self._knowledge.item(item_id)) is not None
            )[:MAX_CANDIDATES]
            counterpart = _counterpart_by_procedure(turn.text, current, others)
            if len(others) == 1:
                # «正式上牌一般要多久» after the temporary plate: the one other item found at all.
                counterpart = others[0]
            if counterpart is not None:  # «那正式补一张新的呢» after 临时居民身份证申领
                return Decision(
                    Outcome.answer, asked_about(turn, question), counterpart,
                    confidence=scores[counterpart.id], how="variant",
                )  # fmt: skip
            outcome = Outcome.clarify if others else Outcome.honest_no
            confidence = scores[others[0].id] if others else 0.0
            return Decision(outcome, question, None, others, confidence, how="counterpart")
        return decision

    def _at_rank(self, text: str, current: ServiceItem, question: QuestionType) -> Decision | None:
        """The item found by a name of the current item with the grade the message asks in
        place of the one the name holds, when found alone."""
        asked_text = _school_level(text)
        for series in _RANKS:
            asked = [rank for rank in series if rank in asked_text]
            if len(asked) != 1:
                continue
            for name in current.names:
                held = [rank for rank in series if rank in name]
                if not held or asked[0] in held:
                    continue
                _, scores = self._retrieve(name.replace(held[0], asked[0]), question)
                best_id, best = max(scores.items(), key=lambda pair: pair[1], default=("", 0.0))
                item = self._knowledge.item(best_id) if best >= _COUNTERPART_FLOOR else None
                if (
                    item is not None
                    and item != current
                    and asked[0] in "；".join(item.names)
                    and _pairs(current, series) & _pairs(item, series)  # the same kind («补助»)
                ):
                    return Decision(Outcome.answer, question, item, confidence=best, how="sibling")
        return None

    def _qualified_counterpart(self, text: str, current: ServiceItem) -> ServiceItem | None:
        """The one item of the current item's document whose name adds a qualifier the message
        says and the current name lacks (临时居民身份证申领 for «先办个临时的» after 居民身份证换领)."""
        for word, _ in _COUNTERPARTS:
            # The qualifier of a document or procedure («临时的», «办个临时», «简易注销»), not
            # «我临时有事».
            spoken = _QUALIFIER_SAID_AS.get(word, word)
            said = re.search(
                f"({spoken})(?=的|证|身|牌|号|注销|登记)|[办弄开搞整走上][个张块]?({spoken})", text
            )
            if said is None or word in current.name:
                continue
            found = {
                hit.item.id: hit.item
                for hit in self._knowledge.search(word + current.name, k=_SEARCH_DEPTH)
                if word in hit.item.name
                and _shared_prefix(hit.item.name.replace(word, ""), current.name) >= _DOCUMENT_PREFIX
            }
            if len(found) == 1:
                return next(iter(found.values()))
        return None

    def _found_by_no_name(self, text: str, decision: Decision) -> bool:
        """Candidates were found, but none of their names holds a word of the message: they
        were found by words every guide writes («考完», «拿证»)."""
        words = self._words(text)
        return decision.how == "candidates" and not any(
            word in self._names(item) for item in decision.candidates for word in words
        )

    def _asks_to_bring(self, text: str, current: ServiceItem) -> bool:
        """«需要带身份证吗», «户口本要不要带», «契税发票要原件吗»: a short question whether to
        bring a document that the current item's materials list, or papers of the citizen's own
        that name no item nor a certificate (契税发票, 病历; not 结婚证), with nothing else the
        wording lacks."""
        if question_cue(text) is not QuestionType.materials or len(naming_part(text)) > _BRING_NAMING:
            return False
        if any(
            re.search(f"{_ACTS_ON}{re.escape(word)}", text)
            for word in self._words(text)
            if self._knowledge.in_some_name(word) and word not in self._names(current)
        ):
            # «销户口要带什么» after 丧葬补助金: what a procedure on another matter needs, not
            # whether to bring one document.
            return False
        materials = self._knowledge.normalise("；".join(f"{m.name}{m.note or ''}" for m in current.materials))
        papers = "；".join(
            word
            for word in self._words(text)
            if not self._knowledge.in_some_name(word) and not _DOCUMENT.search(word)
        )
        return self._asks_only_about(text, current, also=f"{materials}；{papers}")

    def _asks_only_about(self, text: str, current: ServiceItem, also: str = "") -> bool:
        """A question that neither turns to another matter («那X呢», «另外…», a correction, a wish
        stated anew, the counterpart of the current item) nor names one, or a document
        («残疾人证»), its wording (or `also`) lacks. (Turning away with «另外…» or «那…» stays
        a turn away even when the words of the matter turned to are ones the guide writes for
        the current item too.)"""
        return (
            question_cue(text) is not None
            and not keeps_question(text)
            and not corrects(text)
            and not turns_away(text)
            and not _WISH.search(text)
            and not _asks_for_counterpart(text, current)
            and not [word for word in self._matters_beside(text, current) if word not in also]
            and not [
                d for d in self._documents(text) if d not in self._knowledge.about(current) and d not in also
            ]
        )

    def _matters_beside(self, text: str, current: ServiceItem) -> list[str]:
        """The nouns of a message, missing from the current item's wording, that name a matter:
        a noun of some item's names («户籍»), or one the guide never writes («商标»)."""
        about = self._knowledge.about(current)
        return [
            word
            for word in self._words(text)
            if word not in about
            and not _circumstantial(word)
            and not asks_only(word)
            and (
                _DOCUMENT.search(word)  # «中考», «结婚证», wherever the guide writes them
                or (
                    (self._knowledge.is_common_noun(word) or _names_by_latin(word))
                    and (self._knowledge.in_some_name(word) or not self._knowledge.in_some_wording(word))
                )
            )
        ]

    def _points_elsewhere(
        self, text: str, decision: Decision, scores: dict[str, float], current: ServiceItem
    ) -> bool:
        """Retrieval, reading the message alone, finds another item likely and the current one
        unlikely, and the clause that asks has a word of that item's names the current item
        never uses («上个月被裁了，失业金怎么领» after 生源地助学贷款): the message is about that
        item, however well it reads with the current item's name put in front. Not «我社保才交了
        半年，够条件不» after 人才购房补贴 (the asking clause is about the current item), nor
        «网上能登记不» after 生育登记 (失业登记 is found by a word the current item has too)."""
        # One item singled out: several found by a word («外地户口可以交吗»: 户口) tell a case.
        found = decision.item or (decision.candidates[0] if len(decision.candidates) == 1 else None)
        threshold = self._model.clarify_threshold
        if found is None or found == current or decision.confidence < threshold:
            return False
        # «就晚上在夜市推个小车卖烤冷面 有没有电话能先问问»: a clause that only asks leaves
        # the matter to the clauses before it.
        clause = _asking_clause(text)
        # «居住证办了还不到一年 行不行»: a document the citizen holds points nowhere.
        clause = self._without_held(clause if naming_part(clause) else text)
        if (
            decision.confidence >= self._model.lone_answer_threshold
            and scores.get(current.id, 0.0) < _STRAY
            and (
                any(w in self._names(found) and w not in self._names(current) for w in self._words(clause))
                or self._names_in_own_words(clause, found, current, wording=True)
            )
        ):
            # «孩子生下来了 医保咋给他交上» after 生育医疗费用: read alone, the message is
            # about the other item as surely as a lone candidate is answered, and hardly about
            # the current one; its asking clause names the other item (医保) with a word the
            # current one's names lack, if not its wording. (Not «老人眼睛不好，用手机能弄吗»
            # after 待遇资格认证, nor «备案要交钱吗» after 施工劳务资质备案.)
            return True
        words = self._words(clause)
        if (
            scores.get(current.id, 0.0) < _NOT_AT_ALL
            and all(word in self._names(found) for word in words)
            and any(word not in self._names(current) for word in words)
        ):
            # «先上户口吧 报户口多久能办好» after 出生医学证明: read alone, not at all about the
            # current item, and every naming word of the asking clause is in the other's names,
            # one of them not in the current item's («登记收钱不» after 就业登记 is no switch).
            return True
        return scores.get(current.id, 0.0) < threshold and self._names_in_own_words(clause, found, current)

    def _other_procedure(
        self, text: str, current: ServiceItem, scores: dict[str, float]
    ) -> ServiceItem | None:
        """The one item retrieval found for the same document as `current` whose names hold a
        word of the message that the current item's wording lacks (续签 in 港澳通行证续签), and
        whose wording holds every noun of the message («那电动车上牌呢» after 机动车转移登记 is
        not 机动车注册登记, which registers no 电动车)."""
        about = self._knowledge.about(current)
        words = [word for word in self._words(text) if word not in about]
        nouns = [word for word in words if self._knowledge.is_common_noun(word)]
        found = [
            item
            for item in (self._knowledge.item(item_id) for item_id in scores)
            if item is not None
            and _same_document(item, current)
            and any(word in self._names(item) for word in words)
            and all(noun in self._knowledge.about(item) for noun in nouns)
        ]
        return found[0] if len(found) == 1 else None

    def _names_more(self, text: str, part: str, picked: ServiceItem) -> bool:
        """The message says more than a pick: a longer naming part, or a document the picked
        item's names lack."""
        return len(part) > 3 or any(d not in self._names(picked) for d in self._documents(text))

    def _confirmed_alone(self, text: str, decision: Decision) -> Decision:
        """One candidate, which the naming words alone name outright («教育局认定教资的窗口周六
        上班不» is 认定教资 asked about a window's hours): the answer, as long as every
        document or licence the message names is in the item's names (a neighbour that only
        lists 健康证 among its materials is not the place to get one)."""
        if decision.outcome is not Outcome.clarify or len(decision.candidates) != 1:
            return decision
        (item,) = decision.candidates
        searched = searched_text(self._knowledge, text)
        alone, _ = self._retrieve(naming_part(searched), decision.question)
        if alone.outcome is not Outcome.answer or alone.item != item:
            return decision
        names = self._names(item)
        documents = document_terms(self._knowledge, searched, naming_terms(self._knowledge, searched))
        if any(document not in names for document in documents):
            return decision
        return Decision(Outcome.answer, decision.question, item, confidence=alone.confidence, how="named")

    def unheard_of(self, text: str, found: Sequence[ServiceItem] = (), confidence: float = 0.0) -> list[str]:
        """The nouns of a short question that the guide never writes anywhere («烟草专卖零售
        许可证怎么办»: 烟草; «护士执业证注册»: 护士): the matter asked about is not in the guide,
        and its neighbours (药品零售许可, 执业药师注册) are not worth offering. A long message
        tells circumstances too («我在机械厂干了二十多年…»), so it is left to retrieval; so
        is a noun beside the matter an item `found` is named after («我带的徒弟还没证 他第一次
        考电工证…», «闺女的出生证明丢了»): whose it is, not what it is. Nor is any noun
        asked about when the message writes out a name of the item found («厂子倒闭了 失业登记
        要去哪登»: 厂子 is the citizen's case)."""
        if len(naming_part(text)) > SHORT_NAMING:
            return []
        written = self._knowledge.normalise(searched_text(self._knowledge, text))
        if any(name in written for item in found[:1] for name in item.names if len(name) >= _WRITTEN_NAME):
            return []
        # «厂子裁员把我裁了 失业金一共能领几个月»: the clause that asks names the item found,
        # found as surely as a lone candidate is answered, and points back at nothing, so the
        # nouns of the clauses before it tell the case. (Not «招一个外籍员工 外国人来华工作
        # 许可在哪申请», nor «单位给交了企业年金 退休了这个钱怎么领»; a sum of money or a tax
        # told before, «年金», «交税», is a matter of its own.)
        clause = self._knowledge.normalise(_asking_clause(searched_text(self._knowledge, text)))
        named_in_clause = (
            confidence >= self._model.lone_answer_threshold
            and not _POINTS_AT.search(clause)
            and any(w in self._names(item) for item in found[:1] for w in self._words(clause))
        )
        return [
            term
            for term in self._words(text)
            if not (named_in_clause and term not in clause and not _MONEY_MATTER.search(term))
            and not self._knowledge.in_some_wording(term)
            and not _circumstantial(term)
            and not _CHARGE.fullmatch(term)
            and not _kind_of_business(term, text)
            and not tells_what_happened(term)  # «房本泡水烂了»: what happened to it
            and (self._knowledge.is_common_noun(term) or _names_by_latin(term))
            and not any(_beside_the_matter(term, text, item) for item in found)
        ]

    def _names_none_offered(self, text: str, offered: Sequence[ServiceItem]) -> bool:
        """The message names, by a word some item's names hold, a thing none of the offered
        items' names hold («户口本» when only 身份证 items were offered)."""
        words = [
            word for word in self._words(naming_part(text)) if len(word) > 1 and not _circumstantial(word)
        ]
        return any(
            all(word not in self._names(item) for item in offered)
            and self._knowledge.items_named_with(self._knowledge.normalise(word))
            for word in words
        )

    def _variant(self, turn: Turn, current: ServiceItem, question: QuestionType) -> Decision | None:
        """«弄丢了» after 出生医学证明首次签发: the same document's item whose name says it
        replaces, renews or first issues the document, when the guide has exactly one."""
        remedy = _remedy_words(turn.text)
        if remedy is None or remedy.search(current.name):
            return None
        found = self._knowledge.search(f"{current.name}{remedy.pattern}", k=_SEARCH_DEPTH)
        shared = sorted(
            ((_shared_prefix(hit.item.name, current.name), hit.item) for hit in found
             if hit.item.id != current.id and remedy.search(hit.item.name)),
            key=lambda pair: -pair[0],
        )  # fmt: skip
        tied = len(shared) > 1 and shared[1][0] == shared[0][0]
        if not shared or shared[0][0] < _DOCUMENT_PREFIX or tied:
            return None
        return Decision(
            Outcome.answer, asked_about(turn, question), shared[0][1], confidence=1.0, how="variant"
        )

    def _words(self, text: str) -> list[str]:
        """The naming words of at least two characters of a message, as retrieval reads it, the
        offices it names left out («社保大厅礼拜天上班不»: no 社保 asked about)."""
        searched = _OFFICES.sub("，", searched_text(self._knowledge, text))
        return [w for w in naming_terms(self._knowledge, searched) if len(w) >= 2]

    def _names(self, item: ServiceItem) -> str:
        return self._knowledge.normalise("；".join(item.names))

    def _sibling(
        self, framed: str, text: str, current: ServiceItem, question: QuestionType, swapped: str = ""
    ) -> Decision | None:
        """The likeliest item other than `current` for the framed text, when its names hold a
        word of `text` and it is not far-fetched (the framed text is mostly about `current`, so
        its probability is judged against SIBLING_FLOOR, not the clarify threshold)."""
        for probe in (swapped, framed, text) if swapped else (framed, text):
            _, probabilities = self._retrieve(probe, question)
            others = [(p, i) for i, p in probabilities.items() if i != current.id]
            if not others:
                continue
            probability, item_id = max(others)
            item = self._knowledge.item(item_id)
            if item is None or probability < SIBLING_FLOOR:
                continue
            words = self._words(text)
            if not any(word in self._names(item) for word in words):
                continue
            if probe in (text, swapped):
                # Read alone («那社保开户呢» after 公积金开户), the words must be the item's own
                # («那电动自行车上牌呢» is not 机动车注册登记 because both say 上牌), and the item
                # must answer the question kept («那上了小学以后呢» after 学前资助一年有多少 is
                # not 小学入学, which pays nothing).
                about = self._knowledge.about(item)
                # «那上初一的呢 老大今年小学毕业»: the naming part's words, the case told aside
                named = self._words(naming_part(text))
                lacked = [word for word in named if word not in about and not _circumstantial(word)]
                if len(lacked) > 1 or any(_DOCUMENT.search(word) for word in lacked):
                    continue
                if not has_answer(item, question, self._knowledge.places_of(item)):
                    continue
            return Decision(Outcome.answer, question, item, confidence=probability, how="sibling")
        return None

    def _answering_sibling(
        self, framed: str, text: str, current: ServiceItem, question: QuestionType
    ) -> Decision | None:
        """The likeliest item other than `current`, for the framed text, that answers `question`
        and whose wording holds a word of `text` (above ANSWERING_FLOOR only: the framed text is
        mostly about `current`)."""
        _, probabilities = self._retrieve(framed, question)
        words = self._words(text)
        for item_id, probability in sorted(probabilities.items(), key=lambda pair: -pair[1]):
            item = self._knowledge.item(item_id)
            if item is None or item_id == current.id or probability < ANSWERING_FLOOR:
                continue
            about = self._knowledge.about(item)
            if has_answer(item, question, self._knowledge.places_of(item)) and any(w in about for w in words):
                return Decision(Outcome.answer, question, item, confidence=probability, how="sibling")
        return None

    def _names_in_own_words(
        self, text: str, item: ServiceItem | None, current: ServiceItem, wording: bool = False
    ) -> bool:
        """Some word of the message that the current item's wording lacks is written in the
        other item's names («招聘会一般在哪里办» after 职业介绍 names 招聘会), or with
        `wording`, two such words anywhere in its wording («夜市推个小车卖烤冷面» tells
        食品摊贩登记's case; one alone, «考试要交多少钱» after 网约车驾驶员证 or «有年龄限制不»,
        names no other matter)."""
        if item is None:
            return True
        about = self._knowledge.about(current)
        words = [word for word in self._words(text) if word not in about]
        if any(word in self._names(item) for word in words):
            return True
        if not wording:
            return False
        other = self._knowledge.about(item)
        told = [
            word
            for word in words
            if word in other and self._knowledge.is_common_noun(word) and not _circumstantial(word)
        ]
        return len(_whole_words(told)) >= _TOLD_WORDS

    def _details_of(self, text: str, current: ServiceItem) -> bool:
        """The message may be details about the current item rather than another matter: no
        word of turning to another matter, not «那X呢», no wish stated anew; no document or
        licence the item's wording lacks («补办结婚证去哪里» after 居民身份证补领); at most
        one word of the clause that asks which the item's wording lacks («在哪申请，直接找班主任就行吗» asks
        about the item; «中考报名在哪报» names what it asks about); and at most one word the
        guide names matters with that the item's wording lacks («我外地户口，能办吗»: 户口 is
        the citizen's case). Places, counts and durations are circumstances, never what is
        asked about."""
        if turns_away(text) or _WISH.search(text) or _asks_for_counterpart(text, current):
            return False
        about = self._knowledge.about(current)

        def lacking(part: str) -> list[str]:
            return _whole_words(
                [term for term in self._words(part) if term not in about and not _circumstantial(term)]
            )

        lacked = lacking(text)
        if any(_DOCUMENT.search(term) for term in lacked) or self._unheard_matters(text):
            return False
        if self._topic_named_elsewhere(text, current):
            return False
        if len(lacking(_asking_clause(text))) >= 2:
            return False
        matters = {term for term in lacked if self._knowledge.in_some_name(term)}
        if any(
            re.search(f"{re.escape(term)}{_ACTED_UPON}|{_ACTS_ON}{re.escape(term)}", text) for term in matters
        ):
            # «户口也得销吧 在哪销», «销户口要带什么» after 丧葬补助金: something is to be done
            # to another matter the item's wording never mentions; not a detail of the item.
            return False
        return len(matters) < 2

    def _unheard_matters(self, text: str) -> list[str]:
        """Matters named by a noun the guide never writes before a word items are named with
        («高龄补贴»: 高龄|补贴; «宠物|登记»): whatever item is being discussed, not it."""
        terms = naming_terms(self._knowledge, searched_text(self._knowledge, text))
        return [
            first + second
            for first, second in itertools.pairwise(terms)
            if first + second in text
            and len(second) >= 2
            and self._knowledge.in_some_name(second)
            and self._knowledge.is_common_noun(first)
            and not self._knowledge.in_some_wording(first)
            and not _circumstantial(first)
        ]

    def _without_held(self, text: str) -> str:
        """The message as retrieval reads it, without the documents the citizen says they hold
        («居住证办了还不到一年»: their case, not the 居住证 items)."""
        searched = searched_text(self._knowledge, text)
        normalised = self._knowledge.normalise(searched)
        for document in sorted(self._documents(text), key=len, reverse=True):
            if not _sought(normalised, document):
                searched = searched.replace(document, "，")
        return searched

    def _documents(self, text: str) -> list[str]:
        """The documents, exams or procedures a message names («结婚证», «中考»)."""
        searched = searched_text(self._knowledge, text)
        return document_terms(self._knowledge, searched, naming_terms(self._knowledge, searched))

    def _names_another_matter(self, text: str, current: ServiceItem) -> bool:
        """The message names a document, exam or procedure the current item's wording lacks
        («那中考报名呢» after 初中入学), the counterpart of what the item's name says it is
        («正式…» after a temporary one), or, in a short message, a noun the guide never writes:
        another matter, however close retrieval finds the current item. (Details told about
        the current item — «房东不配合», «要带哪些病历» — often use such nouns, so the check
        is kept to this path, where retrieval alone would carry the old item over.)"""
        about = self._knowledge.about(current)
        if any(document not in about for document in self._documents(text)):
            return True
        if _asks_for_counterpart(text, current) or self._unheard_matters(text):
            return True
        if self._topic_named_elsewhere(text, current):
            return True
        # «就个体户，夫妻店» tells the case of the matter discussed; it asks about nothing new.
        return asks_something(text) and bool(self.unheard_of(text))

    def _back_to_earlier(self, turn: Turn, decision: Decision) -> ServiceItem | None:
        """«认定能在网上申请吗», «注销要交钱冇» after an honest no about another matter: the
        context was dropped, but the words are those of the item discussed before it, which
        retrieval offers among others or whose names hold every word that names something."""
        earlier = self._knowledge.item(turn.earlier_item) if turn.earlier_item else None
        if earlier is None or _of_another_rank(" ".join(self._words(turn.text)), earlier):
            return None  # «那一级建造师注册呢» after 二级建造师注册: not that item again
        if decision.item == earlier or (
            decision.outcome is not Outcome.answer and earlier in decision.candidates
        ):
            return earlier
        words = self._name_words(turn.text)
        if not self._holds_every_word(earlier, words):
            return None
        # «那医保备案手机上能弄不» after 跨省异地就医备案 and an honest no: 医保电子凭证激活,
        # found for «医保…手机上», never writes 备案.
        if decision.outcome is Outcome.answer and decision.item is not None and decision.item != earlier:
            return earlier if not self._holds_every_word(decision.item, words) else None
        return earlier

    def _name_words(self, text: str) -> list[str]:
        """The words of a message that some item's names write, its circumstances left out."""
        terms = [term for term in naming_terms(self._knowledge, text) if not _circumstantial(term)]
        # A lone character left of a question («…能弄不»: 不) names nothing.
        return _whole_words([term for term in terms if len(term) > 1 and self._knowledge.in_some_name(term)])

    def _lacked_name_words(self, text: str, current: ServiceItem) -> list[str]:
        """Words of the text that name matters (some item's names hold them) and the current
        item's wording lacks («是问结婚证要多少钱»: 结婚证), not details («我天天要跑车»)."""
        about = self._knowledge.about(current)
        return [
            w
            for w in self._words(text)
            if naming_part(w)  # not «不能»
            and not _QUANTITY.fullmatch(w)  # nor «一年», «五十二»
            and self._knowledge.in_some_name(w)
            and w not in about
        ]

    def _holds_every_word(self, item: ServiceItem, words: Sequence[str]) -> bool:
        names = self._knowledge.normalise("；".join(item.names))
        return bool(words) and all(word in names for word in words)

    def _referred_back(self, turn: Turn) -> Decision | None:
        """«刚才那个身份证 换的话多少天能拿到手», «回到贷款那个 利息国家能贴多少»: the citizen
        points back, by a word or two of its name, at an item the conversation was about. Of
        those items (the one discussed now last), the first that retrieval finds for the rest
        of the message, or whose names hold every word it names, is meant."""
        if not turn.discussed:
            return None
        if REFERS_BACK.search(turn.text) is not None:
            rest = REFERS_BACK.sub("，", turn.text)
        elif (pointed := _POINTED_AT.match(turn.text)) is not None and len(turn.discussed) > 1:
            rest = turn.text[: pointed.start(1)] + "，" + turn.text[pointed.end(1) :]
        else:
            return None
        if not naming_part(rest):
            return None  # «刚才那个要多少钱»: nothing to tell the items apart by
        found, _ = self._retrieve(rest, question_for(replace(turn, text=rest)))
        words = self._name_words(rest)
        items = [item for item in map(self._knowledge.item, turn.discussed) if item is not None]
        for item in sorted(items, key=lambda item: item.id == turn.current_item):
            if item == found.item or item in found.candidates or self._holds_every_word(item, words):
                asked = question_for(replace(turn, text=without_names(rest, item, runs=True)))
                return Decision(Outcome.answer, asked, item, confidence=1.0, how="earlier")
        return None

    def _names_its_channel(self, text: str, current: ServiceItem) -> bool:
        """Every thing the message names is letters or digits the current item's own wording
        writes (an app, a hotline: «12123», «APP»)."""
        terms = [
            term
            for term in naming_terms(self._knowledge, text)
            if _CHANNEL_NAME.fullmatch(term) or self._knowledge.is_common_noun(term)
        ]
        channels = [term for term in terms if _CHANNEL_NAME.fullmatch(term)]
        wording = self._knowledge.normalise(current.model_dump_json())
        if not channels or not all(self._knowledge.normalise(term) in wording for term in channels):
            return False
        # A word written as part of the channel's name («交管12123»), where the wording has it so.
        written = self._knowledge.normalise(text)
        return all(
            any(f"{term}{channel}" in written and f"{term}{channel}" in wording for channel in channels)
            for term in terms
            if term not in channels and len(term) > 1  # a lone character («换») names nothing
        )

    def _topic_named_elsewhere(self, text: str, current: ServiceItem) -> bool:
        """The message opens on another item's own name or alias, one the current item's names
        and materials never write («年报那块也一直没搞懂» after 经营异常名录移出, whose guide
        speaks of 年报 throughout): the citizen turns to that item."""
        normalised = self._knowledge.normalise(text)
        own = self._knowledge.normalise("；".join([*current.names, *(m.name for m in current.materials)]))
        words = self._words(text)
        opening = words[0] if words and normalised.startswith(words[0]) else ""
        if (
            opening
            and opening not in own
            and question_cue(normalised[: len(opening) + 2]) is None  # «联系电话是多少» only asks
            and not _circumstantial(opening)
            and len(self._knowledge.items_named_with(opening) - {current.id}) == 1
        ):
            # A word that names one other matter alone, opening the message («年报那块…»).
            return True
        lead = max((word for word in words if normalised.startswith(word)), key=len, default="")
        if (
            lead
            and lead not in own
            and normalised[len(lead) :].startswith("也")
            and not _circumstantial(lead)
            and self._knowledge.items_named_with(lead) - {current.id}
        ):
            # «养老保险也得跟着转吧» after 医保关系转移: what else is to be done the same way,
            # named by a word other items are named with and the current one is not.
            return True
        if opening and _names_by_latin(opening) and not self._knowledge.in_some_wording(opening):
            # «ETC在哪办» after 号牌补领: a matter named by letters the guide never writes.
            return True
        for hit in self._knowledge.match_names(text):
            if hit.item.id == current.id:
                continue
            for name in hit.item.names:
                name = self._knowledge.normalise(name)
                at = normalised.find(name)
                if len(name) >= 2 and 0 <= at <= _TOPIC_OPENING and name not in own:
                    return True
        return False

    def _closest(self, text: str, offered: Sequence[ServiceItem]) -> ServiceItem | None:
        cosines = self._knowledge.cosine_to(text, [item.id for item in offered])
        ranked = sorted(((cosines.get(item.id, 0.0), n) for n, item in enumerate(offered)), reverse=True)
        if len(ranked) < 2 or ranked[0][0] - ranked[1][0] < PICK_MARGIN:
            return None
        return offered[ranked[0][1]]

    def _shared_between(
        self, text: str, offerable: Sequence[tuple[float, Hit]], terms: list[str]
    ) -> tuple[ServiceItem, ...]:
        """«社保卡不知道丢哪了 咋整», «公积金想提出来 要什么材料»: the message names a document
        or fund several items are named after, and retrieval splits its belief between them
        (挂失 0.48, 补换 0.29) until none alone is likely enough to offer. Together they are:
        the items sharing the naming word are offered, not an honest no about a matter the
        guide has. Not when the clause that asks names what none of them is named with
        («想开一家诊所，医疗机构执业许可怎么申请» shares only 许可 with 药品零售许可)."""
        near = [(score, hit) for score, hit in offerable if score >= _SHARED_FLOOR][:MAX_CANDIDATES]
        if (
            len(near) < 2
            or near[0][0] < RUNNER_UP_FLOOR
            or sum(score for score, _ in near) < self._model.clarify_threshold
        ):
            return ()
        asked = [
            word for word in self._words(_asking_clause(text))
            if self._knowledge.is_common_noun(word) and not _circumstantial(word)
        ]  # fmt: skip
        if not all(any(word in self._knowledge.about(hit.item) for _, hit in near) for word in asked):
            return ()
        shared = [
            term for term in _whole_words(terms)
            if len(term) >= 2
            and all(term in hit.names_text for _, hit in near)
            and len(self._knowledge.items_named_with(term)) <= _SHARED_AT_MOST
        ]  # fmt: skip
        return tuple(hit.item for _, hit in near) if shared else ()

    def _retrieve(self, text: str, question: QuestionType) -> tuple[Decision, dict[str, float]]:
        """The decision and the calibrated probability of every item retrieval found."""
        text = searched_text(self._knowledge, text)
        hits = self._knowledge.search(text, k=_SEARCH_DEPTH)
        if (
            len(hits) == _SEARCH_DEPTH
            and len({hit.item.name for hit in hits if hit.matched_by == "name"}) == 1
        ):
            hits = self._knowledge.search(text, k=MAX_SAME_NAME)  # a name many records share
        if not hits:
            return Decision(Outcome.honest_no, question, how="nothing_found"), {}
        normalised = self._knowledge.normalise(text)
        terms = naming_terms(self._knowledge, text)
        scores = self._model.score(normalised, terms, hits)
        if question is QuestionType.record:
            # «我的社保交了几年»: of the items found, the one whose name says it looks records up
            # (where and how to look one's own record up is the answer to every such question).
            # Several lookups found: the one retrieval finds likely when no other is.
            # A lookup of another matter is no answer («护照材料交上去十天了 咋查办好没有» is not
            # 参保记录查询): its names hold a naming word of the message.
            lookups = sorted(
                (
                    n
                    for n, hit in enumerate(hits)
                    if _LOOKUP.search(hit.names_text) and any(term in hit.names_text for term in terms)
                ),
                key=lambda n: -scores[n],
            )
            if lookups and (
                len(lookups) == 1
                or (scores[lookups[0]] >= self._model.clarify_threshold > scores[lookups[1]])
            ):
                scores[lookups[0]] = max(scores[lookups[0]], self._model.answer_threshold)
        other_rank = {n for n, hit in enumerate(hits) if _of_another_rank(text, hit.item)}
        for n in other_rank:  # «一级建造师注册» is not 二级建造师执业资格注册
            scores[n] = 0.0
        # «问下我婆婆身份证的事»: whose document it is names no item
        matter_terms = [term for term in terms if not _circumstantial(term)]
        alike = [
            n for n, hit in enumerate(hits) if names_every_term(hit, matter_terms) and n not in other_rank
        ]
        verbatim = [n for n in alike if hits[n].matched_by != "text"]
        if len(verbatim) == 1:
            # A name or alias written out that accounts for every naming word: as certain as a click.
            scores[verbatim[0]] = max(scores[verbatim[0]], NAMED_CONFIDENCE)
        probabilities = {hit.item.id: score for hit, score in zip(hits, scores, strict=True)}
        if len(verbatim) != 1 and len(alike) > 1 and max(scores) < self._model.answer_threshold:
            # Several items whose names hold every naming word («身份证要带什么»): ask which.
            named_alike = tuple(hits[n].item for n in alike[:MAX_CANDIDATES])
            clarify = Decision(
                Outcome.clarify, question, candidates=named_alike, confidence=max(scores), how="candidates"
            )
            return clarify, probabilities
        ranked = sorted(zip(scores, range(len(hits)), strict=True), key=lambda pair: (-pair[0], pair[1]))
        best_score, best = ranked[0]
        top = hits[best].item
        same_name = [hits[n].item for s, n in ranked if hits[n].item.name == top.name]
        documents = [
            document
            for document in document_terms(self._knowledge, text, terms)
            if not _said_unneeded(normalised, document)
        ]
        held = [document for document in documents if not _sought(normalised, document)]
        # «出生证明拿到了»: the segmenter's shorter piece (出生证) is held with the whole word.
        sought = [document for document in documents if not any(document in h for h in held)]
        procedures = set(_PROCEDURE.findall(normalised)) if best_score < NAMED_CONFIDENCE else set()
        procedure_elsewhere = [
            hits[n].item
            for s, n in ranked[1:]
            if s >= _PROCEDURE_RUNNER_UP and _procedure_named_for(procedures, hits[n], hits[best])
        ]
        if procedure_elsewhere:
            # «生意不好做 公司不想开了 要注销怎么搞»: 歇业备案 is found for the story, but the
            # procedure asked for (注销) is in the names of another item found, not in its own.
            clarify = Decision(
                Outcome.clarify,
                question,
                candidates=(procedure_elsewhere[0], top),
                confidence=best_score,
                how="candidates",
            )
            return clarify, probabilities
        if (
            best_score >= self._model.answer_threshold
            and len(same_name) == 1
            and (best_score >= NAMED_CONFIDENCE or not _lacks_any(hits[best], sought))
        ):
            runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
            named = Decision(
                Outcome.answer,
                question,
                top,
                confidence=best_score,
                how="named",
                extra={"runner_up": runner_up},
            )
            return named, probabilities
        # Once the citizen is asked which item, a close runner-up is offered beside the best
        # («公积金咋往外取»: 转移 0.53, 退休提取 0.49): a button costs less than a lost turn.
        # One candidate as likely as the lone threshold is answered instead (`decide`).
        asks_which = self._model.clarify_threshold <= best_score < self._model.lone_answer_threshold
        offered_from = (
            max(RUNNER_UP_FLOOR, RUNNER_UP_SHARE * best_score)
            if asks_which
            else self._model.clarify_threshold
        )
        # Items worth offering at all: none lacks a document the message names, and each is
        # named after one it seeks, if it seeks any.
        offerable = [
            (s, hits[n])
            for s, n in ranked
            if not _lacks_any(hits[n], documents) and _names_one_of(hits[n], sought)
        ]
        candidates = tuple(hit.item for s, hit in offerable if s >= offered_from)[:MAX_CANDIDATES]
        if len(same_name) > 1 and best_score >= self._model.clarify_threshold:
            candidates = tuple(same_name[:MAX_SAME_NAME])
        if not candidates and best_score < self._model.clarify_threshold:
            candidates = self._shared_between(text, offerable, matter_terms)
        if candidates:
            clarify = Decision(
                Outcome.clarify, question, candidates=candidates, confidence=best_score, how="candidates"
            )
            return clarify, probabilities
        unknown = Decision(Outcome.honest_no, question, confidence=best_score, how="below_threshold")
        return unknown, probabilities


# Procedures a citizen asks for by name: one that the best item's names lack and another found
# item's names hold is that item's (not said as what the citizen does not want: «不想注销»).
_PROCEDURE = re.compile(
    "(?<!不想)(?<!不用)(?<!不要)(?<!不是)(注销|挂失|补领|补办|换领|复审|迁入|迁出|转移|提取|变更)"
)
_PROCEDURE_RUNNER_UP = 0.2


def _procedure_named_for(procedures: set[str], hit: Hit, best: Hit) -> bool:
    """Some procedure the citizen asks for is in this item's names and not in the best's."""
    return any(word in hit.names_text and word not in best.names_text for word in procedures)


# A run this long, with a document word in it, shared with an item's name or alias names the
# item's document in a clause («电工证», «出生证明»; not «外国人» of 外国人开公司).
_NAMING_RUN = 3
_DOCUMENT_WORD = re.compile("证|照|许可|卡")


def _whole_words(terms: list[str]) -> list[str]:
    """One word, not two: the search reads «夫妻店» also as «夫妻», «支付宝» also as «支付»."""
    return [term for term in terms if not any(term != longer and term in longer for longer in terms)]


def _circumstantial(term: str) -> bool:
    """A word of the citizen's case, never the matter asked about: places, counts and durations,
    times, their people, words that ask or point back."""
    return bool(
        _PLACE.fullmatch(term)
        or _COUNT.match(term)
        or _ASKING_PIECE.search(term)
        or _POINTING.fullmatch(term)
        or _CIRCUMSTANCE.fullmatch(term)
        or _WHEN.fullmatch(term)
    )


# «开个水果店», «奶茶铺», «卖烤冷面»: what a shop sells tells which business, not which matter.
_SHOP = "[店铺馆摊档廊]"


def _kind_of_business(term: str, text: str) -> bool:
    sold = re.escape(term)
    return bool(re.search(f"{_SHOP}$", term) or re.search(rf"{sold}{_SHOP}|卖[^，,。\s]{{0,2}}{sold}", text))


def _names_by_latin(term: str) -> bool:
    return bool(_LATIN_NAME.fullmatch(term)) and term not in _LATIN_NOT_A_MATTER


def _names_document_of(clause: str, item: ServiceItem) -> bool:
    for name in item.names:
        match = SequenceMatcher(None, clause, name, autojunk=False).find_longest_match()
        run = clause[match.a : match.a + match.size]
        if match.size >= _NAMING_RUN and _DOCUMENT_WORD.search(run):
            return True
    return False


def _beside_the_matter(term: str, text: str, item: ServiceItem) -> bool:
    """`term` stands outside every clause that names `item`'s document, or only as the owner
    of what is named («闺女的出生证明»)."""
    clauses = [clause for clause in _CLAUSE.split(text) if clause]
    naming = [clause for clause in clauses if _names_document_of(clause, item)]
    return bool(naming) and all(term not in c or f"{term}的" in c for c in naming)


def _asks_for_counterpart(text: str, current: ServiceItem) -> bool:
    """«正式上牌…» after 核发机动车临时行驶车号牌: the counterpart of what the name says."""
    return any(word in current.name and other in text for word, other in _COUNTERPARTS)


# Grades of one qualification or licence, each series apart, and the levels of schooling
# («大学的毕业证» is not 普通高中毕业证书).
_RANKS = (
    ("一级", "二级", "三级"),
    ("初级", "中级", "高级"),
    ("甲级", "乙级", "丙级"),
    ("初中", "高中", "大学"),
)


# A school year names its level: «上初二» is 初中, «高三» 高中 (not 高级: no «高一级»).
_SCHOOL_YEAR = re.compile("([初高])[一二三](?![级等])")


def _school_level(text: str) -> str:
    return _SCHOOL_YEAR.sub(r"\1中", text)


def _pairs(item: ServiceItem, ranks: Sequence[str]) -> set[str]:
    """Every two characters running in the item's names, its grades left out."""
    names = "；".join(item.names)
    for rank in ranks:
        names = names.replace(rank, "；")
    return {pair for n in range(len(names) - 1) if "；" not in (pair := names[n : n + 2])}


def _of_another_rank(text: str, item: ServiceItem) -> bool:
    """The message asks for one grade and the item's names hold only others of its series."""
    text = _school_level(text)
    names = "；".join(item.names)
    for series in _RANKS:
        asked = [rank for rank in series if rank in text]
        held = [rank for rank in series if rank in names]
        if asked and held and not set(asked) & set(held):
            return True
    return False


def _counterpart_by_procedure(
    text: str, current: ServiceItem, others: Sequence[ServiceItem]
) -> ServiceItem | None:
    """The one item of the same document without the current item's qualifier (临时居民身份证
    申领 → 居民身份证…) whose name has the procedure the message names in a guide's words (补 →
    居民身份证补领)."""
    base = current.name
    for word, _ in _COUNTERPARTS:
        base = base.replace(word, "")
    named = [words for _, words in _VARIANTS if words.search(text)]  # the remedies' own words
    found = [
        item
        for item in others
        if _shared_prefix(item.name, base) >= _DOCUMENT_PREFIX and any(w.search(item.name) for w in named)
    ]
    return found[0] if len(found) == 1 else None


# «这个钱», «那笔»: a clause pointing at what was said before.
_POINTS_AT = re.compile("[这那](个|笔|张|份|种|项)")
# Sums, taxes and loans: each a matter of its own wherever it is told («企业年金», «交税»).
_MONEY_MATTER = re.compile("[税金费险贷款]$")
# A clause opening with «那个证», «这张»: it asks about what the clause before it named.
_POINTS_BACK = re.compile("^[那这][个张本份件种]")


# The questions a paper mentioned in the asking clause may be about the item's own papers.
_ABOUT_PAPERS = frozenset({QuestionType.materials, QuestionType.eligibility, QuestionType.overview})


def _asked_clauses(text: str, names_a_thing: Callable[[str], bool]) -> list[str]:
    """Every clause of the message that asks something (its last clause if none does), each
    with the clause before it when it names no thing or points back («听说有高龄津贴 一个月
    多少», «…住院用了血 能报销不»), and the one before that when that one names no thing either
    («他还有个残疾证 是不是也要交回去 交到哪»), so that what is asked about is in what is
    returned and the story told before mostly is not."""
    clauses = [clause for clause in _CLAUSE.split(text) if clause]
    if not clauses:
        return []
    asking = [n for n, clause in enumerate(clauses) if question_cue(clause) is not None] or [len(clauses) - 1]
    scope: list[str] = []
    for n in asking:
        first = n
        while first > max(0, n - _CLAUSES_BACK) and (
            not names_a_thing(clauses[first]) or _POINTS_AT.search(clauses[first])
        ):
            first -= 1
        scope.extend(clauses[first : n + 1])
    return scope


# How far back from an asking clause that names no thing the thing asked about is looked for.
_CLAUSES_BACK = 2


_BRING = re.compile("带|准备|交|拿")
_NEEDS = "(要|需要|得|用)(不要|不用|不需要)?[先去再还]?(办|开|做|有|带|拿|交|提供|准备)?[个张份本]?"


def _whether_needed(clause: str, words: str) -> bool:
    """«员工要健康证吗», «委托书要公证吗»: whether the item discussed needs the outside matter,
    which its guide answers, not how to get it."""
    needs = re.search(f"{_NEEDS}{re.escape(words)}", clause)
    return needs is not None and question_cue(clause[needs.end() :]) is None


def _asking_clause(text: str) -> str:
    """The last clause of the message that asks something (its last clause if none does),
    with the clause before it when it only points back («要先有个就业创业证 那个证咋申请»)."""
    clauses = [clause for clause in _CLAUSE.split(text) if clause]
    asking = [n for n, clause in enumerate(clauses) if question_cue(clause) is not None] or [len(clauses) - 1]
    if not clauses:
        return ""
    last = asking[-1]
    if last > 0 and _POINTS_BACK.match(clauses[last]):
        return f"{clauses[last - 1]}，{clauses[last]}"
    return clauses[last]


def _remedy_among(text: str, offered: Sequence[ServiceItem]) -> ServiceItem | None:
    """The one offered item whose name says it remedies what the message says happened to the
    document (lost → 补领, expired → 换领, never held → 首次申领); None unless exactly one."""
    remedy = _remedy_words(text)
    if remedy is None:
        return None
    named = [item for item in offered if remedy.search(item.name)]
    return named[0] if len(named) == 1 else None


def _remedies_instead(text: str, item: ServiceItem | None, current: ServiceItem) -> bool:
    """What the message says happened to a document is remedied by the item found, not by the
    current one («户口本很旧了 烂了 能换新的吗» after 户口登记项目变更: 户口簿补领换领), unless
    the current one's document has its own item for it (出生医学证明补发)."""
    remedy = _remedy_words(text)
    return (
        item is not None
        and remedy is not None
        and bool(remedy.search(item.name))
        and not remedy.search(current.name)
    )


def _same_document(item: ServiceItem, other: ServiceItem) -> bool:
    """Two items of one document, told apart by the procedure after it (社会保障卡挂失与解挂 and
    社会保障卡补领、换领; 往来港澳通行证签发 and 往来港澳通行证再次签注), or one procedure and
    its variant, whose name only adds words to it (企业注销登记 and 企业简易注销登记)."""
    if item.id == other.id:
        return False
    shorter, longer = sorted((item.name, other.name), key=len)
    return _shared_prefix(item.name, other.name) >= _DOCUMENT_PREFIX or _adds_words_to(longer, shorter)


def _adds_words_to(longer: str, shorter: str) -> bool:
    """`longer` is `shorter` with words put in (企业简易注销登记, 企业注销登记)."""
    remaining = iter(longer)
    return len(shorter) > _DOCUMENT_PREFIX and all(ch in remaining for ch in shorter)


def _shared_prefix(a: str, b: str) -> int:
    """How many leading characters two names share."""
    return next((n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def turns_away(text: str) -> bool:
    """The message says it is about another matter: «另外…», «那X呢», «不对，是…». A switch
    word before a clause that names nothing («那流程是怎样的 先找这边学校还是…») only goes on."""
    switch = _SWITCH.match(text)
    if switch is not None and naming_part(
        _CLAUSE.split(text[switch.end() :].lstrip(" ，,、"), maxsplit=1)[0]
    ):
        return True
    return bool(_ANOTHER.search(text)) or corrects(text) or keeps_question(text)


def searched_text(knowledge: KnowledgeBase, text: str) -> str:
    """What retrieval is given of a message: without masked numbers and their labels, without
    the clauses saying what is not meant, nor «临时» said of the citizen's day («我临时有事»,
    not 临时居民身份证), with same-sounding mistypes put right."""
    plain = _TELL_ME.sub("", _OF_THE_MOMENT.sub("", without_negated(without_personal_numbers(text))))
    return knowledge.respell(plain)


# An item one pays into: a bare amount asked of it is what it costs.
_PAID_INTO = re.compile("参保|缴费|缴存|续保")
_OF_THE_MOMENT = re.compile("临时(?=有事|有个事|有点事|出差|加班|决定|通知|走不开|去不了)")
# «给说说», «跟我讲讲»: asks to be told, names nothing; left in, its 说 and 讲 drew retrieval to
# items written with 说明 and 讲座 («我失业了 这咋弄呀 给说说» found nothing).
_TELL_ME = re.compile(
    "(给|跟|和|帮|替)?(我|俺|额|咱)?们?(说说|讲讲|说一下|讲一下|说下|讲下|介绍介绍|介绍一下|解释一下|科普一下|指点一下)"
    "(呗|吧|呀|啊|哈)?"
)


def _lacks_any(hit: Hit, documents: Sequence[str]) -> bool:
    """The item never mentions one of the documents the message names, in its wording or its
    materials («补办结婚证去哪里» and 出生医学证明补发): a neighbour, not worth offering, nor
    worth answering unless the message writes its name out («执业医师注册» is not 执业药师注册)."""
    if not documents:
        return False
    wording = hit.about + "\n" + "\n".join(material.name for material in hit.item.materials)
    return any(document not in wording for document in documents)


# A category word the segmenter splits off its document («劳动|仲裁», «记录|证明»).
_BARE_CATEGORY = frozenset({"仲裁", "鉴定", "基金", "证明", "证书", "执照", "许可证"})
# A document character left alone by the segmenter, or glued to the function character after
# it («证在», «证要»; not «照片»).
_LOOSE_DOCUMENT = re.compile("^[证照][在要怎咋去哪能得办呢吗的是了还有]?$")
# A registration is a procedure of its own when named by the event it records («离婚|登记»,
# «收养|登记»), not by where or what is written down («那边登记», «出生日期登记错了»).
_REGISTRATION = "登记"
# Verbs that only say a registration is made, changed or ended («注册登记», «变更登记»): the
# matter is what is registered, named elsewhere in the message.
_REGISTERING = frozenset({"注册", "设立", "变更", "注销", "开业", "申请", "办理", "补办"})
# A verb with its measure word before a category word («开个|证明», «打个|证明») names no
# document: the category word stands alone.
_MEASURED = re.compile("[个张份本]$")


def document_terms(knowledge: KnowledgeBase, text: str, terms: Sequence[str]) -> list[str]:
    """The terms of `text` that name a document, licence, profession, exam or procedure, a
    category word split off by the segmenter joined to the word before it («劳动仲裁»)."""
    found = []
    for n, term in enumerate(terms):
        joined = terms[n - 1] + term if n > 0 else ""
        if (
            joined
            and joined in text
            and not _MEASURED.search(terms[n - 1])
            and (
                term in _BARE_CATEGORY
                or (
                    term == _REGISTRATION
                    and knowledge.is_verb(terms[n - 1])
                    and terms[n - 1] not in _REGISTERING
                )
            )
        ):
            term = joined
        elif (
            n > 0
            and _LOOSE_DOCUMENT.match(term)
            and knowledge.is_common_noun(terms[n - 1])
            and not any(knowledge.in_some_name(piece) for piece in terms[:n] if piece in terms[n - 1])
        ):
            # «烟草证在哪办» is cut «烟草|证在», «渔船证怎么办» «渔船|证»: the document character
            # belongs to the noun before it (one no item is named with, nor a word inside it:
            # 执业|证 and 锅炉工|证在 stay as cut).
            document = terms[n - 1] + term[0]
            term = document if document in text else term
        # «学校老师喊我…»: the teacher who sent the citizen is no profession sought
        if _DOCUMENT.search(term) and not _ANY_DOCUMENT.match(term) and not _circumstantial(term):
            found.append(term)
    return found


# Qualifiers an item's name says it is, and the words that ask for its counterpart
# («正式上牌一般要多久» after 核发机动车临时行驶车号牌 is about the plate, not the temporary one;
# «实在不行走普通注销要多久» after 企业简易注销登记 is about 企业注销登记).
_COUNTERPARTS = (("临时", "正式"), ("简易", "普通"))
# How citizens say a qualifier («走简单的那种» for 简易).
_QUALIFIER_SAID_AS = {"简易": "简易|简单"}
# An employer speaking of its staff («我是老板», «给新招的工人登记»), an item for people on their
# own (个体经营、灵活就业), and the employer's item of the same matter (用人单位、职工参保).
_AS_EMPLOYER = re.compile(
    r"我是老板|我当老板|我开的?(店|厂|公司)|我们(公司|单位|厂|店)"
    r"|[给帮替][^，,。；\s]{0,8}(员工|工人|职工|服务员|伙计|店员|新招)"
)
_STAFF = re.compile("员工|工人|职工|服务员|伙计|店员|新招|招了|招的")
_ONESELF = re.compile("我自己|自己的|本人")
_FOR_ONESELF = re.compile("个体经营和灵活就业人员|灵活就业人员|个体经营")
_OF_EMPLOYERS = re.compile("用人单位|单位|职工参保")
# Below the clarify threshold: the message read alone finds mostly the item it is not about.
_COUNTERPART_FLOOR = 0.1
# «换新证», «办个新卡», «那本证»: a document spoken of by what is done to it or pointed at, not
# by which one it is.
_ANY_DOCUMENT = re.compile("^[那这]?[换补办领拿]?[个张本]?[新旧原老]?(证|卡|证件)$")
# Words before a document the citizen brings along («要带户口本吗»), not one they seek.
_BROUGHT = re.compile("带|提供|提交|交|拿|用")
# Words before a document the citizen already holds («刚拿了焊工高级工证书», «考到了电工证»).
_HELD = re.compile(
    r"(拿到|拿了|考了|考到|考下|考过|取得|有了|持有|已有|手上有|当过|做过|干过)了?[^，,。；\s]{0,6}$"
)
# …or says so after it («出生证明拿到了», «教资早就认定了»).
_HELD_AFTER = re.compile(
    r"^(已经|早就|早|都|也)?(拿到了|拿了|有了|办好了|办了|领了|领到了|考下来?了|考到了|认定(过)?了|下来了)"
)
# A person hired («招了个厨师») or a number of them («要几个建造师»): people, not a document.
_PEOPLE = re.compile(r"(招|雇|请)(了|来)?(个|一个|两个|几个)$|[几两三四五六七八九十\d][个名位]$")
# …or one who speaks, telling the citizen what to do («学校老师喊我…», «医生说…»).
_SPEAKS_AFTER = re.compile("^们?(说|讲|喊|叫|让|要求|通知|告诉|催)")
# Words around a document the citizen already holds and wants ended or changed («营业执照注销»,
# «注销营业执照»): the procedure is named after the business or holder, not after the document.
_ACTED_ON = re.compile("注销|变更|吊销|撤销|年报|迁移|迁出")
# What is written on a document the citizen holds needs changing («执照上地址得改»).
_CHANGED_ON = re.compile("上(的|面)?.{0,6}(改|变|换)")
_ACTED_ON_AFTER = re.compile(f"(得|要|也要|也得|需要|该|就)?({_ACTED_ON.pattern})")


def _sought(text: str, document: str) -> bool:
    """The message asks for the document, rather than bringing it («要带户口本吗»), holding it
    («刚拿了焊工高级工证书») or acting on one it holds («营业执照注销», «注销营业执照»,
    «执照上地址得改»)."""
    # Each time it is written: «想用维修基金修，维修基金咋申请» uses it once, then seeks it.
    # (A document joined from pieces the segmenter split may not be written as one: sought.)
    if document not in text:
        return True
    for found in re.finditer(re.escape(document), text):
        before, after = text[: found.start()], text[found.end() :]
        if not (
            _BROUGHT.search(before[-3:])
            or _HELD.search(before)
            or _PEOPLE.search(before)
            or _SPEAKS_AFTER.match(after)
            or _ACTED_ON.search(before[-2:])
            or _ACTED_ON_AFTER.match(after)
            or _CHANGED_ON.match(after)
            or _HELD_AFTER.match(after)
        ):
            return True
    return False


def _said_unneeded(text: str, document: str) -> bool:
    """«听说不用办许可证 备个案就行»: each time the document is written, the citizen says it is
    not needed; it names no matter of the message."""
    return all(_NOT_NEEDED.search(text[: found.start()]) for found in re.finditer(re.escape(document), text))


_NOT_NEEDED = re.compile("(不用|不需要|无需|不必|用不着)(办|开|申请|领|拿)?(个|张|份)?$")


def _names_one_of(hit: Hit, documents: Sequence[str]) -> bool:
    """The item is named after one of the documents the message seeks, if it seeks any: one
    that only lists 结婚证 among its materials (出生登记) is no place to get one."""
    return not documents or any(document in hit.names_text for document in documents)


# A run of this many characters shared with one of the item's names is the name's wording.
_NAME_RUN = 3


def without_names(text: str, item: ServiceItem, runs: bool = False) -> str:
    """The text with the item's name and aliases cut out, longest first; with `runs`, also
    every run of three characters or more that a name shares («生育医疗费用怎么报销» for
    生育医疗费用支付: 费用 there names the item and does not ask what it costs)."""
    for name in sorted(item.names, key=len, reverse=True):
        text = text.replace(name, " ")
    if not runs:
        return text
    kept: list[str] = []  # runs that only ask, which a question alias shares («休产假的钱怎么领»: 怎么领)
    for name in sorted(item.names, key=len, reverse=True):
        while True:
            match = SequenceMatcher(None, text, name, autojunk=False).find_longest_match()
            if match.size < _NAME_RUN:
                break
            run = text[match.a : match.a + match.size]
            asks_only_run = not naming_part(run) and question_cue(run) is not None
            if asks_only_run:
                kept.append(run)
            held = chr(_KEPT_RUN + len(kept) - 1) if asks_only_run else " "
            text = text[: match.a] + held + text[match.a + match.size :]
    for n, run in enumerate(kept):
        text = text.replace(chr(_KEPT_RUN + n), run)
    return text


_KEPT_RUN = 0xE000  # private-use characters hold a run kept out of the cutting


def names_every_term(hit: Hit, terms: Sequence[str]) -> bool:
    """The item's names (official and aliases) contain every naming word of the message."""
    return bool(terms) and all(term in hit.names_text for term in terms)


def naming_terms(knowledge: KnowledgeBase, text: str) -> list[str]:
    """The search terms of a message that could name something (question words dropped)."""
    return [term for term in knowledge.terms(text) if not asks_only(term)]


def button_titles(items: Sequence[ServiceItem]) -> list[str]:
    """Candidate titles that tell items apart: records sharing a name get their department,
    then their place («… · 广州市司法局 · 连新路窗口»)."""
    titles = [item.name for item in items]
    for n, item in enumerate(items):
        twins = [other for other in items if other.name == item.name and other is not item]
        if not twins:
            continue
        title = f"{item.name} · {item.department}"
        if any(other.department == item.department for other in twins) and item.location_note:
            title += f" · {item.location_note[:24]}"
        titles[n] = title
    for n, title in enumerate(titles):  # still alike (same department and place): number them
        if titles.count(title) > 1:
            titles[n] = f"{title}（{titles[: n + 1].count(title)}）"
    return titles
