"""Disney Lorcana: the YAML files of great-illuminary/lorcana-data.

Each `<set>.yml` lists the cards *introduced* in that set; a card's `variants[]` are its
printings, each in a set of its own (`set` "tfc", `id` 1, optional `suffix` "a", `rarity`,
`dreamborn` id, `ravensburger.en` collector line "1/204 EN 1"). A card of tfc.yml reprinted
in Fabled (`set: fab`) or given as a promo (`set: p1`) is a card row of *that* set, so sets
are built from the variants of all files together. `configuration.yml` gives the image URL
template; the other metadata files (classifications, franchises, abilities, placeholders) are
not sets. The source has no set names or dates; the table below holds the official names and
the game-store release dates of the main sets.

Number = id + suffix ("4a"). Two *different* printings with one number in one set exist only
in the challenge promos, printed in different waves ("5/C2 EN 7" and "5/C2 EN 9"): those get
the variant key "wave7" / "wave9". A variant whose collector line names another number or set
than its `set`/`id` (e.g. iti 125 printed as "43/P2") is a data error and reported.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from catalogue.importers.base import CardRecord, RowError, SetBundle, SetRecord, parse_rows
from catalogue.importers.files import data_files, open_text, source_stem
from csm.http import PoliteClient

SOURCE = "lorcana"
TCG_SLUG = "lorcana"
LIVE_BASE_URL = "https://raw.githubusercontent.com/great-illuminary/lorcana-data/main/data"
# The repository has no index of its set files; a new set is one more name here.
LIVE_SET_FILES = ("tfc", "rotf", "iti", "urr", "ssk", "azu", "arc", "roj", "fab", "whi", "win",
                  "wun", "atv")
METADATA_FILES = {"configuration", "classifications", "franchises", "abilities", "placeholders"}
IMAGE_URL = "https://lorcana.codlab.eu/images/{set}/{lang}/{id}.webp"

# code -> (name, game-store release date or None when not established here)
SETS: dict[str, tuple[str, date | None]] = {
    "tfc": ("The First Chapter", date(2023, 8, 18)),
    "rotf": ("Rise of the Floodborn", date(2023, 11, 17)),
    "iti": ("Into the Inklands", date(2024, 2, 23)),
    "urr": ("Ursula's Return", date(2024, 5, 17)),
    "ssk": ("Shimmering Skies", date(2024, 8, 9)),
    "azu": ("Azurite Sea", date(2024, 11, 15)),
    "arc": ("Archazia's Island", date(2025, 3, 7)),
    "roj": ("Reign of Jafar", date(2025, 5, 30)),
    "fab": ("Fabled", date(2025, 8, 29)),
    "whi": ("Whispers in the Well", None),
    "win": ("Winterspell", None),
    "wun": ("Wilds Unknown", None),
    "atv": ("Attack of the Vine!", None),
    "p1": ("Promo Cards Series 1", None),
    "p2": ("Promo Cards Series 2", None),
    "p3": ("Promo Cards Series 3", None),
    "p4": ("Promo Cards Series 4", None),
    "c1": ("Challenge Promos Series 1", None),
    "c2": ("Challenge Promos Series 2", None),
    "d23": ("D23 Promos", None),
    "worlds": ("World Championship Promos", None),
}
CARD_TYPES = {"glimmer": "Character", "action": "Action", "item": "Item",
              "location": "Location"}
FOIL_ONLY = {"enchanted", "iconic", "epic"}
REGULAR = {"common", "uncommon", "rare", "super_rare", "legendary"}

_LINE = re.compile(r"^0*(?P<num>\w+?)/(?P<total>\w+) EN (?P<wave>\d+)$")
_LINE_ALT = re.compile(r"^\w* EN 0*(?P<num>\w+?)/(?P<total>\w+)$")  # "1TFC EN 2/P1"
_WAVE = re.compile(r" EN (\d+)")
_LEADING_ZEROS = re.compile(r"^0+(?=\w)")


def load_yaml(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # both safe; the C one is faster
    with open_text(path) as handle:
        return yaml.load(handle, Loader=loader)  # noqa: S506 - a SafeLoader


def _parse_yaml_text(text: str) -> Any:
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


def number_of(variant: dict[str, Any]) -> str:
    raw = variant["id"]
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
        raise RowError(f"variant id {raw!r} is not a number")
    return f"{int(raw)}{variant.get('suffix') or ''}"


def collector_line(variant: dict[str, Any]) -> str:
    return str((variant.get("ravensburger") or {}).get("en") or "").strip()


def check_variant(variant: dict[str, Any]) -> str:
    """The variant's number, after checking it against its printed collector line."""
    number = number_of(variant)
    line = collector_line(variant)
    match = _LINE.match(line) or _LINE_ALT.match(line)
    if match is None:
        return number
    printed, total = match.group("num").lower(), match.group("total").lower()
    set_code = str(variant["set"]).lower()
    other_set = not total.isdigit() and total != set_code
    if _LEADING_ZEROS.sub("", printed) != number.lower() or other_set:
        raise RowError(f"set {set_code!r} number {number} disagrees with its collector line "
                       f"{line!r} (dreamborn {variant.get('dreamborn')!r})")
    return number


