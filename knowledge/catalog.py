"""Loading and validating the authored knowledge files under `knowledge/data/`.

A mistake in these files becomes a wrong answer to a citizen, so loading is all or nothing:
every problem is collected and reported with its file, item and field, and nothing is
returned until the whole catalog is valid.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge.schema import AreaFile, FaqEntry, PlacesFile, ServiceItem, ServicePlace
from knowledge.yaml_io import safe_load

PLACES_FILE = "places.yml"


class CatalogError(Exception):
    """The knowledge files are invalid; `problems` lists each one in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("知识库文件校验失败：\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


@dataclass
class Catalog:
    items: dict[str, ServiceItem] = field(default_factory=dict)
    places: dict[str, ServicePlace] = field(default_factory=dict)
    faqs: dict[str, FaqEntry] = field(default_factory=dict)


def _field_path(loc: Iterable[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "(整个文件)"


def _item_label(raw: Any, loc: tuple[int | str, ...]) -> str:
    """Name the item a validation error belongs to, from the raw YAML."""
    if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int) and isinstance(raw, dict):
        items = raw.get("items") or []
        if loc[1] < len(items) and isinstance(items[loc[1]], dict):
            return f"事项 {items[loc[1]].get('id', f'第{loc[1] + 1}条')}"
        return f"第{loc[1] + 1}条事项"
    return "文件"


def _describe(path: Path, raw: Any, error: ValidationError) -> list[str]:
    problems = []
    for detail in error.errors():
        loc = tuple(detail["loc"])
        label = _item_label(raw, loc)
        problems.append(f"{path.name}，{label}，字段 {_field_path(loc)}：{detail['msg']}")
    return problems


def _read_yaml(path: Path, text: str, problems: list[str]) -> Any:
    try:
        return _parsed(text)
    except yaml.YAMLError as exc:
        problems.append(f"{path.name}：YAML 格式错误：{exc}")
        return None


@lru_cache(maxsize=64)
def _parsed(text: str) -> Any:
    """A file's YAML, parsed once per process for the same text (the catalog is loaded by
    every store that is seeded, the training data and the area classifier). Only read: it is
    validated into new models, never changed in place."""
    return safe_load(text)


def data_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.glob("*.yml") if p.is_file())


def content_hash(files: Iterable[tuple[str, Path]]) -> str:
    """A digest of (label, file bytes) pairs: unchanged files mean an unchanged derived
    artifact. Labels, not absolute paths, so every clone of the repo gets the same digest."""
    digest = hashlib.sha256()
    for label, path in sorted(files):
        digest.update(label.encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _check_aliases(catalog: Catalog, problems: list[str]) -> None:
    """A name or alias used by two items or places would make 「补办X」 ambiguous (and map
    one Rasa synonym to two ids): refuse it."""
    owners: dict[str, str] = {}
    named = [(item.id, item.names) for item in catalog.items.values()]
    named += [(place.id, [place.name, *place.aliases]) for place in catalog.places.values()]
    for owner, names in named:
        for name in names:
            other = owners.setdefault(name, owner)
            if other != owner:
                problems.append(f"{owner} 与 {other} 使用了相同的名称或别名「{name}」")


def load_catalog(data_dir: Path) -> Catalog:
    files = tuple((path, path.read_text(encoding="utf-8")) for path in data_files(data_dir))
    loaded = _load_catalog(data_dir, files)
    # The items, places and FAQ entries are frozen models, shared by the loads of the same
    # files in this process; the mappings are the caller's own.
    return Catalog(dict(loaded.items), dict(loaded.places), dict(loaded.faqs))


@lru_cache(maxsize=4)
def _load_catalog(data_dir: Path, files: tuple[tuple[Path, str], ...]) -> Catalog:
    """The catalog of these files (path, text), validated once per process for the same
    texts (every store seeded from the authored files, the training data and the area
    classifier read it); an invalid one raises every time."""
    problems: list[str] = []
    catalog = Catalog()
    area_files: list[tuple[Path, AreaFile]] = []
    for path, text in files:
        raw = _read_yaml(path, text, problems)
        if raw is None:
            continue
        try:
            if path.name == PLACES_FILE:
                for place in PlacesFile.model_validate(raw).places:
                    catalog.places[place.id] = place
            else:
                area_files.append((path, AreaFile.model_validate(raw)))
        except ValidationError as exc:
            problems.extend(_describe(path, raw, exc))

    for path, area_file in area_files:
        for item in area_file.items:
            if item.id in catalog.items:
                problems.append(f"{path.name}，事项 {item.id}：编号重复")
            for place_id in item.places:
                if place_id not in catalog.places:
                    problems.append(f"{path.name}，事项 {item.id}，字段 places：未知的办理地点 {place_id}")
            catalog.items[item.id] = item
        for number, pair in enumerate(area_file.faqs, start=1):
            faq_id = f"{area_file.area.value}.faq_{number:03d}"
            catalog.faqs[faq_id] = FaqEntry(id=faq_id, area=area_file.area, q=pair.q, a=pair.a)
    _check_aliases(catalog, problems)
    if not catalog.items and not problems:
        problems.append(f"{data_dir} 下没有任何事项")
    if problems:
        raise CatalogError(problems)
    return catalog
