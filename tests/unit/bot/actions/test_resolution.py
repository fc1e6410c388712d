"""The per-turn item decision (bot.actions.resolution) over the real knowledge base and the
fitted confidence model: follow-ups, topic switches, clarifications answered in words,
corrections and matters the guide does not hold. The same rules run through the real Rasa
server in tests/integration/test_resolution_dialogues.py."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.actions.answer_question import asks_again
from bot.actions.question_cues import (
    after_done,
    after_settled,
    naming_part,
    question_cue,
    without_negated,
    without_personal_numbers,
)
from bot.actions.resolution import (
    Outcome,
    Resolver,
    Turn,
    button_titles,
    document_terms,
    naming_terms,
    pick_offered,
    question_for,
    searched_text,
)
from knowledge.chinese import as_mandarin
from knowledge.confidence import load_model
from knowledge.render import QuestionType
from knowledge.schema import ServiceItem
from knowledge.search import KnowledgeBase

ID_CARD = "certificates.id_card_reissue"
HK_PERMIT = "certificates.hk_macau_permit"


@pytest.fixture
def resolver(kb: KnowledgeBase) -> Resolver:
    return Resolver(kb, load_model())


@pytest.mark.parametrize(
    ("text", "question"),
    [("那要多少钱", QuestionType.fee), ("能领多少钱", QuestionType.benefit),
     # an amount after paying in is the fee; after contributions made, what is received
     ("自己交居民医保 一年多少钱", QuestionType.fee),
     ("交了十五年养老保险 退休一个月多少", QuestionType.benefit),
     # «这几天» is when the citizen needs it, not how long it takes
     ("换的这几天要坐高铁 临时身份证咋办", QuestionType.steps), ("谁能申请", QuestionType.eligibility),
     # how many people it takes; Wu 辰光, Xiang 么子; typed 多少前, 材科; what it costs as a price
     ("合作社最少要几个人才能登记", QuestionType.eligibility), ("办下来要多少辰光", QuestionType.time_limit),
     ("第一次登记要么子", QuestionType.materials), ("补办要好久", QuestionType.time_limit),
     ("重新办本护照多少前", QuestionType.fee), ("也是这个价吗", QuestionType.fee),
     ("需要那些材科", QuestionType.materials), ("打电话能投诉不 号码好多", QuestionType.contact),
     ("身份证号码填错了怎么改", QuestionType.steps),
     # one's own record: how much was saved or paid in, how far an application has got
     ("想查下社保个人账户里一共攒了多少钱", QuestionType.record),
     ("申请交上去一个多月了 进度在哪查", QuestionType.record),
     ("报销的钱到了没 在哪查", QuestionType.record), ("可不可以在手机上搞", QuestionType.online),
     # which of two places; 那 typed for 哪; «要么子条件» asks the conditions
     ("转学手续是去新学校办还是去教育局", QuestionType.location), ("那里办", QuestionType.location),
     ("药品零售许可要么子条件", QuestionType.eligibility), ("户口要怎么注销", QuestionType.steps),
     # 那 typed for 哪, 多就 for 多久 (not «三点多就放学»), what one must pay is no record
     ("这个在那开", QuestionType.location), ("审验花钱不", QuestionType.fee),
     ("认定下来能赔多少钱", QuestionType.benefit), ("用手机能报名不", QuestionType.online),
     ("帮我看看城乡居民医保一年一个人得交多少", QuestionType.fee), ("补办要多就", QuestionType.time_limit),
     ("孩子三点多就放学了 学校课后服务怎么报", QuestionType.steps), ("要去登记吗 怎么登", QuestionType.steps),
     ("最多能贷多少", QuestionType.benefit),
     ("医疗救助能救多少", QuestionType.benefit),  # what the relief covers
     ("医疗救助能救助多少", QuestionType.benefit), ("要自己出钱吗", QuestionType.fee),
     ("执照上的名字怎么变更", QuestionType.steps), ("企业年度报告在哪个网站上填报", QuestionType.online),
     # online or in person asks about the online channel; back to school or to the bureau, where
     ("小升初是在网上报名还是要去学校现场报啊", QuestionType.online),
     ("是回学校开还是去教育局", QuestionType.location), ("资格认证 在手机上要怎么做", QuestionType.online),
     # whom one looks after, an impatient «在线等»: no question of papers or of going online
     ("周六社保那边开门不 他平时要带孙子", QuestionType.hours), ("失业金咋领 在线等", QuestionType.steps),
     # a question word alone: the fee, online; where papers go; binding on the phone
     ("钱呢", QuestionType.fee), ("网上呢", QuestionType.online),
     ("他人还在老家呢 网上？", QuestionType.online),
     ("材料交哪", QuestionType.location), ("手机上咋绑", QuestionType.online),
     ("我的社保交了几年", QuestionType.record), ("在哪里办", QuestionType.location),
     ("我在厂里上班，听说能领一笔补贴，有多少钱", QuestionType.benefit), ("要多久", QuestionType.time_limit),
     ("网上能办吗", QuestionType.online), ("不动产登记资料查询的咨询电话是多少", QuestionType.contact),
     # a specific cue is the real ask wherever the broad «how / can I» one stands…
     ("车子开了十五年想报废，去哪办手续", QuestionType.location),
     ("车管所周六能去把到期的驾照换了吗", QuestionType.hours),
     # …unless it is a bare noun that is what the citizen wants changed
     ("驾照上登记的地址要怎么改", QuestionType.steps),
     ("失业了还能干什么，有这样的服务吗", None),  # 什么 ends in 么 but asks nothing of the kind
     ("电话〔手机号〕，户口本丢了怎么补", QuestionType.steps),  # who asks, not what
     ("缴存证明能自己在网上打吗", QuestionType.online), ("手机上的医保码怎么弄出来", QuestionType.steps),
     ("帮我查一下孩子的学籍信息", QuestionType.record), ("利息国家能贴多少", QuestionType.benefit),
     ("开个证明上哪开", QuestionType.location), ("在哪个app上能交", QuestionType.online),
     ("考过了几天出证", QuestionType.time_limit), ("想改过来找谁办", QuestionType.location),
     ("办转学找谁咨询，有电话没", QuestionType.contact),
     ("能不能用手机刷脸认证", QuestionType.online), ("去哪刷脸认证", QuestionType.location),
     ("出生证明是医院直接给吗 需要我们做啥", QuestionType.steps),
     ("第一次申请要住满多久才行", QuestionType.eligibility),
     ("开发商说要网签备案 这个要我们自己去办吗", QuestionType.steps),
     ("网上行不行", QuestionType.online), ("用手机可以自己打出来吗", QuestionType.online),
     ("要她本人去吗 她腿脚不太利索", QuestionType.steps), ("现在要去领养老金怎么个办法", QuestionType.steps),
     ("转学手续要交那些东西", QuestionType.materials),
     # a bare amount beside a fee cue is the fee; a charge named is a fee question
     ("托管服务要收费吗 一个月多少", QuestionType.fee), ("失业金一个月多少", QuestionType.benefit),
     ("职业介绍能帮我推荐工作吗 收不收中介费", QuestionType.fee),
     # a space ends a clause: the record told first, the materials asked after
     ("想查查我名下登记了几套房 不动产登记资料查询要带啥", QuestionType.materials),
     # follow-ups as citizens type them, simplified as the gateway hands them on
     ("需要复印件吗", QuestionType.materials), ("要填啥表", QuestionType.materials),
     ("带身份证就行了吧", QuestionType.materials), ("能代办吗", QuestionType.steps),
     ("我老公能替我办不", QuestionType.steps), ("第一步干啥", QuestionType.steps),
     ("贵不贵", QuestionType.fee), ("要不要交手续费", QuestionType.fee), ("加急要加钱不", QuestionType.fee),
     ("几号窗口", QuestionType.location), ("哪个单位负责", QuestionType.location),
     ("是在区公所办吗", QuestionType.location), ("啥时候能领到", QuestionType.time_limit),
     ("审批周期多长", QuestionType.time_limit), ("有年龄限制不", QuestionType.eligibility),
     ("外地人得不得办", QuestionType.eligibility), ("我是在职人员能办吗", QuestionType.eligibility),
     ("手机能办不", QuestionType.online), ("有没有小程序", QuestionType.online),
     ("能不能不去现场", QuestionType.online), ("网上报还是去学校报", QuestionType.online),
     ("有没有咨询专线", QuestionType.contact), ("假日有办吗", QuestionType.hours),
     ("我可以拿到多少钱", QuestionType.benefit), ("发放标准是多少", QuestionType.benefit),
     # …and what asks none of these stays so
     ("今天晚上吃什么好", None), ("市场监管局窗口让我来回跑了四趟还没办下来，太离谱了", None),
     ("上周交的申请，钱到账了没有", QuestionType.record), ("免费的那个培训咋报名", QuestionType.steps),
     ("这个证件要怎么核验", QuestionType.steps),
     # a status asked about is a personal record; a window's same-day service a time limit
     ("上个月交的变更申请审核通过了没有", QuestionType.record), ("当天能拿到吗", QuestionType.time_limit),
     ("资助一年有多少", QuestionType.benefit), ("出生日期登记错了怎么更正", QuestionType.steps),
     # a circumstance told is no record question, and the address one moves is no location one
     ("我社保才交了半年，够条件不", QuestionType.eligibility), ("那要是只换个经营地址呢", None),
     # a record told as background before a clause that asks something else; where to look
     # one's record up is still the record question
     ("在老家交了几年养老保险，现在来这边上班了，想转过来，要带啥", QuestionType.materials),
     ("我的社保交了几年，网上能查吗", QuestionType.record),
     # «…不» ends a yes/no question; «怎么才能», «是干啥的», online with any verb
     ("户口本上的出生日期登记错了，还能改不", QuestionType.eligibility),
     ("租房子能取公积金不，一次能取多少", QuestionType.benefit),
     ("被列进异常名录了，怎么才能移出来", QuestionType.steps), ("网签备案是干啥的", QuestionType.overview),
     ("违章能不能在手机上处理，不想跑交警队", QuestionType.online), ("网上能登记不", QuestionType.online),
     # «要啥» with no noun after it asks for materials; how to complain, reset or recover is
     # a procedure; what one's own account holds is a record
     ("开个小卖部办营业执照要啥", QuestionType.materials), ("办这个要啥条件", QuestionType.eligibility),
     ("司机开车绕远路，怎么投诉他", QuestionType.steps), ("社保卡密码忘了怎么重置", QuestionType.steps),
     ("我的养老保险个人账户里现在有多少钱", QuestionType.record),
     # dialect «咋个», «啥子»; where online is the online channel; a weekday named is the hours
     ("就业登记咋个办", QuestionType.steps), ("货运从业资格证要啥子条件", QuestionType.eligibility),
     ("社保卡丢了 先得挂失吧 怎么挂", QuestionType.steps), ("批下来要多常时间", QuestionType.time_limit),
     ("用不用给钱", QuestionType.fee), ("在那个地方办呀", QuestionType.location),
     ("要交哪些病历", QuestionType.materials), ("罚款罚多少", QuestionType.fee),
     ("认定之后有什么补贴可以领", QuestionType.benefit), ("现在去换新的好久能拿到", QuestionType.time_limit),
     ("考完多就发证", QuestionType.time_limit),
     # Southwest Mandarin 好多 for 多少, 那点 for 那里
     ("补一张要好多钱嘛", QuestionType.fee), ("给她交社保政府能补好多", QuestionType.benefit),
     ("生活补助一年有好多钱", QuestionType.benefit), ("交了好多年社保", None),
     ("也是去那点吗", QuestionType.location), ("网上咋查", QuestionType.online),
     ("年报那块也一直没搞懂 有电话能问吗", QuestionType.contact),
     # a yes/no «…不» before a space; whether a place will do asks where
     ("已经过期三个多月了还能复审不 还是得重考", QuestionType.eligibility),
     ("村干部说每年得认证一回 咋认证", QuestionType.steps),
     ("城东街道能办不 还是得跑教育局", QuestionType.location),
     ("港澳签注能在手机上续不，还是得跑一趟出入境", QuestionType.online),
     ("那手机上能不能审", QuestionType.online),
     # Cantonese «得唔得» read as «得不得»; how much cheaper is the benefit
     ("网上投诉得不得", QuestionType.online), ("租金大概比外面便宜多少", QuestionType.benefit),
     ("换证又收多少", QuestionType.fee),
     # Hubei «么样搞» for 怎么搞, «到哪块» for 到哪里
     ("养老保险要转回来 么样搞", QuestionType.steps), ("休学要到哪块去办", QuestionType.location),
     ("公司今年的年报 网上在哪报", QuestionType.online),
     ("办证的派出所礼拜六有开吗", QuestionType.hours),
     # where a thing goes asks where; school fees are a fee; one's study hours or points a
     # record; who goes to do it is how it is done; the traffic app is the online channel
     ("他还有个残疾证 是不是也要交回去 交到哪", QuestionType.location), ("办到哪一步了", QuestionType.record),
     ("公办的学费一个月多少", QuestionType.fee), ("继续教育学时在哪查", QuestionType.record),
     ("是公司去弄还是我自己去弄", QuestionType.steps), ("12123上能弄不", QuestionType.online),
     # a record told before asking how to do something else, not how to look it up
     ("之前在深圳交了几年社保 现在回老家了 养老保险怎么转回来", QuestionType.steps),
     ("我的社保交了几年 怎么查", QuestionType.record),
     # printing a paper out is how it is done; «好几天了» tells how long, it does not ask; whom to
     # call, asked after it, is asked
     ("买房要一个社保缴费证明 这个咋打出来", QuestionType.steps), ("要好几天吗", QuestionType.time_limit),
     ("垃圾堆好几天了 想投诉物业 打啥电话", QuestionType.contact),
     # withdrawing is how; 那 typed for 哪; a day of the week asked of a place asks when
     ("公积金能提出来交房租么 怎么提", QuestionType.steps), ("这个在那弄", QuestionType.location),
     ("她退休了 公积金怎么全部取出来", QuestionType.steps),
     ("周六派出所能办不 平时要上班", QuestionType.hours),
     # one's own record, asked of «我自己…»; a whether about another thing after it is that
     # thing's, a whether about nothing («够不够») stays the record's
     ("另外 我自己社保到底交了几个月 在哪能查", QuestionType.record),
     ("社保交了几个月了 能领失业金吗", QuestionType.eligibility),
     ("想看看我这几年继续教育学时登记了多少 够不够", QuestionType.record),
     # whom to go to is where
     ("那课后服务是找学校报名还是找教育局", QuestionType.location),
     # looking one's own record up, unless asked where online
     ("想查一下孩子的学籍号和学籍信息 在哪能查到", QuestionType.record),
     ("今年继续教育学时够不够 在哪查", QuestionType.record),
     ("在领失业金 想看看还剩几个月能领 在哪查啊", QuestionType.record),
     ("单位让查下继续教育学时够没够 网上咋查", QuestionType.online),
     ("想自己查下孩子的学籍信息 有没有网上能查的地方", QuestionType.online),
     ("宝宝刚刚出生 医保可不可以在手机上帮他买", QuestionType.online),
     ("社保卡刚才在菜市场丢了 怎么先挂失", QuestionType.steps),
     ("这个生育登记到底是什么东西", QuestionType.overview),
     ("有没有啥地方能帮着找工作的", QuestionType.location),
     ("不用让我跑了 网上呢", QuestionType.online),
     ("进度上哪查", QuestionType.record),
     ("要给娃上户口 得拿些啥", QuestionType.materials),
     ("评职称要的继续教育学时 在哪能查到自己的", QuestionType.record),
     ("请问港澳通行证的签注用完了 要怎么再签一次", QuestionType.steps),
     ("想查下孩子学籍到底注册上没有 在哪查", QuestionType.record),
     ("要是过期了几天才去 还复审得到不", QuestionType.eligibility),
     ("被公司辞了 是不是要先登记失业 在那登记", QuestionType.location),
     ("还有他社保卡密码也忘记了 咋个重新设一个", QuestionType.steps),
     ("想查一下孩子的学籍号 在哪能查到", QuestionType.record),
     ("我医保这个月扣上没有 在哪能查", QuestionType.record),
     ("社保卡密码忘了 怎么重制", QuestionType.steps)],
)  # fmt: skip
def test_the_question_is_read_from_the_wording_last_cue_first(
    text: str, question: QuestionType | None
) -> None:
    assert question_cue(text) is question


@pytest.mark.parametrize(
    "text",
    ["那要多少钱？", "在哪里办", "小孩也一样吗", "要多久能拿到", "几点下班",
     # how long it takes when all goes normally, once the papers are in (after a complaint)
     "那正常审核得多久", "那材料齐了要好久办得下来",
     # «甭让我跑了 网上呢»: not having to go there names nothing
     "不用让我跑了 网上呢"],
)  # fmt: skip
def test_elliptical_follow_ups_name_nothing(text: str) -> None:
    assert naming_part(text) == ""


@pytest.mark.parametrize("text", ["那结婚证丢了呢", "那港澳通行证呢", "开奶茶店要什么证"])
def test_messages_that_name_something_are_not_elliptical(text: str) -> None:
    assert naming_part(text)


def test_masked_numbers_and_their_labels_are_not_searched() -> None:
    assert (
        without_personal_numbers("身份证〔身份证号〕，手机〔手机号〕，想办个护照要带啥") == "想办个护照要带啥"
    )


def test_a_plain_question_naming_an_item_is_answered(resolver: Resolver) -> None:
    decision = resolver.decide(Turn("补办身份证要带什么材料"))
    assert decision.outcome is Outcome.answer and decision.item is not None
    assert (decision.item.id, decision.question) == (ID_CARD, QuestionType.materials)


@pytest.mark.parametrize(
    ("text", "item", "question"),
    [
        # the alias 外地公积金转过来 cuts «咋转» in two; the citizen's «咋» still asks how
        ("从杭州跳槽回来了 那边交的公积金咋转过来", "housing.provident_fund_account_transfer",
         QuestionType.steps),
        # a spouse and being local are the citizen's case, not unknown matters
        ("我太太是本地人 想自己开一间有限公司 公司登记要准备哪些资料",
         "enterprise_licensing.company_establishment", QuestionType.materials),
        # nouns told before a clause that names the item found surely are the case; so is a
        # certificate the citizen already holds
        ("厂子裁员把我裁了 失业金一共能领几个月", "employment.unemployment_insurance_benefit",
         QuestionType.benefit),
        ("四十多了找工作没头绪 你们那职业介绍收费不", "employment.job_referral", QuestionType.fee),
        ("刚拿了焊工高级工证书 技能提升补贴能给多少", "employment.skill_upgrade_subsidy",
         QuestionType.benefit),
        # «那本证» points at a certificate, it names none
        ("我师傅那本证快满六年了 说要复审 他去复审要带啥",
         "qualification.special_operation_certificate_review", QuestionType.materials),
        # «注册登记» says a registration is made; what is registered is the matter
        ("跟大学同学合伙注册个有限公司 注册登记要交钱不", "enterprise_licensing.company_establishment",
         QuestionType.fee),
        # owing no tax is the case told, not a tax of its own
        ("注册了个公司一直没开张 没欠税也没欠债 简易注销要够啥条件",
         "enterprise_licensing.enterprise_simplified_deregistration", QuestionType.eligibility),
    ],
)  # fmt: skip
def test_a_question_naming_an_item_in_the_citizens_words_is_answered(
    resolver: Resolver, text: str, item: str, question: QuestionType
) -> None:
    decision = resolver.decide(Turn(text))
    assert decision.outcome is Outcome.answer and decision.item is not None, decision
    assert (decision.item.id, decision.question) == (item, question)


def test_an_elliptical_follow_up_refers_to_the_current_item(resolver: Resolver) -> None:
    decision = resolver.decide(Turn("那要多少钱", current_item=ID_CARD, last_question=QuestionType.materials))
    assert decision.outcome is Outcome.answer and decision.item is not None
    assert (decision.item.id, decision.question, decision.how) == (ID_CARD, QuestionType.fee, "follow_up")


def test_na_x_ne_switches_the_item_and_keeps_the_question(resolver: Resolver) -> None:
    decision = resolver.decide(Turn("那港澳通行证呢", current_item=ID_CARD, last_question=QuestionType.fee))
    assert decision.item is not None and decision.item.id == HK_PERMIT
    assert decision.question is QuestionType.fee


def test_a_switch_to_something_the_guide_lacks_never_gets_the_old_item(resolver: Resolver) -> None:
    decision = resolver.decide(
        Turn("那结婚证丢了呢", current_item=ID_CARD, last_question=QuestionType.materials)
    )
    assert decision.outcome is Outcome.honest_no and decision.item is None


@pytest.mark.parametrize(
    ("current", "previous", "text"),
    [
        # «烟草|证在»: the document the segmenter split is still a document the guide lacks
        ("enterprise_licensing.prepackaged_food_filing", "开个小卖部 只卖袋装零食 要办什么手续",
         "顺便还想卖点烟 烟草证在哪办"),
        # a document the current item never mentions, in a short question after an answer
        ("healthcare.chronic_special_disease_recognition", "老伴有糖尿病门诊拿药能按慢病报吗怎么申请",
         "她腿还有残疾办残疾人证去哪办"),
        # a noun the guide never writes before a word items are named with: another matter
        ("social_security.benefit_eligibility_certification", "我奶奶每年都要做领养老金的认证 咋认证",
         "她今年都85了 听说八十岁以上有高龄补贴 这个怎么申请"),
    ],
)  # fmt: skip
def test_a_matter_the_guide_lacks_after_an_answer_is_an_honest_no(
    resolver: Resolver, current: str, previous: str, text: str
) -> None:
    decision = resolver.decide(Turn(text, current_item=current, previous_text=previous))
    assert decision.outcome is Outcome.honest_no and decision.item is None, decision


@pytest.mark.parametrize(
    ("current", "previous", "text", "meant"),
    [
        # 医保 is in 生育医疗费用's wording too, but the newborn's insurance is what is asked
        ("healthcare.maternity_medical_expense_payment", "老婆剖腹产住院花了一万多，医保能给报多少？",
         "孩子生下来了 医保咋给他交上", "healthcare.newborn_medical_insurance_enrollment"),
        # read alone 备案 finds 预包装食品备案, but the current item is named with 备案 too
        ("qualification.construction_labor_qualification_filing", "施工劳务资质备案要什么条件",
         "备案要交钱吗", "qualification.construction_labor_qualification_filing"),
        # «不是丢了»: not a lost certificate to replace, but one never issued
        ("healthcare.birth_medical_certificate_reissue", "出生证明丢了怎么补",
         "哦不是丢了 是孩子生下来医院还没给 第一次办要带啥",
         "healthcare.birth_medical_certificate_first_issue"),
        # «驾照还在»: the driving licence is fine; the 行驶证 is the one lost
        ("transport.driving_license_reissue", "驾照丢了 补领要啥材料",
         "不对不对 驾照还在 是行驶证找不着了 补要带啥", "transport.vehicle_plate_reissue"),
        # 普通 is the counterpart of the 简易 the current item's name says
        ("enterprise_licensing.enterprise_simplified_deregistration", "公司走简易注销 后面还要办啥",
         "实在不行走普通注销要多久", "enterprise_licensing.enterprise_deregistration"),
        # and 临时 asks for the temporary one, named by its qualifier alone
        ("certificates.id_card_renewal", "他那张过期半年了 换新的要多久",
         "等不了那么久 先办个临时的要带啥", "certificates.temporary_id_card"),
        # «走简单的那种» says 简易
        ("enterprise_licensing.enterprise_deregistration", "公司不打算干了 想彻底关掉 怎么弄",
         "成立以后就没开过张 也没欠债 走简单的那种要多久",
         "enterprise_licensing.enterprise_simplified_deregistration"),
        # the message opens on a word only another item is named with, however much the
        # current item's guide speaks of it
        ("enterprise_licensing.abnormal_list_removal", "公司被列进经营异常名录了 怎么移出来",
         "年报那块也一直没搞懂 有电话能问吗", "enterprise_licensing.annual_report"),
        # a document the citizen holds is their case, not the item it names
        ("education.migrant_children_enrollment", "我们是外地来打工的 娃想在这边上学 要审核啥资格",
         "居住证办了还不到一年 行不行", "education.migrant_children_enrollment"),
    ],
)  # fmt: skip
def test_in_context_a_message_means_the_item_it_names_or_tells_of(
    resolver: Resolver, current: str, previous: str, text: str, meant: str
) -> None:
    decision = resolver.decide(Turn(text, current_item=current, previous_text=previous))
    assert decision.item is not None and decision.item.id == meant, decision


@pytest.mark.parametrize(
    "text",
    ["执业医师注册要带什么", "执业律师证怎么申请", "房屋安全鉴定去哪里申请",
     # an item that only lists the document among its materials is not offered either
     "结婚证怎么领", "做劳动能力鉴定要带啥"],
)  # fmt: skip
def test_a_profession_or_procedure_no_item_mentions_gets_no_neighbour(resolver: Resolver, text: str) -> None:
    decision = resolver.decide(Turn(text))
    assert decision.outcome is Outcome.honest_no, decision


@pytest.mark.parametrize(
    ("text", "unheard"),
    [("烟草专卖零售许可证怎么办", "烟草"), ("护士执业证注册要交哪些资料", "护士"),
     ("法律职业资格证书怎么领", "法律"),
     # a Latin-letter word the guide never writes names a matter too
     ("车上还想装个ETC 去哪办", "etc"), ("HPV疫苗在哪打", "hpv")],
)  # fmt: skip
def test_a_noun_the_guide_never_writes_gets_an_honest_no_not_its_neighbours(
    resolver: Resolver, text: str, unheard: str
) -> None:
    """Without the check, 药品零售许可, 执业药师注册 and 证书核验 were offered."""
    decision = resolver.decide(Turn(text))
    assert decision.outcome is Outcome.honest_no and not decision.candidates, decision
    # (or, for a matter knowledge/referrals.yml names, the honest no that says who handles it)
    assert decision.how in ("unheard_of", "outside") and unheard in resolver.unheard_of(text)


def test_circumstances_and_long_messages_are_not_read_as_an_unknown_matter(resolver: Resolver) -> None:
    """The citizen's people, and what a long message tells besides its matter, are no matter."""
    assert not resolver.unheard_of("帮我查一下我儿子现在的学籍挂在哪个学校")
    assert not resolver.unheard_of("我小舅子没单位 他想交养老保险咋弄")  # kin as citizens write them
    assert not resolver.unheard_of("身份证昨儿挤地铁丢了 得上哪儿补啊")  # where it was lost
    assert not resolver.unheard_of("我们外地娃儿那个入学资格审核要准备啥子")  # 娃儿 is the child
    long_story = (
        "我在机械厂干了二十多年，社保一直是单位交的，今年十月份就到退休年龄了，想问问要准备些什么东西"
    )
    assert not resolver.unheard_of(long_story)
    assert "机械厂" in resolver.unheard_of("机械厂退休要准备些什么")


