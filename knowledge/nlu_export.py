"""Files generated from the knowledge base for Rasa: the jieba user dictionary and the
`service_item` lookup table. Generated, not hand-edited, so a new item or alias is
segmented and recognised after retraining with no other change."""

from __future__ import annotations

from pathlib import Path

from knowledge.catalog import Catalog
from knowledge.synonyms import load_synonyms

# High enough that jieba keeps every name and alias as one token (entity spans must align
# with token boundaries), low enough not to outweigh the most common function words.
USERDICT_FREQUENCY = 50000
GENERATED_HEADER = "# 由 `python -m knowledge export-nlu` 根据知识库生成，请勿手工修改。\n"


def userdict_terms(catalog: Catalog, synonyms_path: Path) -> list[str]:
    terms: set[str] = set()
    for item in catalog.items.values():
        terms.update(item.names)
    for variant, canonical in load_synonyms(synonyms_path).items():
        terms.update((variant, canonical))
    return sorted(t for t in terms if " " not in t)


def render_userdict(terms: list[str]) -> str:
    return "".join(f"{term} {USERDICT_FREQUENCY}\n" for term in terms)


def render_lookup(catalog: Catalog) -> str:
    names = sorted({name for item in catalog.items.values() for name in item.names})
    lines = "".join(f"    - {name}\n" for name in names)
    return f'{GENERATED_HEADER}version: "3.1"\nnlu:\n- lookup: service_item\n  examples: |\n{lines}'


def generated_files(catalog: Catalog, userdict: Path, lookup: Path, synonyms: Path) -> dict[Path, str]:
    return {
        userdict: render_userdict(userdict_terms(catalog, synonyms)),
        lookup: render_lookup(catalog),
    }


def write_generated(files: dict[Path, str]) -> list[Path]:
    """Write the files whose content changed; returns those paths."""
    changed = []
    for path, content in files.items():
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            changed.append(path)
    return changed
