"""The matters outside the guide (knowledge/referrals.yml): a valid file, patterns that name
what citizens ask and not who they are, and none that an authored item is named with (such
an entry could never apply: the guide's own item wins)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from knowledge.catalog import load_catalog
from knowledge.referrals import REFERRALS_FILE, Referrals, load_referrals
from knowledge.search import KnowledgeBase


def test_every_entry_loads_with_a_handler() -> None:
    referrals = load_referrals()
    assert len(referrals) >= 40
    assert all(referral.handled_by.endswith("。") for referral in referrals)


@pytest.mark.parametrize(
    ("text", "matter"),
    [
        ("低保怎么申请", "minimum_living_allowance"),
        ("俺家这情况能吃上低保不", "minimum_living_allowance"),
        ("那个公证在哪办", "notarization"),
        ("服务员那健康证上哪儿办去", "health_certificate"),
        ("电动车上牌在哪上", "electric_bike_plate"),
        ("初级会计考试在哪报名", "accounting_exam"),
        ("那我收的房租要不要交税", "individual_income_tax"),
        ("港澳通行证的签注在哪办", None),  # 签注 is no visa
        ("家里是低保户", None),  # who the citizen is, not what they ask for
        ("我爸是低保", None),
        ("小学摇号什么时候", None),  # school places, not car plates
    ],
)
def test_patterns_name_the_matter_not_the_case(text: str, matter: str | None) -> None:
    found = [referral.id for referral, _ in load_referrals().named_in(text)]
    assert found[:1] == ([matter] if matter else [])


def test_one_pass_tells_whether_any_is_named() -> None:
    referrals = load_referrals()
    assert referrals.any_named_in("顺便问下 低保怎么申请")
    assert not referrals.any_named_in("补办身份证要带什么材料")
    assert not Referrals([]).any_named_in("低保怎么申请")


def test_no_authored_item_is_named_with_a_referral(kb: KnowledgeBase) -> None:
    referrals = load_referrals()
    clashes = [
        (name, referral.id)
        for item in load_catalog(REFERRALS_FILE.parent / "data").items.values()
        for name in item.names
        for referral, words in referrals.named_in(name)
        if kb.items_named_with(kb.normalise(words))
    ]
    assert clashes == []


def test_a_bad_pattern_is_refused_with_its_text(tmp_path: Path) -> None:
    bad = tmp_path / "referrals.yml"
    bad.write_text(
        "referrals:\n  - id: broken\n    title: 坏的\n    names: ['低保(']\n    handled_by: 某部门。\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match="低保"):
        load_referrals(bad)
