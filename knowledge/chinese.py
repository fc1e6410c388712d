"""The Chinese a citizen writes, read as the standard written Mandarin the NLU, the name matcher
and the search index know: traditional characters through OpenCC, Cantonese and Taiwan wording
through word tables, and words spaced apart joined again.

Hong Kong and Macau residents write Cantonese (「要帶咩文件去」「喺邊度辦」), which OpenCC turns
into simplified characters but not into Mandarin words; some citizens, often older ones, put a
space between every word (「我 今年 六十五 了 想 办 个 护照」), which would otherwise read as
a dozen one-word clauses."""

from __future__ import annotations

import re
from functools import cache

import opencc


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s.json")


def to_simplified(text: str) -> str:
    return str(_converter().convert(text))


# Characters only Cantonese writes: where one appears, the rest of the table applies too (係
# and 俾 are also Mandarin characters elsewhere).
_CANTONESE_MARK = re.compile(
    "[咩喺唔嘅佢冇咗啲嚟嘢啱嗰搵揾攞噉乜睇]|點樣|点样|邊度|边度|幾耐|几耐|幾多|而家|係咪"
)
# Cantonese → Mandarin, in simplified characters (係 already made 是); the longest match wins.
_CANTONESE = (
    ("可唔可以", "可不可以"), ("要唔要", "要不要"), ("使唔使", "用不用"),
    ("是唔是", "是不是"), ("是咪", "是不是"), ("有冇", "有没有"), ("冇得", "没有"),
    ("点样", "怎么"), ("点解", "为什么"), ("点办", "怎么办"), ("边度", "哪里"), ("边个", "哪个"),
    ("边间", "哪家"), ("几耐先", "多久才"), ("几耐", "多久"), ("几多", "多少"), ("几时", "什么时候"),
    ("乜嘢", "什么"), ("乜野", "什么"), ("咩嘢", "什么"), ("咩野", "什么"), ("咩", "什么"), ("乜", "什么"),
    ("过咗身", "去世"), ("过身", "去世"), ("佢哋", "他们"), ("佢", "他"), ("喺", "在"),
    ("唔该", "谢谢"), ("唔", "不"), ("嘅", "的"), ("冇", "没有"), ("咗", "了"), ("啲", "些"),
    ("嚟", "来"), ("嗰", "那"), ("呢度", "这里"), ("呢个", "这个"), ("呢间", "这家"),
    ("手机度", "手机上"), ("网度", "网上"),
    ("而家", "现在"), ("搞掂", "办好"), ("啱啱", "刚刚"), ("出世", "出生"), ("做嘢", "工作"),
    ("返工", "上班"), ("屋企", "家里"), ("睇", "看"), ("攞", "拿"), ("搵", "找"), ("揾", "找"),
    ("俾", "给"), ("𠮶", "那"), ("几多日先", "多少天才"), ("先至", "才"), ("BB", "宝宝"),
    ("点做", "怎么办"), ("阿妈", "妈妈"), ("阿爸", "爸爸"), ("廿", "二十"), ("租紧屋", "租房"),
    ("点算", "怎么办"), ("唔该晒", "谢谢"), ("仲未", "还没"), ("仲有", "还有"), ("仲要", "还要"),
    ("唔急住", "不急着"), ("惊俾人", "怕被人"),
    ("呢边", "这边"), ("嗰边", "那边"), ("收楼", "交房"), ("二手楼", "二手房"), ("街市", "菜市场"),
    ("摆档", "摆摊"), ("档口", "摊位"), ("拎返", "拿回"), ("返来", "回来"), ("畀晒", "给了"),
    ("办落", "办下来"),
)  # fmt: skip
# 咁 opening a message is «那» («咁二手楼过户呢»).
_SO_THEN = re.compile("^咁")
# 唔该 before what is asked is «劳驾» (麻烦), not «thanks».
_PLEASE = re.compile(r"唔该(?![晒哂])(?=[\s，,]*[\u4e00-\u9fff])")
# 系 for 是 in Cantonese typed in simplified characters, not in 关系, 联系, 系统 …
_IS_SIMPLIFIED = re.compile("(?<![关联体派维])系(?![统列数])")
# 係 is «is» in Cantonese; OpenCC makes it 系, which Mandarin writes for other words (關係).
_IS = re.compile("(?<![關关聯联體体派維维])係")


