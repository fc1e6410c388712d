"""Importing a district's own service catalog (JSON, JSONL, YAML, CSV, XLSX).

A mapping file names, for each canonical field, the source column and how to read it; with
no mapping the columns are expected to carry the canonical names. Every row is validated
before anything is written. By default a file with any bad row is rejected as a whole, each
problem named with its row number and field, so a half-imported catalog never reaches citizens
by accident; with `skip_invalid` the caller may import the valid rows instead, and every
rejected row goes to a report file (`write_report`) so that nothing is dropped silently.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from knowledge.schema import ServiceItem
from knowledge.yaml_io import safe_load

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


@dataclass(frozen=True)
class Reason:
    """One thing wrong with a row: the canonical field (None: the row as a whole), the source
    column it was read from (so whoever fixes the export knows where to look) and why."""

    field: str | None
    message: str
    column: str | None = None

    def text(self) -> str:
        if self.field is None:
            return self.message
        where = f"（来源列 {self.column}）" if self.column and self.column != self.field else ""
        return f"字段 {self.field}{where}：{self.message}"


@dataclass(frozen=True)
class RejectedRow:
    """A row that was not imported, with every reason found in it."""

    row: int
    name: str | None
    reasons: tuple[Reason, ...]

    @property
    def label(self) -> str:
        return f"第 {self.row} 行" + (f"（{self.name}）" if self.name else "")

    def lines(self) -> list[str]:
        return [
            f"{self.label}，{reason.text()}" if reason.field else f"{self.label}：{reason.message}"
            for reason in self.reasons
        ]


@dataclass(frozen=True)
class DuplicateRow:
    """A row identical (after mapping and validation) to an earlier one: one item holds both."""

    row: int
    name: str
    same_as: int
    item_id: str

    def line(self) -> str:
        return f"第 {self.row} 行（{self.name}）：与第 {self.same_as} 行完全相同，已忽略"


@dataclass
class ImportReport:
    rows: int = 0
    valid: list[ServiceItem] = field(default_factory=list)
    row_of: dict[str, int] = field(default_factory=dict)  # item id -> the file row it came from
    rejected: list[RejectedRow] = field(default_factory=list)
    duplicates: list[DuplicateRow] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)  # the file as a whole (e.g. no rows)
    notes: list[str] = field(default_factory=list)
    new_ids: int = 0
    updated_ids: int = 0
    new_names: int = 0  # names and aliases no item held before: Rasa learns them when retrained
    accepted: bool = False  # the items were written (in a dry run: would be)
    report_path: Path | None = None

    @property
    def problems(self) -> list[str]:
        """Every problem as one Chinese line, in row order after those about the whole file."""
        return [*self.file_problems, *(line for rejected in self.rejected for line in rejected.lines())]

    @property
    def warnings(self) -> list[str]:
        return [*(duplicate.line() for duplicate in self.duplicates), *self.notes]

    @property
    def ok(self) -> bool:
        """Every row is valid: the file can be imported whole."""
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
    data = safe_load(path.read_text(encoding="utf-8-sig"))
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
        return Mapping.model_validate(safe_load(path.read_text(encoding="utf-8")) or {})
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


def content_digest(item: ServiceItem) -> str:
    """A digest of everything the item says except its id: equal for equal content whatever the
    row order or file format, so an id derived from it survives re-imports."""
    canonical = json.dumps(item.model_dump(mode="json", exclude={"id"}), ensure_ascii=False, sort_keys=True)
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()


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


_MESSAGES = {
    "missing": "缺少必填项",
    "string_too_short": "不能为空",
    "too_short": "至少要有一项",
    "extra_forbidden": "不认识的字段",
    "string_pattern_mismatch": "格式不符合要求",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "date_parsing": "不是有效的日期（应为 YYYY-MM-DD）",
    "date_from_datetime_parsing": "不是有效的日期（应为 YYYY-MM-DD）",
    "url_parsing": "不是有效的网址",
    "int_parsing": "应为整数",
    "decimal_parsing": "应为数字",
    "greater_than_equal": "不能为负数",
}


def _message(error: Any) -> str:
    """Chinese first; pydantic's own wording kept in brackets (it lists allowed values)."""
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])  # our validators already speak Chinese
    chinese = _MESSAGES.get(error["type"])
    return f"{chinese}（{error['msg']}）" if chinese else str(error["msg"])