def card_name(card: dict[str, Any], lang: str = "en") -> str:
    text = (card.get("languages") or {}).get(lang) or {}
    name, title = str(text.get("name") or "").strip(), str(text.get("title") or "").strip()
    return f"{name} - {title}" if name and title else name


def parse_variant(card: dict[str, Any], variant: dict[str, Any], *, variant_key: str = "",
                  image_url: str = IMAGE_URL) -> CardRecord:
    """One printing of `card` (a variant) as a card row of the variant's set."""
    if not isinstance(card, dict) or not isinstance(variant, dict):
        raise RowError("not a card/variant mapping")
    set_code = str(variant["set"]).lower()
    number = check_variant(variant)
    name = card_name(card)
    if not name:
        raise RowError("no English name")
    rarity = str(variant.get("rarity") or "")
    classifications = list(card.get("classifications") or [])
    card_type = CARD_TYPES.get(card.get("type"), str(card.get("type") or "").title())
    if card_type == "Action" and "song" in classifications:
        card_type = "Action - Song"
    english = (card.get("languages") or {}).get("en") or {}
    third_party = card.get("third_party") or {}
    attributes = {
        "cost": card.get("cost"),
        "inkwell": card.get("inkwell"),
        "lore": card.get("lore"),
        "strength": card.get("attack"),
        "willpower": card.get("defence"),
        "move_cost": card.get("move_cost"),
        "colors": list(card.get("colors") or []),
        "type": card.get("type"),
        "classifications": classifications,
        "franchise": card.get("franchise_id"),
        "illustrator": variant.get("illustrator") or card.get("illustrator"),
        "flavour": english.get("flavour") or "",
        "dreamborn": variant.get("dreamborn"),
        "collector_line": collector_line(variant),
        "rarity_code": rarity,
    }
    if third_party.get("card_market"):
        attributes["cardmarket_url"] = third_party["card_market"]
    if third_party.get("tcg_player"):
        attributes["tcgplayer_url"] = third_party["tcg_player"]
    foreign = {lang: foreign_name for lang in (card.get("languages") or {}) if lang != "en"
               and (foreign_name := card_name(card, lang))}
    # Enchanted, iconic, epic and the promos are printed in foil only.
    finishes = ["normal", "foil"] if rarity in REGULAR else ["foil"]
    try:
        image = image_url.format(set=set_code, lang="en", id=variant["id"])
    except (KeyError, IndexError, ValueError):
        image = ""
    return CardRecord(
        source_id=f"{set_code}-{number}" + (f"-{variant_key}" if variant_key else ""),
        name=name,
        number=number,
        variant_key=variant_key,
        rarity=rarity.replace("_", " ").title(),
        card_type=card_type,
        image_url=image,
        attributes=attributes,
        variants=finishes,
        legalities={state: "Legal" for state in card.get("rotation_states") or []},
        foreign_names=foreign,
    )