@pytest.mark.parametrize(
    ("text", "offered"),
    [("俺那社保卡不知道丢哪了 屋里翻遍了也没有 咋整",
      {"social_security.ss_card_loss_report", "social_security.ss_card_replacement"}),
     ("还在上班 想把公积金取点出来用 咋弄",
      {"housing.provident_fund_rent_withdrawal", "housing.provident_fund_purchase_withdrawal"})],
)  # fmt: skip
def test_a_document_several_items_are_named_after_is_offered_when_belief_is_split(
    resolver: Resolver, text: str, offered: set[str]
) -> None:
    """No item alone clears the clarify threshold (社保卡: 挂失 0.48, 补换 0.29), but the items
    sharing the document's name do together: they are offered, not an honest no."""
    decision = resolver.decide(Turn(text))
    assert decision.outcome is Outcome.clarify, decision
    assert offered <= {item.id for item in decision.candidates}


@pytest.mark.parametrize(
    "text",
    # a word many items share names a field, not a matter; an asking clause naming what none
    # of the items found speaks of is another matter
    ["新公司怎么申领发票", "想开一家诊所，医疗机构执业许可怎么申请"],
)
def test_a_split_belief_over_a_shared_generic_word_offers_nothing(resolver: Resolver, text: str) -> None:
    decision = resolver.decide(Turn(text))
    assert decision.outcome is Outcome.honest_no and not decision.candidates, decision


