"""What a message asks about, read from its wording, and what is left once that is removed.

DIET names a question intent for every message it understands, but two things it cannot do
well alone: tell a benefit amount (「能领多少」) from a fee (「多少钱」) before it has enough
examples, and say whether a message still names something after the question words are gone
(「那要多少钱」 names nothing and refers to the current item; 「那结婚证丢了呢」 names
something else and must never get the current item's answer). Both are decided here, from
plain word lists a civil servant can read and extend.
"""

from __future__ import annotations

import re

from knowledge.render import QuestionType

# Most specific first: a benefit amount before a fee, a personal record before everything.
# Asking whether a copy or the original will do («给复印件行吗», «要原件吗»): a materials
# question, and about the papers of the item being discussed (`bot.actions.resolution`).
FORM_OF_PAPER = (
    "(复印件|原件|扫描件|电子版)(行|可以|也行|就行|吗|呢|还是)|(要|给|交|带|拿)(复印件|原件)"
    "|(复印件|原件)不[?？]?$"
)
_FORM_OF_PAPER = re.compile(FORM_OF_PAPER)


def asks_form_of_paper(text: str) -> bool:
    return bool(_FORM_OF_PAPER.search(text))


_CUES: tuple[tuple[QuestionType, str], ...] = (
    (
        QuestionType.record,
        r"(我的|我家的|帮我查|帮我看|给我查|查下我|查一下我|查查我|我名下|我(自己)?的?(医保|社保|公积金|养老|驾照|学籍))"
        r".{0,16}((?<![得要该])(交|缴)(了|到)?(多少|几|哪|什么时候)|余额|还有多少|多少年了|扣了|几分|进度|办好|到账|还剩|"
        r"哪一步|了没有|了没|几套|信息|记录|违章|状态|结果|够不够|存了多少|有多少钱)"
        r"|余额(多少|是多少|还有)|(学时|学分|积分|记分|分数|成绩)(?![^，。？?,]{0,8}(网上|线上|手机上))[^，。？?,]{0,8}(在哪|去哪|哪里|怎么|咋)(能|可以)?(查|看)|查(一下|下|查)?[^，。？?,\s]{0,10}(信息|记录|进度|学籍号)(?![表单])(?!.*(网上|线上|手机上))|还剩几个?(月|年|天)|扣了几分|还剩几分|(交|缴)了(几|多少)个?(年|月)|缴费年限|到哪一步|审核进度|办理进度|"
        r"查下社保|查一下社保|缴费记录|违章记录|到账了没|到账没|打到卡上没|发了没有|审到哪|"
        r"攒了多少|(?<!要)(交|缴)了多少(年|钱)|想查我|进度(在哪|去哪|上哪|哪里|怎么|咋|到哪)|还剩多少|钱到了没|(登记|记)了多少|"
        r"(通过|批下来|批了|做好|办好|寄出|寄出来|结果出来|审完|审好)了?没(有)?|(注册|登记|录|报|扣|交|缴)上(了)?没(有)?",
    ),
    (
        QuestionType.benefit,
        r"(领|发|补|贴|给|返|资助|报|贷|拿|退|取|提|赔|救|助)(多少|几|好多(?!年|人|次|天|回|个|东西|材料|地方))|(补贴|补助|津贴|待遇|养老金|失业金|救助金|助学金|额度|贴息)"
        r".{0,6}(多少|几|好多|标准|怎么算)|补贴标准|补助标准|待遇标准|每月多少|一个月多少|一年多少|最多贷|贷款额度|"
        r"(一年|一个月|每月|每年|一次)(有|能有|能给|给|发|补)(多少|好多)|"
        r"有(什么|啥|哪些)补贴|有(没有)?(补贴|补助|津贴)(吗|不|没|嘛)[？?]*$|补贴可以领|怎么算|如何计算|怎么计算|报销比例|报销多少|拿到多少|能拿多少|可以拿多少|发放标准|(便宜|优惠|减免|能省)(多少|好多)",
    ),
    (
        QuestionType.fee,
        r"多少钱|多少前|学费|保育费|保教费|托育费|伙食费|这个价|什么价|啥价|价钱|(?<![了过])好多钱(?!了)|收(多少|好多)|收费|费用|要钱|花钱|给钱|罚多少|罚款多少|罚几|免费(吗|不|嘛|的吗)|免不免费|工本费|交钱|花多少|要花钱|付费|几块钱|钱的事|收钱|交多少|(自己)?(出钱|掏钱|掏腰包)|自费(吗|不|嘛)|门票|收不收钱|收不收|贵不贵|是不是免费|手续费|加钱|(要|需要|得)(缴|交)费|(缴|交)费(要)?多少|^(那)?钱呢",
    ),
    (
        QuestionType.materials,
        r"材料|材科|(准备|带|交|要)么子(?!条件|手续|流程)|带什么|带啥|带些啥|带些什么|带点啥|带哪些|拿(些|点)?(啥|什么)(?![证表])|交哪些|要带|准备什么|准备啥|准备哪些|准备些|证件|资料|(?<!是)什么东西|哪些东西|(?<!是)啥东西|(交|带|准备|提供)那些|复印件|"
        + FORM_OF_PAPER
        + r"|文件|照片|(填|交)(啥|什么|哪些|哪个)表|表格|"
        r"准备的东西|带[^，。？?,\s]{1,6}就(行|够|可以)|开(什么|啥|哪些)证明|"
        r"提交什么|提交哪些|要些什么|(需要|要)(啥|些啥)(?!子?[条证许执资手流])|(需要|要)(什么|些什么)$",
    ),
    # «要住满多久» asks a condition, not the time the matter takes (found before 多久 below).
    (QuestionType.eligibility, r"满多久|满多长时间|满几年"),
    (
        QuestionType.time_limit,
        r"多久|多长时间|多常时间|多少辰光|(要|得|需要)好久(?!没)|(?<![这那前过头好了])几天|(要|得|需要)好几天|多少天|时限|多快|什么时候能拿|啥时候能拿|什么时候能办好|要等|几个工作日|"
        # 多就 typed for 多久, not «三点多就放学»
        r"(要|需要|得|等|大概)多就|多就(能|可以|拿|办|好|出|发)|好久(能|才|可以|拿|办|出|发)|"
        r"当天|当场|立等|马上能拿|马上就能|出证|下证|出结果|(什么|啥)时候(能|可以)|工作天|周期",
    ),
    (
        QuestionType.hours,
        # «周六派出所能办不»: whether it is done on that day, wherever (before «派出所能办不» asks where)
        r"(周六|周日|周末|星期[六天日]|礼拜[六天日]|节假日)[^，。？?,\s]{0,10}(能|可以)(办|弄|去|交)(不|吗|嘛)|"
        r"几点|上班时间|下班时间|几点上班|几点下班|开门|关门|办公时间|周末|星期六|星期天|周六|周日|节假日|"
        r"中午|营业时间|上班不|上班吗|假日|放假|延时服务|晚上(能|可以|还|有|开)|礼拜[六天日]|星期日|有开(吗|没|不|嘛)",
    ),
    # «网上在哪报»: where online is the online channel, not the hall (found before «在哪»).
    (
        QuestionType.online,
        r"(网上|线上|手机上|app上|小程序上)(在|去|从)?(哪|什么地方)|(哪个|什么|哪些)(网站|网址|平台|app|小程序|公众号)"
        # «在网上报名还是要去学校现场报»: online or in person asks about the online channel
        r"|(网上|线上|手机上)[^，。？?,\s]{0,6}还是|还是[^，。？?,\s]{0,6}(网上|线上|手机上)"
        # «他人还在老家呢 网上？»: the word alone, asked
        r"|(网上|线上|手机上)(呢|吗|行吗|可以吗)?[？?]+$|^(那)?(网上|线上|手机上)呢|(网上|线上|手机上)呢[？?]*$",
    ),
    (
        QuestionType.location,
        r"在哪|上哪|(交|送|递)到?哪(?!些|个|样|几)|(在|去|到)(哪|那)点(?!钱|事|东西)|哪里办|哪儿办|去哪|(在|去)那个地方|哪里|哪儿|地址|地点|哪个窗口|什么地方|啥地方|哪个部门|哪办|几号窗口|(那|哪|什么)个?窗口|几楼|哪个单位|哪个科|归哪|"
        r"是在[^，。？?,\s能可]{1,6}办(吗|嘛|的吗)|是(去|在|到|回)[^，。？?,\s]{1,10}还是|^那(里|儿)办|是在[^，。？?,\s]{0,5}(中心|大厅|公所|局|所|街道|社区)(吗|嘛)|"
        # 那 typed for 哪 («失业登记在那办理»)
        # «城东街道能办不»: whether it is done at a place asks where
        r"(街道|社区|大厅|中心|派出所|局|所)(能|可以)(办|弄|申请|交)(不|吗|嘛)|(到|在|去)哪块|"
        # «是找学校报名还是找教育局»: whom to go to is where
        r"找[^，。？?,\s]{1,10}还是(找|去)|"
        r"找谁(?!咨询|问|打听|联系)|找哪|(?<!办)到哪(?![个些种一样天年月位步了])|(在|去)那(里|儿)?(办|领|交|申请|报名|弄|搞|整|登记)|(在|去)那(里|儿)?(开|报|考|补|签|打印)(?=$|[呢啊吗？?，,\s])",
    ),
    # «能代办吗», «家里人可以帮我办不»: who may do it for the citizen is how it is done (found
    # before the «can I» cue it stands in).
    (QuestionType.steps, r"代办|(帮|替)我办|帮忙办"),
    (
        QuestionType.contact,
        r"有(没有)?个?电话|打(啥|什么|哪个)(电话|号码?)|电话|号码(是)?(多少|好多|几|发)|热线|联系方式|怎么联系|专线|打哪个|哪个号",
    ),
    (
        QuestionType.online,
        r"(网上|线上|手机上|用手机|app|小程序|掌上|微信上)(要|得|该)?((能不能|可不可以|能|可以|怎么|咋个?|如何)?(帮[他她我])?(买|办|申请|弄|搞|整|查|做|操作|交|缴|报|改|处理|预约|激活|打印|开|挂失|补|认证|续|登记|签|审|重置|改|绑|绑定)|"
        r"[^，。？?,]{0,10}(吗|嘛|不(?=$|[，,。？?！!\s])|行不行|可不可以|成不成|得不得))|(app|小程序|公众号|12123)上|不用跑|在家办|网办|(手机|app|网上|线上)[^，。？?,]{0,3}刷脸|"
        r"手机(能|可以|能不能)|有没有(小程序|公众号|app)|(支付宝|微信)(能|可以|上)|不(去|跑|用去|用跑)现场|跑现场|在线|网路|远程|邮寄|在家能",
    ),
    (
        QuestionType.eligibility,
        r"条件|能不能|可不可以|可以办吗|能办吗|符合|资格|谁可以|谁能|哪些人|(要|需要|得|最少|至少)几个人|几个人(才|能|可以)|够不够|可以申请吗|能申请吗|能否|行不行|限制|有要求|门槛|得不得|得到不(?=$|[\s，,。？?！!])|"
        r"有没有资格|算不算|哪些(病|情况|人)|什么人|什么情况下|(也|还|都)(要|用|需要|得|能|可以)[^，。？?,]{0,8}(吗|嘛)|(能|可以)[^，。？?,]{0,20}(吗|嘛|(?<![什怎这那多])么)|"
        r"(能|可以)[^，。？?,]{0,20}(?<!不)不(?=$|[，,。？?！!\s])",
    ),
    (
        QuestionType.steps,
        r"流程|步骤|手续|程序|(怎么|怎样|咋|如何|么样)个?(才能|才可以|样才能|全部|一次性|都|先|再|重新)?去?(办|弄|申请|操作|报名|考|补|换|交|缴|领|查|转|续|提取|取|开|注册|"
        r"报销|报|解|改|整|搞|落|注销|登记|登|备案|备|上|处理|填|做|续|绑|移|激活|打印|打出来|打出|提|挂失|挂|认定|认证|参保|开通|预约|迁|销|退|核验|"
        r"更正|修改|纠正|变更|投诉|举报|重置|重制|重设|找回|签|设置|设)|"
        # «公租房怎么» once the name (…申请) is cut out: the how the citizen asked
        r"(怎么|怎样|如何)(?=$|[\s，,。？?！!])|"
        r"(怎么|怎样|咋|如何)(给|帮|替|为)|(要|需要|得)(我们|我)?做(啥|什么|些什么|哪些)|"
        # «这个要我们自己去办吗»: who does what is how it is done
        r"(要|需要|得)(我们|我|自己)+(亲自)?去?(办|弄|跑)(吗|嘛|不)|"
        # «是公司去弄还是我自己去弄»: who does it is how it is done
        r"是(单位|公司|老板|学校|医院|我|我们|本人|自己|家里人|家人)[^，。？?,\s]{0,3}(去|来)?(办|弄|交|申请|报)还是|"
        # «要她本人去吗», «怎么个办法»
        r"(要|需要|得|必须)(他|她|我|我们)?本人(亲自)?(去|到场|来|办)|怎么个(办法|弄法|流程|办)|第一步|先干|哪几步|(要)?先预约",
    ),
    (
        QuestionType.overview,
        r"是干(啥|什么|嘛)的|干(啥|什么)用的|(是|指)(什么|啥)意思|有(什么|啥)用|(是|这是)(怎么|咋)回事|"
        r"介绍一下|了解一下|(到底|究竟)?是(个)?(什么|啥)(东西|玩意)",
    ),
)
# The broad «how do I / can I» cues: a specific cue in the same message is the real ask,
# unless it is a bare noun that may be what the citizen wants changed («驾照上的地址要怎么改»).
BROAD_CUES = frozenset({QuestionType.steps, QuestionType.eligibility, QuestionType.overview})
_NOUN_CUES = frozenset({"地址", "地点", "电话", "证件", "资料"})
_CHANGED = re.compile("换|改|变更|迁|更正")
# Cue words that ask nothing before these: whom one looks after, an impatient «在线等».
_NOT_ASKED_AFTER = {"要带": re.compile("[孙孩娃小老宝]"), "在线": re.compile("等")}
_COMPILED = tuple((question, re.compile(pattern, re.IGNORECASE)) for question, pattern in _CUES)
# A bare amount («一个月多少»): a benefit on its own, the fee where a fee is asked too.
_AMOUNT_ONLY = re.compile("每月多少|一个月多少|一年多少")
_PAID_IN = re.compile("[交缴](?![了过满够])")  # to pay, not contributions made («交了十年»)
_RECEIVED = re.compile("领|发|补贴|补助|待遇|报销|能拿|给|退休")
_CLAUSE_END = re.compile(r"[，,。；;！!？?\s]")
# Where, online, whom to call: what the answer to a record question says anyway («我的社保交了
# 几年，在哪查»).
# Broad cues that, after a record told, ask about doing something else («社保交了几个月了 能领
# 失业金吗», «…交了几年社保 养老保险怎么转回来»), unless what they ask is to look it up.
_ASKS_TO_DO = frozenset({QuestionType.steps, QuestionType.eligibility})
ALSO_RECORD = frozenset(
    {QuestionType.location, QuestionType.online, QuestionType.contact, QuestionType.hours}
)