def set_record_for(code: str, lines: list[str]) -> SetRecord:
    name, released = SETS.get(code, (code.upper(), None))
    totals = Counter(m.group("total") for line in lines if (m := _LINE.match(line)))
    numeric = [(t, n) for t, n in totals.most_common() if t.isdigit()]
    return SetRecord(source_id=code, name=name, code=code.upper(), release_date=released,
                     printed_total=int(numeric[0][0]) if numeric else None)


def _row_ref(row: tuple[Any, Any, str], index: int) -> str:
    card, variant, origin = row
    name = card_name(card) if isinstance(card, dict) else ""
    number = f"#{variant.get('id')}{variant.get('suffix') or ''}" if isinstance(
        variant, dict) else f"card {index + 1}"
    return " ".join(part for part in (number, name, f"(from {origin}.yml)") if part)


def _wave_keys(rows: list[tuple[Any, Any, str]]) -> list[str]:
    """'' for each row, except distinct printings sharing a number: 'wave<N>' (see above)."""
    numbers: list[str | None] = []
    for _card, variant, _origin in rows:
        try:
            numbers.append(check_variant(variant))
        except (RowError, KeyError, TypeError, AttributeError):
            numbers.append(None)
    printings: dict[str, set[str]] = {}
    for number, (_card, variant, _origin) in zip(numbers, rows, strict=True):
        if number is not None:
            printings.setdefault(number, set()).add(
                str(variant.get("dreamborn") or "") + collector_line(variant))
    keys = []
    for number, (_card, variant, _origin) in zip(numbers, rows, strict=True):
        wave = _WAVE.search(collector_line(variant)) if isinstance(variant, dict) else None
        shared = number is not None and len(printings[number]) > 1
        keys.append(f"wave{wave.group(1)}" if shared and wave else "")
    return keys


def bundles_from_sets(config: dict[str, Any], files: list[tuple[str, Any]], *,
                      only: set[str] | None = None) -> Iterator[SetBundle]:
    """`files` is [(file stem, parsed list of cards)]; one bundle per printing set."""
    image_url = str((config or {}).get("images") or IMAGE_URL)
    by_set: dict[str, list[tuple[Any, Any, str]]] = {}
    loose: list[tuple[Any, Any, str]] = []
    # A set whose own file cannot be read fails whole (its reprints elsewhere are not stored).
    failed: dict[str, str] = {}
    for stem, cards in files:
        if isinstance(cards, Unreadable):
            failed[stem.lower()] = f"{stem}.yml not readable: {cards.reason}"
            continue
        if not isinstance(cards, list):
            failed[stem.lower()] = f"{stem}.yml holds {type(cards).__name__}, not a list of cards"
            continue
        for card in cards:
            variants = card.get("variants") if isinstance(card, dict) else None
            if not isinstance(variants, list) or not variants:
                loose.append((card, None, stem))
                continue
            for variant in variants:
                code = variant.get("set") if isinstance(variant, dict) else None
                if isinstance(code, str) and code.strip():
                    by_set.setdefault(code.strip().lower(), []).append((card, variant, stem))
                else:
                    loose.append((card, variant, stem))
    found = set(by_set) | set(failed)
    order = [code for code in SETS if code in found] + sorted(found - set(SETS))
    first = True
    for code in order:
        if only is not None and not {code, code.upper()} & only:
            continue
        if code in failed:
            yield SetBundle(set_record_for(code, []), failure=failed[code])
            continue
        rows = by_set[code]
        bundle = SetBundle(set_record=set_record_for(
            code, [collector_line(v) for _c, v, _o in rows if isinstance(v, dict)]))
        if first:  # cards or variants without a set belong to no bundle: the first carries them
            first = False
            parse_rows(bundle, loose, _no_set, _row_ref)
        keyed = list(zip(rows, _wave_keys(rows), strict=True))
        parse_rows(bundle, keyed, lambda item: parse_variant(
            item[0][0], item[0][1], variant_key=item[1], image_url=image_url),
            lambda item, index: _row_ref(item[0], index))
        bundle.set_record = replace(bundle.set_record, total_cards=len(bundle.cards))
        yield bundle