def test_an_unknown_matter_gets_an_honest_no_not_a_neighbour(resolver: Resolver) -> None:
    for text in ("补办结婚证去哪里", "摩托车驾照怎么考"):
        decision = resolver.decide(Turn(text))
        assert decision.outcome is Outcome.honest_no and not decision.candidates, text


def test_after_a_clarification_a_typed_follow_up_asks_again_among_the_same_items(resolver: Resolver) -> None:
    offered = ["social_security.ss_card_replacement", "social_security.ss_card_activation"]
    decision = resolver.decide(Turn("在哪里办", last_question=QuestionType.steps, offered=offered))
    assert decision.outcome is Outcome.clarify and decision.question is QuestionType.location
    assert [item.id for item in decision.candidates] == offered


def test_after_a_clarification_a_choice_in_words_is_answered_with_the_first_question(
    resolver: Resolver,
) -> None:
    offered = ["certificates.id_card_reissue", "certificates.id_card_renewal"]
    decision = resolver.decide(Turn("补领", last_question=QuestionType.materials, offered=offered))
    assert decision.outcome is Outcome.answer and decision.item is not None
    assert (decision.item.id, decision.question, decision.how) == (ID_CARD, QuestionType.materials, "picked")


@pytest.mark.parametrize(
    ("previous", "offered", "asked", "text", "meant"),
    [
        # a fragment is read with the question it answers («给刚出生的宝宝办» after «医保怎么参保»)…
        ("医保怎么参保",
         ["healthcare.employee_medical_insurance_enrollment",
          "healthcare.resident_medical_insurance_enrollment"],
         QuestionType.steps, "给刚出生的宝宝办", "healthcare.newborn_medical_insurance_enrollment"),
        # …and read so, it may single out one of the items offered
        ("我想交养老保险 咋交",
         ["social_security.flexible_employment_pension", "social_security.resident_pension_enrollment",
          "social_security.employee_enrollment"],
         QuestionType.steps, "我在村里种地的 没单位 就想自己交点 老了能领",
         "social_security.resident_pension_enrollment"),
        # what happened to the document, told after one item was offered alone, is its variant
        ("我老汉儿的身份证赶场的时候遭摸包了 补一张要好久才拿得到", ["certificates.id_card_reissue"],
         QuestionType.time_limit, "顺便问哈 我自己那张也快过期了 还剩两个月 现在去换新的好久能拿到",
         "certificates.id_card_renewal"),
        # when the citizen will go, told with nothing asked, is no question about the hours
        ("新买的车还没上牌 咋弄", ["transport.vehicle_registration", "transport.temporary_plate"],
         QuestionType.materials, "先弄个临时牌 周末要开回老家", "transport.temporary_plate"),
    ],
)  # fmt: skip
def test_a_reply_to_which_one_is_read_with_the_conversation_and_keeps_the_question(
    resolver: Resolver, previous: str, offered: list[str], asked: QuestionType, text: str, meant: str
) -> None:
    turn = Turn(text, last_question=asked, offered=offered, previous_text=previous)
    decision = resolver.decide(turn)
    assert decision.item is not None, decision
    assert (decision.item.id, decision.question) == (meant, asked)


def test_a_question_about_the_one_candidate_offered_is_about_it(resolver: Resolver) -> None:
    offered = ["social_security.retirement_pension_claim"]
    decision = resolver.decide(Turn("要带什么材料", last_question=QuestionType.steps, offered=offered))
    assert decision.outcome is Outcome.answer and decision.item is not None
    assert (decision.item.id, decision.question) == (offered[0], QuestionType.materials)


def test_details_about_the_current_item_stay_with_it_but_another_matter_does_not(resolver: Resolver) -> None:
    loan = "employment.startup_guarantee_loan"
    decision = resolver.decide(
        Turn("利息国家能贴多少", current_item=loan, last_question=QuestionType.benefit)
    )
    assert decision.item is not None and (decision.item.id, decision.how) == (loan, "follow_up")
    for text in ("补办结婚证去哪里", "那我老婆的结婚证丢了怎么补"):
        decision = resolver.decide(Turn(text, current_item=ID_CARD, last_question=QuestionType.materials))
        assert decision.item is None or decision.item.id != ID_CARD, text


def test_details_naming_places_and_people_stay_with_the_current_item(resolver: Resolver) -> None:
    for current, text in (
        ("certificates.hukou_cross_province_transfer", "从湖南迁到广东，跨省的那种，要带什么"),
        ("healthcare.personal_account_family_mutual_aid", "父母在老家，不在一个城市也能绑吗"),
    ):
        decision = resolver.decide(Turn(text, current_item=current, last_question=QuestionType.steps))
        assert decision.item is not None and decision.item.id == current, text


@pytest.mark.parametrize(
    ("current", "text", "stays"),
    [
        # what the asking clause lacks is a detail of the citizen's case…
        ("employment.one_time_startup_subsidy", "我的小饭馆才开了两个月，现在申请来得及吗", True),
        ("social_security.benefit_eligibility_certification", "老人眼睛不好，用手机能弄吗", True),
        ("transport.ride_hailing_driver_license", "我是外地户口，也能办吗", True),
        ("transport.ride_hailing_driver_license", "考试是在哪考", True),
        # how the citizen asks about the time («交上去…出结果», «考过了…出证») names nothing
        ("education.migrant_children_enrollment", "交上去大概几天出结果", True),
        ("employment.skill_level_certification", "考过了几天出证", True),
        # retrieval finds nothing and the question names no matter: the current item is meant
        ("transport.driving_license_renewal", "下午几点停止受理", True),
        ("transport.driving_license_renewal", "国庆放假期间开门不", True),
        ("certificates.ordinary_passport", "材料要原件还是复印件", True),
        # whether to bring a document the item's materials list, not one they do not
        ("certificates.ordinary_passport", "需要带身份证吗", True),
        ("certificates.ordinary_passport", "要不要带结婚证", False),
        # …or what the citizen asks about, a matter of its own
        ("education.student_loan_origin", "孩子明年中考，中考报名去哪报", False),
        ("employment.job_referral", "最近有招聘会吗，在哪开", False),
        ("enterprise_licensing.abnormal_list_removal", "这两年生意差，想先歇一阵子不干了，要办什么", False),
        ("healthcare.insurance_record_query_and_certificate", "老人卧床几年了，长期护理保险怎么申请", False),
        # the asking clause names one other item outright, however well it reads with the
        # current item's name in front; a case told before the question stays
        ("education.student_loan_origin", "另外问个我自己的事，上个月被裁了，失业金怎么领", False),
        ("housing.talent_housing_subsidy", "我社保才交了半年，够条件不", True),
        ("social_security.flexible_employment_pension", "外地户口可以交吗", True),
        ("healthcare.birth_registration_service", "网上能登记不", True),
        # the offices and counters the citizen goes to, and wanting to call first, are the case
        ("education.junior_middle_school_enrollment", "招生办有电话没 有些情况想先打过去问问", True),
        ("certificates.id_card_renewal", "办证的派出所礼拜六有开吗 我平日要上班走不开", True),
        ("social_security.rights_record_query", "如果去柜台查 社保局几点开始上班", True),
        # «那个证» asks about the document the clause before it named
        ("employment.startup_guarantee_loan", "办贷款好像要先有个就业创业证 那个证咋申请", False),
        # words of another item's case that few items write, before a clause that only asks
        (
            "enterprise_licensing.prepackaged_food_filing",
            "就晚上在夜市推个小车卖烤冷面 有没有电话能先问问",
            False,
        ),
        ("healthcare.newborn_medical_insurance_enrollment", "住院顺产花的那些费用 大概能报多少", False),
        # …but a word many guides write («考试») names no other matter
        ("transport.ride_hailing_driver_license", "考试要交多少钱", True),
        # «那…» turning to the one candidate whose names hold a word the current item's lack
        ("enterprise_licensing.abnormal_list_removal", "那年报现在能在网上补报吗", False),
        # read alone, not at all about the current item, and named in the other's names
        ("healthcare.birth_medical_certificate_first_issue", "先上户口吧 报户口多久能办好", False),
        # …but a word both names hold is no switch, whatever the clause after it says
        ("employment.individual_employment_registration", "登记收钱不 要是要钱我就不弄了", True),
        # the office asked about is where the citizen goes, not another matter
        ("social_security.ss_card_application", "社保大厅礼拜天上班不", True),
        ("certificates.hukou_registration_change", "派出所户籍窗口有电话没 想先问问用不用她本人去", True),
        ("education.private_school_establishment", "教育局那边有咨询电话没", True),
        # candidates found only by words every guide writes are no matter turned to
        ("qualification.special_equipment_operator_certificate", "考完多久拿证", True),
        # «那边» points at the place, it turns to nothing
        ("social_security.urban_rural_pension_linkage", "那边礼拜六开不开门 平时上班走不脱", True),
        # another level of schooling, and «还有个…» introducing a matter, are not the item
        ("education.graduation_certificate_loss", "那我大学的毕业证也一块丢了 这个能补吗", False),
        ("education.student_loan_origin", "她说学校里还有个国家励志奖学金 大学的那个咋申请", False),
        # a sum or a tax told before the question is a matter of its own, even so
        ("housing.residential_lease_filing", "那收的房租要交税不 出租房子的税去哪交", False),
        ("social_security.ss_card_replacement", "还有我原来单位给交了企业年金 退休了这个钱怎么领", False),
    ],
)
def test_details_stay_with_the_current_item_a_matter_asked_about_does_not(
    resolver: Resolver, current: str, text: str, stays: bool
) -> None:
    decision = resolver.decide(Turn(text, current_item=current, last_question=QuestionType.materials))
    assert (decision.item is not None and decision.item.id == current) is stays, decision


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        # «驾驶证的事», «学籍那块»: 事 and 那块 name nothing, so every item named after the
        # licence or the record is a candidate
        ("驾驶证的事 要带哪些材料", {"transport.driving_license_reissue",
                                     "transport.driving_license_renewal"}),
        ("孩子学籍那块要弄一下 咋办", {"education.student_status_certificate",
                                       "education.student_status_change"}),
        # whose document it is («我婆婆») names none of them
        ("问下我婆婆身份证的事 该咋办", {"certificates.id_card_reissue",
                                        "certificates.id_card_first_application"}),
    ],
)  # fmt: skip
def test_a_matter_spoken_of_as_a_whole_offers_its_items(
    resolver: Resolver, text: str, meant: set[str]
) -> None:
    decision = resolver.decide(Turn(text))
    assert decision.outcome is Outcome.clarify
    assert {item.id for item in decision.candidates} >= meant


def test_a_new_document_is_no_document_of_its_own(resolver: Resolver) -> None:
    # «换新证» says what is done to the document being discussed, not which document it is
    turn = Turn(
        "我看了下反正也快到期了，干脆直接换新证，换领的话要带什么",
        current_item="certificates.id_card_reissue",
        last_question=QuestionType.materials,
    )
    decision = resolver.decide(turn)
    assert decision.item is not None and decision.item.id == "certificates.id_card_renewal", decision


def test_a_case_told_after_an_answer_moves_the_question_to_the_item_it_names(resolver: Resolver) -> None:
    # «我是个体户» after 营业执照注销 was answered as 企业注销登记: the same question, the
    # item the told case names; a case the current item covers stays (see the test above)
    turn = Turn(
        "我是个体户",
        current_item="enterprise_licensing.enterprise_deregistration",
        last_question=QuestionType.materials,
        previous_text="营业执照注销要什么材料",
    )
    decision = resolver.decide(turn)
    assert decision.item is not None
    assert decision.item.id == "enterprise_licensing.individual_business_deregistration", decision
    assert decision.question is QuestionType.materials


