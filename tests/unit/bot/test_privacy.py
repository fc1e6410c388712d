from __future__ import annotations

import pytest

from bot.privacy import is_valid_id_card, mask_personal_data, nlu_placeholders, passes_luhn

VALID_ID = "11010519491231002X"  # GB 11643 example number, valid check digit
VALID_CARD = "6222021234567890128"  # passes Luhn


def test_valid_id_card_is_masked_keeping_region_prefix_and_last_four() -> None:
    assert is_valid_id_card(VALID_ID)
    masked = mask_personal_data(f"我的身份证号是{VALID_ID}，怎么补办")
    assert VALID_ID not in masked
    assert "110***********002X" in masked


def test_lowercase_check_digit_is_recognised() -> None:
    assert "1949" not in mask_personal_data(VALID_ID.lower())


def test_eighteen_digits_with_wrong_check_digit_and_failing_luhn_stay() -> None:
    wrong = "110105194912310021"
    assert not is_valid_id_card(wrong)
    assert not passes_luhn(wrong)
    assert mask_personal_data(f"编号{wrong}") == f"编号{wrong}"


@pytest.mark.parametrize("phone", ["13812345678", "+86 138-1234-5678", "86-13812345678", "138 1234 5678"])
def test_mobile_numbers_are_masked(phone: str) -> None:
    masked = mask_personal_data(f"电话{phone}请回电")
    assert "138****5678" in masked
    assert "1234" not in masked


def test_landline_and_short_numbers_are_untouched() -> None:
    text = "工本费20元，拨打12345或0000-80000001，2026年11月27日"
    assert mask_personal_data(text) == text


def test_bank_card_passing_luhn_is_masked() -> None:
    assert passes_luhn(VALID_CARD)
    masked = mask_personal_data(f"卡号 {VALID_CARD} 到账了吗")
    assert VALID_CARD not in masked
    assert masked.endswith("***************0128 到账了吗")


def test_card_number_with_spaces_is_masked() -> None:
    spaced = "6222 0212 3456 7890 128"
    assert "7890" not in mask_personal_data(spaced)


def test_digits_failing_luhn_are_not_a_card() -> None:
    order = "6222021234567890127"
    assert not passes_luhn(order)
    assert mask_personal_data(order) == order


def test_several_kinds_in_one_message() -> None:
    masked = mask_personal_data(f"{VALID_ID} 13812345678 {VALID_CARD}")
    assert VALID_ID not in masked and "13812345678" not in masked and VALID_CARD not in masked


def test_masked_numbers_become_placeholder_words_for_nlu() -> None:
    masked = mask_personal_data("我的身份证号是11010519491231002X，手机13812345678，帮我查下社保")
    assert nlu_placeholders(masked) == "我的身份证号是〔身份证号〕，手机〔手机号〕，帮我查下社保"
    assert nlu_placeholders("订单号 20231105 金额 300") == "订单号 20231105 金额 300"


def test_a_number_with_an_impossible_birth_date_is_no_id_card() -> None:
    # The right check digit, but born on the 31st of a 13th month: an order or parcel number.
    impossible = "110105194913310023"
    assert not is_valid_id_card(impossible)
    assert mask_personal_data(f"订单{impossible}") == f"订单{impossible}"
