"""pokemontcg.io API v2 set and card objects.

Files are laid out like PokemonTCG/pokemon-tcg-data: `sets/en.json` (a list of set objects) and
`cards/en/<set id>.json` (a list of card objects), each possibly `.gz`. The live path reads the
same objects from the paged API (`/sets`, `/cards?q=set.id:<id>`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from catalogue.importers.base import (
    CardRecord,
    RowError,
    SetBundle,
    SetRecord,
    parse_rows,
)
from catalogue.importers.fields import count_field, mapping_field, text_field
from catalogue.importers.files import data_files, load_json
from csm.http import PoliteClient, SourceError

SOURCE = "pokemontcg"
TCG_SLUG = "pokemon"
LIVE_BASE_URL = "https://api.pokemontcg.io/v2"
API_KEY_ENV = "POKEMONTCG_API_KEY"
PAGE_SIZE = 250

# WOTC sets printed in a 1st Edition run (Base Set's 1st Edition is the shadowless print).
FIRST_EDITION_SETS = frozenset({"base1", "base2", "base3", "base5", "gym1", "gym2",
                                "neo1", "neo2", "neo3", "neo4"})
# Reverse holos start with Legendary Collection; these later sets had none.
REVERSE_HOLO_FROM = date(2002, 5, 24)
NO_REVERSE_HOLO_SETS = frozenset({"si1", "bp", "ru1", "dv1", "xy0", "g1", "det1", "fut20",
                                  "sma", "swsh45sv", "cel25", "cel25c", "sve"})
NO_REVERSE_HOLO_PREFIXES = ("pop", "tk", "mcd")
NO_REVERSE_HOLO_SUFFIXES = ("tg", "gg")
# Rarities printed without holofoil in the main sets (from Scarlet & Violet on, rares are holo).
PLAIN_RARITIES = frozenset({"", "Common", "Uncommon", "Rare", "Promo"})
REVERSE_HOLO_RARITIES = frozenset({"Common", "Uncommon", "Rare", "Rare Holo"})
VARIANT_ORDER = ("normal", "holofoil", "reverse_holofoil", "1st_edition_normal",
                 "1st_edition_holofoil", "unlimited", "unlimited_holofoil")

# Card attributes kept verbatim, with the JSON type each must have.
ATTRIBUTE_TYPES: dict[str, type] = {
    "hp": str, "types": list, "subtypes": list, "level": str, "abilities": list,
    "attacks": list, "weaknesses": list, "resistances": list, "retreatCost": list,
    "convertedRetreatCost": int, "artist": str, "flavorText": str,
    "nationalPokedexNumbers": list, "regulationMark": str, "rules": list, "evolvesTo": list,
    "ancientTrait": dict,
}
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


# --- Parsing (pure) -----------------------------------------------------------------------





def _url(images: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = images.get(key)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            if len(value) > 500:
                raise RowError(f"image URL {key} is longer than 500 characters")
            return value
    return ""


def parse_release_date(value: Any) -> date | None:
    """pokemontcg.io dates read "YYYY/MM/DD"."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise RowError(f"releaseDate is not a date: {value!r}")
    try:
        return date.fromisoformat(value.strip().replace("/", "-"))
    except ValueError as exc:
        raise RowError(f"releaseDate is not a date: {value!r}") from exc


def parse_set(obj: Any) -> SetRecord:
    if not isinstance(obj, dict):
        raise RowError(f"set is {type(obj).__name__}, not an object")
    set_id = text_field(obj, "id", max_length=64, required=True)
    code = text_field(obj, "ptcgoCode", max_length=32)
    images = mapping_field(obj, "images")
    external_ids: dict[str, Any] = {"pokemontcg_id": set_id}
    if code:
        external_ids["ptcgo_code"] = code
    return SetRecord(
        source_id=set_id,
        name=text_field(obj, "name", max_length=200, required=True),
        code=code,
        series=text_field(obj, "series", max_length=100),
        release_date=parse_release_date(obj.get("releaseDate")),
        total_cards=count_field(obj, "total"),
        printed_total=count_field(obj, "printedTotal"),
        logo_url=_url(images, "logo") or None,
        symbol_url=_url(images, "symbol") or None,
        external_ids=external_ids,
    )


