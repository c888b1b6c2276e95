"""Star Wars: Unlimited: SWU-DB card lists (files of erlloyd/star-wars-unlimited-json, or the
SWU-DB API).

A file `<set-name>.json` (or the API's `{"data": [...]}` for `/cards/<set>`) lists the cards
of one set: `Set` "SOR", `Number` "001", `Name`, `Subtitle`, `Type`, `Rarity`, `VariantType`
("Normal", "Hyperspace", "Showcase", …), `FrontArt`, game stats and text. The set's name
comes from the file name ("spark-of-rebellion" -> "Spark of Rebellion"; live: the table
below), its code from `Set`.

The name is "Director Krennic - Aspiring to Authority". Normal printings have the variant
key ""; other printings have their own collector numbers and are keyed by their variant type
too ("hyperspace", "showcase", "hyperspace_foil"), so they can never collide with a normal
card of the same number.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from catalogue.importers.base import CardRecord, RowError, SetBundle, SetRecord, parse_rows
from catalogue.importers.files import data_files, load_json, source_stem
from csm.http import PoliteClient, SourceError

SOURCE = "starwars"
TCG_SLUG = "starwars"
LIVE_BASE_URL = "https://api.swu-db.com"
# code -> (name, release date or None when not established here); the live path reads these.
SETS: dict[str, tuple[str, date | None]] = {
    "SOR": ("Spark of Rebellion", date(2024, 3, 8)),
    "SHD": ("Shadows of the Galaxy", date(2024, 7, 12)),
    "TWI": ("Twilight of the Republic", date(2024, 11, 8)),
    "JTL": ("Jump to Lightspeed", date(2025, 3, 14)),
    "LOF": ("Legends of the Force", None),
    "SEC": ("Secrets of Power", None),
}
STAT_FIELDS = ("Cost", "Power", "HP")
TEXT_FIELDS = ("Aspects", "Traits", "Arenas", "Keywords", "FrontText", "EpicAction", "BackText",
               "BackArt", "DoubleSided", "Unique", "Artist", "VariantType")
_SMALL_WORDS = {"a", "an", "and", "at", "for", "in", "of", "on", "or", "the", "to"}


def set_name_from_stem(stem: str) -> str:
    """'twilight-of-the-republic' -> 'Twilight of the Republic'."""
    words = [w for w in re.split(r"[-_\s]+", stem) if w]
    return " ".join(w if i and w in _SMALL_WORDS else w[:1].upper() + w[1:]
                    for i, w in enumerate(words))


def variant_key_for(variant_type: str | None) -> str:
    kind = (variant_type or "Normal").strip()
    return "" if kind.lower() == "normal" else re.sub(r"[^a-z0-9]+", "_", kind.lower()).strip("_")


def finishes_for(variant_key: str) -> list[str]:
    if not variant_key:
        return ["normal", "foil"]
    if "foil" in variant_key or variant_key == "showcase":  # showcases are foil only
        return [variant_key]
    return [variant_key, f"{variant_key}_foil"]


def _stat(value: Any) -> int | str | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    return int(text) if text.isdigit() else text


def parse_card(row: dict[str, Any], *, set_code: str | None = None) -> CardRecord:
    """One card of the list; `set_code` (the set being read) must match the row's `Set`."""
    if not isinstance(row, dict):
        raise RowError("not a card object")
    code = str(row["Set"] or "").strip().upper()
    if set_code is not None and code != set_code:
        raise RowError(f"card of set {code!r} in the list of {set_code!r}")
    number = str(row["Number"] or "").strip()
    if not re.fullmatch(r"[A-Z]*\d+[a-z]?", number):
        raise RowError(f"malformed Number {row['Number']!r}")
    name = str(row["Name"] or "").strip()
    if not name:
        raise RowError("empty Name")
    subtitle = str(row.get("Subtitle") or "").strip()
    key = variant_key_for(row.get("VariantType"))
    attributes: dict[str, Any] = {field.lower(): _stat(row.get(field)) for field in STAT_FIELDS
                                  if field in row}
    attributes.update({_snake(field): row[field] for field in TEXT_FIELDS if field in row})
    attributes["front_art"] = row.get("FrontArt") or ""
    return CardRecord(
        source_id=f"{code}-{number}" + (f"-{key}" if key else ""),
        name=f"{name} - {subtitle}" if subtitle else name,
        number=number,
        variant_key=key,
        rarity=str(row.get("Rarity") or ""),
        card_type=str(row.get("Type") or ""),
        image_url=row.get("FrontArt") or "",
        attributes=attributes,
        variants=finishes_for(key),
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _row_ref(row: Any, index: int) -> str:
    if isinstance(row, dict) and row.get("Number"):
        return f"{row.get('Set') or '?'} {row['Number']}"
    return f"row {index + 1}"


def bundle_for(rows: Any, *, name: str | None) -> SetBundle:
    """One set from its card list; the code is the list's (most common) `Set`."""
    if not isinstance(rows, list):
        raise SourceError("a Star Wars: Unlimited card list is not a JSON list")
    codes = Counter(str(r.get("Set") or "").strip().upper() for r in rows
                    if isinstance(r, dict) and r.get("Set"))
    if not codes:
        raise SourceError("a Star Wars: Unlimited card list names no set")
    code = codes.most_common(1)[0][0]
    table_name, released = SETS.get(code, (code, None))
    record = SetRecord(source_id=code, name=name or table_name, code=code,
                       release_date=released)
    bundle = SetBundle(set_record=record)
    parse_rows(bundle, rows, lambda row: parse_card(row, set_code=code), _row_ref)
    bundle.set_record = replace(record, total_cards=len(bundle.cards))
    return bundle


def _set_files(path: Path) -> list[Path]:
    files = data_files(path, "*.json") if path.is_dir() else [path]
    chosen: dict[str, Path] = {}
    for file in files:
        chosen.setdefault(source_stem(file), file)  # a plain file before its .gz twin
    return list(chosen.values())


def _code_for_stem(stem: str) -> str:
    names = {name.lower(): code for code, (name, _released) in SETS.items()}
    return names.get(set_name_from_stem(stem).lower(), stem)


def _wanted(bundle: SetBundle, stem: str, only: set[str] | None) -> bool:
    return only is None or bool({bundle.set_record.source_id, stem} & only)


def bundles_from_path(path: Path, *, only: set[str] | None = None) -> Iterator[SetBundle]:
    for file in _set_files(Path(path)):
        stem = source_stem(file)
        name = set_name_from_stem(stem)
        try:
            bundle = bundle_for(load_json(file), name=name)
        except (OSError, EOFError, ValueError, SourceError) as exc:  # unreadable or no list
            bundle = SetBundle(SetRecord(source_id=_code_for_stem(stem), name=name),
                               failure=f"{file.name} not readable: {exc}")
        if _wanted(bundle, stem, only):
            yield bundle


def bundles_from_live(client: PoliteClient, *, only: set[str] | None = None
                      ) -> Iterator[SetBundle]:
    for code, (name, _released) in SETS.items():
        if only is not None and code not in only:
            continue
        payload = client.get_json(f"cards/{code.lower()}")
        try:
            if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
                raise SourceError("the answer holds no card list")
            yield bundle_for(payload["data"], name=name)
        except SourceError as exc:
            yield SetBundle(SetRecord(source_id=code, name=name),
                            failure=f"SWU-DB cards/{code.lower()}: {exc}")


def count_sets(path: Path | None, *, only: set[str] | None = None) -> int | None:
    if path is None:
        return None
    files = _set_files(Path(path))
    if only is None:
        return len(files)
    count = 0
    for file in files:
        try:
            rows = load_json(file)
        except (OSError, EOFError, ValueError):
            rows = []
        first = next((r for r in rows if isinstance(r, dict)), {}) if isinstance(rows, list) else {}
        code = str(first.get("Set") or _code_for_stem(source_stem(file))).upper()
        count += bool({code, source_stem(file)} & only)
    return count
