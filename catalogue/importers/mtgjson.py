"""MTGJSON 5 set files: `{"meta": …, "data": {code, name, releaseDate, cards[], sealedProduct[]}}`.

Files: a folder of `<CODE>.json` (or `.json.gz`), or one such file. Live: `<CODE>.json` from
the MTGJSON API for each requested set, or every set of `SetList.json`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from catalogue.importers.base import (
    CardRecord,
    ReportedError,
    RowError,
    SealedRecord,
    SetBundle,
    SetRecord,
    parse_rows,
)
from catalogue.importers.fields import count_field, mapping_field, text_field
from catalogue.importers.files import data_files, load_json, source_stem
from catalogue.models import SealedProduct
from csm.http import PoliteClient, SourceError

SOURCE = "mtgjson"
TCG_SLUG = "mtg"
LIVE_BASE_URL = "https://mtgjson.com/api/v5"

# MTGJSON's files that are not set files.
NOT_SET_FILES = frozenset({"SETLIST", "META", "ALLPRINTINGS", "ALLIDENTIFIERS", "ATOMICCARDS",
                           "ALLPRICES", "ALLPRICESTODAY", "ENUMVALUES", "DECKLIST",
                           "CARDTYPES", "KEYWORDS"})
# MTGJSON language names -> the short codes Scryfall uses.
LANGUAGE_CODES = {
    "German": "de", "French": "fr", "Italian": "it", "Spanish": "es",
    "Portuguese (Brazil)": "pt", "Portuguese": "pt", "Japanese": "ja", "Korean": "ko",
    "Russian": "ru", "Chinese Simplified": "zhs", "Chinese Traditional": "zht",
    "Phyrexian": "ph", "Hebrew": "he", "Latin": "la", "Ancient Greek": "grc",
    "Arabic": "ar", "Sanskrit": "sa", "English": "en",
}
FINISH_VARIANTS = {"nonfoil": "normal", "foil": "foil", "etched": "etched"}
# Layouts whose side "b" is printed on the back of the card.
BACK_FACE_LAYOUTS = frozenset({"transform", "modal_dfc", "reversible_card", "double_faced_token"})
SCRYFALL_IMAGE = "https://cards.scryfall.io/normal/{face}/{a}/{b}/{id}.jpg"
SCRYFALL_SET_ICON = "https://svgs.scryfall.io/sets/{code}.svg"
ATTRIBUTE_KEYS = ("manaCost", "manaValue", "colors", "colorIdentity", "types", "subtypes",
                  "supertypes", "text", "power", "toughness", "loyalty", "artist", "layout",
                  "side", "faceName", "flavorText", "keywords", "printings")
IDENTIFIER_ATTRIBUTES = ("scryfallOracleId", "scryfallIllustrationId",
                         "tcgplayerEtchedProductId")
# MTGJSON 5.2.1+ `category` values; older files only have the name to go by.
SEALED_CATEGORIES = {
    "booster_box": SealedProduct.Kind.BOOSTER_BOX,
    "booster_pack": SealedProduct.Kind.BOOSTER_PACK,
    "bundle": SealedProduct.Kind.BOOSTER_BUNDLE,
    "deck": SealedProduct.Kind.DECK,
    "deck_box": SealedProduct.Kind.DECK,
    "booster_case": SealedProduct.Kind.CASE,
    "bundle_case": SealedProduct.Kind.CASE,
    "case": SealedProduct.Kind.CASE,
}


# --- Parsing (pure) -----------------------------------------------------------------------




def _product_id(value: Any, name: str) -> int | None:
    """MTGJSON writes ids as strings ("1029"); the model holds positive 32-bit integers."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise RowError(f"{name} is not an id: {value!r}")
    try:
        number = int(value)
    except ValueError as exc:
        raise RowError(f"{name} is not an id: {value!r}") from exc
    if not 0 < number < 2**31:
        raise RowError(f"{name} is out of range: {value!r}")
    return number