# Words that ask or qualify but never name a service: what remains after removing them (and
# punctuation) is the part of the message that could name an item.
_FUNCTION_WORDS = (  # noqa: SIM905 (a word list reads better as text)
    "请问|你好|您好|麻烦|在线等|问一下|问下|咨询|一下|我想|我要|想问|还有|那么|那个|这个|那|这|呢|吗|吧|啊|呀|嘛|哦|的|了|么|"
    "是不是|是否|可以|能不能|能否|需要|要|想|得|还|也|都|就|再|又|去|来|到|在|办理|办|弄|搞|做|"
    "怎么样|怎样|怎么|如何|咋|什么|啥|哪些|多少|几|有|没有|是|不是|我|你|您|他|她|我们|自己|本人|"
    "小孩|孩子|小朋友|老人|家人|别人|代办|代理|委托|外地|本地|异地|外省|本市|加急|急用|着急|"
    "不在|几年|多少年|几分|几套|几个|几次|交了|缴了|扣了|还剩|余额|进度|哪一步|到账|"
    "学校|教育局|社保局|人社局|医保局|公积金中心|车管所|交警队|派出所|公安局|街道|社区|政务中心|政务大厅|大厅|"
    "市场监管局|市场监督管理局|市监局|工商局|税务局|民政局|住建局|房管局|卫健委|交管局|人力资源局|劳动局|"
    "的事情|的事儿|的事|方面|应该|该|那一块|这一块|那块|这块|有点|有些|一点|一些|申请|审批|审核|批下来|批|填写|填报|填|提交|问题|打|到账|时候|时间|一般|大概|才|还要|先|之后|以后|然后|完|"
    "哪个|部门|单位|窗口|地方|找|问问|问|准备|提供|上去|顺便|另外|对了|已经|现在|刚|这种|那种|带|带上|拿|交|网上|线上|手机上|微信上|小程序|不是|不对|我问的是|我说的是|我是说|问的是|说的是|搞错了|错了|一样|同样|也是|介绍|说说|讲讲|给说说|给讲讲|给我说说|给我讲讲|跟我说说|跟我讲讲|详细|具体|如果|要是|的话|情况|里|哪|儿|能|拿|拿到|下|个|些|吧|好|谢谢|身份证号码|身份证号|手机号码|手机号|手机|预约|搞定|全程|正常|齐全|齐了|好久|不用|让|跑|一趟|不想"
).split("|")


