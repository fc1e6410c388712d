"""The one synonym table (驾照→驾驶证, 医保→医疗保险, …), kept in Rasa's own format.

`nlu_data/synonyms.yml` is read by Rasa's EntitySynonymMapper as training data and by the
search index here, so citizen wording is normalised the same way in both places.
"""

from __future__ import annotations

from pathlib import Path

from knowledge.yaml_io import safe_load


def load_synonyms(path: Path) -> dict[str, str]:
    """Map each variant to its canonical term."""
    if not path.exists():
        return {}
    data = safe_load(path.read_text(encoding="utf-8")) or {}
    mapping: dict[str, str] = {}
    for block in data.get("nlu", []):
        canonical = block.get("synonym")
        if not canonical:
            continue
        for line in str(block.get("examples", "")).splitlines():
            variant = line.strip().removeprefix("-").strip()
            if variant and variant != canonical:
                mapping[variant] = str(canonical)
    return mapping