def test_the_counterpart_of_the_current_item_is_never_the_current_item(resolver: Resolver) -> None:
    turn = Turn(
        "正式上牌一般要多久",
        current_item="transport.temporary_plate",
        last_question=QuestionType.steps,
        previous_text="新车刚提 还没上牌想先开回家 临时号牌怎么办",
    )
    decision = resolver.decide(turn)
    # the one other item retrieval finds at all is the counterpart, answered rather than offered
    assert decision.item is not None and decision.item.id == "transport.vehicle_registration", decision
    assert decision.question is QuestionType.time_limit


def test_a_close_runner_up_is_offered_beside_the_best_candidate(resolver: Resolver) -> None:
    """«公积金咋往外取»: 转移 and 退休提取 are nearly as likely; offering one alone lost the turn."""
    decision = resolver.decide(Turn("公积金咋往外取"))
    assert decision.outcome is Outcome.clarify, decision
    assert {item.id for item in decision.candidates} >= {
        "housing.provident_fund_account_transfer",
        "housing.provident_fund_retirement_withdrawal",
    }
    # a far runner-up is not: 医保电子凭证激活 is no way to claim back medical costs
    reimbursement = resolver.decide(Turn("医保报销怎么弄"))
    assert [item.id for item in reimbursement.candidates] == [
        "healthcare.manual_medical_expense_reimbursement"
    ]


def test_a_correction_after_candidates_picks_none_that_its_words_do_not_find(resolver: Resolver) -> None:
    """«不对 我说错了 是公司的执照» takes back what the 个体户 candidates were found for."""
    offered = (
        "enterprise_licensing.individual_business_change",
        "enterprise_licensing.individual_business_registration",
    )
    turn = Turn(
        "不对 我说错了 是公司的执照 要加经营范围",
        last_question=QuestionType.materials,
        offered=offered,
        previous_text="个体户营业执照变更要啥材料",
    )
    decision = resolver.decide(turn)
    assert decision.item is None or decision.item.id not in offered, decision
    # the same with the first candidate kept as the current item
    decision = resolver.decide(replace(turn, current_item=offered[1], intent="deny"))
    assert decision.item is None or decision.item.id not in offered, decision


@pytest.mark.parametrize(
    ("text", "current", "asked", "previous", "item", "question"),
    [
        # «那X呢»: 小学入学 pays nothing, the item that answers the question kept is meant
        (
            "那上了小学以后呢", "education.preschool_financial_aid", QuestionType.benefit,
            "家里经济困难，孩子在读幼儿园，资助一年有多少",
            "education.compulsory_living_subsidy", QuestionType.benefit,
        ),
        # the counterpart of a temporary document, named by its procedure (补)
        (
            "那正式补一张新的呢 要多少钱", "certificates.temporary_id_card", QuestionType.materials,
            "身份证昨天丢了 下礼拜还要坐高铁出差 能先办个临时的吗 要带啥",
            ID_CARD, QuestionType.fee,
        ),
        # «那X呢» with the case told after it: 老大, 今年 are circumstances, not other matters
        (
            "那上初一的呢 老大今年小学毕业", "education.kindergarten_enrollment", QuestionType.online,
            "小的明年九月该上幼儿园了 报名能在手机上报吗",
            "education.junior_middle_school_enrollment", QuestionType.online,
        ),
    ],
)  # fmt: skip
def test_a_follow_up_moves_to_the_item_its_frame_names(
    resolver: Resolver, text: str, current: str, asked: QuestionType, previous: str, item: str,
    question: QuestionType,
) -> None:  # fmt: skip
    decision = resolver.decide(Turn(text, current_item=current, last_question=asked, previous_text=previous))
    assert decision.outcome is Outcome.answer and decision.item is not None, decision
    assert (decision.item.id, decision.question) == (item, question)


@pytest.mark.parametrize("text", ["那一级建造师的注册呢", "一级建造师注册要多久"])
def test_another_grade_of_a_qualification_is_not_the_grade_the_guide_holds(
    resolver: Resolver, text: str
) -> None:
    turn = Turn(text, last_question=QuestionType.time_limit)
    decision = resolver.decide(turn)
    constructor = "qualification.second_class_constructor_registration"
    assert decision.item is None or decision.item.id != constructor, decision
    assert constructor not in {item.id for item in decision.candidates}
    assert resolver.decide(Turn("二级建造师注册要多久")).item.id == constructor  # type: ignore[union-attr]


def test_a_noun_in_the_clause_naming_the_matter_is_still_unknown(resolver: Resolver) -> None:
    foreign = resolver.decide(Turn("我们准备招一个外籍员工 外国人来华工作许可在哪申请"))
    assert foreign.outcome is Outcome.honest_no, foreign


def test_a_document_named_after_a_clarification_is_no_pick_of_the_one_offered(resolver: Resolver) -> None:
    # «那叉车证呢» shares only 证 with the one candidate offered (职业技能等级认定, «考技能等级证»)
    turn = Turn(
        "那叉车证呢",
        last_question=QuestionType.location,
        offered=("employment.skill_level_certification",),
        previous_text="登高证怎么考 在哪报名",
    )
    decision = resolver.decide(turn)
    assert decision.item is not None
    assert decision.item.id == "qualification.special_equipment_operator_certificate", decision


def test_a_document_to_be_ended_is_not_one_sought(resolver: Resolver) -> None:
    # «注销营业执照»: the licence is held and ended; the business's deregistration is the item,
    # not an honest no for want of an item named after the licence
    decision = resolver.decide(Turn("注销营业执照需要什么材料"))
    assert decision.outcome is not Outcome.honest_no
    found = [decision.item] if decision.item else list(decision.candidates)
    assert "enterprise_licensing.enterprise_deregistration" in {item.id for item in found if item}


@pytest.mark.parametrize(
    ("current", "previous", "text", "meant"),
    [
        ("housing.provident_fund_purchase_withdrawal", "买了房想把公积金取出来，要带什么", "那租房呢",
         "housing.provident_fund_rent_withdrawal"),
        ("healthcare.medical_insurance_transfer", "工作调到外省了，医保怎么转", "那养老保险呢",
         "social_security.pension_transfer"),
    ],
)  # fmt: skip
def test_na_x_ne_is_read_in_the_frame_of_the_previous_question(
    resolver: Resolver, current: str, previous: str, text: str, meant: str
) -> None:
    turn = Turn(text, current_item=current, last_question=QuestionType.steps, previous_text=previous)
    decision = resolver.decide(turn)
    assert decision.item is not None and decision.item.id == meant, decision
    assert decision.question is QuestionType.steps


def test_what_the_citizen_does_not_mean_never_picks_the_one_candidate(resolver: Resolver) -> None:
    offered = ["social_security.pension_transfer"]
    text = "不是跨省转，是想把农村交的城乡居民养老并到职工养老里"
    decision = resolver.decide(Turn(text, offered=offered, last_question=QuestionType.steps))
    assert decision.item is None or decision.item.id != offered[0], decision


def test_a_correction_names_the_item_meant_and_keeps_the_question(resolver: Resolver) -> None:
    turn = Turn("不是，我问的是港澳通行证", current_item=ID_CARD, last_question=QuestionType.fee)
    decision = resolver.decide(turn)
    assert decision.item is not None and decision.item.id == HK_PERMIT
    assert decision.question is QuestionType.fee


def test_a_clicked_button_is_answered_whatever_the_text(resolver: Resolver) -> None:
    decision = resolver.decide(
        Turn('/ask_fee{"service_item": "certificates.hk_macau_permit"}', clicked_item=HK_PERMIT)
    )
    assert decision.how == "clicked" and decision.item is not None and decision.item.id == HK_PERMIT


def test_pick_offered_needs_a_single_clear_match(kb: KnowledgeBase) -> None:
    items = [kb.item("certificates.id_card_reissue"), kb.item("certificates.id_card_renewal")]
    offered = [item for item in items if item is not None]
    assert pick_offered("第二个", offered) is offered[1]
    assert pick_offered("身份证", offered) is None  # both share it
    assert pick_offered("第一次孩子刚出生", offered) is None  # «第一次» is no ordinal
    shops = [kb.item("enterprise_licensing.individual_business_registration"),
             kb.item("enterprise_licensing.individual_business_deregistration")]  # fmt: skip
    both = [item for item in shops if item is not None]
    # the run both share (个体户) picks neither, whatever other characters match
    assert pick_offered(naming_part("就我一个人干 小本生意 办个个体户的就行 要带啥"), both) is None


def test_a_reply_sharing_only_the_offered_items_common_word_is_read_with_the_question(
    resolver: Resolver,
) -> None:
    offered = ("enterprise_licensing.individual_business_registration",
               "enterprise_licensing.individual_business_deregistration")  # fmt: skip
    turn = Turn("就我一个人干 小本生意 办个个体户的就行 要带啥", offered=offered,
                previous_text="想在学校门口开个奶茶店 执照咋整")  # fmt: skip
    decision = resolver.decide(turn)
    assert decision.item is not None and decision.item.id == offered[0], decision


def test_first_time_after_a_clarification_is_the_first_issue_whatever_the_button_order(
    resolver: Resolver,
) -> None:
    offered = (
        "healthcare.birth_medical_certificate_reissue",
        "healthcare.birth_medical_certificate_first_issue",
    )
    decision = resolver.decide(
        Turn("第一次办，孩子刚出生", offered=offered, last_question=QuestionType.location)
    )
    assert decision.item is not None and decision.item.id == offered[1]


def _twin(item: ServiceItem, department: str, place: str) -> ServiceItem:
    return item.model_copy(update={"department": department, "location_note": place})


def test_records_sharing_a_name_are_told_apart_by_department_and_place(kb: KnowledgeBase) -> None:
    base = kb.item(ID_CARD)
    assert base is not None
    items = [
        _twin(base, "广州市司法局", "连新路窗口"),
        _twin(base, "广州市司法局", "天河窗口"),
        _twin(base, "越秀区司法局", ""),
    ]
    assert button_titles(items) == [
        "居民身份证补领 · 广州市司法局 · 连新路窗口",
        "居民身份证补领 · 广州市司法局 · 天河窗口",
        "居民身份证补领 · 越秀区司法局",
    ]


def test_the_clause_saying_what_is_not_meant_is_not_searched(resolver: Resolver) -> None:
    turn = Turn(
        "我说的是公积金账户转到外地，不是开缴存证明",
        current_item="housing.provident_fund_deposit_certificate",
        last_question=QuestionType.location,
    )
    decision = resolver.decide(turn)
    assert decision.item is not None and decision.item.id == "housing.provident_fund_account_transfer"


@pytest.mark.parametrize(
    ("text", "item"),
    [("教育局认定教师资格的窗口周日上班不", "education.teacher_qualification"),
     ("政务大厅办失业登记的窗口周日开门吗", "employment.unemployment_registration"),
     ("卖了车办过户要带些啥", "transport.vehicle_transfer"),
     # whose document it is, or where the citizen works, is no matter the guide lacks
     ("闺女的出生证明搬家的时候弄丢了 补一个要啥材料", "healthcare.birth_medical_certificate_reissue"),
     ("我带的徒弟还没证 他第一次考电工证要什么条件", "qualification.special_operation_certificate"),
     ("我在汽修厂干了五年 想考个中级工的等级证 咋报名", "employment.skill_level_certification"),
     # «开个证明»: a verb and its measure word name no document of their own
     ("初中毕业证早不知道放哪了 现在找工作要 能开个证明代替吗 咋弄",
      "education.graduation_certificate_loss")],
)  # fmt: skip
def test_one_candidate_its_naming_words_alone_name_is_the_answer(
    resolver: Resolver, text: str, item: str
) -> None:
    decision = resolver.decide(Turn(text))
    assert decision.outcome is Outcome.answer and decision.item is not None, decision
    assert decision.item.id == item


def test_a_document_brought_along_does_not_rule_the_item_out(resolver: Resolver) -> None:
    decision = resolver.decide(Turn("孩子上小学报名要带户口本吗"))
    assert decision.item is not None and decision.item.id == "education.primary_school_enrollment"


def test_one_candidate_that_only_mentions_the_document_asked_for_is_not_the_answer(
    resolver: Resolver,
) -> None:
    decision = resolver.decide(Turn("食堂员工健康证去哪办"))
    assert decision.outcome is not Outcome.answer, decision


@pytest.mark.parametrize(
    ("current", "text", "variant", "question"),
    [("healthcare.birth_medical_certificate_first_issue", "不小心弄丢了怎么办",
      "healthcare.birth_medical_certificate_reissue", QuestionType.steps),
     ("social_security.ss_card_application", "原来那张丢了", "social_security.ss_card_replacement",
      QuestionType.materials),
     ("transport.driving_license_renewal", "要是丢了呢", "transport.driving_license_reissue",
      QuestionType.materials),
     # the remedy asked for outright, after the card is reported lost
     ("social_security.ss_card_loss_report", "挂完了要补张新的 多少钱", "social_security.ss_card_replacement",
      QuestionType.fee)],
)  # fmt: skip
def test_a_lost_or_expired_document_moves_to_the_item_that_replaces_it(
    resolver: Resolver, current: str, text: str, variant: str, question: QuestionType
) -> None:
    decision = resolver.decide(Turn(text, current_item=current, last_question=QuestionType.materials))
    assert decision.item is not None and decision.item.id == variant, decision
    assert decision.question is question