class _WordTable:
    """Words put into other words, the longest match first («几多日先» before «几多»)."""

    def __init__(self, pairs: tuple[tuple[str, str], ...]) -> None:
        self._into = dict(pairs)
        longest_first = sorted(self._into, key=len, reverse=True)
        self._words = re.compile("|".join(re.escape(word) for word in longest_first))

    def replace(self, text: str) -> str:
        return self._words.sub(lambda match: self._into[match.group()], text)


_CANTONESE_WORDS = _WordTable(_CANTONESE)
# Minnan (southern Fujian, Chaoshan, Hainan, Taiwan): 阮 for 我/我们, 伊 for 他/她, 按怎 for 怎么,
# 阿嬷 for 奶奶; only where one of them appears (阮 and 伊 are surnames elsewhere).
_MINNAN_MARK = re.compile(
    "按怎|阮(?=阿|的|厝|家|某|囝|兜)|阿嬷|阿母|厝|囝仔|伊(?=那|这|是|在|的|今年|每年|有|没)"
)
_MINNAN = (
    ("按怎", "怎么"), ("阮", "我"), ("伊", "她"), ("阿嬷", "奶奶"), ("阿母", "妈妈"), ("阿爸", "爸爸"),
    ("阿公", "爷爷"), ("厝", "家"), ("囝仔", "孩子"), ("查某", "女的"),
)  # fmt: skip
_MINNAN_WORDS = _WordTable(_MINNAN)
# Words only Wu (Shanghai, Zhejiang) writes: where one appears, the Wu table applies (伊, 个 and
# 伐 are other words in Mandarin: 伊犁, 一个, 采伐).
_WU_MARK = re.compile(
    "阿拉|哪能(?=[弄办搞做样个])|[伐勿弗]$|[伐勿弗][ ，。？！?!]|伊拉|事体|呒没|几钿|号头|侬|覅|搿|清爽|囡"
)
_WU = (
    ("哪能弄", "怎么办"), ("哪能办", "怎么办"), ("哪能", "怎么"), ("阿拉", "我们"), ("伊拉", "他们"),
    ("侬", "你"), ("伊", "他"), ("个事体", "的事情"), ("事体", "事情"), ("呒没", "没有"),
    ("覅", "不要"), ("勿", "不"), ("弗", "不"), ("伐", "吗"), ("几钿", "多少钱"), ("号头", "月"),
    ("清爽", "清楚"), ("物事", "东西"), ("小囡", "孩子"), ("囡囡", "女儿"), ("囡", "女儿"),
    ("搿个", "这个"), ("搿", "这"), ("阿姐", "姐姐"), ("里厢", "里面"), ("爿", "家"),
    ("脱了", "了"), ("销脱", "销掉"), ("交关", "很"), ("辰光", "时候"),
)  # fmt: skip
_WU_WORDS = _WordTable(_WU)
# Southwestern Mandarin (Yunnan, Guizhou, Sichuan): 哪样 for 什么, 哪点 for 哪里, 克 for 去;
# Sichuan and Chongqing: 啷个 for 怎么, and the particle 噻 dropped.
_SOUTHWEST_MARK = re.compile("哪样|哪点|克哪|[要得就]克|屋头|啷个|噻|没得(单位|工作)|得不得行")
_SOUTHWEST = (
    ("哪样", "什么"), ("哪点", "哪里"), ("屋头", "家里"), ("妹仔", "女儿"), ("啷个", "怎么"), ("噻", ""),
    ("没得单位", "没有单位"), ("没得工作", "没有工作"), ("得不得行", "行不行"),
)  # fmt: skip
_SOUTHWEST_WORDS = _WordTable(_SOUTHWEST)
# 克 for 去 before where one goes or what one does there, or after «要/得/就» (not 千克, 克服).
_GO = re.compile("(?<=[要得就])克|克(?=[哪派县乡镇城医办民街社区人市所])")
# Hubei, Hunan and Jiangxi (Xiang, Gan and Hubei Mandarin): 么样 for 怎么, 么子 / 么事 / 么东西 for
# 什么, 几多 for 多少, 伢 for a child, 冇得 for 没有, 哒 for 了, 莫 for 别, 搞掉 for losing a thing;
# only where one of them appears. 么 is one of them on its own, not as the second character of
# 什么, 怎么, 这么, 那么, 多么, 干么 or 为么, nor of 要么 before 样 or 事 («要么子» asks 要什么).
_HOW_OGAI = re.compile("哦该(?![怎咋])")
# 么个 before a verb asks how («门诊慢性病么个申请»), and Changsha's 哦该 is 怎么 («哦该重置»)
# unless the citizen goes on to write 怎么 or 咋 (an «哦» typed before «该怎么办»).
_OWN_ME = "(?<![什怎这那多干为])么(子|东西|(?<!要么)样|(?<!要么)事|个(?=[申办弄搞做交领报补换查开转]))"
_CENTRAL_MARK = re.compile(
    rf"{_OWN_ME}|几多|冇得|伢|[^\W\d_]哒|莫[让要搞]|搞掉|[带拿交办备开填供]么(?![样子事么])|{_HOW_OGAI.pattern}|老倌"
)
_CENTRAL_WHAT = re.compile(_OWN_ME)
_CENTRAL_WHAT_INTO = {"样": "怎么", "子": "什么", "事": "什么事", "东西": "什么东西", "个": "怎么"}
_CENTRAL = (
    ("冇得", "没有"), ("几多", "多少"), ("伢子", "孩子"), ("伢儿", "孩子"), ("伢", "孩子"), ("老倌", "老伴"),
    ("屋里", "家里"), ("哒", "了"), ("莫让", "别让"), ("莫要", "不要"), ("莫搞", "别搞"),
    ("搞掉了", "弄丢了"), ("搞掉哒", "弄丢了"), ("晓得", "知道"), ("才得办", "才能办"),
)  # fmt: skip
_CENTRAL_WORDS = _WordTable(_CENTRAL)
# 么 after a verb of bringing or filling is 什么 there («要我拿么离职证明»).
_WHAT = re.compile("(?<=[带拿交办备开填供])么(?![样子事么])(?=[\u4e00-\u9fff])")
# Shaanxi, Gansu and Henan: 额 for 我 where a clause opens with it before what a person is, does
# or has («额失业了», «额们村», «额滴社保»); not 额度, 金额, 额外, which never open a clause so.
_I_AS_E = re.compile(
    r"(?:^|(?<=[\s，,。！!？?]))额(?=们|家|滴|的|想|要|是|在|失|没|不|能|可以|刚|已|去|老|爸|妈|娃|孩|儿|女|屋|今年|明年|也|就|还|咋|该|现在)"
)
_MY_AS_E = re.compile(r"(?<=我)滴")
# 马 typed for the question particle 吗 (same pinyin) at the end of a question («手机上能办马»).
_MA = re.compile(r"(?<=[办行要能好是对有去弄用交带收开领查补换本证了])马(?=$|[\s，,。？?！!])")
# 好多 / 好久 asked after a verb of paying, receiving or waiting («能领好多», «要好多钱», «要住满好久»),
# as Hubei, Hunan and the southwest ask, wherever the citizen is from; a Mandarin «many» or
# «long» said of what happened follows 了 («排了好久的队»).
_HOW_MUCH = re.compile(r"(?<=[要得交缴领贷报补给收赔花退])好多(?=钱|天|年|$|[，。？?！!\s呢啊嘛吗])")
_HOW_LONG = re.compile(r"(?<=[要得等满])好久(?=才|能|可以|$|[，。？?！!\s呢啊嘛吗])")
# A verb-object word split by 个 («备个案», «报个名», «挂个失»), joined again as the guide writes it.
_SPLIT_WORDS = (
    "备案",
    "报名",
    "挂失",
    "登记",
    "开户",
    "过户",
    "落户",
    "销户",
    "参保",
    "挂号",
    "体检",
    "审验",
    "签注",
)
_SPLIT = re.compile("|".join(f"(?<={word[0]})个(?={word[1]})" for word in _SPLIT_WORDS))
# Words spaced apart: chunks this short on average, over at least this many spaces.
_SPACED_CHUNK = 2.5
_SPACED_MIN = 3
_CJK = "\u4e00-\u9fff"
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")
# Internet fillers that name and ask nothing («家人们», «yyds», «栓Q»), and pinyin initials
# typed for a document («sfz要重新弄一张»).
_NET_FILLER = re.compile("家人们|yyds|绝绝子|栓q|蚌埠住了|求科普|急急急", re.IGNORECASE)
_INITIALS = {
    "sfz": "身份证",
    "gjj": "公积金",
    "sbk": "社保卡",
    "ybk": "医保卡",
    "jsz": "驾驶证",
    "hkb": "户口本",
}
_INITIALS_TYPED = re.compile(f"(?<![a-z])({'|'.join(_INITIALS)})(?![a-z])", re.IGNORECASE)
# Shanxi and Inner Mongolia: 甚 for 什么 after what one brings or does («带些甚», not 甚至);
# 咋介 for 怎么.
_SHEN = re.compile("(?<=[带要拿交办备做干些填])甚(?!至)")
# 仔 for a son after whose he is («我仔能不能在这边上小学», Guangdong and Guangxi), not 仔细.
_SON = re.compile("(?<=[我你他她俺])仔(?!细)")
# Northeastern, Beijing and Tianjin words, which no other Mandarin writes for anything else
# («老妹儿 俺身份证整丢了 咋整», «您受累 甭让我跑了», Tianjin's «嘛手续»).
_NORTH = (
    ("啥玩意儿", "什么"), ("啥玩意", "什么"), ("嘎哈", "干什么"), ("干哈", "干什么"), ("您受累", "麻烦您"),
    ("老妹儿", ""), ("老铁", ""), ("倍儿", "很"), ("甭", "不用"), ("整丢", "弄丢"), ("整没了", "弄丢了"),
)  # fmt: skip
_NORTH_WORDS = _WordTable(_NORTH)
# Tianjin's 嘛 for 什么 before what one brings or does; 贼 for «very» before how it is; the
# 儿 of 房本儿, 到点儿 (not of 女儿, 幼儿园).
_WHAT_MA = re.compile("嘛(?=手续|材料|东西|证|条件|流程|时候|地方|文件|资料)")
_VERY_ZEI = re.compile("贼(?=[困难横慢快贵急烦费坑好差])")
_ERHUA = re.compile("(?<=[本点块])儿")
# Shaanxi's 哪达 / 这达 / 那达 for 哪里 / 这里 / 那里 (not 达到, 达标).
_PLACE_DA = re.compile("(?<=[这那哪])达(?![到标成])")
# 多钱 for 多少钱 («多钱», «一个月给多钱»), not «很多钱», «花了好多钱».
_HOW_MUCH_MONEY = re.compile("(?<![很好许太挺些老这那么不多大])多钱")
# Voice input: a phrase said twice («怎么办怎么办», «在哪查在哪查»), and the characters the
# recogniser hears for the words of a service (怎么半 for 怎么办, 人证 for 认证, 才料 for 材料).
_SAID_TWICE = re.compile(r"([\u4e00-\u9fff]{3,6})[\s，,]?\1|([\u4e00-\u9fff]{2})\2")
_BAN = re.compile("(?<=[么咋要去能来新给帮好先再])半(?![年天月个小夜价路山岛拉])|半(?=理)")
_HEARD = (("才料", "材料"), ("保线", "保险"), ("养老经", "养老金"), ("慢性并", "慢性病"))
_RENZHENG = re.compile("(?<=[要去做办的年])人证|(?<=[那这]个)人证")
# 撒 for 啥 (Sichuan, Chongqing) after what one brings or does («要带撒»).
_SA = re.compile("(?<=[带要干做弄整交拿])撒")
# Taiwan's standard forms that OpenCC's t2s keeps (身分證 → 身分证), also a common mistype here,
# and a character citizens often write for the one it looks like (户口薄 for 户口簿).
_VARIANTS = (("身分证", "身份证"), ("户口薄", "户口簿"))
# Taiwan's words for the same things (「國小」「健保」「行照」), read as the mainland words the
# guide writes, in messages typed in traditional characters. (OpenCC's tw2sp phrase table would
# also turn 文件 into 文档, which here means the papers to bring.)
_TAIWAN = (
    ("国小", "小学"), ("国中", "初中"), ("幼稚园", "幼儿园"), ("健保卡", "医保卡"), ("健保", "医保"),
    ("劳保", "社保"), ("劳退", "养老保险"), ("机车", "摩托车"), ("行照", "行驶证"), ("资遣", "辞退"),
    ("失业给付", "失业保险金"), ("计程车", "出租车"), ("开刀", "做手术"), ("户籍誊本", "户口簿"),
    ("户口名簿", "户口簿"), ("营利事业登记证", "营业执照"), ("驾训班", "驾校"), ("牌照税", "车船税"),
    ("征才博览会", "招聘会"), ("征才", "招聘"), ("职缺", "岗位"), ("监理站", "车管所"), ("监理所", "车管所"),
)  # fmt: skip
_TAIWAN_WORDS = _WordTable(_TAIWAN)


