"""Importing a district's own service catalog (JSON, JSONL, YAML, CSV, XLSX).

A mapping file names, for each canonical field, the source column and how to read it; with
no mapping the columns are expected to carry the canonical names. Every row is validated
before anything is written: a file with any bad row is rejected as a whole, each problem
named with its row number and field, so a half-imported catalog never reaches citizens.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from knowledge.schema import ServiceItem

LIST_FIELDS = frozenset({"aliases", "eligibility", "materials", "fees", "steps", "places", "legal_basis"})
SUPPORTED = (".json", ".jsonl", ".yaml", ".yml", ".csv", ".xlsx")
MAX_REPORTED_PROBLEMS = 50


class ImportFileError(Exception):
    """The file cannot be read at all (format, encoding, mapping)."""


class FieldRule(BaseModel):
    """How one canonical field is read from a source row."""

    model_config = ConfigDict(extra="forbid")

    column: str | None = None
    columns: list[str] = Field(default_factory=list)  # several key columns, for stable_id
    value: Any = None  # a constant instead of a column
    transform: str | None = None  # one of TRANSFORMS
    map: dict[str, str] = Field(default_factory=dict)  # source value -> canonical value
    default: Any = None
    strip_prefix: str = ""


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: dict[str, FieldRule | str] = Field(default_factory=dict)
    null_values: list[str] = Field(default_factory=lambda: ["", "无", "null", "None", "-"])
    list_separator: str = r"[；;\n|]"

    def rule(self, canonical: str) -> FieldRule | None:
        spec = self.fields.get(canonical)
        if isinstance(spec, str):
            return FieldRule(column=spec)
        return spec


@dataclass
class ImportReport:
    rows: int = 0
    valid: list[ServiceItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    new_ids: int = 0
    updated_ids: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


# --- reading files ---------------------------------------------------------------------


def _rows_json(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    if isinstance(data, dict):
        data = data.get("items", [])
    if not isinstance(data, list):
        raise ImportFileError("JSON 文件应为事项数组，或含 items 数组的对象")
    yield from enumerate(data, start=1)


def _rows_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, {"__error__": f"不是合法的 JSON：{exc.msg}"}


def _rows_yaml(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    if isinstance(data, dict):
        data = data.get("items", [])
    if not isinstance(data, list):
        raise ImportFileError("YAML 文件应为事项列表，或含 items 列表的映射")
    yield from enumerate(data, start=1)


def _rows_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):  # row 1 is the header
            yield number, dict(row)


def _rows_xlsx(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    for number, values in enumerate(rows, start=2):
        if any(v not in (None, "") for v in values):
            yield number, {h: v for h, v in zip(header, values, strict=False) if h}
    workbook.close()


READERS: dict[str, Callable[[Path], Iterator[tuple[int, dict[str, Any]]]]] = {
    ".json": _rows_json,
    ".jsonl": _rows_jsonl,
    ".yaml": _rows_yaml,
    ".yml": _rows_yaml,
    ".csv": _rows_csv,
    ".xlsx": _rows_xlsx,
}


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ImportFileError(f"不支持的文件类型 {path.suffix}，支持：{'、'.join(SUPPORTED)}")
    try:
        yield from reader(path)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError, csv.Error) as exc:
        raise ImportFileError(f"无法读取 {path.name}：{exc}") from exc


def load_mapping(path: Path | None) -> Mapping:
    if path is None:
        return Mapping()
    try:
        return Mapping.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (yaml.YAMLError, ValidationError) as exc:
        raise ImportFileError(f"映射文件 {path.name} 有误：{exc}") from exc


# --- turning a row into a canonical item ----------------------------------------------

_DAYS = re.compile(r"(\d+)")


def _working_days(value: Any) -> int | None:
    match = _DAYS.search(str(value))
    return int(match.group(1)) if match else None


TRANSFORMS: dict[str, Callable[[Any], Any]] = {
    "working_days": _working_days,
    "text": lambda v: str(v).strip(),
}


def _is_null(value: Any, mapping: Mapping) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in mapping.null_values)


def _split(value: Any, mapping: Mapping) -> list[Any]:
    if isinstance(value, list):
        return [v for v in value if not _is_null(v, mapping)]
    parts = re.split(mapping.list_separator, str(value))
    return [p.strip() for p in parts if not _is_null(p, mapping)]


def _lookup(row: dict[str, Any], column: str) -> Any:
    """A column by name, or a dotted path into nested JSON (`time_limit.legal_days`)."""
    if column in row:
        return row[column]
    current: Any = row
    for part in column.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def _apply_rule(rule: FieldRule, row: dict[str, Any], mapping: Mapping) -> Any:
    value = rule.value if rule.column is None else _lookup(row, rule.column)
    if rule.map:
        candidates = value if isinstance(value, list) else [value]
        value = next((rule.map[str(c)] for c in candidates if str(c) in rule.map), None)
    if isinstance(value, str) and rule.strip_prefix:
        value = value.removeprefix(rule.strip_prefix)
    if rule.transform and not _is_null(value, mapping):
        value = TRANSFORMS[rule.transform](value)
    if _is_null(value, mapping):
        value = rule.default
    return value


def _material(value: Any) -> Any:
    return {"name": value, "form": "未注明"} if isinstance(value, str) else value


def _fee(value: Any) -> Any:
    """「工本费：20元」「登记费：免费」, or a dict already in the schema's shape."""
    if not isinstance(value, str):
        return value
    name, _, amount = (part.strip() for part in value.replace("：", ":").partition(":"))
    if "免费" in amount or "不收费" in amount:
        return {"name": name, "free": True}
    number = re.search(r"\d+(?:\.\d+)?", amount)
    return {"name": name, "amount_yuan": number.group(0) if number else None}