def test_what_happened_to_something_else_is_no_variant(resolver: Resolver) -> None:
    activation = "social_security.ss_card_activation"
    decision = resolver.decide(Turn("密码忘了", current_item=activation, last_question=QuestionType.steps))
    assert decision.item is not None and decision.item.id == activation


@pytest.mark.parametrize(
    ("previous", "current", "question", "text", "item"),
    [  # «那X呢» read alone when the previous frame hides it
     ("单位给员工交公积金怎么开户", "housing.provident_fund_deposit_registration", QuestionType.steps,
      "那社保开户呢", "social_security.employee_enrollment"),
     # a correction saying the document was never held: its first issue
     ("居住证续签要带什么", "certificates.residence_permit_endorsement", QuestionType.materials,
      "不对，我以前没办过，这是第一次", "certificates.residence_permit")],
)  # fmt: skip
def test_another_item_of_the_conversation_keeps_the_question(
    resolver: Resolver, previous: str, current: str, question: QuestionType, text: str, item: str
) -> None:
    turn = Turn(text, current_item=current, last_question=question, previous_text=previous)
    decision = resolver.decide(turn)
    assert decision.item is not None and decision.item.id == item, decision
    assert decision.question is question


def test_na_x_ne_read_alone_needs_the_item_s_own_words(resolver: Resolver) -> None:
    decision = resolver.decide(
        Turn("那电动自行车上牌呢", current_item="transport.vehicle_plate_reissue",
             last_question=QuestionType.fee, previous_text="补领行驶证要多少钱")
    )  # fmt: skip
    assert decision.outcome is not Outcome.answer, decision


def test_a_record_question_goes_to_the_lookup_that_stands_out(resolver: Resolver) -> None:
    decision = resolver.decide(Turn("另外我想看看我社保一共交了几年了"))
    assert decision.item is not None and decision.item.id == "social_security.rights_record_query"
    assert decision.question is QuestionType.record


def test_a_cue_inside_the_items_own_name_asks_nothing(resolver: Resolver) -> None:
    """«费用» in 生育医疗费用 names the item; «怎么报销» is what is asked."""
    decision = resolver.decide(Turn("生育医疗费用怎么报销"))
    assert decision.item is not None and decision.item.id == "healthcare.maternity_medical_expense_payment"
    assert decision.question is QuestionType.steps


@pytest.mark.parametrize(
    ("text", "current", "last", "item"),
    [("跨省的那个", "certificates.hukou_cross_province_transfer", QuestionType.location,
      "certificates.hukou_cross_province_transfer"),
     ("证已经有了，就是签注用完了", HK_PERMIT, QuestionType.materials, "certificates.hk_macau_endorsement"),
     # «资格» is the name's, not an eligibility question; the correction keeps the question
     ("不是，我是教师资格证书丢了要补", "education.teacher_qualification", QuestionType.steps,
      "education.teacher_certificate_reissue")],
)  # fmt: skip
def test_a_message_that_only_tells_goes_on_with_the_question_asked_before(
    resolver: Resolver, text: str, current: str, last: QuestionType, item: str
) -> None:
    decision = resolver.decide(Turn(text, current_item=current, last_question=last))
    assert decision.item is not None and decision.item.id == item, decision
    assert decision.question is last


def test_a_told_wish_or_a_new_question_is_not_the_question_asked_before() -> None:
    assert question_for(Turn("想办个港澳通行证", last_question=QuestionType.fee)) is QuestionType.steps
    assert question_for(Turn("港澳通行证要多久", last_question=QuestionType.fee)) is QuestionType.time_limit
    assert question_for(Turn("跨省的那个", last_question=QuestionType.fee)) is QuestionType.fee
    # a pressed button («收费标准» after the materials) asks through its payload's intent
    pressed = Turn("/ask_fee", intent="ask_fee", last_question=QuestionType.materials)
    assert question_for(pressed) is QuestionType.fee


def test_an_alias_that_is_itself_a_question_still_asks_it_mid_conversation(resolver: Resolver) -> None:
    decision = resolver.decide(Turn("医保码怎么弄", last_question=QuestionType.fee))
    assert decision.item is not None and decision.question is QuestionType.steps


def test_a_wish_with_no_question_asks_how(resolver: Resolver) -> None:
    assert question_for(Turn("村里老宅翻新完了，想办个房产证")) is QuestionType.steps
    asked_where = Turn("村里老宅翻新完了，想办个房产证", intent="ask_location")
    assert question_for(asked_where) is QuestionType.location
    assert question_for(Turn("老宅翻新完了")) is QuestionType.overview


def test_after_a_clarification_what_happened_to_the_document_picks_its_remedy(resolver: Resolver) -> None:
    """«还没拿过» among 首次签发 and 补发: the first issue, though no word of a name is typed."""
    offered = (
        "healthcare.birth_medical_certificate_first_issue",
        "healthcare.birth_medical_certificate_reissue",
    )
    turn = Turn("孩子刚生下来，还没拿过", offered=offered, last_question=QuestionType.steps)
    decision = resolver.decide(turn)
    assert decision.outcome is Outcome.answer and decision.item is not None
    assert (decision.item.id, decision.question) == (offered[0], QuestionType.steps)


@pytest.mark.model_scores
def test_an_item_retrieval_finds_alone_and_likely_is_answered_not_offered(resolver: Resolver) -> None:
    """Below the answer threshold but above the lone one, with no other item likely at all."""
    decision = resolver.decide(Turn("我下个月满60了，办退休要准备什么"))
    assert decision.outcome is Outcome.answer and decision.item is not None
    assert decision.item.id == "social_security.retirement_pension_claim"
    assert resolver._model.lone_answer_threshold <= decision.confidence < resolver._model.answer_threshold


def test_another_exam_is_no_detail_of_the_current_item(resolver: Resolver) -> None:
    """Retrieval finds 初中入学 close to «那中考报名呢», but the message names another exam."""
    enrollment = "education.junior_middle_school_enrollment"
    switched = resolver.decide(
        Turn("那中考报名呢", current_item=enrollment, last_question=QuestionType.steps)
    )
    assert switched.item is None or switched.item.id != enrollment


def test_na_x_ne_asks_the_guide_again_only_after_a_question() -> None:
    """«那电动车上牌呢» after «二手车过户要带啥» asks for materials of a matter the guide may
    lack (an honest no, not «not my job»); «今天股市行情怎么样» in a new conversation does not."""
    assert asks_again(Turn("那电动车上牌呢", last_question=QuestionType.materials))
    assert not asks_again(Turn("今天股市行情怎么样"))
    assert not asks_again(Turn("那要多少钱", last_question=QuestionType.materials))  # its own cue
    # «那医保呢 医保关系也得转过来吧»: WeChat users separate clauses with a space, not a comma
    assert asks_again(Turn("那医保呢 医保关系也得转过来吧", last_question=QuestionType.steps))


def test_another_procedure_of_the_document_discussed_is_taken_from_the_conversation(
    resolver: Resolver,
) -> None:
    """After 社会保障卡挂失, «那找不回来要补一张呢» and «挂失完了想补张新卡» are its 补领; after
    往来港澳通行证签发, «就是签注用完了» is its 签注, not a stranger to give an honest no."""
    lost = "social_security.ss_card_loss_report"
    for text in ("那找不回来要补一张呢", "挂失完了想补张新卡，要带什么"):
        decision = resolver.decide(Turn(text, current_item=lost, last_question=QuestionType.steps))
        assert decision.item is not None and decision.item.id == "social_security.ss_card_replacement", text
    permit = "certificates.hk_macau_permit"
    endorsed = resolver.decide(Turn("证已经有了，就是签注用完了", current_item=permit))
    assert endorsed.item is not None and endorsed.item.id == "certificates.hk_macau_endorsement"
    # a word only the other procedure's names use (续签), with nothing else beside it
    renewed = resolver.decide(
        Turn("之前办过证了，这次只要续签", current_item=permit, last_question=QuestionType.steps)
    )
    assert renewed.item is not None and renewed.item.id == "certificates.hk_macau_endorsement"
    assert renewed.question is QuestionType.steps
    # …but a thing the other procedure never registers is no procedure of this document
    scooter = resolver.decide(Turn("那电动车上牌呢", current_item="transport.vehicle_transfer"))
    assert scooter.outcome is Outcome.honest_no, scooter


@pytest.mark.parametrize(
    ("text", "current"),
    [("那离婚登记去哪办", "certificates.ordinary_passport"),  # 生育登记服务 shares only 登记
     ("买房的契税怎么交", "housing.provident_fund_loan")],  # a tax is a matter of its own
)  # fmt: skip
def test_a_registration_or_tax_the_guide_lacks_is_an_honest_no_mid_conversation(
    resolver: Resolver, text: str, current: str
) -> None:
    decision = resolver.decide(Turn(text, current_item=current, last_question=QuestionType.location))
    assert decision.outcome is Outcome.honest_no and not decision.candidates, decision


def test_a_registration_is_a_procedure_only_when_named_by_its_event(kb: KnowledgeBase) -> None:
    """«离婚|登记» is one procedure; «那边|登记», «出生日期|登记错了» are where and what is written."""

    def documents(text: str) -> list[str]:
        searched = searched_text(kb, text)
        return document_terms(kb, searched, naming_terms(kb, searched))

    assert documents("那离婚登记去哪办") == ["离婚登记"]
    assert documents("想领养一个孩子，收养登记去哪办") == ["收养登记"]
    assert documents("户口本上我的出生日期登记错了，还能改不") == []
    assert documents("老公是外地户口，我们能在这边登记吗") == []
    assert documents("买房的契税怎么交") == ["契税"]
    assert documents("这个要交税吗") == []


def test_a_document_ended_or_changed_is_not_sought(resolver: Resolver) -> None:
    """«营业执照注销»: the 营业执照 is held and to be cancelled; the deregistration items are
    named after the business, not the document, and are still what is asked about."""
    decision = resolver.decide(Turn("营业执照注销要什么材料"))
    found = [decision.item] if decision.item is not None else list(decision.candidates)
    assert found and all("注销" in item.name for item in found), decision


def test_a_variant_of_the_procedure_discussed_is_picked_by_the_word_it_adds(resolver: Resolver) -> None:
    """企业简易注销登记 only adds 简易 to 企业注销登记: «简易的那个» after it is that one."""
    decision = resolver.decide(
        Turn(
            "简易的那个要多久",
            current_item="enterprise_licensing.enterprise_deregistration",
            last_question=QuestionType.steps,
        )
    )
    simplified = "enterprise_licensing.enterprise_simplified_deregistration"
    assert decision.item is not None and decision.item.id == simplified
    assert decision.question is QuestionType.time_limit


def test_a_case_told_about_the_item_discussed_is_no_unknown_matter(resolver: Resolver) -> None:
    """«夫妻店» is written nowhere in the guide, but «就个体户，夫妻店» asks nothing new: it says
    which case the item discussed is about, and the question asked before stands."""
    current = "enterprise_licensing.individual_business_registration"
    decision = resolver.decide(Turn("就个体户，夫妻店", current_item=current, last_question=QuestionType.fee))
    assert decision.item is not None and decision.item.id == current, decision
    assert decision.question is QuestionType.fee
    # a short question naming a noun the guide never writes still gets an honest no
    assert resolver.decide(Turn("烟草专卖零售许可证怎么办", current_item=current)).item is None


def test_a_correction_written_with_spaces_drops_what_it_takes_back(resolver: Resolver) -> None:
    """«不是注销 我说的是卖给别人了 要过户到买家名下»: a space ends the negated clause as a comma
    does, so 注销 is not searched for and 企业注销 is not the sibling."""
    assert (
        without_negated("不是注销 我说的是卖给别人了 要过户到买家名下")
        == "我说的是卖给别人了 要过户到买家名下"
    )
    turn = Turn(
        "不是注销 我说的是卖给别人了 要过户到买家名下",
        current_item="transport.vehicle_deregistration",
        last_question=QuestionType.materials,
        previous_text="车卖了 注销登记要带什么",
    )
    decision = resolver.decide(turn)
    assert decision.item is not None and decision.item.id == "transport.vehicle_transfer", decision


def test_a_noun_beside_a_name_written_out_is_the_citizens_case(resolver: Resolver) -> None:
    """厂子 is never written in the guide, but 失业登记 is written out: the case, not the matter."""
    decision = resolver.decide(Turn("厂子倒闭了 我现在没活干 失业登记要去哪登"))
    assert decision.item is not None and decision.item.id == "employment.unemployment_registration"


@pytest.mark.parametrize(
    ("current", "text"),
    [("housing.new_commercial_housing_registration", "契税发票要原件吗"),
     ("social_security.work_injury_recognition", "要准备什么 医院的病历行不行")],
)  # fmt: skip
def test_whether_to_bring_the_citizens_own_papers_is_about_the_current_item(
    resolver: Resolver, current: str, text: str
) -> None:
    decision = resolver.decide(Turn(text, current_item=current, previous_text="这个要什么资料"))
    assert decision.item is not None and decision.item.id == current, decision
    assert decision.question is QuestionType.materials