def price_variant_name(key: str) -> str:
    """tcgplayer price keys to snake case: "1stEditionHolofoil" -> "1st_edition_holofoil"."""
    return _CAMEL_BOUNDARY.sub("_", key).lower()


def _ordered(variants: Iterable[str]) -> list[str]:
    rank = {name: index for index, name in enumerate(VARIANT_ORDER)}
    return sorted(set(variants), key=lambda name: (rank.get(name, len(rank)), name))


def has_reverse_holos(card_set: SetRecord) -> bool:
    set_id = card_set.source_id
    return (card_set.release_date is not None and card_set.release_date >= REVERSE_HOLO_FROM
            and set_id not in NO_REVERSE_HOLO_SETS
            and not set_id.startswith(NO_REVERSE_HOLO_PREFIXES)
            and not set_id.endswith(NO_REVERSE_HOLO_SUFFIXES))


def infer_variants(rarity: str, card_set: SetRecord) -> list[str]:
    """The printings a card exists in when the source carries no TCGplayer prices: the
    rarity tells holo or not, the set tells whether reverse holos and 1st Editions exist."""
    holo = rarity not in PLAIN_RARITIES or (
        rarity == "Rare" and card_set.series == "Scarlet & Violet")
    variants = ["holofoil" if holo else "normal"]
    if rarity in REVERSE_HOLO_RARITIES and has_reverse_holos(card_set):
        variants.append("reverse_holofoil")
    if card_set.source_id in FIRST_EDITION_SETS:
        variants.append("1st_edition_holofoil" if holo else "1st_edition_normal")
    return _ordered(variants)


def _variants(obj: dict[str, Any], rarity: str, card_set: SetRecord) -> list[str]:
    prices = mapping_field(mapping_field(obj, "tcgplayer"), "prices")
    if prices:
        return _ordered(price_variant_name(key) for key in prices)
    return infer_variants(rarity, card_set)


def _attributes(obj: dict[str, Any]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for key, expected in ATTRIBUTE_TYPES.items():
        value = obj.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, expected):
            raise RowError(f"{key} is {type(value).__name__}, not {expected.__name__}")
        attributes[key] = value
    for key in ("types", "subtypes", "retreatCost", "evolvesTo", "rules"):
        if not all(isinstance(item, str) for item in attributes.get(key, ())):
            raise RowError(f"{key} holds something other than strings")
    return attributes


def _variant_key(card_id: str, set_id: str, number: str) -> str:
    """Cards sharing a number in a set differ by the id's suffix ("cel25c-15_A1" -> "A1")."""
    stem = f"{set_id}-{number}"
    if card_id != stem and card_id.startswith(stem):
        return card_id[len(stem):].lstrip("_-")[:32]
    return ""


def parse_card(obj: Any, card_set: SetRecord) -> CardRecord:
    if not isinstance(obj, dict):
        raise RowError(f"card is {type(obj).__name__}, not an object")
    card_id = text_field(obj, "id", max_length=32, required=True)
    number = text_field(obj, "number", max_length=32, required=True)
    rarity = text_field(obj, "rarity", max_length=64)
    legalities = mapping_field(obj, "legalities")
    if not all(isinstance(v, str) for v in legalities.values()):
        raise RowError("legalities hold something other than strings")
    return CardRecord(
        source_id=card_id,
        pokemontcg_id=card_id,
        name=text_field(obj, "name", max_length=200, required=True),
        number=number,
        variant_key=_variant_key(card_id, card_set.source_id, number),
        rarity=rarity,
        card_type=text_field(obj, "supertype", max_length=100),
        image_url=_url(mapping_field(obj, "images"), "large", "small"),
        evolves_from=text_field(obj, "evolvesFrom", max_length=200),
        legalities=dict(legalities),
        attributes=_attributes(obj),
        variants=_variants(obj, rarity, card_set),
    )


