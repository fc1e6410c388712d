"""Files generated from the knowledge base for Rasa: the jieba user dictionary and the
`service_item`, `place` and `area` lookup tables and the synonyms to canonical ids.
Generated, not hand-edited, so a new item or alias is
segmented and recognised after retraining with no other change.

Two sets: `generated_files`, from the authored files (committed to the repository, the same
in every checkout), and `added_files`, the names of items the app DB holds beyond them
(imported catalogs, the admin API), which belong to one deployment and so live under its
var dir. Added items get lookup entries and jieba words but no synonyms: the actions resolve
an item from the text through the index, never from the entity value, and imported records
often share a name (one matter listed per department or window), which would map one
synonym to several ids."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from knowledge.catalog import Catalog
from knowledge.schema import AREA_TERMS, ServiceItem
from knowledge.synonyms import load_synonyms

# High enough that jieba keeps every name and alias as one token (entity spans must align
# with token boundaries), low enough not to outweigh the most common function words.
USERDICT_FREQUENCY = 50000
GENERATED_HEADER = "# 由 `python -m knowledge export-nlu` 根据知识库生成，请勿手工修改。\n"
ADDED_HEADER = "# 由训练前的准备步骤根据数据库中导入的事项生成，请勿手工修改。\n"
ADDED_LOOKUP_NAME = "lookup_added_service_item.yml"
ADDED_USERDICT_NAME = "added_items.txt"


def _place_names(catalog: Catalog) -> dict[str, list[str]]:
    return {place.id: [place.name, *place.aliases] for place in catalog.places.values()}


def _area_terms() -> dict[str, list[str]]:
    return {area.value: list(terms) for area, terms in AREA_TERMS.items()}


def userdict_terms(catalog: Catalog, synonyms_path: Path) -> list[str]:
    terms: set[str] = set()
    for item in catalog.items.values():
        terms.update(item.names)
    for variant, canonical in load_synonyms(synonyms_path).items():
        terms.update((variant, canonical))
    for names in (*_place_names(catalog).values(), *_area_terms().values()):
        terms.update(names)
    return sorted(t for t in terms if " " not in t)


def render_userdict(terms: list[str]) -> str:
    return "".join(f"{term} {USERDICT_FREQUENCY}\n" for term in terms)


def _examples(values: list[str]) -> str:
    return "".join(f"    - {value}\n" for value in values)


def render_lookup(catalog: Catalog) -> str:
    names = sorted({name for item in catalog.items.values() for name in item.names})
    return (
        f'{GENERATED_HEADER}version: "3.1"\nnlu:\n- lookup: service_item\n  examples: |\n{_examples(names)}'
    )


def render_entities(catalog: Catalog) -> str:
    """Place and area lookup tables, and synonyms that turn every name of an item, place or
    area into its canonical id, so the entity value Rasa returns is the id itself."""
    places = _place_names(catalog)
    areas = _area_terms()
    blocks = [
        f"- lookup: place\n  examples: |\n{_examples(sorted({n for ns in places.values() for n in ns}))}",
        f"- lookup: area\n  examples: |\n{_examples(sorted({t for ts in areas.values() for t in ts}))}",
    ]
    canonical: list[tuple[str, list[str]]] = [
        (item.id, sorted(set(item.names))) for item in sorted(catalog.items.values(), key=lambda i: i.id)
    ]
    canonical += sorted((pid, sorted(set(names))) for pid, names in places.items())
    canonical += sorted(areas.items())
    blocks += [f"- synonym: {key}\n  examples: |\n{_examples(names)}" for key, names in canonical]
    return f'{GENERATED_HEADER}version: "3.1"\nnlu:\n' + "".join(blocks)


def generated_files(catalog: Catalog, userdict: Path, generated_dir: Path, synonyms: Path) -> dict[Path, str]:
    return {
        userdict: render_userdict(userdict_terms(catalog, synonyms)),
        generated_dir / "lookup_service_item.yml": render_lookup(catalog),
        generated_dir / "entities.yml": render_entities(catalog),
    }


def _one_line(name: str) -> bool:
    """A name that fits on one line of a lookup block (an imported name might not)."""
    return len(name.splitlines()) == 1


def added_names(catalog: Catalog, items: Iterable[ServiceItem]) -> list[str]:
    """Names and aliases of items beyond the authored files that the authored lookup table
    does not already hold, each once (records sharing a name give one entry), sorted.
    Aliases are kept, being few: the 437 valid records of the provincial sample give 446
    entries (20 KiB) instead of 398, and 2,000 records of that shape 2,061 (110 KiB) instead
    of 1,828 (101 KiB), next to 1,008 authored entries (28 KiB)."""
    authored = {name for item in catalog.items.values() for name in item.names}
    names = {name for item in items for name in item.names}
    return sorted(name for name in names - authored if _one_line(name))


def render_added_lookup(names: list[str]) -> str:
    return f'{ADDED_HEADER}version: "3.1"\nnlu:\n- lookup: service_item\n  examples: |\n{_examples(names)}'


def added_userdict_terms(names: list[str], catalog: Catalog, synonyms_path: Path) -> list[str]:
    """The added names the authored user dictionary lacks (jieba's format has no spaces)."""
    authored = set(userdict_terms(catalog, synonyms_path))
    return sorted(name for name in names if " " not in name and name not in authored)


def added_files(
    catalog: Catalog, items: Iterable[ServiceItem], synonyms: Path, data_dir: Path, jieba_dir: Path
) -> dict[Path, str]:
    """The lookup table and the jieba words for `items`; nothing when they add no name."""
    names = added_names(catalog, items)
    if not names:
        return {}
    files = {data_dir / ADDED_LOOKUP_NAME: render_added_lookup(names)}
    terms = added_userdict_terms(names, catalog, synonyms)
    if terms:
        files[jieba_dir / ADDED_USERDICT_NAME] = render_userdict(terms)
    return files


def write_generated(files: dict[Path, str]) -> list[Path]:
    """Write the files whose content changed; returns those paths."""
    changed = []
    for path, content in files.items():
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            changed.append(path)
    return changed