def as_mandarin(text: str) -> str:
    """The message in simplified characters, Cantonese, Wu, southwestern, central (Hubei,
    Hunan, Jiangxi) and northwestern words put into Mandarin, verb-object words split by 个 joined, and words
    typed apart joined (clauses typed apart stay apart)."""
    simplified = to_simplified(text)
    traditional = simplified != text
    if _CANTONESE_MARK.search(text) or _CANTONESE_MARK.search(simplified):
        simplified = to_simplified(_IS.sub("是", text)) if _IS.search(text) else simplified
        simplified = _IS_SIMPLIFIED.sub("是", _PLEASE.sub("麻烦", simplified))
        simplified = _CANTONESE_WORDS.replace(simplified)
        simplified = _SO_THEN.sub("那", simplified)
    if _MINNAN_MARK.search(simplified):
        simplified = _MINNAN_WORDS.replace(simplified)
    if _WU_MARK.search(simplified):
        simplified = _WU_WORDS.replace(simplified)
    if _SOUTHWEST_MARK.search(simplified):
        simplified = _GO.sub("去", _SOUTHWEST_WORDS.replace(simplified))
    if _CENTRAL_MARK.search(simplified):
        simplified = _CENTRAL_WHAT.sub(lambda m: _CENTRAL_WHAT_INTO[m.group(1)], simplified)
        simplified = _WHAT.sub("什么", _CENTRAL_WORDS.replace(_HOW_OGAI.sub("怎么", simplified)))
    if _I_AS_E.search(simplified):
        simplified = _MY_AS_E.sub("的", _I_AS_E.sub("我", simplified))
    simplified = _MA.sub("吗", _HOW_LONG.sub("多久", _HOW_MUCH.sub("多少", simplified)))
    simplified = _SON.sub("儿子", _SPLIT.sub("", simplified))
    simplified = _SHEN.sub("什么", simplified.replace("咋介", "怎么"))
    simplified = _INITIALS_TYPED.sub(lambda m: _INITIALS[m.group(1).lower()], _NET_FILLER.sub("", simplified))
    simplified = _ERHUA.sub("", _VERY_ZEI.sub("很", _WHAT_MA.sub("什么", _NORTH_WORDS.replace(simplified))))
    simplified = _HOW_MUCH_MONEY.sub("多少钱", _SA.sub("啥", _PLACE_DA.sub("里", simplified)))
    simplified = _RENZHENG.sub("认证", _BAN.sub("办", _SAID_TWICE.sub(lambda m: m[1] or m[2], simplified)))
    for variant, standard in (*_VARIANTS, *_HEARD):
        simplified = simplified.replace(variant, standard)
    if traditional:
        simplified = _TAIWAN_WORDS.replace(simplified)
    chunks = simplified.split()
    if len(chunks) > _SPACED_MIN and sum(map(len, chunks)) / len(chunks) <= _SPACED_CHUNK:
        simplified = _SPACE_BETWEEN_CJK.sub("", simplified)
    return simplified