def _plain_alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a cue pattern that are plain words (no groups, no wildcards)."""
    words, depth, current = [], 0, ""
    for char in pattern:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            words.append(current)
            current = ""
        else:
            current += char
    return [word for word in [*words, current] if not set(word) & set("().{}")]


_CUE_WORDS = [word for _, pattern in _CUES for word in _plain_alternatives(pattern)]
_NON_NAMING = re.compile(
    r"〔[^〕]*〕|" + "|".join(sorted([*_CUE_WORDS, *_FUNCTION_WORDS], key=len, reverse=True))
)
_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)
# 「那X呢」「X呢」, and corrections 「不是，我问的是X」: the same question about another item.
_SAME_QUESTION = re.compile(
    r"^((那|那么|还有)?.{1,24}(呢|怎么样)[？?。!！]*|(那|那么|还有)[^，。？?,\s]{1,20}呢[，,\s].*"
    # «医保呢 也是在那边交的»: a short «X呢» and what the citizen tells of it
    r"|[^他她我你它，。？?,\s][^，。？?,\s]{0,3}呢[，,\s].*)$"
)
# «sorry说错了 不是身份证 是户口本», «哦 不对»: a word of apology or surprise may come first.
_CORRECTION = re.compile(
    r"^(?:[a-zA-Z]+|抱歉|对不起|不好意思|哦|噢|呃|啊)?[\W_]*(?:我)?(不是|不对|我问的是|我说的是|我是说|搞错了|说错了|错了)"
)


# A wish to get something done («村里老宅翻新完了，想办个房产证»): asks how, when nothing
# else in the message asks anything.
_WISH_TO_DO = re.compile(
    "(想|想要|打算|准备)(先|把[他她它]|给[他她它])?(办|申请|弄|开|考|领|补|换|转|迁|评|注册|登记|停用|冻结|挂失|注销)"
)


# «…约不上，我要投诉»: the citizen files a complaint (whichever item takes complaints).
_FILES_A_COMPLAINT = re.compile("(要|想|想要)(投诉|举报|反映)")


# Asking how, where or whom to call to complain asks the item that takes complaints
# («单位不给交公积金 想投诉 打哪个电话»: 住房公积金违规投诉), it files nothing with us.
_WHERE_TO_FILE = frozenset(
    {QuestionType.contact, QuestionType.location, QuestionType.steps, QuestionType.online}
)


def files_a_complaint(text: str) -> bool:
    """The message says the citizen wants to complain («我要投诉», «想举报»), and does not ask
    where or how to."""
    wish = _FILES_A_COMPLAINT.search(text)  # what is asked before it is the complaint's story
    return wish is not None and question_cue(text[wish.start() :]) not in _WHERE_TO_FILE


def states_a_wish(text: str) -> bool:
    """The message says the citizen wants to get something done («想办个房产证»)."""
    return bool(_WISH_TO_DO.search(text))


# Words and marks with which a message asks something, whatever it asks.
_ASKING = re.compile(
    "[？?吗呢嘛么]|怎|咋|啥|什么|哪|几|多少|多久|能不能|可不可以|是不是|有没有|要不要|行不行|如何|请问|问一下|问下|想知道"
)


def asks_something(text: str) -> bool:
    """The message asks something; «证已经有了，就是签注用完了», «跨省的那个» only tell."""
    return bool(_ASKING.search(without_personal_numbers(text)))


def _asks_to_do(asked: QuestionType, clause: str) -> bool:
    """Not to look the record up («怎么查»), and, for whether, about a thing it names («能领失业金吗»;
    not «够不够»)."""
    return "查" not in clause and (asked is QuestionType.steps or bool(naming_part(clause)))


def _clause_from(text: str, start: int) -> str:
    boundary = _CLAUSE_END.search(text, start + 1)
    return text[start : boundary.start() if boundary else len(text)]


def asks_bare_amount(text: str) -> bool:
    """«一年多少钱», «每月多少»: an amount, without saying whether paid or received."""
    return _AMOUNT_ONLY.search(text) is not None and _RECEIVED.search(text) is None


def question_cue(text: str) -> QuestionType | None:
    """The question type the wording asks; None when nothing is asked. Citizens put the
    background first and the question last, so the cue that starts last wins, except that
    a more specific cue overlapping it (「能领多少钱」: a benefit, not a fee) takes its place,
    a specific cue beats the broad «how / can I» kind wherever they stand («去哪办手续» asks
    where, «周六能去换驾照吗» when), and a personal record (「我的社保交了几年」) wins unless
    it is background told before a clause that asks something specific («在老家交了几年养老
    保险，想转过来，要带啥» asks for the materials) or how to do something other than look it
    up («…交了几年社保 现在回老家了 养老保险怎么转回来»)."""
    text = without_personal_numbers(text)  # «电话〔手机号〕» says who asks, not what
    found: list[tuple[bool, int, int, int, QuestionType]] = []  # (specific, start, end, priority, type)
    record_clause_end: int | None = None
    for priority, (question, pattern) in enumerate(_COMPILED):
        for match in pattern.finditer(text):
            if question is QuestionType.record:
                if record_clause_end is None:
                    boundary = _CLAUSE_END.search(text, match.end())
                    record_clause_end = boundary.end() if boundary else len(text)
                continue
            before = text[max(0, match.start() - 4) : match.start()]
            if match.group() in _NOUN_CUES and _CHANGED.search(before):
                continue  # «换个经营地址»: what the citizen wants changed, not what they ask
            after = _NOT_ASKED_AFTER.get(match.group())
            if after is not None and after.match(text, match.end()):
                continue  # «他平时要带孙子», «在线等»: no question of papers or of going online
            if not any(start < match.end() and match.start() < end for _, start, end, _, _ in found):
                specific = question not in BROAD_CUES and match.group() not in _NOUN_CUES
                found.append((specific, match.start(), match.end(), priority, question))
    if record_clause_end is not None and not any(
        (specific or (asked in _ASKS_TO_DO and _asks_to_do(asked, _clause_from(text, start))))
        and start >= record_clause_end
        and asked not in ALSO_RECORD
        for specific, start, end, _, asked in found
    ):
        return QuestionType.record
    if not found:
        return None
    _, start, end, _, asked = max(found, key=lambda cue: (cue[0], cue[1], -cue[3]))
    # «托管服务要收费吗 一个月多少»: an amount beside a fee cue is the fee
    fee_asked = any(question is QuestionType.fee for *_, question in found)
    # «自己交居民医保 一年多少钱»: an amount after paying in, with nothing received, is the fee
    paid_in = _PAID_IN.search(text[:start]) is not None and _RECEIVED.search(text) is None
    if asked is QuestionType.benefit and _AMOUNT_ONLY.fullmatch(text[start:end]) and (fee_asked or paid_in):
        return QuestionType.fee
    return asked


def naming_part(text: str) -> str:
    """The message without question words, qualifiers and punctuation: empty for an elliptical
    follow-up (「那要多少钱？」「在哪里办」「小孩也一样吗」)."""
    part = _PUNCTUATION.sub("", _NON_NAMING.sub("", text.lower()))
    return part if len(part) > 1 else ""


# Words that stand for «the matter» itself («驾驶证的事», «学籍方面»): whole words only, since
# 事 is part of names too (交通事故, 事业单位).
_MATTER_WORDS = frozenset({"事", "事情", "事儿", "方面"})


def asks_only(word: str) -> bool:
    """True for a word that only asks or qualifies (「材料」「怎么」「孩子」「事」), never names."""
    return word in _MATTER_WORDS or not _PUNCTUATION.sub("", _NON_NAMING.sub("", word.lower()))


# «不是问材料 是问要几天», «我不是问咋办 我是问手机上能不能重置»: the same item, another question.
_ANOTHER_QUESTION = re.compile(
    r"^\W*(我)?(不是|没)问[^，,。；;！!？?]{0,8}?[，,。\s]*(我)?((是|只是|就是)(想)?)?问(的是)?"
)
# «不是 我是想问他够不够格»: a bare «no», then the question meant; only when what follows first
# names nothing (not «不是 我是想问年报», which turns to another item).
_NO_I_ASK = re.compile(r"^\W*(不是|不对)[，,。\s]*(我)?(是|只是|就是)(想)?问(的是)?")


def asked_instead(text: str) -> str | None:
    """What the citizen asks instead, when they correct only the question («不是问材料 是问
    要几天» → «要几天»); None otherwise."""
    found = _ANOTHER_QUESTION.match(text)
    if found:
        return text[found.end() :]
    found = _NO_I_ASK.match(text)
    if found is None:
        return None
    rest = text[found.end() :]
    return None if naming_part(_CLAUSE_END.split(rest, maxsplit=1)[0]) else rest


def corrects(text: str) -> bool:
    """「不对，是买房提取」「我说的是领失业金」: the citizen says which matter they meant."""
    return bool(_CORRECTION.match(text.strip()))


# «护照那个整明白了 那去加拿大的签证…», «执照办下来以后 店里还卖点饮料…»: an opening clause
# that says the matter discussed is understood or done. On the dev dialogues, 59 of 65 later
# turns that open so turned to another matter; the six that stayed asked nothing new
# («认定了能报多少», «材料弄好了交到哪个窗口»).
_SETTLED = re.compile(
    r"^[^，,。；;！!？?\s]{0,14}?"
    r"(?:(?:明白|清楚|清爽|懂|晓得|知道|了解|记下|记住|有数|搞定|搞掂|问完|[\u4e00-\u9fff][好完]|[办弄搞补领拿整开挂]到|下来)"
    r"(?:了|咗|哒|啦|嘞)|以后|之后|(?:下来|[完好了])后|先(?:放(?:一下|一放|放)|不管|不说|不急))"
    r"(?:[，,。；;！!\s]+|(?=[还另再但我那想要]|上(?![哪那])))"
)


# «登记完了失业金是不是还得另外申请»: done, and straight on; what follows may as well be about
# the same item («认定完了一年能报多少»), so only a matter it names outright counts.
_DONE_THEN = re.compile(r"^[^，,。；;！!？?\s]{0,14}?[\u4e00-\u9fff][完好]了(?=[^，,。；;！!？?\s])")


def after_settled(text: str) -> str | None:
    """What a message says after an opening clause that settles the matter discussed, or None
    when it opens otherwise or says nothing more."""
    text = text.strip()
    found = _SETTLED.match(text)
    if found is None or found.end() >= len(text):
        return None
    return text[found.end() :]


def after_done(text: str) -> str | None:
    """What a message says straight after an opening «…完了», «…好了» (no pause), or None."""
    text = text.strip()
    found = _DONE_THEN.match(text)
    return text[found.end() :] if found is not None else None


def keeps_question(text: str) -> bool:
    """「那港澳通行证呢」「不是，我问的是港澳通行证」: another item, the same question as before."""
    text = text.strip()
    return question_cue(text) is None and bool(_SAME_QUESTION.match(text) or _CORRECTION.match(text))


_PERSONAL_NUMBER = re.compile(
    r"(我的)?(身份证号码|身份证号|身份证|手机号码|手机号|手机|电话|联系电话|银行卡号|银行卡|卡号)?"
    r"[是为:：\s]*〔[^〕]*〕[，,。；;\s]*"
)


def without_personal_numbers(text: str) -> str:
    """The message without its masked numbers and their labels: 「身份证〔身份证号〕」 says who
    is asking, not that the question is about an ID card."""
    return _PERSONAL_NUMBER.sub("", text)


# Chat messages separate clauses with a space as often as with a comma.
_CLAUSES = re.compile(r"[^，,。；;！!？?\s]+[，,。；;！!？?\s]*")
# «不是…», «我不是要开证明», «我不要临时牌»: a clause saying what is not meant.
_NEGATED = re.compile(r"^\s*(而|我|俺|我们)?(并)?不是|^\s*(我|俺|我们)不要")
# «驾照还在», «执照没丢»: a clause saying the document it names is not the one in trouble.
_STILL_FINE = re.compile("(还在|没丢|没有丢|没坏|没过期|还能用)[了呢啊的]?$")


def without_negated(text: str) -> str:
    """The message without the clauses that say what the citizen does not mean («我说的是
    公积金转外地，不是开缴存证明»: 缴存证明 is what not to search for), when another clause
    still names something; a bare «不是，…» opening a correction names nothing and stays."""
    clauses = _CLAUSES.findall(text)
    kept = [
        c
        for c in clauses
        if not ((_NEGATED.match(c) or _STILL_FINE.search(c.rstrip("，,。；;！!？? "))) and naming_part(c))
    ]
    return "".join(kept) if len(kept) < len(clauses) and any(naming_part(c) for c in kept) else text