_ITEM_SHAPERS: dict[str, Callable[[Any], Any]] = {"materials": _material, "fees": _fee}


def _set(target: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value


def _stable_id(area: str, key: str) -> str:
    return f"{area}.imp_{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


CANONICAL_FIELDS = (
    "id", "area", "name", "aliases", "department", "type", "eligibility", "materials", "fees", "steps",
    "time_limit.legal_days", "time_limit.legal_unit", "time_limit.promised_working_days", "time_limit.note",
    "places", "location_note", "online.url", "online.channel", "online.note", "legal_basis",
    "phones.consult", "phones.complaint", "last_verified", "source",
)  # fmt: skip


def canonical_row(row: dict[str, Any], mapping: Mapping) -> dict[str, Any]:
    """The row in the schema's shape. `id` may be generated from a key column
    (`transform: stable_id`), which keeps re-imports of the same catalog idempotent."""
    item: dict[str, Any] = {}
    id_key: str | None = None
    for canonical in CANONICAL_FIELDS:
        rule = mapping.rule(canonical) or FieldRule(column=canonical)
        if canonical == "id" and rule.transform == "stable_id":
            keys = [_lookup(row, c) for c in (rule.columns or [rule.column or ""])]
            present = [str(k) for k in keys if not _is_null(k, mapping)]
            id_key = "\x1f".join(present) if present else None
            continue
        value = _apply_rule(rule, row, mapping)
        if value is None:
            continue
        top = canonical.split(".")[0]
        if top in LIST_FIELDS:
            value = [_ITEM_SHAPERS.get(top, lambda v: v)(v) for v in _split(value, mapping)]
        _set(item, canonical, value)
    if id_key is not None and "area" in item:
        item["id"] = _stable_id(str(item["area"]), id_key)
    if isinstance(item.get("time_limit"), dict) and not any(
        v is not None for k, v in item["time_limit"].items() if k != "legal_unit"
    ):
        del item["time_limit"]
    return item


def _describe(error: ValidationError) -> list[str]:
    return [f"字段 {'.'.join(str(p) for p in e['loc']) or '(整行)'}：{e['msg']}" for e in error.errors()]


def validate_rows(rows: Iterator[tuple[int, dict[str, Any]]], mapping: Mapping,
                  progress: Callable[[int], None] | None = None) -> ImportReport:  # fmt: skip
    report = ImportReport()
    first_row: dict[str, tuple[int, ServiceItem]] = {}
    for number, row in rows:
        report.rows += 1
        if progress and report.rows % 1000 == 0:
            progress(report.rows)
        if "__error__" in row:
            report.problems.append(f"第 {number} 行：{row['__error__']}")
            continue
        if not isinstance(row, dict):
            report.problems.append(f"第 {number} 行：应为一个对象（键值对）")
            continue
        shaped = canonical_row(row, mapping)
        label = f"第 {number} 行" + (f"（{shaped['name']}）" if shaped.get("name") else "")
        if "id" not in shaped:
            report.problems.append(f"{label}：缺少事项编号 id（或映射中的 stable_id 来源列为空）")
            continue
        try:
            item = ServiceItem.model_validate(shaped)
        except ValidationError as exc:
            report.problems.extend(f"{label}，{problem}" for problem in _describe(exc))
            continue
        if item.id in first_row:
            earlier, kept = first_row[item.id]
            if kept == item:  # catalog exports repeat rows verbatim; nothing is lost by one copy
                report.warnings.append(f"{label}：与第 {earlier} 行完全相同，已忽略")
            else:
                report.problems.append(f"{label}：事项编号 {item.id} 与第 {earlier} 行重复，但内容不同")
            continue
        first_row[item.id] = (number, item)
        report.valid.append(item)
    if report.rows == 0:
        report.problems.append("文件中没有任何事项")
    return report
