"""The catalog importer: every format, the shipped mapping, all-or-nothing on bad rows by default,
`--skip-invalid` with a report, content-derived ids for rows that share their key columns."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook

from bot.settings import REPO_ROOT, Settings
from knowledge.__main__ import main
from knowledge.importer import ImportFileError, load_mapping, read_rows, validate_rows
from knowledge.render import QuestionType, has_answer, render_answer
from knowledge.schema import Phones
from knowledge.service import import_catalog, open_knowledge_base, open_store, prepare_knowledge

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "catalog" / "gd_shape_synthetic.jsonl"
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


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
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
    first = import_catalog(settings, file, None, dry_run=False, echo=echo)
    assert first.new_names == 4  # two names and two aliases Rasa learns at its next training
    again = import_catalog(settings, file, None, dry_run=False, echo=echo)
    assert (again.new_ids, again.updated_ids, again.new_names) == (0, 2, 0)


def test_a_bad_row_rejects_the_whole_file_and_names_row_and_field(settings: Settings, tmp_path: Path) -> None:
    prepare_knowledge(settings)
    before = open_store(settings).revision()
    rows = [*CANONICAL_ROWS, {**CANONICAL_ROWS[0], "id": "housing.bad_one", "area": "moon", "name": "坏行"}]
    rows.append({**CANONICAL_ROWS[1], "id": "transport.no_fee_amount", "fees": "考试费"})
    file = write_rows(tmp_path / "catalog.csv", rows)

    report = import_catalog(settings, file, None, dry_run=False, echo=echo)
    assert not report.ok and not report.accepted
    assert any(p.startswith("第 4 行（坏行），字段 area") for p in report.problems), report.problems
    assert any(p.startswith("第 5 行") and "fees.0" in p and "free: true" in p for p in report.problems)
    assert open_store(settings).revision() == before
    assert open_store(settings).item("housing.synthetic_lease_filing") is None
    # The full list is kept too, for files with more problems than the console shows.
    assert report.report_path is not None
    assert [line["行号"] for line in read_report(report.report_path)] == ["4", "5"]


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


# --- --skip-invalid, the report, content-derived ids, rows without a consult phone --------------


def read_report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def gd_row(name: str, **changes: Any) -> dict[str, Any]:
    """One row shaped like the provincial 办事指南 export (synthetic values)."""
    row: dict[str, Any] = {
        "matter_name": name,
        "matter_short": "无",
        "DEPT_NAME": "示例市人力资源和社会保障局",
        "matter_type": "行政确认",
        "handle_location": "办理地点：示例市人民路1号（合成测试数据）",
        "handle_time": "20(工作日)",
        "handle_time_limit": "5(工作日)",
        "accept_standard": "在法定劳动年龄内、处于失业状态的人员。",
        "consult_phone": "0000-00000001",
        "complain_phone": "12345",
        "bear_paltform": "示例统一申办受理平台",
        "theme_category": ["找工作"],
        "URL": "http://example.invalid/guide?seq=0101",
        "material_intro": ["身份证件"],
    }
    return {**row, **changes}


def test_skip_invalid_imports_the_valid_rows_and_reports_every_rejected_one(
    settings: Settings, tmp_path: Path
) -> None:
    bad_area = {**CANONICAL_ROWS[0], "id": "housing.bad_one", "area": "moon", "name": "坏行"}
    two_faults = {
        **CANONICAL_ROWS[1],
        "id": "transport.two_faults",
        "fees": "考试费",
        "last_verified": "去年",
    }
    no_name = {key: value for key, value in CANONICAL_ROWS[1].items() if key != "name"}
    rows = [*CANONICAL_ROWS, bad_area, two_faults, {**no_name, "id": "transport.no_name"}, CANONICAL_ROWS[0]]
    file = write_rows(tmp_path / "catalog.jsonl", rows)

    report = import_catalog(settings, file, None, dry_run=False, echo=echo, skip_invalid=True)
    assert report.accepted and not report.ok
    assert (report.new_ids, report.updated_ids) == (2, 0)
    store = open_store(settings)
    assert store.existing_ids(["housing.synthetic_lease_filing", "transport.synthetic_plate"]) == {
        "housing.synthetic_lease_filing",
        "transport.synthetic_plate",
    }
    assert store.existing_ids(["housing.bad_one", "transport.two_faults", "transport.no_name"]) == set()

    assert report.report_path is not None
    assert report.report_path.parent == settings.var_dir / "import"
    lines = read_report(report.report_path)
    assert [(line["行号"], line["事项名称"], line["处理结果"], line["字段"]) for line in lines] == [
        ("3", "坏行", "未导入", "area"),
        ("4", "合成测试：临时通行牌证", "未导入", "fees.0"),
        ("4", "合成测试：临时通行牌证", "未导入", "last_verified"),
        ("5", "", "未导入", "name"),
        ("6", "合成测试：住房租赁合同备案", "重复，已合并", ""),
    ]
    assert "free: true" in lines[1]["原因"]
    assert "日期" in lines[2]["原因"]
    assert lines[3]["原因"].startswith("缺少必填项")
    assert "与第 1 行完全相同" in lines[4]["原因"]


def test_cli_refuses_by_default_and_skip_invalid_prints_a_chinese_summary(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in settings.as_environment().items():
        monkeypatch.setenv(name, value)
    prepare_knowledge(settings)
    rows = [*CANONICAL_ROWS, {**CANONICAL_ROWS[0], "id": "housing.bad_one", "area": "moon", "name": "坏行"}]
    file = write_rows(tmp_path / "catalog.csv", rows)
    report_file = tmp_path / "reports" / "导入报告.csv"

    assert main(["import", str(file)]) == 1
    out = capsys.readouterr().out
    assert "错误：第 4 行（坏行），字段 area" in out
    assert "共 3 行，1 个问题：未导入任何数据。" in out
    assert "--skip-invalid" in out
    assert open_store(settings).item("housing.synthetic_lease_filing") is None

    assert main(["import", str(file), "--skip-invalid", "--report", str(report_file)]) == 0
    captured = capsys.readouterr()
    assert "共 3 行：已导入 2 个事项（新增 2 个，更新 0 个）；未通过校验 1 行。" in captured.out
    assert f"导入报告：{report_file}" in captured.out
    assert "已校验" in captured.err or "读取并校验" in captured.err  # progress goes to stderr
    assert [line["行号"] for line in read_report(report_file)] == ["4"]
    assert open_store(settings).item("housing.synthetic_lease_filing") is not None
    assert "导入的 4 个新事项名称（含别名）现在即可识别和回答" in captured.out
    assert "下次 make run 时学到这些名称" in captured.out and "python -m bot train" in captured.out

    assert main(["import", str(file), "--skip-invalid", "--report", str(report_file)]) == 0
    assert "没有新的事项名称，无需为此重新训练 Rasa。" in capsys.readouterr().out


def test_rows_sharing_key_columns_but_not_content_get_distinct_stable_ids(
    settings: Settings, tmp_path: Path
) -> None:
    rows = [
        gd_row("合成测试：失业登记"),
        gd_row("合成测试：失业登记", handle_time_limit="1(工作日)"),  # another time limit
        gd_row("合成测试：失业登记", consult_phone="0000-00000009"),  # another window's phone
        gd_row("合成测试：就业登记", URL="http://example.invalid/guide?seq=0102"),
    ]
    file = write_rows(tmp_path / "catalog.jsonl", rows)

    first = import_catalog(settings, file, GD_MAPPING, dry_run=False, echo=echo)
    assert first.ok, first.problems
    ids = [item.id for item in first.valid]
    assert len(set(ids)) == 4
    base = ids[0].rsplit("_", 1)[0]
    assert all(item_id.startswith(f"{base}_") for item_id in ids[:3])
    assert ids[3].count("_") == 1  # a row whose key is unique keeps the plain key-derived id
    assert len(first.notes) == 3

    store = open_store(settings)
    limits = [
        item.time_limit.promised_working_days for item in map(store.item, ids[:3]) if item and item.time_limit
    ]
    assert limits == [5, 1, 5]
    stored_phones = [item.phones.consult for item in map(store.item, ids[:3]) if item and item.phones]
    assert stored_phones == ["0000-00000001", "0000-00000001", "0000-00000009"]

    again = import_catalog(settings, file, GD_MAPPING, dry_run=False, echo=echo)
    assert [item.id for item in again.valid] == ids
    assert (again.new_ids, again.updated_ids) == (0, 4)

    # Row order plays no part: the same rows in reverse give the same ids.
    reversed_file = write_rows(tmp_path / "reversed.jsonl", rows[::-1])
    reordered = validate_rows(read_rows(reversed_file), load_mapping(GD_MAPPING))
    assert sorted(item.id for item in reordered.valid) == sorted(ids)


def test_a_stated_id_shared_by_rows_that_differ_rejects_all_of_them(
    settings: Settings, tmp_path: Path
) -> None:
    other = {**CANONICAL_ROWS[1], "name": "合成测试：临时通行牌证（另一版本）"}
    file = write_rows(tmp_path / "catalog.jsonl", [*CANONICAL_ROWS, other])
    report = import_catalog(settings, file, None, dry_run=False, echo=echo, skip_invalid=True)
    assert [item.id for item in report.valid] == ["housing.synthetic_lease_filing"]
    assert [(r.row, r.reasons[0].field) for r in report.rejected] == [(2, "id"), (3, "id")]
    assert "在第 2、3 行重复，但内容不同" in report.rejected[0].reasons[0].message


def test_a_row_without_a_consult_phone_imports_and_its_answer_says_so(
    settings: Settings, tmp_path: Path
) -> None:
    rows = [
        gd_row("合成测试：只有投诉电话", consult_phone="无"),
        gd_row(
            "合成测试：没有电话",
            consult_phone="无",
            complain_phone="无",
            URL="http://example.invalid/g?seq=2",
        ),
    ]
    file = write_rows(tmp_path / "catalog.jsonl", rows)
    report = import_catalog(settings, file, GD_MAPPING, dry_run=False, echo=echo)
    assert report.ok, report.problems
    complaint_only, no_phones = (open_store(settings).item(item.id) for item in report.valid)
    assert complaint_only is not None and complaint_only.phones == Phones(complaint="12345")
    assert no_phones is not None and no_phones.phones is None

    for item in (complaint_only, no_phones):
        assert not has_answer(item, QuestionType.contact, [])  # the action offers a person
        answer = render_answer(item, QuestionType.contact, [])
        assert "1. 该事项的办事指南未提供咨询电话" in answer
        assert answer.count("咨询电话：") == 1  # the header's label, no number line nor footer line
    assert "2. 投诉电话：12345" in render_answer(complaint_only, QuestionType.contact, [])
    fees_answer = render_answer(no_phones, QuestionType.fee, [])
    assert "该事项的办事指南未提供收费标准信息，请拨打 12345 政务服务便民热线确认。" in fees_answer


@pytest.mark.skipif(not REAL_CATALOG.exists(), reason="../shared/eval is not present")
def test_the_real_provincial_catalog_with_skip_invalid_loses_no_row(
    settings: Settings, tmp_path: Path
) -> None:
    """The real rows, plus what made the full 1,823-row export fail: a row with only a complaint
    phone, the same matter listed with another time limit, and one row that is truly invalid."""
    real = [
        json.loads(line) for line in REAL_CATALOG.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    complaint_only = {**real[0], "consult_phone": "无", "complain_phone": "12345"}
    other_limit = {**real[0], "handle_time_limit": "3(工作日)"}
    no_department = {**real[1], "DEPT_NAME": "无"}
    file = write_rows(tmp_path / "export.jsonl", [*real, complaint_only, other_limit, no_department])
    report_file = tmp_path / "report.csv"

    report = import_catalog(
        settings, file, GD_MAPPING, dry_run=False, echo=echo, skip_invalid=True, report_path=report_file
    )
    assert report.accepted
    assert report.rows == len(real) + 3
    reported = [int(line["行号"]) for line in read_report(report_file)]
    imported = sorted(report.row_of.values())
    assert len(imported) == len(report.valid) == len({item.id for item in report.valid})
    assert not set(imported) & set(reported)
    assert sorted({*imported, *reported}) == list(range(1, report.rows + 1))  # every row accounted for
    assert [r.row for r in report.rejected] == [len(real) + 3]
    assert report.rejected[0].reasons[0].column == "DEPT_NAME"
    assert {report.row_of[item.id] for item in report.valid} >= {1, len(real) + 1, len(real) + 2}
    stored = open_store(settings).existing_ids(item.id for item in report.valid)
    assert len(stored) == len(report.valid)
