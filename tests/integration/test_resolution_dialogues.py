"""The per-turn item decision through the real Rasa server, action server and gateway: what a
citizen sees on follow-ups, topic switches, clarifications answered in words, corrections,
matters the guide does not hold, and messages with masked numbers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.conftest import answered, handoff_of, say

pytestmark = pytest.mark.integration


def kinds(reply: dict[str, Any]) -> list[str]:
    return [m["data"].get("type", "") for m in reply["messages"]]


def test_an_elliptical_follow_up_keeps_the_item_and_changes_the_question(gateway: httpx.Client) -> None:
    assert answered(say(gateway, "r-follow", "补办身份证要带什么材料")) == (
        "certificates.id_card_reissue",
        "materials",
    )
    assert answered(say(gateway, "r-follow", "那要多少钱")) == ("certificates.id_card_reissue", "fee")
    assert answered(say(gateway, "r-follow", "在哪里办")) == ("certificates.id_card_reissue", "location")


def test_a_word_diet_takes_for_an_item_does_not_erase_the_context(gateway: httpx.Client) -> None:
    # DIET tags «办证» as a service_item entity, which Rasa writes into the slot.
    say(gateway, "r-entity", "开饭馆要办的那个食品经营许可证要准备啥")
    reply = say(gateway, "r-entity", "办证收钱吗")
    assert answered(reply) == ("enterprise_licensing.food_business_license", "fee"), reply


def test_details_about_the_item_stay_with_it(gateway: httpx.Client) -> None:
    say(gateway, "r-details", "企业简易注销要什么条件")
    reply = say(gateway, "r-details", "中间要公示多少天")
    item = "enterprise_licensing.enterprise_simplified_deregistration"
    assert answered(reply) == (item, "time_limit"), reply


def test_a_typed_choice_diet_takes_for_a_rating_is_still_a_choice(gateway: httpx.Client) -> None:
    say(gateway, "r-rating", "公积金怎么提取")
    reply = say(gateway, "r-rating", "还房贷")  # DIET: rate_service
    assert answered(reply) == ("housing.provident_fund_loan_repayment_withdrawal", "steps"), reply


def test_a_message_without_a_question_goes_on_with_the_last_one(gateway: httpx.Client) -> None:
    say(gateway, "r-goes-on", "特种作业证要带什么")
    reply = say(gateway, "r-goes-on", "我是电工，证拿了快六年了要到期")  # DIET: unsure (fallback)
    assert answered(reply) == ("qualification.special_operation_certificate_review", "materials"), reply


def test_na_x_ne_switches_the_item_and_keeps_the_question(gateway: httpx.Client) -> None:
    assert answered(say(gateway, "r-switch", "办护照多少钱")) == ("certificates.ordinary_passport", "fee")
    assert answered(say(gateway, "r-switch", "那港澳通行证呢")) == ("certificates.hk_macau_permit", "fee")


def test_a_switch_to_a_matter_the_guide_lacks_is_an_honest_no(gateway: httpx.Client) -> None:
    say(gateway, "r-unknown", "补办身份证要带什么")
    reply = say(gateway, "r-unknown", "那结婚证丢了呢")
    assert answered(reply) is None and "honest_no" in kinds(reply), reply
    assert "12345" in reply["messages"][0]["text"]
    assert "居民身份证" not in reply["messages"][0]["text"]
    # The old item is no longer the context: an elliptical question now asks which item.
    assert answered(say(gateway, "r-unknown", "那要多少钱")) is None
    # A registration and a tax the guide lacks, asked mid-conversation: no old item, no neighbour.
    say(gateway, "r-unknown-2", "公积金贷款要什么条件")
    reply = say(gateway, "r-unknown-2", "买房的契税怎么交")
    assert answered(reply) is None and "honest_no" in kinds(reply), reply
    say(gateway, "r-unknown-3", "护照多久能办好")
    reply = say(gateway, "r-unknown-3", "那离婚登记去哪办")
    assert answered(reply) is None and "honest_no" in kinds(reply), reply
    # told with circumstances, a noun the guide never writes before an item word (高龄补贴)
    say(gateway, "r-unknown-4", "我奶奶每年都要做那个领养老金的认证 今年咋认证")
    reply = say(gateway, "r-unknown-4", "她今年都85了 听说八十岁以上有高龄补贴 这个怎么申请")
    assert answered(reply) is None and "honest_no" in kinds(reply), reply


def matter_of(reply: dict[str, Any]) -> str | None:
    """The outside matter an honest no names (knowledge/referrals.yml), if any."""
    return next((m["data"].get("matter") for m in reply["messages"] if m["data"].get("matter")), None)


def test_a_matter_outside_the_guide_is_told_with_who_handles_it(gateway: httpx.Client) -> None:
    # The guide writes 低保 only as who qualifies for other items: never 医疗救助 for 低保 itself.
    reply = say(gateway, "r-outside", "低保怎么申请")
    assert answered(reply) is None and matter_of(reply) == "minimum_living_allowance", reply
    assert "乡镇人民政府（街道办事处）" in reply["messages"][0]["text"]
    assert "12345" in reply["messages"][0]["text"]
    # …nor the item just discussed, when the switch to it is told in a longer message.
    say(gateway, "r-outside-2", "派出所能开户籍证明吧 要带些啥")
    reply = say(gateway, "r-outside-2", "银行又说最好去公证处办个继承公证 那个公证在哪办 收多少钱")
    assert answered(reply) is None and matter_of(reply) == "notarization", reply
    # Told as who the citizen is, it leaves the item asked about alone.
    reply = say(gateway, "r-outside-3", "我爸是低保 这次住院自费的部分好几万 医疗救助能救多少")
    assert answered(reply) == ("healthcare.medical_assistance", "benefit"), reply


def test_after_an_honest_no_the_item_discussed_before_is_named_again(gateway: httpx.Client) -> None:
    # The honest no drops the context; the words of the item discussed before it bring it back.
    say(gateway, "r-back-to-earlier", "房贷还清哒 抵押要去注销 要带么子")
    reply = say(gateway, "r-back-to-earlier", "银行讲委托书还要去公证 公证要好多钱")
    assert answered(reply) is None and matter_of(reply) == "notarization", reply
    reply = say(gateway, "r-back-to-earlier", "注销要交钱冇")
    assert answered(reply) == ("housing.mortgage_cancellation_registration", "fee"), reply


def test_another_procedure_of_the_same_document_is_taken_from_the_conversation(gateway: httpx.Client) -> None:
    say(gateway, "r-procedure", "港澳通行证咋办理")
    reply = say(gateway, "r-procedure", "之前办过证了，这次只要续签")
    assert answered(reply) == ("certificates.hk_macau_endorsement", "steps"), reply
    endorsement = "certificates.hk_macau_endorsement"
    assert answered(say(gateway, "r-procedure", "这个要收费不")) == (endorsement, "fee")


def test_after_candidates_a_typed_follow_up_and_a_typed_choice_are_understood(gateway: httpx.Client) -> None:
    first = say(gateway, "r-clarify", "社保卡怎么办")
    [clarify] = [m for m in first["messages"] if m["data"].get("type") == "clarify"]
    offered = clarify["data"]["item_ids"]
    assert offered and all(item.startswith("social_security.ss_card_") for item in offered)

    again = say(gateway, "r-clarify", "在哪里办")
    [clarify_again] = [m for m in again["messages"] if m["data"].get("type") == "clarify"]
    assert clarify_again["data"]["item_ids"] == offered
    assert clarify_again["data"]["question"] == "location"
    assert all(b["payload"].startswith("/ask_location") for b in clarify_again["buttons"])

    assert answered(say(gateway, "r-clarify", "第一个")) == (offered[0], "location")


def test_after_candidates_a_fragment_is_read_with_the_question_it_answers(gateway: httpx.Client) -> None:
    """«医保怎么参保» → candidates that leave out newborns → «给刚出生的宝宝办» alone would find
    出生医学证明; read with the question before, it is 新生儿参保, asked the same way."""
    assert "clarify" in kinds(say(gateway, "r-fragment", "医保怎么参保"))
    assert answered(say(gateway, "r-fragment", "给刚出生的宝宝办")) == (
        "healthcare.newborn_medical_insurance_enrollment",
        "steps",
    )


def test_a_correction_names_the_item_meant(gateway: httpx.Client) -> None:
    say(gateway, "r-correct", "补办身份证要带什么材料")
    assert answered(say(gateway, "r-correct", "不是，我问的是港澳通行证")) == (
        "certificates.hk_macau_permit",
        "materials",
    )


def test_new_question_types_benefit_and_record(gateway: httpx.Client) -> None:
    assert answered(say(gateway, "r-benefit", "创业担保贷款最多贷多少")) == (
        "employment.startup_guarantee_loan",
        "benefit",
    )
    record = say(gateway, "r-record", "我的社保交了几年")
    assert answered(record) == ("social_security.rights_record_query", "record"), record
    assert "智能助手无法查看您的个人信息" in record["messages"][0]["text"]


def test_a_message_with_masked_numbers_is_a_question_not_a_goodbye(gateway: httpx.Client) -> None:
    reply = say(gateway, "r-masked", "我的身份证号是110101199003074514，手机13812345678，帮我查下社保")
    texts = " ".join(m["text"] for m in reply["messages"])
    assert "感谢您的咨询" not in texts and "打个分" not in texts, reply
    assert "110101199003074514" not in texts


def test_a_content_free_request_for_a_person_goes_to_the_general_queue(gateway: httpx.Client) -> None:
    handoff = handoff_of(say(gateway, "r-person", "转人工"))
    assert handoff["area"] == "other"
    # words beside the request that name nothing of the guide route nowhere either
    handoff = handoff_of(say(gateway, "r-person-2", "算了 你帮我转人工吧"))
    assert handoff["area"] == "other"


def test_a_lost_document_moves_to_the_item_that_replaces_it(gateway: httpx.Client) -> None:
    say(gateway, "r-variant", "出生医学证明首次签发要带什么")
    reply = say(gateway, "r-variant", "不小心弄丢了怎么办")
    assert answered(reply) == ("healthcare.birth_medical_certificate_reissue", "steps"), reply


def test_a_window_s_hours_asked_with_the_item_named_are_answered(gateway: httpx.Client) -> None:
    reply = say(gateway, "r-alone", "教育局认定教师资格的窗口周日上班不")
    assert answered(reply) == ("education.teacher_qualification", "hours"), reply


def test_a_choice_in_words_is_read_with_the_message_that_named_the_matter(gateway: httpx.Client) -> None:
    # «在哪办» in between names nothing; the choice is read with «养老保险怎么交».
    say(gateway, "r-earlier", "养老保险怎么交")
    say(gateway, "r-earlier", "去哪办")
    reply = say(gateway, "r-earlier", "我是农民，没有单位，一直在村里")
    assert answered(reply) == ("social_security.resident_pension_enrollment", "location"), reply


def test_a_message_that_only_tells_keeps_the_question_asked_before(gateway: httpx.Client) -> None:
    say(gateway, "r-tells", "港澳通行证要什么材料")
    reply = say(gateway, "r-tells", "证已经有了，就是签注用完了")
    assert answered(reply) == ("certificates.hk_macau_endorsement", "materials"), reply


def test_venting_in_the_middle_of_questions_is_a_complaint(gateway: httpx.Client) -> None:
    say(gateway, "r-venting", "我老公在工地上摔伤了 工伤认定咋申请")
    reply = say(gateway, "r-venting", "上回材料交上去说不全让补 补完又说不行 来回跑了四趟 太折腾人了")
    assert answered(reply) is None and handoff_of(reply)["area"] == "social_security", reply


def test_cantonese_and_words_typed_apart_are_understood(gateway: httpx.Client) -> None:
    item = "certificates.death_hukou_cancellation"
    first = answered(say(gateway, "r-cantonese", "我媽媽係本地戶口 上個月過咗身 佢個戶口要點樣註銷"))
    assert first is not None and first[0] == item
    assert answered(say(gateway, "r-cantonese", "要帶咩文件去")) == (item, "materials")
    assert answered(say(gateway, "r-cantonese", "大概幾耐先搞掂")) == (item, "time_limit")
    reply = say(gateway, "r-spaced", "我 今年 六十五 了 户口本 丢了 怎么 补")
    assert answered(reply) == ("certificates.hukou_booklet_reissue", "steps"), reply


def test_wu_wording_and_a_switch_in_it_are_understood(gateway: httpx.Client) -> None:
    first = "certificates.id_card_first_application"
    reply = say(gateway, "r-wu", "阿拉囡囡今年满16岁了 从来没办过身份证 头一趟办要带点啥物事")
    assert answered(reply) == (first, "materials"), reply
    assert answered(say(gateway, "r-wu", "要几钿")) == (first, "fee")
    reply = say(gateway, "r-wu", "清爽了 伊户口本上名字个字打错脱了 要改过来 哪能弄")
    assert answered(reply) == ("certificates.hukou_registration_change", "steps"), reply


def test_items_sharing_a_document_are_offered_when_belief_is_split(gateway: httpx.Client) -> None:
    reply = say(gateway, "r-split", "俺那社保卡不知道丢哪了 屋里翻遍了也没有 咋整")
    [clarify] = [m for m in reply["messages"] if m["data"].get("type") == "clarify"]
    assert {"social_security.ss_card_loss_report", "social_security.ss_card_replacement"} <= set(
        clarify["data"]["item_ids"]
    ), reply


def test_taiwan_wording_and_the_office_asked_about_are_understood(gateway: httpx.Client) -> None:
    item = "transport.vehicle_plate_reissue"
    first = answered(say(gateway, "r-taiwan", "我的機車行照不見了 要怎麼補"))
    assert first == (item, "steps"), first
    # the counter's opening days are asked about the item being discussed
    assert answered(say(gateway, "r-taiwan", "辦證的窗口禮拜六有開嗎")) == (item, "hours")


@pytest.mark.parametrize(
    ("sender", "first", "second", "meant"),
    [
        # asking whom to call to complain is a question for the item that takes complaints
        ("r-complain-where", "从杭州跳槽回来了 那边交的公积金咋转过来",
         "新公司试用期都过了还不给交公积金 想投诉 打哪个电话",
         ("housing.provident_fund_violation_complaint", "contact")),
        # DIET reads «那我婆婆呢 …» as a complaint; it asks the question before again
        ("r-relative", "我在厂里交了十七年职工养老 今年满五十 女工 能办退休领养老金不",
         "那我婆婆呢 一直在村里交的居民养老 今年满六十了",
         ("social_security.resident_pension_benefit", "eligibility")),
    ],
)  # fmt: skip
def test_a_question_diet_takes_for_a_complaint_is_answered(
    gateway: httpx.Client, sender: str, first: str, second: str, meant: tuple[str, str]
) -> None:
    say(gateway, sender, first)
    reply = say(gateway, sender, second)
    assert answered(reply) == meant, reply
