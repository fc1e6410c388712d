"""Same-sounding mistypes of the guide's own words are put right, and nothing else is touched
(`knowledge.homophones`, over the real knowledge base)."""

from __future__ import annotations

import pytest

from knowledge.search import KnowledgeBase


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("身份正丢了补办去哪里", "身份证丢了补办去哪里"),
        # the segmenter reads «正要» (about to); what is left of it, 要, stands alone
        ("身份正要重新办一张 要带啥去", "身份证要重新办一张 要带啥去"),
        ("食品经营许刻证要什么材料", "食品经营许可证要什么材料"),
        ("新办的社报卡多久能拿到", "新办的社保卡多久能拿到"),
        ("生育医疗废用怎么报销", "生育医疗费用怎么报销"),
        ("公基金余额帮我查下", "公积金余额帮我查下"),
        # two-character words inside a name (普通护照, 驾驶证审验) are the guide's words too
        ("护找第一次办要多久", "护照第一次办要多久"),
        ("驾照审严在哪里办", "驾照审验在哪里办"),
    ],
)
def test_a_same_sounding_mistype_of_a_guide_word_is_put_right(
    kb: KnowledgeBase, typed: str, meant: str
) -> None:
    assert kb.respell(typed) == meant


@pytest.mark.parametrize(
    "text",
    [
        "公司拖欠我三个月工资一直不发",  # 不发 is meant, though 补发 sounds alike
        "买房想用公积金贷款，最多能贷多少",  # 用公 would cut through 公积金
        "居住证签注能在手机上办吗",  # 上办 is not a mistyped 上班
        "事业单位的人怎么办",  # 事业 is a word, though 失业 sounds alike
        "我第一次来办事，啥都不懂",
        "儿子今年满六岁，报小学一年级看什么条件",  # 报小 is no 报销: 小学 is a word
        "公司想申请建筑工程施工总承包三级资质",  # 工程施 is no 工程师: 工 of 施工 is no word alone
    ],
)
def test_words_written_as_meant_are_left_alone(kb: KnowledgeBase, text: str) -> None:
    assert kb.respell(text) == text


def test_a_mistyped_name_is_found_like_the_name(kb: KnowledgeBase) -> None:
    hits = kb.search(kb.respell("食品经营许刻证要什么材料"))
    assert hits[0].item.id == "enterprise_licensing.food_business_license"
    assert hits[0].matched_by != "text"  # a name or alias written out


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("机动车住销要多少钱", "机动车注销要多少钱"),  # the segmenter cut through the mistype
        ("第一次办社保卡，要带生份证吗", "第一次办社保卡，要带身份证吗"),  # sh/s and -n/-ng merged
    ],
)
def test_a_mistype_the_segmenter_cut_or_a_dialect_blurred_is_put_right(
    kb: KnowledgeBase, typed: str, meant: str
) -> None:
    assert kb.respell(typed) == meant