def _no_set(row: tuple[Any, Any, str]) -> CardRecord:
    if row[1] is None:
        raise RowError("card without variants")
    raise RowError(f"variant without a set: {row[1].get('set')!r}")


def _yaml_paths(path: Path) -> list[Path]:
    if not path.is_dir():
        return [path, *data_files(path.parent, "configuration.yml")[:1]]
    chosen: dict[str, Path] = {}
    for file in data_files(path, "*.yml", "*.yaml"):
        chosen.setdefault(source_stem(file), file)  # a plain file before its .gz twin
    return list(chosen.values())


def read_folder(path: Path) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """(configuration, [(stem, cards)]) from a folder of <set>.yml files, or one set file."""
    config: dict[str, Any] = {}
    files = []
    for file in _yaml_paths(Path(path)):
        stem = source_stem(file)
        if stem == "configuration":
            config = load_yaml(file) or {}
        elif stem not in METADATA_FILES:
            try:
                files.append((stem, load_yaml(file)))
            except (OSError, EOFError, ValueError, yaml.YAMLError) as exc:
                files.append((stem, Unreadable(str(exc).splitlines()[0] if str(exc) else
                                               type(exc).__name__)))
    return config, files


@dataclass(frozen=True)
class Unreadable:
    """Stands for a set file that could not be read or parsed."""

    reason: str


_last_read: dict[tuple, tuple[dict[str, Any], list[tuple[str, Any]]]] = {}


def _read(path: Path, *, keep: bool) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The command counts the sets, then imports them: the YAML is parsed once for both
    (`keep` holds the one last read until the import takes it)."""
    key = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size)
                for p in _yaml_paths(Path(path)))
    data = _last_read.pop(key, None) or read_folder(path)
    if keep:
        _last_read.clear()
        _last_read[key] = data
    return data


def bundles_from_path(path: Path, *, only: set[str] | None = None) -> Iterator[SetBundle]:
    config, files = _read(path, keep=False)
    yield from bundles_from_sets(config, files, only=only)


def _utf8(client: PoliteClient, path: str) -> str:
    """The files are UTF-8 whatever the Content-Type says (raw file hosts send text/plain)."""
    return client.get(path).content.decode("utf-8")


def bundles_from_live(client: PoliteClient, *, only: set[str] | None = None
                      ) -> Iterator[SetBundle]:
    config = _parse_yaml_text(_utf8(client, "configuration.yml")) or {}
    files: list[tuple[str, Any]] = []
    for stem in LIVE_SET_FILES:
        text = _utf8(client, f"{stem}.yml")
        try:
            files.append((stem, _parse_yaml_text(text)))
        except yaml.YAMLError as exc:
            files.append((stem, Unreadable(str(exc).splitlines()[0])))
    yield from bundles_from_sets(config, files, only=only)


def count_sets(path: Path | None, *, only: set[str] | None = None) -> int | None:
    if path is None:
        return None
    _config, files = _read(path, keep=True)
    codes = {str(v["set"]).strip().lower() for _stem, cards in files if isinstance(cards, list)
             for card in cards if isinstance(card, dict)
             for v in card.get("variants") or [] if isinstance(v, dict) and v.get("set")}
    codes |= {stem.lower() for stem, cards in files if not isinstance(cards, list)}
    if only is None:
        return len(codes)
    return sum(1 for code in codes if {code, code.upper()} & only)
