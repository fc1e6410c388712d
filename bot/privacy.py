"""Masking of personal data before anything is stored, logged or forwarded to Rasa.

Only numbers that really are what they look like are masked: a 身份证号 must be a valid GB 11643
number (birth date and ISO 7064 check digit) and a bank card must pass Luhn, so order numbers or
amounts stay intact while every real identifier is cut down to a few characters staff can still
match on. The checks are python-stdnum's (`stdnum.cn.ric`, `stdnum.luhn`), not ours.
"""

from __future__ import annotations

import re

from stdnum import luhn
from stdnum.cn import ric

_ID_CARD = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_BANK_CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")


def is_valid_id_card(number: str) -> bool:
    """18-digit resident ID number (GB 11643): a real birth date and a correct check digit."""
    return len(number) == 18 and bool(ric.is_valid(number))


def passes_luhn(digits: str) -> bool:
    return bool(luhn.is_valid(digits))


def _mask_id_card(match: re.Match[str]) -> str:
    number = match.group(0)
    if not is_valid_id_card(number):
        return number
    return number[:3] + "*" * 11 + number[-4:]


def _mask_mobile(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))[-11:]
    return digits[:3] + "****" + digits[-4:]


def _mask_bank_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if not 13 <= len(digits) <= 19 or not passes_luhn(digits):
        return match.group(0)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_personal_data(text: str) -> str:
    """Mask 身份证号, mainland mobile numbers and bank card numbers in free text."""
    text = _ID_CARD.sub(_mask_id_card, text)
    text = _MOBILE.sub(_mask_mobile, text)
    return _BANK_CARD.sub(_mask_bank_card, text)


_MASKED_ID_CARD = re.compile(r"(?<![0-9A-Za-z*])\d{3}\*{11}[0-9Xx]{4}(?![0-9A-Za-z*])")
_MASKED_MOBILE = re.compile(r"(?<![0-9*])1\d{2}\*{4}\d{4}(?![0-9*])")
_MASKED_BANK_CARD = re.compile(r"(?<![0-9*])\*{9,15}\d{4}(?![0-9*])")


def nlu_placeholders(masked: str) -> str:
    """Masked numbers replaced by words for Rasa: 「110***********1234」 means nothing to DIET
    (one such message was read as a goodbye), 〔身份证号〕 is a token it has seen in training."""
    text = _MASKED_ID_CARD.sub("〔身份证号〕", masked)
    text = _MASKED_MOBILE.sub("〔手机号〕", text)
    return _MASKED_BANK_CARD.sub("〔银行卡号〕", text)