def test_whether_a_copy_will_do_is_asked_of_the_current_items_papers(resolver: Resolver) -> None:
    """租房合同 names 住房租赁登记备案, but «给复印件行吗» asks about the papers of the item at hand."""
    decision = resolver.decide(
        Turn(
            "新地址的租房合同给复印件行吗", current_item="enterprise_licensing.enterprise_change_registration"
        )
    )
    assert (
        decision.item is not None
        and decision.item.id == "enterprise_licensing.enterprise_change_registration"
    )
    assert decision.question is QuestionType.materials


def test_what_happened_to_a_document_is_no_unknown_matter(resolver: Resolver) -> None:
    """泡水 is never written in the guide; it tells what happened to the 房本."""
    decision = resolver.decide(Turn("自家房本泡水烂了 换个新的要交多少钱"))
    assert "housing.real_estate_certificate_reissue" in [c.id for c in decision.candidates] + [
        decision.item.id if decision.item else ""
    ], decision


def test_a_temporary_matter_of_the_moment_is_no_temporary_document(resolver: Resolver) -> None:
    """«我临时有事» says nothing of 临时居民身份证."""
    decision = resolver.decide(
        Turn("我临时有事 明天能去办吗", current_item="certificates.id_card_renewal", previous_text="换证多久")
    )
    assert decision.item is not None and decision.item.id == "certificates.id_card_renewal", decision


def test_a_matter_named_by_letters_the_guide_never_writes_leaves_the_item(resolver: Resolver) -> None:
    decision = resolver.decide(
        Turn("ETC在哪办", current_item="transport.vehicle_plate_reissue", previous_text="补牌要多久")
    )
    assert decision.outcome is Outcome.honest_no, decision


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        # a document the citizen already holds, said after it, or people hired or counted
        ("宝宝上周出生的 出生证明拿到了 报户口要带啥", "certificates.birth_registration"),
        ("我们公司想申请施工总承包三级资质听说现在改革了不知道要几个建造师社保要交多久到底要什么条件",
         "qualification.construction_enterprise_qualification"),
        # «我不是要开证明»: what is not meant is not searched
        ("不是 我不是要开证明 是学籍上娃儿名字录错了一个字 要改 在哪改", "education.student_status_change"),
        # a teacher who tells the citizen what to do is no 教师 document sought
        ("学校老师喊我给娃娃开个学籍证明 我们在山上种烤烟 不懂这些 开这个要带什么",
         "education.student_status_certificate"),
    ],
)  # fmt: skip
def test_documents_held_or_people_counted_are_not_documents_sought(
    resolver: Resolver, text: str, meant: str
) -> None:
    decision = resolver.decide(Turn(text))
    found = [decision.item] if decision.item else list(decision.candidates)
    assert meant in {item.id for item in found if item}, decision


@pytest.mark.parametrize(
    ("text", "meant"),
    [("在这边打工三年了 居住证该签注了 派出所礼拜天开门不 平时要上班",
      "certificates.residence_permit_endorsement"),
     ("公司搬到这个区了 安全生产许可证的事想先打电话问问 电话多少",
      "qualification.construction_safety_production_license")],
)  # fmt: skip
def test_a_long_first_message_is_answered_by_the_item_its_asking_clause_names(
    resolver: Resolver, text: str, meant: str
) -> None:
    decision = resolver.decide(Turn(text))
    assert decision.outcome is Outcome.answer and decision.item is not None, decision
    assert decision.item.id == meant and decision.extra.get("asking_clause") == 1.0


def test_an_asking_clause_naming_a_matter_the_guide_lacks_answers_nothing(resolver: Resolver) -> None:
    """«法律援助在哪申请» read alone finds a neighbour; the whole message names what the guide lacks."""
    decision = resolver.decide(Turn("包工头不认账 想请个律师又没钱 法律援助在哪申请"))
    assert decision.outcome is not Outcome.answer, decision


@pytest.mark.parametrize(
    ("text", "current", "meant"),
    [
        # the matter discussed is settled; what follows names another
        ("复审知道了 我还想新考一个高处作业证 要什么条件",
         "qualification.special_operation_certificate_review", "qualification.special_operation_certificate"),
        ("养老保险转移清楚了 那医保关系怎么转过来", "social_security.pension_transfer",
         "healthcare.medical_insurance_transfer"),
        ("身份证的事我晓得了 户口本上名字写错了一个字 咋改", "certificates.id_card_reissue",
         "certificates.hukou_registration_change"),
        # …or asks about the same item, or another procedure of the same document
        ("材料弄好了交到哪个窗口", "qualification.labor_dispatch_license",
         "qualification.labor_dispatch_license"),
        ("卡早就拿到了 一直没激活 用不了", "social_security.ss_card_application",
         "social_security.ss_card_activation"),
    ],
)  # fmt: skip
def test_a_settled_matter_is_not_answered_again_for_what_follows(
    resolver: Resolver, text: str, current: str, meant: str
) -> None:
    decision = resolver.decide(Turn(text, current_item=current, previous_text="怎么办"))
    assert decision.item is not None and decision.item.id == meant, decision


@pytest.mark.parametrize(
    ("text", "rest"),
    [("护照那个整明白了 那签证呢", "那签证呢"), ("执照搞好了还想顺便卖烟", "还想顺便卖烟"),
     ("居住证办下来以后 能办老年卡不", "能办老年卡不"), ("认定下来后 厂里能领补贴吗", "厂里能领补贴吗"),
     ("户口的事先放一下 法律援助去哪申请", "法律援助去哪申请"),
     ("拿到出生证以后上户口要带啥", "上户口要带啥"), ("办好以后上哪领证", None),
     ("明白了", None), ("登记完了网上能查到吗", None), ("身份证丢了怎么补", None),
     ("我想问一下护照怎么办", None)],
)  # fmt: skip
def test_an_opening_clause_that_settles_the_matter_is_told_apart(text: str, rest: str | None) -> None:
    assert after_settled(text) == rest


@pytest.mark.parametrize(
    ("text", "current"),
    [("改名先放一下 他爸一直不给抚养费 法院判了也不给 我去哪申请强制执行",
      "certificates.hukou_registration_change"),
     ("托管那个清楚了 孩子在学校买的学平险 摔伤了理赔找谁", "education.after_school_service"),
     # 户口 is in the certificate's wording, but names other items («上户口» asks 出生登记)
     ("拿到出生证以后上户口要带啥", "healthcare.birth_medical_certificate_first_issue"),
     # a matter the guide lacks told beside what names another item («报废» of 机动车注销登记)
     ("家里那辆开了十几年的面包车也不想要了 准备拉去报废 车管所那边手续咋弄",
      "transport.driving_license_renewal")],
)  # fmt: skip
def test_a_turn_to_another_matter_never_gets_the_current_items_answer(
    resolver: Resolver, text: str, current: str
) -> None:
    decision = resolver.decide(Turn(text, current_item=current, previous_text="怎么办"))
    assert decision.item is None or decision.item.id != current, decision


def test_a_name_written_out_beats_the_characters_it_shares_with_a_button(resolver: Resolver) -> None:
    """«生育津贴» shares 生育 with 生育医疗费用支付, but names 生育津贴支付 in full."""
    offered = (
        "healthcare.maternity_medical_expense_payment",
        "healthcare.newborn_medical_insurance_enrollment",
    )
    decision = resolver.decide(Turn("那生育津贴呢", last_question=QuestionType.benefit, offered=offered))
    assert decision.item is not None and decision.item.id == "healthcare.maternity_allowance", decision


def test_that_x_puts_x_in_the_place_of_the_current_item_in_the_previous_question(resolver: Resolver) -> None:
    """«医保呢» after «公积金也要转 咋弄» asks «医保也要转 咋弄»: 医保关系转移, not 参保."""
    decision = resolver.decide(
        Turn("医保呢", current_item="housing.provident_fund_account_transfer",
             previous_text="公积金也要转 咋弄", last_question=QuestionType.steps)
    )  # fmt: skip
    assert decision.item is not None and decision.item.id == "healthcare.medical_insurance_transfer", decision


@pytest.mark.parametrize(
    ("text", "meant"),
    [("大学毕业证也丢了 能一起办吗", None),  # a grade the item is not for: not it
     ("高中的也丢了 一样吗", "education.graduation_certificate_loss")],
)  # fmt: skip
def test_a_grade_the_current_item_is_not_for_leaves_it(
    resolver: Resolver, text: str, meant: str | None
) -> None:
    decision = resolver.decide(
        Turn(
            text,
            current_item="education.graduation_certificate_loss",
            previous_text="初中毕业证丢了 要啥材料",
        )
    )
    assert (decision.item.id if decision.item else None) == meant, decision


@pytest.mark.parametrize("text", ["他妹上初二 那能给多少", "老二明年上初一 也能领这个吗"])
def test_a_school_year_names_its_level(resolver: Resolver, text: str) -> None:
    """«初二» is 初中: not a question about 高中阶段国家助学金 being discussed."""
    decision = resolver.decide(
        Turn(text, current_item="education.high_school_national_grant",
             previous_text="孩子考上县一高了 国家助学金一年能给多少", last_question=QuestionType.benefit)
    )  # fmt: skip
    assert decision.item is None or decision.item.id != "education.high_school_national_grant", decision


@pytest.mark.parametrize(
    ("text", "rest"),
    [("登记完了失业金还得另外申请吗", "失业金还得另外申请吗"), ("认定完了一年能报多少", "一年能报多少"),
     ("好了", None), ("登记完了", None), ("好了 那要多少钱", None)],
)  # fmt: skip
def test_what_follows_an_opening_done_is_told_apart(text: str, rest: str | None) -> None:
    assert after_done(text) == rest


@pytest.mark.parametrize(
    ("text", "current", "meant"),
    [("登记完了失业金是不是还得另外申请 申请失业金要带些啥", "employment.unemployment_registration",
      "employment.unemployment_insurance_benefit"),
     ("认定完了一年能报多少", "healthcare.chronic_special_disease_recognition",
      "healthcare.chronic_special_disease_recognition")],
)  # fmt: skip
def test_straight_on_from_an_item_done_to_another_named_outright(
    resolver: Resolver, text: str, current: str, meant: str
) -> None:
    assert _item_meant(resolver, text, current) == meant


@pytest.mark.parametrize(
    ("text", "current", "meant"),
    [("是给我店里新招的两个服务员登记 我是老板", "employment.individual_employment_registration",
      "employment.employer_labor_filing"),
     ("我是老板 店里两个员工的养老保险咋交", "social_security.flexible_employment_pension",
      "social_security.employee_enrollment"),
     # the owner asking about himself, and a worker whose boss sent him: the item for oneself
     ("我是老板 自己的就业登记也要办吗", "employment.individual_employment_registration",
      "employment.individual_employment_registration"),
     ("我是服务员 老板让我自己去登记 在哪办", "employment.individual_employment_registration",
      "employment.individual_employment_registration")],
)  # fmt: skip
def test_an_employer_doing_the_matter_for_staff_gets_the_employers_item(
    resolver: Resolver, text: str, current: str, meant: str
) -> None:
    assert _item_meant(resolver, text, current, previous_text="就业登记咋办") == meant


@pytest.mark.parametrize(
    ("text", "current", "meant"),
    [("证是三年前考到的 老板说到时间了要再去审一道 要带啥子", "qualification.special_operation_certificate",
      "qualification.special_operation_certificate_review"),
     ("本本还在的 就是上头写的有效期下个月就到了 要交好多钱", "transport.driving_license_reissue",
      "transport.driving_license_renewal"),
     ("证是有的 考了快六年了 上面说到时间要去审一下", "qualification.special_operation_certificate",
      "qualification.special_operation_certificate_review")],
)  # fmt: skip
def test_a_document_running_out_is_renewed_as_the_guide_calls_it(
    resolver: Resolver, text: str, current: str, meant: str
) -> None:
    """Said without «到期»: the item of the same document for renewal (复审, 换证)."""
    assert _item_meant(resolver, text, current, previous_text="要带啥") == meant


def test_what_happened_to_the_document_picks_its_item_beyond_the_buttons(resolver: Resolver) -> None:
    """«有效期眼看就到了» after 首次申领, 补领 and 临时身份证 were offered: none of them renews,
    the same document's 换领 does."""
    offered = (
        "certificates.id_card_first_application",
        "certificates.id_card_reissue",
        "certificates.temporary_id_card",
    )
    decision = resolver.decide(
        Turn("卡在我手上呢 背面有效期写到今年十二月 眼看就到了", intent="out_of_scope",
             last_question=QuestionType.materials, offered=offered)
    )  # fmt: skip
    assert decision.item is not None and decision.item.id == "certificates.id_card_renewal", decision


def test_how_much_a_subsidy_named_gives_is_its_benefit(resolver: Resolver) -> None:
    """«补贴» in the name tells that «有多少钱» asks the sum paid, not a fee."""
    decision = resolver.decide(Turn("我刚刚开了个档口 是个体户 一次性创业补贴有多少钱"))
    assert decision.item is not None and decision.item.id == "employment.one_time_startup_subsidy"
    assert decision.question is QuestionType.benefit, decision


def _item_meant(resolver: Resolver, text: str, current: str, previous_text: str = "怎么办") -> str | None:
    """The item answered for `text` while `current` is being discussed."""
    decision = resolver.decide(Turn(text, current_item=current, previous_text=previous_text))
    return decision.item.id if decision.item else None


