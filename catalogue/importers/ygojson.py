"""Yu-Gi-Oh!: YGOJSON (iconmaster5326/YGOJSON) set and card objects.

`sets.json` is a list of set objects, `cards.json` a list of card objects (the layout of
YGOJSON's aggregate files). One bundle per set, in its English-language printing: the first
locale present of en, na, eu, oc (Pharaonic Guardian has no "en": its NA printing, "PGD-").
The cards are the `contents[]` lists that apply to that locale; number = locale prefix +
printing suffix ("LOB-EN" + "001"), name = the card's `text.en.name`, rarity from the
printing. A number printed in several rarities (the 25th Anniversary Rarity Collection, the
Quarter Century secrets of Phantom Nightmare …) gets the rarity as its variant key
("ultra", "platinumsecret", …); a number with one printing has the key "".

Sets are keyed by YGOJSON's set id (codes repeat across reprint products); the code is the
prefix without its language part ("LOB"). `--set` takes either.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from catalogue.importers.base import CardRecord, RowError, SetBundle, SetRecord, parse_rows
from catalogue.importers.files import data_files, read_list
from csm.http import PoliteClient, SourceError

SOURCE = "ygojson"
TCG_SLUG = "yugioh"
LIVE_BASE_URL = "https://raw.githubusercontent.com/iconmaster5326/YGOJSON/v1/aggregate"
ENGLISH_LOCALES = ("en", "na", "eu", "oc")
# When the chosen locale has no date: the other English ones, then the other TCG languages.
DATE_FALLBACK = (*ENGLISH_LOCALES, "fr", "de", "it", "pt", "sp")
RARITIES = {
    "common": "Common", "rare": "Rare", "super": "Super Rare", "ultra": "Ultra Rare",
    "secret": "Secret Rare", "ultimate": "Ultimate Rare", "ghost": "Ghost Rare",
    "25thsecret": "Quarter Century Secret Rare", "platinumsecret": "Platinum Secret Rare",
    "collectors": "Collector's Rare", "shortprint": "Short Print", "starlight": "Starlight Rare",
    "gold": "Gold Rare", "goldsecret": "Gold Secret Rare", "prismaticsecret":
    "Prismatic Secret Rare", "ultraparallel": "Ultra Parallel Rare", "starfoil": "Starfoil Rare",
    "mosaic": "Mosaic Rare", "shatterfoil": "Shatterfoil Rare", "premiumgold": "Premium Gold Rare",
}
EDITIONS = {"1st": "1st_edition", "unlimited": "unlimited", "limited": "limited_edition"}
SUBCATEGORIES = {"quickplay": "Quick-Play"}
MONSTER_FIELDS = ("attribute", "type", "level", "rank", "scale", "linkArrows", "atk", "def")


def pick_locale(set_obj: dict[str, Any]) -> str | None:
    locales = set_obj.get("locales") or {}
    return next((loc for loc in ENGLISH_LOCALES if loc in locales), None)


def release_date(set_obj: dict[str, Any], locale: str) -> date | None:
    locales = set_obj.get("locales") or {}
    for loc in (locale, *DATE_FALLBACK):
        raw = (locales.get(loc) or {}).get("date")
        if raw:
            try:
                return date.fromisoformat(str(raw)[:10])
            except ValueError:
                continue
    return None


def set_record_for(set_obj: dict[str, Any], locale: str) -> SetRecord:
    info = set_obj["locales"][locale]
    prefix = str(info.get("prefix") or "")
    name = str((set_obj.get("name") or {}).get("en") or "").strip()
    external: dict[str, Any] = {"ygojson": set_obj["id"], "locale": locale, "prefix": prefix}
    if yugipedia := (set_obj.get("externalIDs") or {}).get("yugipedia"):
        external["yugipedia"] = yugipedia.get("id")
    return SetRecord(source_id=str(set_obj["id"]), name=name or prefix, code=prefix.split("-")[0],
                     release_date=release_date(set_obj, locale), logo_url=info.get("image"),
                     external_ids=external)


def card_type_for(card: dict[str, Any]) -> str:
    kind = str(card.get("cardType") or "")
    if kind == "monster":
        kinds = list(card.get("monsterCardTypes") or [])
        kinds += [c for c in card.get("classifications") or [] if c not in kinds]
        return " ".join([*(k.title() for k in kinds), "Monster"])
    sub = card.get("subcategory")
    label = SUBCATEGORIES.get(sub, str(sub).title()) if sub else ""
    return f"{label} {kind.title()}".strip()


def legalities_for(card: dict[str, Any]) -> dict[str, str]:
    legal = {}
    for fmt, state in (card.get("legality") or {}).items():
        current = state.get("current") if isinstance(state, dict) else state
        if current:
            legal[fmt] = str(current).replace("semilimited", "semi-limited").title()
    return legal


def parse_printing(printing: dict[str, Any], *, card: dict[str, Any] | None, prefix: str,
                   variant_key: str = "", editions: list[str] | None = None,
                   printing_image: str = "") -> CardRecord:
    """One printing (a `contents[].cards[]` entry) with its card object."""
    if not isinstance(printing, dict):
        raise RowError("not a printing object")
    if card is None:
        raise RowError(f"card {printing.get('card')!r} is not in cards.json")
    suffix = str(printing["suffix"] or "").strip()
    if not suffix:
        raise RowError("printing without a suffix")
    name = str(((card.get("text") or {}).get("en") or {}).get("name") or "").strip()
    if not name:
        raise RowError("card without an English name")
    text = (card.get("text") or {}).get("en") or {}
    rarity = str(printing.get("rarity") or "")
    attributes: dict[str, Any] = {"card_type": card.get("cardType")}
    attributes.update({field: card[field] for field in MONSTER_FIELDS if field in card})
    attributes.update({
        "passwords": list(card.get("passwords") or []),
        "effect": text.get("effect") or "",
        "classifications": list(card.get("classifications") or []),
        "rarity_code": rarity,
        "editions": list(editions or []),
        "ygojson_card": card.get("id"),
    })
    for field in ("pendulumEffect",):
        if text.get(field):
            attributes["pendulum_effect"] = text[field]
    for field in ("monsterCardTypes", "subcategory"):
        if card.get(field):
            attributes[field] = card[field]
    if printing_image:
        attributes["printing_image"] = printing_image
    ygoprodeck = (card.get("externalIDs") or {}).get("ygoprodeck") or {}
    images = card.get("images") or []
    foreign = {lang: str(value.get("name")) for lang, value in (card.get("text") or {}).items()
               if lang != "en" and isinstance(value, dict) and value.get("name")}
    return CardRecord(
        source_id=str(printing["id"]),
        name=name,
        number=f"{prefix}{suffix}",
        variant_key=variant_key,
        rarity=RARITIES.get(rarity, rarity.title()),
        card_type=card_type_for(card),
        image_url=str((images[0] or {}).get("card") or "") if images else "",
        attributes=attributes,
        variants=[EDITIONS.get(e, e) for e in editions or []],
        legalities=legalities_for(card),
        foreign_names=foreign,
        ygoprodeck_id=int(ygoprodeck["id"]) if ygoprodeck.get("id") else None,
    )


def _printing_images(info: dict[str, Any]) -> dict[str, str]:
    """Per-printing scans of the locale (first edition listed first)."""
    images: dict[str, str] = {}
    for edition in sorted(info.get("cardImages") or {}, key=lambda e: e != "1st"):
        for printing_id, url in (info["cardImages"][edition] or {}).items():
            images.setdefault(printing_id, url)
    return images


def bundle_for(set_obj: dict[str, Any], locale: str, cards: dict[str, dict[str, Any]]
               ) -> SetBundle:
    record = set_record_for(set_obj, locale)
    bundle = SetBundle(set_record=record)
    info = set_obj["locales"][locale]
    prefix = str(info.get("prefix") or "")
    rows: list[tuple[Any, list[str]]] = []
    seen: set[str] = set()
    for content in set_obj.get("contents") or []:
        if locale not in (content.get("locales") or []):
            continue
        for printing in content.get("cards") or []:
            printing_id = printing.get("id") if isinstance(printing, dict) else None
            if printing_id is not None and printing_id in seen:
                continue  # one printing listed by two content lists of the locale
            seen.add(printing_id)
            rows.append((printing, list(content.get("editions") or info.get("editions") or [])))
    per_suffix = Counter(p.get("suffix") for p, _ in rows if isinstance(p, dict))
    images = _printing_images(info)

    def parse(row: tuple[Any, list[str]]) -> CardRecord:
        printing, editions = row
        shared = isinstance(printing, dict) and per_suffix[printing.get("suffix")] > 1
        return parse_printing(
            printing, card=cards.get(printing.get("card")), prefix=prefix,
            variant_key=str(printing.get("rarity") or "") if shared else "",
            editions=editions, printing_image=images.get(printing.get("id"), ""))

    if not prefix:
        bundle.failure = f"the {locale} locale has no prefix"
        return bundle
    parse_rows(bundle, rows, parse, _row_ref(prefix))
    bundle.set_record = replace(record, total_cards=len(bundle.cards))
    return bundle


def _row_ref(prefix: str):  # noqa: ANN202 - a row_ref callable
    def ref(row: tuple[Any, list[str]], index: int) -> str:
        printing = row[0]
        if isinstance(printing, dict) and printing.get("suffix"):
            rarity = f" ({printing['rarity']})" if printing.get("rarity") else ""
            return f"{prefix}{printing['suffix']}{rarity}"
        return f"printing {index + 1}"
    return ref


def _wanted(set_obj: dict[str, Any], locale: str, only: set[str] | None) -> bool:
    if only is None:
        return True
    prefix = str((set_obj["locales"][locale] or {}).get("prefix") or "")
    return bool({str(set_obj.get("id")), prefix, prefix.split("-")[0]} & only)


def bundles_from_objects(sets: Any, cards: Any, *, only: set[str] | None = None
                         ) -> Iterator[SetBundle]:
    if not isinstance(sets, list) or not isinstance(cards, list):
        raise SourceError("YGOJSON sets.json and cards.json must be JSON lists")
    by_id = {c["id"]: c for c in cards if isinstance(c, dict) and "id" in c}
    for set_obj in sets:
        if not isinstance(set_obj, dict) or "id" not in set_obj:
            continue
        try:
            locale = pick_locale(set_obj)
            if locale is None or not _wanted(set_obj, locale, only):
                continue  # no English-language printing: not part of this catalogue
            bundle = bundle_for(set_obj, locale, by_id)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            bundle = SetBundle(SetRecord(source_id=str(set_obj["id"]), name=""),
                               failure=f"malformed set object: {exc!r}")
        yield bundle


def _files(path: Path) -> tuple[Path, Path]:
    folder = path if path.is_dir() else path.parent
    sets, cards = data_files(folder, "sets.json"), data_files(folder, "cards.json")
    if not sets or not cards:
        raise FileNotFoundError(f"YGOJSON needs sets.json and cards.json (or .gz) in {folder}")
    return sets[0], cards[0]



def bundles_from_path(path: Path, *, only: set[str] | None = None) -> Iterator[SetBundle]:
    sets_file, cards_file = _files(Path(path))
    try:
        sets, cards = read_list(sets_file), read_list(cards_file)
    except (OSError, EOFError, ValueError) as exc:  # truncated, non-gzip or non-JSON file
        yield SetBundle(SetRecord(source_id=sets_file.parent.name, name=""),
                        failure=f"YGOJSON files not readable: {exc}")
        return
    yield from bundles_from_objects(sets, cards, only=only)


def bundles_from_live(client: PoliteClient, *, only: set[str] | None = None
                      ) -> Iterator[SetBundle]:
    sets = client.get_json("sets.json")
    yield from bundles_from_objects(sets, client.get_json("cards.json"), only=only)


def count_sets(path: Path | None, *, only: set[str] | None = None) -> int | None:
    if path is None:
        return None
    try:
        sets = read_list(_files(Path(path))[0])
    except (OSError, EOFError, ValueError):
        return None  # the import reports it
    return sum(1 for s in sets if isinstance(s, dict) and "id" in s
               and (locale := pick_locale(s)) is not None and _wanted(s, locale, only))
