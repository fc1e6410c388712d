from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.contracts.areas import SERVICE_AREAS
from bot.settings import Settings
from knowledge.catalog import CatalogError, load_catalog
from knowledge.yaml_io import safe_load


def test_authored_data_covers_all_nine_areas(settings: Settings) -> None:
    catalog = load_catalog(settings.knowledge_dir)
    assert {item.area for item in catalog.items.values()} == set(SERVICE_AREAS)
    assert len(catalog.places) >= 3


def test_nationally_fixed_fees_are_right(settings: Settings) -> None:
    items = load_catalog(settings.knowledge_dir).items
    id_card = {fee.name: fee.amount_yuan for fee in items["certificates.id_card_reissue"].fees}
    assert id_card["居民身份证工本费"] == Decimal(20)
    licence = items["transport.driving_license_reissue"].fees
    assert [fee.amount_yuan for fee in licence] == [Decimal(10)]
    assert all(fee.free for fee in items["enterprise_licensing.individual_business_registration"].fees)


def test_every_item_is_sample_data_with_source_and_date(settings: Settings) -> None:
    for path in settings.knowledge_dir.glob("*.yml"):
        assert safe_load(path.read_text(encoding="utf-8"))["sample_data"] is True, path.name
    for item in load_catalog(settings.knowledge_dir).items.values():
        assert "样例" in item.source, item.id


def _copy_data(settings: Settings, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(settings.knowledge_dir, target)
    return target


def test_invalid_field_is_reported_with_file_item_and_field(settings: Settings, tmp_path: Path) -> None:
    data = _copy_data(settings, tmp_path)
    path = data / "transport.yml"
    raw = safe_load(path.read_text(encoding="utf-8"))
    raw["items"][0]["fees"][0].pop("amount_yuan")
    path.write_text(yaml.dump(raw, Dumper=yaml.CSafeDumper, allow_unicode=True), encoding="utf-8")

    with pytest.raises(CatalogError) as caught:
        load_catalog(data)
    [problem] = caught.value.problems
    assert "transport.yml" in problem
    assert "transport.driving_license_reissue" in problem
    assert "items.0.fees.0" in problem
    assert "free: true" in problem


def test_authored_items_still_need_a_consult_phone(settings: Settings, tmp_path: Path) -> None:
    """Imported items may lack one; an authored item's answers tell citizens to call it."""
    data = _copy_data(settings, tmp_path)
    path = data / "transport.yml"
    raw = safe_load(path.read_text(encoding="utf-8"))
    raw["items"][0]["phones"] = {"complaint": "12345"}
    path.write_text(yaml.dump(raw, Dumper=yaml.CSafeDumper, allow_unicode=True), encoding="utf-8")

    with pytest.raises(CatalogError) as caught:
        load_catalog(data)
    [problem] = caught.value.problems
    assert "items.0.phones.consult" in problem


def test_unknown_place_and_duplicate_id_are_both_reported(settings: Settings, tmp_path: Path) -> None:
    data = _copy_data(settings, tmp_path)
    path = data / "housing.yml"
    raw = safe_load(path.read_text(encoding="utf-8"))
    raw["items"][0]["places"] = ["nowhere_hall"]
    raw["items"].append(dict(raw["items"][0]))
    path.write_text(yaml.dump(raw, Dumper=yaml.CSafeDumper, allow_unicode=True), encoding="utf-8")

    with pytest.raises(CatalogError) as caught:
        load_catalog(data)
    text = "\n".join(caught.value.problems)
    assert "未知的办理地点 nowhere_hall" in text
    assert "编号重复" in text


def test_broken_yaml_names_the_file(settings: Settings, tmp_path: Path) -> None:
    data = _copy_data(settings, tmp_path)
    (data / "education.yml").write_text("area: education\nitems: [\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"education\.yml：YAML 格式错误"):
        load_catalog(data)