def _row_ref(row: Any, index: int) -> str:
    if isinstance(row, dict) and isinstance(row.get("id"), str) and row["id"]:
        return row["id"]
    return f"card #{index + 1}"


def _set_ref(obj: Any, index: int) -> str:
    if isinstance(obj, dict) and isinstance(obj.get("id"), str) and obj["id"]:
        return obj["id"][:64]
    return f"set #{index + 1}"


def _bundle(obj: Any, index: int, cards: Callable[[str], list[Any]]) -> SetBundle:
    """Parse one set object; `cards(set_id)` reads its card objects (file or API)."""
    try:
        set_record = parse_set(obj)
    except RowError as exc:
        name = obj.get("name") if isinstance(obj, dict) else None
        return SetBundle(SetRecord(source_id=_set_ref(obj, index),
                                   name=name if isinstance(name, str) else ""),
                         failure=f"malformed set object: {exc}")
    bundle = SetBundle(set_record)
    try:
        rows = cards(set_record.source_id)
    except (OSError, EOFError, ValueError) as exc:  # missing, truncated or non-JSON file
        bundle.failure = f"cards not readable: {exc}"
        return bundle
    if not isinstance(rows, list):
        bundle.failure = f"cards are {type(rows).__name__}, not a list"
        return bundle
    parse_rows(bundle, rows, lambda row: parse_card(row, set_record), _row_ref)
    return bundle


def _wanted(obj: Any, only: set[str] | None) -> bool:
    return only is None or (isinstance(obj, dict) and obj.get("id") in only)


# --- Files ----------------------------------------------------------------------------------


def _set_objects(path: Path) -> list[Any]:
    files = data_files(path / "sets", "en.json")
    if not files:
        raise FileNotFoundError(f"{path / 'sets' / 'en.json'}[.gz] not found")
    sets = load_json(files[0])
    if not isinstance(sets, list):
        raise ValueError(f"{files[0]} holds {type(sets).__name__}, not a list of sets")
    return sets


def _card_file_rows(path: Path, set_id: str) -> list[Any]:
    files = data_files(path / "cards" / "en", f"{set_id}.json")
    if not files:
        raise FileNotFoundError(f"no cards/en/{set_id}.json[.gz]")
    return load_json(files[0])


def count_sets(path: Path | None, *, only: set[str] | None = None) -> int | None:
    if path is None:
        return None
    return sum(1 for obj in _set_objects(Path(path)) if _wanted(obj, only))


def bundles_from_path(path: Path, *, only: set[str] | None = None) -> Iterator[SetBundle]:
    path = Path(path)
    for index, obj in enumerate(_set_objects(path)):
        if _wanted(obj, only):
            yield _bundle(obj, index, lambda set_id: _card_file_rows(path, set_id))


# --- Live API -------------------------------------------------------------------------------


def _paged(client: PoliteClient, path: str) -> Iterator[Any]:
    """Every object of a paged list: `{"data": [...], "page", "pageSize", "totalCount"}`."""
    separator = "&" if "?" in path else "?"
    page = 1
    while True:
        payload = client.get_json(f"{path}{separator}page={page}&pageSize={PAGE_SIZE}")
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            raise SourceError(f"GET {path} page {page} answered no data list")
        if not data:
            return
        yield from data
        total, size = payload.get("totalCount"), payload.get("pageSize")
        size = size if isinstance(size, int) and size > 0 else PAGE_SIZE
        if isinstance(total, int):
            if page * size >= total:
                return
        elif len(data) < size:
            return
        page += 1


def bundles_from_live(client: PoliteClient, *, only: set[str] | None = None
                      ) -> Iterator[SetBundle]:
    api_key = os.environ.get(API_KEY_ENV, "").strip()
    if api_key:
        client.session.headers["X-Api-Key"] = api_key
    for index, obj in enumerate(list(_paged(client, "sets"))):
        if _wanted(obj, only):
            # A SourceError (the API failing after retries) ends the import: the sets stored
            # so far stay, nothing of the set being read is stored.
            yield _bundle(obj, index,
                          lambda set_id: list(_paged(client, f"cards?q=set.id:{set_id}")))