@pytest.mark.parametrize(
    ("text", "current", "matter"),
    [
        # the guide writes 低保 only as who qualifies for other items (低保户, 低保对象)
        ("低保怎么申请", None, "minimum_living_allowance"),
        ("那低保咋申请", "healthcare.medical_assistance", "minimum_living_allowance"),
        # told in a longer message, after an item whose guide mentions the matter
        (
            "银行又说最好去公证处办个继承公证 那个公证在哪办 收多少钱",
            "certificates.household_register_certificate",
            "notarization",
        ),
        ("许可证那个整明白了 服务员那健康证上哪儿办去 多少钱", "enterprise_licensing.food_business_license",
         "health_certificate"),
        # the clause that asks names no thing, so the clause before it tells what it is about
        ("我以前无偿献过好几回血 现在我爸住院用了血 能报销不 找谁", "social_security.rights_record_query",
         "blood_donor_reimbursement"),
        ("养狗登记在哪办", "housing.property_service_complaint", "dog_registration"),
        # the clause that asks points back at the clause naming it
        ("我同事考的是一级消防工程师 他那个注册也能在这办吗",
         "qualification.registered_safety_engineer_registration", "other_professional_exams"),
        # two clauses that name no thing, after the one that names it
        ("他还有个残疾证 是不是也要交回去 交到哪", "certificates.death_hukou_cancellation",
         "disability_certificate"),
        ("那老年人免费体检在哪里做", "healthcare.chronic_special_disease_recognition",
         "elderly_health_checkup"),
    ],
)  # fmt: skip
def test_a_matter_outside_the_guide_is_referred(
    resolver: Resolver, text: str, current: str | None, matter: str
) -> None:
    decision = resolver.decide(Turn(text, current_item=current, previous_text="怎么办" if current else ""))
    assert decision.outcome is Outcome.honest_no and decision.how == "outside", decision
    assert decision.referral is not None and decision.referral.id == matter


@pytest.mark.parametrize(
    ("text", "current", "item"),
    [
        # who the citizen is, beside the item the clause names
        ("我爸是低保 这次住院自费的部分好几万 医疗救助能救多少", None, "healthcare.medical_assistance"),
        ("家里是低保户，孩子在读初二，听说学校有生活补助，一年能给多少", None,
         "education.compulsory_living_subsidy"),
        # whether the item discussed needs it, which its guide answers
        ("员工要健康证吗", "enterprise_licensing.food_business_license",
         "enterprise_licensing.food_business_license"),
        # what a paper of the guide is needed for, the paper being asked about
        ("办签证要医保参保证明 在哪里打印", None, "healthcare.insurance_record_query_and_certificate"),
        # 签注 is no visa
        ("港澳通行证签注在哪办", None, "certificates.hk_macau_permit"),
    ],
)  # fmt: skip
def test_an_outside_matter_told_as_the_case_leaves_the_item(
    resolver: Resolver, text: str, current: str | None, item: str
) -> None:
    decision = resolver.decide(Turn(text, current_item=current, previous_text="怎么办" if current else ""))
    assert decision.item is not None and decision.item.id == item, decision


def test_another_matter_to_be_done_too_leaves_the_item(resolver: Resolver) -> None:
    """«养老保险也得跟着转吧» after 医保关系转移: 养老保险 names other items, not the current one."""
    decision = resolver.decide(
        Turn("养老保险也得跟着转吧 要带啥", current_item="healthcare.medical_insurance_transfer",
             previous_text="换工作去外省了 医保咋转过去")
    )  # fmt: skip
    assert decision.item is None or decision.item.id != "healthcare.medical_insurance_transfer", decision
    assert "social_security.pension_transfer" in [c.id for c in decision.candidates] or (
        decision.item is not None and decision.item.id == "social_security.pension_transfer"
    ), decision


@pytest.mark.parametrize("text", ["要不要带结婚证", "需要带结婚证吗", "委托书要公证吗"])
def test_whether_a_paper_is_needed_is_no_question_about_the_outside_matter(
    resolver: Resolver, text: str
) -> None:
    decision = resolver.decide(
        Turn(text, current_item="certificates.id_card_reissue", previous_text="补办身份证")
    )
    assert decision.how != "outside", decision


def test_the_app_the_item_is_done_on_names_no_other_item(resolver: Resolver) -> None:
    """«12123上能弄不» after 驾驶证期满换证: other items' wording writes 12123 too."""
    decision = resolver.decide(
        Turn(as_mandarin("12123上能弄不"), current_item="transport.driving_license_renewal",
             previous_text="驾照快到期了 换证要带么东西")
    )  # fmt: skip
    assert decision.item is not None and decision.item.id == "transport.driving_license_renewal", decision
    assert decision.question is QuestionType.online


def test_a_document_said_not_to_be_needed_names_no_matter(resolver: Resolver) -> None:
    """«听说不用办许可证 备个案就行»: the filing, not the licence the citizen says is not needed."""
    text = as_mandarin("我开了个小卖部 只卖包装好的零食饮料 听说不用办许可证 备个案就行 么样弄")
    decision = resolver.decide(Turn(text))
    assert decision.outcome is Outcome.answer, decision
    assert decision.item is not None and decision.item.id == "enterprise_licensing.prepackaged_food_filing"
    assert decision.question is QuestionType.steps


@pytest.mark.parametrize(
    ("text", "earlier"),
    [
        # one of the items retrieval offers
        ("认定能在网上申请吗", "education.teacher_qualification"),
        # every word that names something is in its names (抵押权注销登记)
        ("注销要交钱没有", "housing.mortgage_cancellation_registration"),
        # 医保电子凭证激活, found for «医保…手机上», never writes 备案
        ("那医保备案手机上能弄不", "healthcare.cross_province_medical_filing"),
    ],
)
def test_after_an_honest_no_the_item_discussed_before_is_named_again(
    resolver: Resolver, text: str, earlier: str
) -> None:
    decision = resolver.decide(Turn(text, earlier_item=earlier))
    assert decision.item is not None and decision.item.id == earlier, decision


@pytest.mark.parametrize("text", ["营业执照注销要钱吗", "那公证要多少钱", "要多少钱"])
def test_after_an_honest_no_another_matter_or_nothing_named_is_not_the_earlier_item(
    resolver: Resolver, text: str
) -> None:
    decision = resolver.decide(Turn(text, earlier_item="housing.mortgage_cancellation_registration"))
    assert decision.item is None or decision.item.id != "housing.mortgage_cancellation_registration", decision


def _decided(resolver: Resolver, text: str, **context: object) -> tuple[str | None, QuestionType]:
    decision = resolver.decide(Turn(as_mandarin(text), **context))  # type: ignore[arg-type]
    return (decision.item.id if decision.item else None), decision.question


def test_whose_district_it_is_names_no_matter(resolver: Resolver) -> None:
    """«他是本区的 我在隔壁县»: whose district, not a matter the guide lacks (本区 was read as one)."""
    item, question = _decided(resolver, "要得 那结完婚户口想迁到老公那边 他是本区的 我在隔壁县 咋个办")
    assert (item, question) == ("certificates.hukou_move_in", QuestionType.steps)


def test_asking_to_be_told_names_nothing(resolver: Resolver) -> None:
    """«给说说» drew retrieval to nothing; without it, the unemployment items are offered."""
    decision = resolver.decide(Turn(as_mandarin("额失业了 这咋弄呀 给说说")))
    assert decision.outcome is Outcome.clarify, decision
    assert "employment.unemployment_registration" in [c.id for c in decision.candidates]


def test_the_grade_asked_finds_the_same_kind_of_item_for_it(resolver: Resolver) -> None:
    """«娃儿在读高一 一年能领好多» after 义务教育…生活补助 (初中生活补助): 高中…助学金."""
    item, question = _decided(
        resolver, "娃儿在读高一 一年能领好多", current_item="education.compulsory_living_subsidy",
        previous_text="家里困难 娃儿读书有啥子补助没得",
    )  # fmt: skip
    assert (item, question) == ("education.high_school_national_grant", QuestionType.benefit)


@pytest.mark.parametrize(
    ("text", "current", "question"),
    [
        # «就是想…» explains the matter discussed; it states no new wish
        (
            "就是想把账户里存的钱取出来凑首付 要啥材料",
            "housing.provident_fund_purchase_withdrawal",
            QuestionType.materials,
        ),
        # 马 typed for 吗
        ("手机上能给他办马", "healthcare.newborn_medical_insurance_enrollment", QuestionType.online),
        # the elders and what they cannot do are the citizen's case
        (
            "可以幫家裡長輩啟用嗎 他們不太會用手機",
            "healthcare.medical_insurance_e_voucher_activation",
            QuestionType.eligibility,
        ),
    ],
)
def test_details_of_the_case_stay_with_the_item(
    resolver: Resolver, text: str, current: str, question: QuestionType
) -> None:
    assert _decided(resolver, text, current_item=current, previous_text="怎么办") == (current, question)


def test_a_record_asked_with_the_items_name_stays_a_record(resolver: Resolver) -> None:
    """«继续教育学时在哪查»: the hours done are looked up (record), not the office's address."""
    item, question = _decided(resolver, "继续教育学时在哪查 怕不够")
    assert (item, question) == ("qualification.professional_continuing_education", QuestionType.record)


def test_a_bare_amount_of_an_item_paid_into_is_its_fee(resolver: Resolver) -> None:
    """«就是居民那种 一年多少钱» about 城乡居民医保参保: what it costs; «失业金一个月多少» is paid out."""
    offered = (
        "healthcare.resident_medical_insurance_enrollment",
        "healthcare.employee_medical_insurance_enrollment",
    )
    item, question = _decided(
        resolver, "我没单位 种地的 就是居民那种 一年多少钱", offered=offered,
        previous_text="想交个医保 咋交啊", last_question=QuestionType.steps,
    )  # fmt: skip
    assert (item, question) == ("healthcare.resident_medical_insurance_enrollment", QuestionType.fee)
    assert _decided(resolver, "失业金一个月多少")[1] is QuestionType.benefit


def test_a_switch_word_before_a_question_about_nothing_goes_on(resolver: Resolver) -> None:
    """«那流程是怎样的 先找这边学校还是先找老家学校» after 转学: 那 opens no other matter."""
    item, question = _decided(
        resolver, "那流程是怎样的 先找这边学校还是先找老家学校",
        current_item="education.compulsory_school_transfer",
        previous_text="孩子下学期要从老家转学过来 要准备啥",
    )  # fmt: skip
    assert (item, question) == ("education.compulsory_school_transfer", QuestionType.steps)


def test_a_procedure_asked_for_by_name_is_offered_when_the_best_item_lacks_it(resolver: Resolver) -> None:
    """«…公司不想开了 要注销怎么搞»: the story finds 歇业备案, but 注销 is 企业注销登记's."""
    decision = resolver.decide(Turn(as_mandarin("生意不好做 公司不想开了 要注销怎么搞")))
    assert decision.outcome is Outcome.clarify, decision
    assert decision.candidates[0].id == "enterprise_licensing.enterprise_deregistration"
    # said as what the citizen does not want, it points nowhere else
    kept = resolver.decide(Turn(as_mandarin("生意不好想停半年 不想注销")))
    assert kept.item is not None and kept.item.id == "enterprise_licensing.business_suspension_filing"


def test_the_grade_asked_keeps_to_the_same_kind_of_item(resolver: Resolver) -> None:
    """«那老二呢 在镇上读初一 学校发的那个生活补助» after 生源地助学贷款 (大学): not 初中入学,
    which only shares the grade; the living subsidy the words name."""
    item, _ = _decided(
        resolver, "那老二呢 在镇上读初一 学校发的那个生活补助", current_item="education.student_loan_origin",
        previous_text="老大考上省城的大学了 生源地助学贷款一年最多能贷多少",
        last_question=QuestionType.benefit,
    )  # fmt: skip
    assert item == "education.compulsory_living_subsidy"


def test_a_question_alias_does_not_take_the_citizens_own_question_words(resolver: Resolver) -> None:
    """«生育津贴怎么领»: 怎么领 is the citizen's, though the alias «休产假的钱怎么领» holds it too."""
    assert _decided(resolver, "老婆刚生完 生育津贴怎么领") == (
        "healthcare.maternity_allowance",
        QuestionType.steps,
    )


def test_a_wish_explained_about_the_item_discussed_asks_how(resolver: Resolver) -> None:
    """«不急着补新的 是想先停用了他» after 社会保障卡挂失: how to do the item being discussed."""
    item, question = _decided(
        resolver, "唔急住补新嘅 系想先停用咗佢 惊俾人乱刷",
        current_item="social_security.ss_card_loss_report",
        previous_text="社保卡唔见咗 点算啊", last_question=QuestionType.steps,
    )  # fmt: skip
    assert (item, question) == ("social_security.ss_card_loss_report", QuestionType.steps)


@pytest.mark.parametrize(
    ("text", "question"),
    [
        # a wish told with no question asks how, DIET's unsure «overview» notwithstanding
        ("我去年本科刚毕业 在设计院上班 想先弄个助理级的", QuestionType.steps),
        # a wish with a question of its own keeps DIET's reading
        ("想开个职业中介，得办啥许可", QuestionType.overview),
    ],
)
def test_a_wish_told_without_a_question_asks_how(text: str, question: QuestionType) -> None:
    assert question_for(Turn(text, intent="ask_overview", last_question=QuestionType.steps)) is question


