"""How `make eval` buckets one reply, on replies shaped as /api/v1/chat sends them."""

from __future__ import annotations

from bot.evaluation.e2e import Expectation, bucket, observe

_HALL = "district_public_security_hall"
_PLACES_OF = {"certificates.ordinary_passport": [_HALL]}


def _hours_of(item: str) -> Expectation:
    return Expectation.model_validate({"answer": {"item": item, "question": "hours"}})


def _hall_reply(place_id: str) -> dict[str, object]:
    return {
        "messages": [
            {
                "text": "【出入境服务大厅】办公时间：……",
                "data": {"type": "place", "place_id": place_id, "question": "hours"},
            }
        ]
    }


def test_a_halls_own_hours_answer_an_hours_question_about_an_item_handled_there() -> None:
    """«出入境大厅礼拜六有上班吗» about 护照: the hall's hours are what the citizen asked."""
    seen = observe(_hall_reply(_HALL))
    assert bucket(_hours_of("certificates.ordinary_passport"), seen, _PLACES_OF) == "right"


def test_another_halls_hours_or_another_question_are_not_right() -> None:
    assert (
        bucket(_hours_of("certificates.ordinary_passport"), observe(_hall_reply("elsewhere")), _PLACES_OF)
        == "other"
    )
    fee = Expectation.model_validate(
        {"answer": {"item": "certificates.ordinary_passport", "question": "fee"}}
    )
    assert bucket(fee, observe(_hall_reply(_HALL)), _PLACES_OF) == "other"
    assert bucket(_hours_of("certificates.ordinary_passport"), observe(_hall_reply(_HALL))) == "other"
