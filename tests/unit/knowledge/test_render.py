from __future__ import annotations

from decimal import Decimal

from knowledge.render import QuestionType, fee_line, has_answer, render_answer, time_limit_lines
from knowledge.schema import Fee, Phones, TimeLimit
from knowledge.search import KnowledgeBase


def test_fee_answer_states_amount_source_and_date(kb: KnowledgeBase) -> None:
    item = kb.item("certificates.id_card_reissue")
    assert item is not None
    answer = render_answer(item, QuestionType.fee, kb.places_of(item))
    assert answer.startswith("【居民身份证补领】收费标准：\n1. 居民身份证工本费：每证 20 元")
    assert "核验日期：2026-11-01" in answer
    assert "来源：" in answer


def test_free_fee_says_free() -> None:
    assert fee_line(Fee(name="登记费", free=True)).startswith("登记费：免费")
    assert fee_line(Fee(name="工本费", amount_yuan=Decimal("10.00"))) == "工本费：10 元"
    local = Fee(name="居住证补领工本费", set_locally=True, note="以当地公布标准为准")
    assert fee_line(local) == "居住证补领工本费：按当地公布的标准收取。以当地公布标准为准"


def test_time_limits_in_words() -> None:
    assert time_limit_lines(TimeLimit(legal_days=60, legal_unit="日", promised_working_days=0)) == [
        "法定时限：60 日",
        "承诺时限：即时办结",
    ]
    assert time_limit_lines(TimeLimit(legal_days=3)) == ["法定时限：3 个工作日"]


def test_location_answer_lists_place_address_and_hours(kb: KnowledgeBase) -> None:
    item = kb.item("transport.driving_license_reissue")
    assert item is not None
    answer = render_answer(item, QuestionType.location, kb.places_of(item))
    place = kb.places_of(item)[0]
    assert f"1. {place.name}：{place.address}；办公时间：{place.hours}" in answer


def test_overview_summarises_the_essentials(kb: KnowledgeBase) -> None:
    item = kb.item("certificates.id_card_reissue")
    assert item is not None
    answer = render_answer(item, QuestionType.overview, kb.places_of(item))
    assert "收费：居民身份证工本费每证 20 元" in answer
    assert "时限：法定时限：60 日；承诺时限：15 个工作日" in answer


def test_hours_contact_online_and_eligibility_come_from_their_fields(kb: KnowledgeBase) -> None:
    item = kb.item("transport.driving_license_reissue")
    assert item is not None
    places = kb.places_of(item)
    assert places[0].hours in render_answer(item, QuestionType.hours, places)
    assert "投诉电话：12345" in render_answer(item, QuestionType.contact, places)
    assert item.eligibility[0] in render_answer(item, QuestionType.eligibility, places)
    assert item.online is not None and item.online.channel in render_answer(item, QuestionType.online, places)


def test_a_field_the_record_lacks_is_said_so_and_flagged_unanswered(kb: KnowledgeBase) -> None:
    item = kb.item("certificates.id_card_reissue")
    assert item is not None
    places = kb.places_of(item)
    assert has_answer(item, QuestionType.fee, places)
    without_fees = item.model_copy(update={"fees": []})
    assert not has_answer(without_fees, QuestionType.fee, places)
    assert "该事项的办事指南未提供收费标准信息，请拨打下方咨询电话" in render_answer(
        without_fees, QuestionType.fee, places
    )


def test_a_record_without_a_consult_phone_says_so_and_is_unanswered(kb: KnowledgeBase) -> None:
    item = kb.item("certificates.id_card_reissue")
    assert item is not None
    for phones in (None, Phones(complaint="12345")):
        bare = item.model_copy(update={"phones": phones})
        assert not has_answer(bare, QuestionType.contact, [])
        answer = render_answer(bare, QuestionType.contact, [])
        assert answer.startswith(
            "【居民身份证补领】咨询电话：\n1. 该事项的办事指南未提供咨询电话，可拨打 12345"
        )
        assert answer.count("咨询电话：") == 1  # the header's label, no number line nor footer line
    # A hall's phone is somewhere to call: that answers the question.
    assert has_answer(item.model_copy(update={"phones": None}), QuestionType.contact, kb.places_of(item))