def test_an_item_pointed_back_at_is_answered_past_the_one_discussed(resolver: Resolver) -> None:
    """«刚才那个身份证 换的话多少天能拿到手» after 身份证换领 and then 户口簿: the earlier item,
    by a word of its name; «刚才那个要多少钱» names nothing to tell them apart by."""
    discussed = ("certificates.hukou_booklet_reissue", "certificates.id_card_renewal")
    context = {"current_item": discussed[0], "discussed": discussed, "last_question": QuestionType.materials}
    item, question = _decided(resolver, "刚才那个身份证 换的话多少天能拿到手", **context)
    assert (item, question) == ("certificates.id_card_renewal", QuestionType.time_limit)
    assert _decided(resolver, "刚才那个要多少钱", **context) == (discussed[0], QuestionType.fee)
    item, _ = _decided(
        resolver, "回到贷款那个 利息国家能贴多少", current_item="employment.one_time_startup_subsidy",
        discussed=("employment.one_time_startup_subsidy", "employment.startup_guarantee_loan"),
    )  # fmt: skip
    assert item == "employment.startup_guarantee_loan"


def test_a_procedure_on_another_document_is_no_detail_of_the_item(resolver: Resolver) -> None:
    """«他户口还冇销 销户口要带么子» after 丧葬补助金 was answered with its materials."""
    decision = resolver.decide(
        Turn(
            as_mandarin("他户口还冇销 销户口要带么子"),
            current_item="social_security.funeral_and_survivor_benefit",
            last_question=QuestionType.benefit,
        )
    )
    assert decision.item is None or decision.item.id != "social_security.funeral_and_survivor_benefit"
    found = [c.id for c in (decision.item, *decision.candidates) if c]
    assert "certificates.death_hukou_cancellation" in found


def test_what_did_not_happen_picks_no_button(resolver: Resolver) -> None:
    """«冇丢 是到期哒» after 补领 alone was offered: not lost, expired, so 换领."""
    offered = ["certificates.id_card_reissue"]
    item, _ = _decided(resolver, "冇丢 是到期哒", offered=offered, last_question=QuestionType.materials)
    assert item == "certificates.id_card_renewal"


def test_the_case_told_read_with_the_question_beats_a_weak_button(resolver: Resolver) -> None:
    """«就是个体户 一个卖衣服的小门面» after «准备注销» was offered 企业注销 and 歇业备案: 个体户
    shares a word with 歇业备案's aliases, but with the question it names 个体工商户注销登记."""
    item, _ = _decided(
        resolver, "就是个体户 一个卖衣服的小门面", previous_text="生意做不下去了 准备注销 要怎么弄",
        offered=["enterprise_licensing.enterprise_deregistration",
                 "enterprise_licensing.business_suspension_filing"],
        last_question=QuestionType.steps,
    )  # fmt: skip
    assert item == "enterprise_licensing.individual_business_deregistration"


def test_that_x_after_a_button_is_about_x(resolver: Resolver) -> None:
    """«那上户口呢» after 出生医学证明 was offered: not read into the question before."""
    decision = resolver.decide(
        Turn(
            "那上户口呢", previous_text="刚生了二胎 出生医学证明去哪办", last_question=QuestionType.location,
            offered=["healthcare.birth_medical_certificate_first_issue"],
        )
    )  # fmt: skip
    found = [c.id for c in (decision.item, *decision.candidates) if c]
    assert found and "healthcare.birth_medical_certificate_first_issue" not in found


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        (
            "不是问材料 是问要几天才开得出来 厂里等着要",
            "education.graduation_certificate_loss",
            QuestionType.time_limit,
        ),
        (
            "不是问带哪样 是问补好要等几天 我天天要跑车",
            "transport.vehicle_plate_reissue",
            QuestionType.time_limit,
        ),
        # without «是» before the question asked; a 不能 of «能不能» names nothing
        ("我不是问带啥 问周末能弄不 平时跑单没空", "transport.vehicle_inspection_mark", QuestionType.hours),
        (
            "我不是问咋办 我是问手机上能不能重置 不想跑一趟",
            "social_security.ss_card_activation",
            QuestionType.online,
        ),
        (
            "不是 我是想问他够不够格 男的五十二 失业一年多了",
            "employment.employment_difficulty_identification",
            QuestionType.eligibility,
        ),
    ],
)
def test_a_correction_of_the_question_alone_keeps_the_item(
    resolver: Resolver, text: str, current: str, expected: QuestionType
) -> None:
    """«不是问材料 是问要几天»: the same item, another question (it was an honest no)."""
    assert _decided(resolver, text, current_item=current, last_question=QuestionType.materials) == (
        current,
        expected,
    )
    # a question about another matter is no correction of the question alone
    other = _decided(resolver, "不是问材料 是问结婚证要多少钱", current_item=current)
    assert other[0] != current


def test_a_short_that_x_with_more_told_keeps_the_question(resolver: Resolver) -> None:
    """«医保呢 也是在那边交的» after 养老保险转移 was answered with 养老保险 again."""
    item, question = _decided(
        resolver, "医保呢 也是在那边交的", current_item="social_security.pension_transfer",
        previous_text="在浙江厂里干了六年 现在回贵州老家了 那边交的养老保险咋个转回来",
        last_question=QuestionType.steps,
    )  # fmt: skip
    assert (item, question) == ("healthcare.medical_insurance_transfer", QuestionType.steps)


def test_the_case_an_item_is_for_told_alone_goes_on_with_it(resolver: Resolver) -> None:
    """«他们两个从来没办过这个证» after 往来港澳通行证签发: first issue is what it is for;
    asked with another document named («护照第一次办得准备啥»), it is not."""
    current = {"current_item": "certificates.hk_macau_permit", "last_question": QuestionType.steps}
    assert _decided(resolver, "他们两个从来没办过这个证", **current) == (
        "certificates.hk_macau_permit",
        QuestionType.steps,
    )
    item, _ = _decided(
        resolver,
        "对了我闺女九月去英国读书 护照第一次办得准备啥",
        current_item="certificates.temporary_id_card",
    )
    assert item != "certificates.temporary_id_card"


def test_an_alias_that_is_a_question_asks_it_beside_the_case(resolver: Resolver) -> None:
    """«一家三口租房住 两口子工资都不高 公租房怎么申请»: the alias «公租房怎么申请» asks how."""
    assert _decided(resolver, "一家三口租房住 两口子工资都不高 公租房怎么申请") == (
        "housing.public_rental_housing_application",
        QuestionType.steps,
    )


@pytest.mark.parametrize(
    "text",
    ["在城里买了房 想把户口从老家县里迁过来 需要走什么流程",
     "我送外卖的 社保是自己交的 听说灵活就业的能补贴一部分 要怎么申请",
     "我 彝族 刚从山上下来 没有工作 想找工作 哪里可以介绍"],
)  # fmt: skip
def test_where_who_and_how_much_are_the_citizens_case(resolver: Resolver, text: str) -> None:
    """县里, 彝族 and 一部分 were read as matters the guide lacks (an honest no)."""
    decision = resolver.decide(Turn(as_mandarin(text)))
    assert decision.outcome is not Outcome.honest_no, decision


def test_what_happened_is_remedied_by_the_item_found_when_the_current_has_none(resolver: Resolver) -> None:
    """«户口本很旧了 烂了 能换新的吗» after 户口登记项目变更: 户口簿补领换领 (it was the current
    item again); «原来那张…弄丢了» after 出生医学证明首次签发 stays with its own 补发."""
    item, _ = _decided(
        resolver, "户口本很旧了 烂了 能换新的吗", current_item="certificates.hukou_registration_change"
    )
    assert item == "certificates.hukou_booklet_reissue"
    item, _ = _decided(
        resolver,
        "原来那张上户口的时候弄丢了",
        current_item="healthcare.birth_medical_certificate_first_issue",
    )
    assert item == "healthcare.birth_medical_certificate_reissue"


def test_the_channel_named_with_its_prefix_is_the_current_items(resolver: Resolver) -> None:
    """«网上可以换不 交管12123那个» after 驾驶证换证: the app the item is done on (交管 was read
    as a matter, and 驾驶人信息变更 answered)."""
    item, question = _decided(
        resolver, "网上可以换不 交管12123那个", current_item="transport.driving_license_renewal",
        last_question=QuestionType.materials,
    )  # fmt: skip
    assert (item, question) == ("transport.driving_license_renewal", QuestionType.online)


def test_another_grade_is_not_the_item_discussed_before(resolver: Resolver) -> None:
    """«那一级建造师注册呢» after 二级建造师注册 (DIET unsure): the guide lacks it."""
    decision = resolver.decide(
        Turn(
            "那一级建造师注册呢", current_item="qualification.second_class_constructor_registration",
            earlier_item="qualification.second_class_constructor_registration",
            previous_text="二级建造师考过了 注册咋弄", last_question=QuestionType.steps,
            intent="nlu_fallback",
        )
    )  # fmt: skip
    assert decision.outcome is Outcome.honest_no, decision


def test_a_matter_the_guide_lacks_named_before_the_asking_clause_is_told_honestly(resolver: Resolver) -> None:
    """«老小区想加装电梯 政府有补贴吗»: the asking clause says only «有补贴吗»; the matter named
    before it is outside the guide, so the honest no, not two unrelated subsidies offered."""
    decision = resolver.decide(Turn(as_mandarin("老小区想加装电梯 政府有补贴吗"), intent="suggestion"))
    assert (decision.outcome, decision.how) == (Outcome.honest_no, "outside")


def test_a_record_question_about_one_matter_is_not_answered_by_another_matters_lookup(
    resolver: Resolver,
) -> None:
    """«护照材料交上去十天了 咋查办好没有» asks after the passport, not 参保记录查询 (the only
    lookup item retrieval found)."""
    item, question = _decided(resolver, "护照材料交上去十天了 咋查办好没有", intent="ask_record")
    assert (item, question) == ("certificates.ordinary_passport", QuestionType.record)


def test_a_word_of_an_earlier_items_name_then_that_one_points_back_at_it(resolver: Resolver) -> None:
    """«补房本儿那个 得多久» after 抵押注销: the item discussed before it, named by a word or
    two and «那个», as northern speakers point back."""
    discussed = ("housing.mortgage_cancellation_registration", "housing.real_estate_certificate_reissue")
    item, question = _decided(
        resolver,
        "补房本儿那个 得多久",
        current_item=discussed[0],
        discussed=discussed,
        previous_text="那房贷还清了 抵押要撤了 带什么",
        last_question=QuestionType.fee,
    )
    assert (item, question) == ("housing.real_estate_certificate_reissue", QuestionType.time_limit)


def test_a_correction_to_a_thing_no_button_is_about_is_read_on_its_own(resolver: Resolver) -> None:
    """«sorry说错了 不是身份证 是户口本丢了» after 身份证 items were offered: what was lost is
    the 户口本, not the 身份证 the buttons replace."""
    offered = (
        "certificates.id_card_reissue",
        "certificates.id_card_renewal",
        "certificates.temporary_id_card",
    )
    item, _ = _decided(
        resolver,
        "sorry说错了 不是身份证 是户口本丢了 HR要的是户口本首页和本人页",
        offered=offered,
        previous_text="HR要我交身份证复印件 翻了半天发现身份证不见了 补办要准备啥 pls",
        last_question=QuestionType.materials,
    )
    assert item == "certificates.hukou_booklet_reissue"


def test_notarising_an_items_paper_is_the_matter_outside_the_guide(resolver: Resolver) -> None:
    """«无犯罪记录公证在哪弄»: notarising the certificate is done by a notary office, which the
    guide lacks; «出国要开无犯罪记录证明 要公证吗» still asks about the certificate."""
    decision = resolver.decide(
        Turn(
            as_mandarin("还有个事 对方HR说最好是公证过的 无犯罪记录公证在哪弄"),
            current_item="certificates.no_criminal_record_certificate",
            previous_text="拿到offer了 新公司背调要一份无犯罪证明 去哪开啊",
        )
    )
    assert (decision.outcome, decision.how) == (Outcome.honest_no, "outside")
    item, _ = _decided(resolver, "出国要开无犯罪记录证明 要公证吗")
    assert item == "certificates.no_criminal_record_certificate"


@pytest.mark.parametrize(
    ("text", "meant"),
    [("我自己在网上接单做设计 没单位 社保全是自己交的 政府能补贴一点吗 要啥条件",
      "employment.flexible_employment_social_insurance_subsidy"),
     ("孩子在老家读初二 下学期想接过来跟我们在这边读 两边学校要准备啥材料", None),
     ("我在街市摆档卖菜 冇单位 想按灵活就业自己交养老 得唔得",
      "social_security.flexible_employment_pension")],
)  # fmt: skip
def test_when_and_the_work_one_does_are_no_matter_the_guide_lacks(
    resolver: Resolver, text: str, meant: str | None
) -> None:
    """«下学期», «做设计»: when, and the citizen's own work, not a matter outside the guide."""
    decision = resolver.decide(Turn(as_mandarin(text)))
    assert decision.how != "unheard_of"
    if meant is not None:
        assert meant in [item.id for item in (decision.item, *decision.candidates) if item is not None]