def _source_column(mapping: Mapping, dotted: str) -> str | None:
    """The source column a canonical field (or one of its list entries) was read from."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix not in CANONICAL_FIELDS:
            continue
        rule = mapping.rule(prefix) or FieldRule(column=prefix)
        return rule.column or ("、".join(rule.columns) if rule.columns else None)
    return None


def _reasons(error: ValidationError, mapping: Mapping) -> tuple[Reason, ...]:
    reasons = []
    for detail in error.errors():
        dotted = ".".join(str(p) for p in detail["loc"])
        reasons.append(
            Reason(dotted or None, _message(detail), _source_column(mapping, dotted) if dotted else None)
        )
    return tuple(reasons)


@dataclass(frozen=True)
class _Candidate:
    row: int
    item: ServiceItem


def _validate_row(number: int, row: Any, mapping: Mapping) -> _Candidate | RejectedRow:
    if isinstance(row, dict) and "__error__" in row:
        return RejectedRow(number, None, (Reason(None, str(row["__error__"])),))
    if not isinstance(row, dict):
        return RejectedRow(number, None, (Reason(None, "应为一个对象（键值对）"),))
    shaped = canonical_row(row, mapping)
    name = str(shaped["name"]) if shaped.get("name") else None
    if "id" not in shaped:
        missing = Reason(
            "id", "缺少事项编号（或映射中 stable_id 的来源列都为空）", _source_column(mapping, "id")
        )
        return RejectedRow(number, name, (missing,))
    try:
        return _Candidate(number, ServiceItem.model_validate(shaped))
    except ValidationError as exc:
        return RejectedRow(number, name, _reasons(exc, mapping))


def _resolve_ids(candidates: Iterable[_Candidate], generated: bool, report: ImportReport) -> None:
    """Give every distinct content its own id; fold identical rows into one item.

    Rows sharing an id but differing in content (a matter listed once per window or time
    limit) are distinct items. A generated id then gets a suffix derived from the content,
    never from row order, so the same file imported twice yields the same ids; a row whose key
    is unique keeps the plain key-derived id, which stays put when its other fields change.
    An id the file itself states is the catalog's own claim that rows are one item, so
    differing rows under it are all rejected rather than one of them picked at random."""
    groups: dict[str, list[list[_Candidate]]] = {}  # id -> distinct contents -> identical rows
    for candidate in candidates:
        variants = groups.setdefault(candidate.item.id, [])
        same = next((v for v in variants if v[0].item == candidate.item), None)
        if same is None:
            variants.append([candidate])
        else:
            same.append(candidate)
    accepted: list[_Candidate] = []
    for item_id, variants in groups.items():
        if len(variants) > 1 and not generated:
            rows = "、".join(str(v[0].row) for v in variants)
            reason = Reason("id", f"事项编号 {item_id} 在第 {rows} 行重复，但内容不同")
            report.rejected.extend(RejectedRow(c.row, c.item.name, (reason,)) for v in variants for c in v)
            continue
        for first, *copies in variants:
            item = first.item
            if len(variants) > 1:
                item = item.model_copy(update={"id": f"{item_id}_{content_digest(item)[:10]}"})
                label = f"第 {first.row} 行（{item.name}）"
                report.notes.append(f"{label}：编号来源列与别的行相同、内容不同，按内容编号为 {item.id}")
            accepted.append(_Candidate(first.row, item))
            report.duplicates.extend(DuplicateRow(c.row, item.name, first.row, item.id) for c in copies)
    for candidate in sorted(accepted, key=lambda c: c.row):
        report.valid.append(candidate.item)
        report.row_of[candidate.item.id] = candidate.row
    report.rejected.sort(key=lambda r: r.row)
    report.duplicates.sort(key=lambda d: d.row)


def validate_rows(rows: Iterator[tuple[int, dict[str, Any]]], mapping: Mapping,
                  progress: Callable[[int], None] | None = None) -> ImportReport:  # fmt: skip
    """Map and validate every row, reporting each bad row with all its reasons."""
    report = ImportReport()
    candidates: list[_Candidate] = []
    for number, row in rows:
        report.rows += 1
        if progress and report.rows % 1000 == 0:
            progress(report.rows)
        result = _validate_row(number, row, mapping)
        if isinstance(result, RejectedRow):
            report.rejected.append(result)
        else:
            candidates.append(result)
    id_rule = mapping.rule("id")
    _resolve_ids(candidates, id_rule is not None and id_rule.transform == "stable_id", report)
    if report.rows == 0:
        report.file_problems.append("文件中没有任何事项")
    return report


REPORT_COLUMNS = ("行号", "事项名称", "处理结果", "字段", "来源列", "原因")


def write_report(report: ImportReport, path: Path) -> Path:
    """Every rejected row (one line per reason) and every folded duplicate, as a CSV that
    Excel and WPS open directly (UTF-8 with BOM), in row order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines: list[tuple[int, list[str]]] = []
    for rejected in report.rejected:
        for reason in rejected.reasons:
            lines.append((rejected.row, [str(rejected.row), rejected.name or "", "未导入", reason.field or "",
                                         reason.column or "", reason.message]))  # fmt: skip
    for duplicate in report.duplicates:
        detail = f"与第 {duplicate.same_as} 行完全相同，合并为事项 {duplicate.item_id}"
        lines.append((duplicate.row, [str(duplicate.row), duplicate.name, "重复，已合并", "", "", detail]))
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REPORT_COLUMNS)
        writer.writerows(["", "", "未导入", "", "", problem] for problem in report.file_problems)
        writer.writerows(line for _, line in sorted(lines, key=lambda entry: entry[0]))
    return path