def _uuid(value: Any, name: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise RowError(f"{name} is not a UUID: {value!r}") from exc


def _required_uuid(obj: dict[str, Any]) -> str:
    value = _uuid(obj.get("uuid"), "uuid")
    if value is None:
        raise RowError("missing uuid")
    return value


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise RowError(f"releaseDate is not a date: {value!r}") from exc



def parse_set(data: Any) -> SetRecord:
    """The `data` object of a set file (without cards/sealed products)."""
    if not isinstance(data, dict):
        raise RowError(f"set data is {type(data).__name__}, not an object")
    code = text_field(data, "code", max_length=32, required=True)
    keyrune = text_field(data, "keyruneCode", max_length=32)
    set_type = text_field(data, "type", max_length=100)
    external_ids: dict[str, Any] = {
        "tcgplayer_group_id": _product_id(data.get("tcgplayerGroupId"), "tcgplayerGroupId"),
        "mcm_id": _product_id(data.get("mcmId"), "mcmId"),
        "keyrune_code": keyrune or None,
        "type": set_type or None,
    }
    return SetRecord(
        source_id=code,
        code=code,
        name=text_field(data, "name", max_length=200, required=True),
        series=text_field(data, "block", max_length=100) or set_type,
        release_date=_date(data.get("releaseDate")),
        total_cards=count_field(data, "totalSetSize"),
        printed_total=count_field(data, "baseSetSize"),
        symbol_url=SCRYFALL_SET_ICON.format(code=keyrune.lower()) if keyrune else None,
        external_ids={k: v for k, v in external_ids.items() if v is not None},
    )


def scryfall_image_url(scryfall_id: str | None, *, back: bool = False) -> str:
    if not scryfall_id:
        return ""
    return SCRYFALL_IMAGE.format(face="back" if back else "front", a=scryfall_id[0],
                                 b=scryfall_id[1], id=scryfall_id)


def _foreign_names(card: dict[str, Any]) -> dict[str, str]:
    rows = card.get("foreignData") or []
    if not isinstance(rows, list):
        raise RowError("foreignData is not a list")
    names: dict[str, str] = {}
    for row in rows:
        if not isinstance(row, dict):
            raise RowError("foreignData holds something other than objects")
        language, name = row.get("language"), row.get("name")
        if isinstance(language, str) and isinstance(name, str) and name.strip():
            names.setdefault(LANGUAGE_CODES.get(language, language), name.strip())
    return names


def _variants(card: dict[str, Any]) -> list[str]:
    finishes = card.get("finishes")
    if finishes is None:  # files before MTGJSON 5.2 only had the flags
        finishes = [f for f, flag in (("nonfoil", "hasNonFoil"), ("foil", "hasFoil"))
                    if card.get(flag)]
    if not isinstance(finishes, list) or not all(isinstance(f, str) for f in finishes):
        raise RowError("finishes is not a list of strings")
    variants: list[str] = []
    for finish in finishes:
        variant = FINISH_VARIANTS.get(finish, finish)
        if variant not in variants:
            variants.append(variant)
    return variants


def parse_card(card: Any) -> CardRecord:
    if not isinstance(card, dict):
        raise RowError(f"card is {type(card).__name__}, not an object")
    identifiers = mapping_field(card, "identifiers")
    legalities = mapping_field(card, "legalities")
    if not all(isinstance(v, str) for v in legalities.values()):
        raise RowError("legalities hold something other than strings")
    side = text_field(card, "side", max_length=32)
    scryfall_id = _uuid(identifiers.get("scryfallId"), "scryfallId")
    layout = card.get("layout")
    attributes = {key: card[key] for key in ATTRIBUTE_KEYS if card.get(key) is not None}
    attributes.update({key: identifiers[key] for key in IDENTIFIER_ATTRIBUTES
                       if identifiers.get(key)})
    rarity = text_field(card, "rarity", max_length=64)
    return CardRecord(
        source_id=_required_uuid(card),
        name=text_field(card, "name", max_length=200, required=True),
        number=text_field(card, "number", max_length=32, required=True),
        # The faces of a multi-face card share the collector number.
        variant_key=side,
        rarity=rarity.title(),
        card_type=text_field(card, "type", max_length=100),
        image_url=scryfall_image_url(
            scryfall_id, back=side == "b" and layout in BACK_FACE_LAYOUTS),
        attributes=attributes,
        variants=_variants(card),
        legalities=dict(legalities),
        foreign_names=_foreign_names(card),
        tcgplayer_product_id=_product_id(identifiers.get("tcgplayerProductId"),
                                         "tcgplayerProductId"),
        cardmarket_product_id=_product_id(identifiers.get("mcmId"), "mcmId"),
        scryfall_id=scryfall_id,
    )


def sealed_kind(product: dict[str, Any]) -> str:
    """The kind of a sealed product, from its category (MTGJSON 5.2.1+) or else its name."""
    category = product.get("category")
    if isinstance(category, str) and category in SEALED_CATEGORIES:
        return SEALED_CATEGORIES[category]
    name = f" {str(product.get('name') or '').lower()} "
    kind = SealedProduct.Kind
    if name.rstrip().endswith(" case"):
        return kind.CASE
    if " set of " in name or "prerelease" in name or " deck display" in name:
        return kind.OTHER
    if " bundle" in name:
        return kind.BOOSTER_BUNDLE
    if " deck " in name or " starter kit " in name:
        return kind.DECK
    if " booster box " in name or " booster display" in name or " display box " in name:
        return kind.BOOSTER_BOX
    if " pack" in name or " theme booster " in name:
        return kind.BOOSTER_PACK
    return kind.OTHER


def parse_sealed(product: Any) -> SealedRecord:
    if not isinstance(product, dict):
        raise RowError(f"sealed product is {type(product).__name__}, not an object")
    identifiers = mapping_field(product, "identifiers")
    external_ids = {key: product[key] for key in ("category", "subtype")
                    if isinstance(product.get(key), str)}
    return SealedRecord(
        source_id=_required_uuid(product),
        name=text_field(product, "name", max_length=200, required=True),
        kind=sealed_kind(product),
        tcgplayer_product_id=_product_id(identifiers.get("tcgplayerProductId"),
                                         "tcgplayerProductId"),
        cardmarket_product_id=_product_id(identifiers.get("mcmId"), "mcmId"),
        external_ids=external_ids,
    )


def _card_ref(card: Any, index: int) -> str:
    if isinstance(card, dict):
        return f"#{card.get('number', '?')} {card.get('name', '?')} ({card.get('uuid', index)})"
    return f"card #{index + 1}"


def bundle_from_document(document: Any, ref: str) -> SetBundle:
    """One set file's content as a bundle; `ref` names the set if the file is unusable."""
    data = document.get("data") if isinstance(document, dict) else None
    try:
        set_record = parse_set(data)
        cards, sealed = data.get("cards", []), data.get("sealedProduct") or []
        if not isinstance(cards, list) or not isinstance(sealed, list):
            raise RowError("cards or sealedProduct is not a list")
    except RowError as exc:
        name = data.get("name") if isinstance(data, dict) else None
        return SetBundle(SetRecord(source_id=ref, name=name if isinstance(name, str) else ""),
                         failure=f"malformed set file: {exc}")
    bundle = SetBundle(set_record)
    # Arena-only (Alchemy "A-") cards have no paper printing to collect or trade.
    paper = [c for c in cards if not (isinstance(c, dict) and c.get("isOnlineOnly") is True)]
    parse_rows(bundle, paper, parse_card, _card_ref)
    for index, product in enumerate(sealed):
        try:
            bundle.sealed.append(parse_sealed(product))
        except RowError as exc:
            name = product.get("name") if isinstance(product, dict) else None
            bundle.errors.append(ReportedError(set_record.source_id,
                                               f"sealed {name or f'#{index + 1}'}", str(exc)))
    return bundle


# --- Files ----------------------------------------------------------------------------------


def set_code_from_stem(stem: str) -> str:
    """MTGJSON names Conflux `CON_.json` (CON is reserved on Windows)."""
    return stem.upper().removesuffix("_")


def _set_files(path: Path, only: set[str] | None) -> list[Path]:
    files = [path] if path.is_file() else data_files(path, "*.json")
    wanted = {code.upper() for code in only} if only else None
    chosen: dict[str, Path] = {}
    for file in files:
        code = set_code_from_stem(source_stem(file))
        if code in NOT_SET_FILES or (wanted is not None and code not in wanted):
            continue
        chosen.setdefault(code, file)  # plain file before its .gz twin
    return list(chosen.values())


def count_sets(path: Path | None, *, only: set[str] | None = None) -> int | None:
    return None if path is None else len(_set_files(Path(path), only))


def bundles_from_path(path: Path, *, only: set[str] | None = None) -> Iterator[SetBundle]:
    for file in _set_files(Path(path), only):
        ref = set_code_from_stem(source_stem(file))
        try:
            document = load_json(file)
        except (OSError, EOFError, ValueError) as exc:  # truncated, non-gzip or non-JSON file
            yield SetBundle(SetRecord(source_id=ref, name=""),
                            failure=f"{file.name} not readable: {exc}")
            continue
        yield bundle_from_document(document, ref)


# --- Live -----------------------------------------------------------------------------------


def file_name_for(code: str) -> str:
    code = code.upper()
    return f"{code}_.json" if code == "CON" else f"{code}.json"


def live_set_codes(client: PoliteClient) -> list[str]:
    document = client.get_json("SetList.json")
    sets = document.get("data") if isinstance(document, dict) else None
    if not isinstance(sets, list):
        raise SourceError("SetList.json answered no data list")
    return [s["code"] for s in sets if isinstance(s, dict) and isinstance(s.get("code"), str)]


def bundles_from_live(client: PoliteClient, *, only: set[str] | None = None
                      ) -> Iterator[SetBundle]:
    """Each requested set's file; without `only`, every set in SetList.json (a long run).
    A SourceError (MTGJSON failing after retries) ends the import; sets stored so far stay."""
    codes = sorted(code.upper() for code in only) if only else live_set_codes(client)
    for code in codes:
        yield bundle_from_document(client.get_json(file_name_for(code)), code)
