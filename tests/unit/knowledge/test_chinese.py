"""Reading what citizens write as standard written Mandarin (knowledge.chinese.as_mandarin)."""

from __future__ import annotations

import pytest

from knowledge.chinese import as_mandarin


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("補辦身份證要帶什麼", "补办身份证要带什么"),
        # Cantonese wording, as Hong Kong and Macau residents write it
        ("要帶咩文件去", "要带什么文件去"),
        ("喺邊度辦", "在哪里办"),
        ("大概幾耐先搞掂", "大概多久才办好"),
        ("可唔可以網上辦", "可不可以网上办"),
        ("我係香港人 想喺呢度開間公司", "我是香港人 想在这里开间公司"),
        ("可唔可以喺手機度搞", "可不可以在手机上搞"),
        ("我阿媽做咗廿幾年 申請養老金要點做", "我妈妈做了二十几年 申请养老金要怎么办"),
        # 係 of 關係 is no Cantonese «is», and Mandarin 系 and 先 stay as written
        ("養老保險關係點樣轉過去", "养老保险关系怎么转过去"),
        ("社保关系怎么转", "社保关系怎么转"),
        ("先交材料还是先预约", "先交材料还是先预约"),
        # Wu wording (Shanghai, Zhejiang), and the Mandarin words it would otherwise touch
        ("阿拉公司勿想做了 要注销脱 哪能弄", "我们公司不想做了 要注销掉 怎么办"),
        ("身份证个事体清爽了 伊户口本上名字打错脱了", "身份证的事情清楚了 他户口本上名字打错了"),
        ("下个号头要用 一个人好补几钿", "下个月要用 一个人好补多少钱"),
        ("伊犁的户口怎么迁", "伊犁的户口怎么迁"),
        ("砍伐树木要什么许可", "砍伐树木要什么许可"),
        # southwestern Mandarin: 哪样, 哪点 and 克 for 去, but not the 克 of weights
        ("户口要克派出所销掉 要带些哪样东西", "户口要去派出所销掉 要带些什么东西"),
        # Sichuan and Chongqing: 啷个 for 怎么, the particle 噻 dropped
        ("要回重庆了 养老保险啷个转回去", "要回重庆了 养老保险怎么转回去"),
        ("看病要先备案噻 啷个备案", "看病要先备案 怎么备案"),
        ("一直没办残疾证 克哪点办", "一直没办残疾证 去哪里办"),
        ("五百克以下的包裹", "五百克以下的包裹"),
        # Hubei, Hunan and Jiangxi: 么样, 么子, 么东西, 伢, 冇得, 哒, 莫, 几多, 搞掉 …
        ("宝宝刚生 医保么样给他交", "宝宝刚生 医保怎么给他交"),
        # Changsha's 哦该 (not before 怎么), 么个 before a verb, 老倌 for the husband
        ("社保卡密码忘记哒 哦该重置", "社保卡密码忘记了 怎么重置"),
        ("哦该怎么办", "哦该怎么办"),
        ("门诊慢性病么个申请", "门诊慢性病怎么申请"),
        ("我老倌腿摔断了", "我老伴腿摔断了"),
        # Shanxi 甚 and 咋介 (not 甚至), Guangxi 我仔 (not 仔细), southwestern 没得单位, 得不得行
        ("要带些甚", "要带些什么"),
        ("转学咋介办", "转学怎么办"),
        ("甚至要跑两趟", "甚至要跑两趟"),
        ("我仔能不能上小学", "我儿子能不能上小学"),
        ("我仔细看了", "我仔细看了"),
        ("没得单位 以前是种地的", "没有单位 以前是种地的"),
        ("缓一年再读 得不得行", "缓一年再读 行不行"),
        # internet fillers dropped, pinyin initials read as the document
        ("家人们sfz要重新弄一张", "身份证要重新弄一张"),
        ("提新车了 yyds 临牌咋弄", "提新车了  临牌咋弄"),
        ("伢子想在这边读小学 要么子条件", "孩子想在这边读小学 要什么条件"),
        ("屋里伢明年上初中了 要准备么东西", "家里孩子明年上初中了 要准备什么东西"),
        ("就是证明我冇得案底的那个 么样开", "就是证明我没有案底的那个 怎么开"),
        ("房贷还清哒 抵押要去注销", "房贷还清了 抵押要去注销"),
        ("先给它冻住 莫让别人刷", "先给它冻住 别让别人刷"),
        ("去社区办 要我拿么离职证明", "去社区办 要我拿什么离职证明"),
        ("身份证搞掉了 能不能补", "身份证弄丢了 能不能补"),
        ("换证要几多钱", "换证要多少钱"),
        # … and the Mandarin 什么, 怎么样, 要么 they must not touch
        ("上户口要带什么东西", "上户口要带什么东西"),
        ("这个怎么样", "这个怎么样"),
        ("要么事先预约", "要么事先预约"),
        ("什么样的人能办", "什么样的人能办"),
        # 好多 and 好久 asking an amount or a time, not «many» or «long» said of what happened
        ("失业金能领好多", "失业金能领多少"),
        ("公证要好多钱", "公证要多少钱"),
        ("要住满好久才能办", "要住满多久才能办"),
        ("排了好久的队", "排了好久的队"),
        ("东西好多啊", "东西好多啊"),
        # a verb-object word split by 个, joined again
        ("听说不用办许可证 备个案就行", "听说不用办许可证 备案就行"),
        ("登个记要多久", "登记要多久"),
        ("一个个体户", "一个个体户"),
        # Cantonese typed in simplified characters: 系 for 是 (not 关系), 点算, 唔该 before a question
        ("社保卡唔见咗 点算啊", "社保卡不见了 怎么办啊"),
        ("本子系有嘅 仲未过期 就系签注用完咗", "本子是有的 还没过期 就是签注用完了"),
        ("佢同我系夫妻关系", "他同我是夫妻关系"),
        ("唔该 想去香港探亲 个证点样办", "麻烦 想去香港探亲 个证怎么办"),
        ("唔该", "谢谢"),
        # Shaanxi, Gansu and Henan: 额 for 我 where a clause opens with it; not 额度, 额外, 金额
        ("额失业了 这咋弄呀", "我失业了 这咋弄呀"),
        ("额滴社保咋查", "我的社保咋查"),
        ("贷款额度多少 额外要交钱吗", "贷款额度多少 额外要交钱吗"),
        # 马 typed for the question particle 吗; not 马上, 马路
        ("手机上能给他办马", "手机上能给他办吗"),
        ("一定要带户口本马", "一定要带户口本吗"),
        ("马上要办 在马路边", "马上要办 在马路边"),
        # Taiwan's 身分證, which t2s keeps as 身分证
        ("身分證丟了怎麼補", "身份证丢了怎么补"),
        # Taiwan's words for the same things, in messages typed in traditional characters
        ("我的機車行照不見了", "我的摩托车行驶证不见了"),
        ("孫子要上國小了", "孙子要上小学了"),
        ("上個月被資遣了 失業給付怎麼申請", "上个月被辞退了 失业保险金怎么申请"),
        ("公司登記要準備哪些文件", "公司登记要准备哪些文件"),
        ("禮拜六監理站有開嗎", "礼拜六车管所有开吗"),
        ("健保卡", "健保卡"),
        ("最近有沒有徵才博覽會", "最近有没有招聘会"),
        # a character written for the one it looks like
        ("户口薄丢了", "户口簿丢了"),
        # words typed apart are joined; clauses typed apart stay apart
        ("我 今年 六十五 了 想 办 个 护照", "我今年六十五了想办个护照"),
        ("厂子倒闭了 我现在没活干 失业登记要去哪登", "厂子倒闭了 我现在没活干 失业登记要去哪登"),
        ("ETC 卡 怎么 办", "ETC 卡怎么办"),
        # Northeastern, Beijing and Tianjin words; 多钱 for 多少钱, not «很多钱»
        ("老妹儿 俺身份证整丢了 这咋整啊", " 俺身份证弄丢了 这咋整啊"),
        ("您受累 甭让我跑了 网上呢", "麻烦您 不用让我跑了 网上呢"),
        ("驾照得重新弄一个 倍儿着急 嘛手续啊", "驾照得重新弄一个 很着急 什么手续啊"),
        ("这房本儿过户怎么办 家里贼困难", "这房本过户怎么办 家里很困难"),
        ("多钱", "多少钱"),
        ("一个月给多钱", "一个月给多少钱"),
        ("看病花了很多钱", "看病花了很多钱"),
        ("车子年检到了 要带撒", "车子年检到了 要带啥"),
        # voice input: a phrase said twice, and the characters heard for a service's words
        ("社保卡刷不了了 怎么半怎么半", "社保卡刷不了了 怎么办"),
        ("我那个身份证 身份证要重新半一张", "我那个身份证要重新办一张"),
        ("养老经那个每年要人证 在手机上在手机上怎么弄", "养老金那个每年要认证 在手机上怎么弄"),
        ("想送去报废 报废厂说要注销", "想送去报废 报废厂说要注销"),
        ("办个残疾人证 一个半月 要半年", "办个残疾人证 一个半月 要半年"),
        ("谢谢谢谢", "谢谢"),
        ("交管12123", "交管12123"),
        # Mandarin «在哪能» is where one can, not Wu «哪能» (how)
        ("拆迁补偿标准在哪能看到", "拆迁补偿标准在哪能看到"),
        ("侬好 这个哪能弄", "你好 这个怎么办"),
        # Shaanxi 哪达 / 这达 for 哪里 / 这里, not 达到
        ("是去派出所还是去哪达办 这达到标准了吗", "是去派出所还是去哪里办 这达到标准了吗"),
    ],
)
def test_citizens_writing_is_read_as_standard_mandarin(written: str, read: str) -> None:
    assert as_mandarin(written) == read
