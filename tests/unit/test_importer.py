"""The catalog importer: every format, the shipped mapping, all-or-nothing on bad rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from bot.settings import REPO_ROOT, Settings
from knowledge.importer import ImportFileError, load_mapping, read_rows, validate_rows
from knowledge.service import import_catalog, open_knowledge_base, open_store, prepare_knowledge

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "catalog" / "gd_shape_synthetic.jsonl"
GD_MAPPING = REPO_ROOT / "knowledge" / "mappings" / "gd_catalog.yml"
REAL_CATALOG = REPO_ROOT.parent / "shared" / "eval" / "gd_catalog_sample.jsonl"

CANONICAL_ROWS = [
    {
        "id": "housing.synthetic_lease_filing",
        "area": "housing",
        "name": "合成测试：住房租赁合同备案",
        "aliases": "合成租房合同备案；合成租赁备案",
        "department": "示例区住房和城乡建设局",
        "type": "行政确认",
        "materials": "房屋租赁合同；出租人身份证明；承租人身份证明",
        "fees": "备案费：免费",
        "steps": "提交材料；窗口审核；领取备案证明",
        "time_limit.promised_working_days": "3",
        "places": "district_service_center",
        "phones.consult": "0000-80000001（样例号码，非真实电话）",
        "last_verified": "2026-11-01",
        "source": "示例区办事指南（样例数据）",
    },
    {
        "id": "transport.synthetic_plate",
        "area": "transport",
        "name": "合成测试：临时通行牌证",
        "department": "示例区公安分局交通警察大队车辆管理所",
        "type": "行政许可",
        "fees": "临时号牌工本费：5元",
        "last_verified": "2026-11-01",
        "source": "示例区办事指南（样例数据）",
    },
]


def echo(_line: str) -> None:
    pass


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    suffix = path.suffix
    if suffix == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    elif suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif suffix == ".yaml":
        path.write_text(yaml.safe_dump({"items": rows}, allow_unicode=True), encoding="utf-8")
    elif suffix == ".csv":
        columns = sorted({c for r in rows for c in r})
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    else:
        columns = sorted({c for r in rows for c in r})
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c) for c in columns])
        workbook.save(path)
    return path


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".yaml", ".csv", ".xlsx"])
def test_every_format_imports_canonical_columns(settings: Settings, tmp_path: Path, suffix: str) -> None:
    file = write_rows(tmp_path / f"catalog{suffix}", CANONICAL_ROWS)
    report = import_catalog(settings, file, None, dry_run=False, echo=echo)
    assert report.ok, report.problems
    assert (report.new_ids, report.updated_ids) == (2, 0)

    item = open_store(settings).item("housing.synthetic_lease_filing")
    assert item is not None
    assert item.aliases == ["合成租房合同备案", "合成租赁备案"]
    assert [m.name for m in item.materials] == ["房屋租赁合同", "出租人身份证明", "承租人身份证明"]
    assert item.fees[0].free is True
    assert item.time_limit is not None and item.time_limit.promised_working_days == 3
    plate = open_store(settings).item("transport.synthetic_plate")
    assert plate is not None and str(plate.fees[0].amount_yuan) == "5"

    hits = open_knowledge_base(settings).search("合成租房合同备案怎么弄")
    assert hits[0].item.id == "housing.synthetic_lease_filing"


def test_reimport_updates_instead_of_duplicating(settings: Settings, tmp_path: Path) -> None:
    file = write_rows(tmp_path / "catalog.jsonl", CANONICAL_ROWS)
    import_catalog(settings, file, None, dry_run=False, echo=echo)
    again = import_catalog(settings, file, None, dry_run=False, echo=echo)
    assert (again.new_ids, again.updated_ids) == (0, 2)


def test_a_bad_row_rejects_the_whole_file_and_names_row_and_field(settings: Settings, tmp_path: Path) -> None:
    prepare_knowledge(settings)
    before = open_store(settings).revision()
    rows = [*CANONICAL_ROWS, {**CANONICAL_ROWS[0], "id": "housing.bad_one", "area": "moon", "name": "坏行"}]
    rows.append({**CANONICAL_ROWS[1], "id": "transport.no_fee_amount", "fees": "考试费"})
    file = write_rows(tmp_path / "catalog.csv", rows)

    report = import_catalog(settings, file, None, dry_run=False, echo=echo)
    assert not report.ok
    assert any(p.startswith("第 4 行（坏行），字段 area") for p in report.problems), report.problems
    assert any(p.startswith("第 5 行") and "fees.0" in p and "free: true" in p for p in report.problems)
    assert open_store(settings).revision() == before
    assert open_store(settings).item("housing.synthetic_lease_filing") is None


def test_dry_run_writes_nothing(settings: Settings, tmp_path: Path) -> None:
    file = write_rows(tmp_path / "catalog.json", CANONICAL_ROWS)
    report = import_catalog(settings, file, None, dry_run=True, echo=echo)
    assert report.ok and report.new_ids == 2
    assert open_store(settings).item("housing.synthetic_lease_filing") is None


def test_unsupported_and_unreadable_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"不支持的文件类型 \.txt"):
        list(read_rows(tmp_path / "catalog.txt"))
    broken = tmp_path / "catalog.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"无法读取 catalog\.json"):
        list(read_rows(broken))


def test_the_shipped_portal_mapping_on_synthetic_rows_of_that_shape(settings: Settings) -> None:
    report = import_catalog(settings, FIXTURE, GD_MAPPING, dry_run=False, echo=echo)
    assert report.ok, report.problems
    assert len(report.valid) == 3
    assert report.warnings == ["第 4 行（示例事项丙：文艺表演团体设立审批）：与第 3 行完全相同，已忽略"]
    by_name = {item.name: item for item in report.valid}
    recognised = by_name["示例事项乙：就业困难人员认定"]
    assert recognised.area.value == "employment"  # 其他 has no area; 找工作 maps to employment
    assert recognised.time_limit is not None
    assert (recognised.time_limit.legal_days, recognised.time_limit.promised_working_days) == (20, 5)
    assert recognised.location_note == "示例市人民路1号（合成测试数据）"
    assert by_name["示例事项甲：职业技能等级证书查询"].aliases == ["技能证书查询"]
    assert by_name["示例事项丙：文艺表演团体设立审批"].area.value == "other"


@pytest.mark.skipif(not REAL_CATALOG.exists(), reason="../shared/eval is not present")
def test_the_real_provincial_catalog_validates_whole() -> None:
    report = validate_rows(read_rows(REAL_CATALOG), load_mapping(GD_MAPPING))
    assert report.ok, report.problems[:5]
    assert report.rows == 439
    assert len(report.valid) == 437  # two rows repeat an earlier row verbatim
