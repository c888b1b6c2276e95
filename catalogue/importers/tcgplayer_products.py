"""TCGplayer products named in the price CSV (`prices/tcgplayer_products.csv`).

The CSV (from dennislwm/pytcgplayer) lists the Pokémon products whose market-price history
we hold: sealed products (booster boxes, elite trainer boxes …) and chase singles, each with
its TCGplayer product URL, which carries the product id:

    set,type,period,name,url
    SWSH06,Booster Box,3M,Chilling Reign,https://r.jina.ai/https://www.tcgplayer.com/product/236258/…
    SV03,Card,3M,Charizard ex 223,https://r.jina.ai/https://www.tcgplayer.com/product/509980/…

Sealed rows become `SealedProduct`s attached to their set (kind inferred from the name);
card rows give the matching card (same set, number and name) its `tcgplayer_product_id`.
Rows that match nothing are reported, never guessed. The `set` column uses TCGplayer's codes
(SWSH06, SV03.5 …), mapped to pokemontcg.io set ids by `pokemontcg_set_id`.

Runs after the pokemontcg import (it attaches to existing sets and cards); idempotent.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from django.db import transaction

from catalogue.importers.base import (
    ImportReport,
    ReportedError,
    SealedRecord,
    SetBundle,
    catalogue_store_sealed,
)
from catalogue.importers.files import open_text
from catalogue.models import TCG, Card, CardSet, SealedProduct

SOURCE = "tcgplayer_products"
TCG_SLUG = "pokemon"
FILE_NAME = "tcgplayer_products.csv"
COLUMNS = ("set", "type", "name", "url")

_PRODUCT_URL = re.compile(r"https?://(?:www\.)?tcgplayer\.com/product/(\d+)(?:/[^?#\s]*)?")
_SET_CODE = re.compile(r"^([A-Za-z]+)0*(\d+)(?:\.(5))?$")
_CARD_NAME = re.compile(r"^(?P<name>.+?)\s+#?(?P<number>[A-Za-z]*\d+[A-Za-z]*)$")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
T = TypeVar("T")

# Product kinds, most specific first; matched against the row's type and name.
_KINDS: list[tuple[str, str]] = [
    ("elite trainer box", SealedProduct.Kind.ETB),
    ("booster bundle", SealedProduct.Kind.BOOSTER_BUNDLE),
    ("booster box case", SealedProduct.Kind.CASE),
    ("case", SealedProduct.Kind.CASE),
    ("booster box", SealedProduct.Kind.BOOSTER_BOX),
    ("booster pack", SealedProduct.Kind.BOOSTER_PACK),
    ("sleeved booster", SealedProduct.Kind.BOOSTER_PACK),
    ("bundle", SealedProduct.Kind.BOOSTER_BUNDLE),
    ("collection", SealedProduct.Kind.COLLECTION_BOX),
    ("premium box", SealedProduct.Kind.COLLECTION_BOX),
    ("tin", SealedProduct.Kind.TIN),
    ("deck", SealedProduct.Kind.DECK),
]


@dataclass(frozen=True)
class ProductRow:
    line: int  # line number in the CSV (the header is line 1)
    set_code: str  # TCGplayer's set code, e.g. SWSH06, SV03.5
    type: str  # "Card", "Booster Box", "Elite Trainer Box", …
    name: str  # a sealed row: the set's name; a card row: "<card name> <number>"
    product_id: int
    url: str  # the TCGplayer product page (without the scraping proxy prefix)

    @property
    def is_card(self) -> bool:
        return self.type.strip().lower() == "card"


@dataclass
class ProductsReport:
    """What an import of the CSV did. `sealed` counts like any importer's report."""

    sealed: ImportReport = field(default_factory=lambda: ImportReport(source=SOURCE))
    cards_linked: int = 0
    cards_unchanged: int = 0
    unmatched: list[ReportedError] = field(default_factory=list)
    errors: list[ReportedError] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.sealed.changed + self.cards_linked

    def summary(self) -> str:
        s = self.sealed
        return (f"sealed +{s.sealed_created} ~{s.sealed_updated} ={s.sealed_unchanged}; "
                f"cards linked {self.cards_linked} ={self.cards_unchanged}; "
                f"{len(self.unmatched)} unmatched, {len(self.errors)} bad row(s)")


# --- Pure parsing ----------------------------------------------------------------------------

def product_url(raw: str) -> tuple[int, str]:
    """(product id, clean product URL) from the CSV's URL, which may carry a proxy prefix
    (`https://r.jina.ai/https://www.tcgplayer.com/product/236258/…?page=1`)."""
    match = _PRODUCT_URL.search(raw or "")
    if not match:
        raise ValueError(f"no TCGplayer product URL in {raw!r}")
    url = match.group(0)
    parts = urlsplit(url)
    return int(match.group(1)), f"https://www.tcgplayer.com{parts.path}"


def read_rows(path: Path) -> tuple[list[ProductRow], list[ReportedError]]:
    """Parse the CSV (plain or .gz). Bad rows are returned as errors, not raised."""
    rows: list[ProductRow] = []
    errors: list[ReportedError] = []
    with open_text(path) as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path.name}: missing column(s) {', '.join(missing)}")
        for line, raw in enumerate(reader, start=2):
            ref = f"line {line}"
            try:
                code, kind, name = (raw["set"] or "").strip(), (raw["type"] or "").strip(), \
                    (raw["name"] or "").strip()
                if not code or not kind or not name:
                    raise ValueError("set, type and name are required")
                product_id, url = product_url(raw["url"])
            except ValueError as exc:
                errors.append(ReportedError(SOURCE, ref, str(exc)))
                continue
            rows.append(ProductRow(line, code, kind, name, product_id, url))
    return rows, errors


def normalise_name(name: str) -> str:
    """Names compared loosely: case, accents on é, apostrophes and spaces ignored
    ("Lillies Clefairy ex" == "Lillie's Clefairy ex", "vmax" == "VMAX")."""
    return _NOT_ALNUM.sub("", name.lower().replace("é", "e"))


def normalise_number(number: str) -> str:
    """Collector numbers compared without leading zeros ("092" == "92"; "TG05" == "TG5")."""
    return re.sub(r"(?<!\d)0+(?=\d)", "", number.strip().upper())


def split_card_name(name: str) -> tuple[str, str]:
    """A card row's "Charizard ex 223" -> ("Charizard ex", "223")."""
    match = _CARD_NAME.match(name.strip())
    if not match:
        raise ValueError(f"no collector number at the end of {name!r}")
    return match.group("name"), match.group("number")


def code_set_id(code: str) -> str | None:
    """The pokemontcg.io id a TCGplayer set code spells: SWSH06 -> swsh6, SV03.5 -> sv3pt5."""
    match = _SET_CODE.match(code.strip())
    if not match:
        return None
    prefix, number, half = match.groups()
    return f"{prefix.lower()}{int(number)}{'pt5' if half else ''}"


def pokemontcg_set_id(code: str, name: str, known: Mapping[str, str]) -> str | None:
    """Map a TCGplayer set code (+ the set name a sealed row carries) to a pokemontcg.io set
    id among `known` (id -> name). SWSH06 -> swsh6, SV03.5 -> sv3pt5; when the code does
    not map (SWSH07.5 is Celebrations = cel25), the exact set name decides. None if unknown."""
    candidate = code_set_id(code)
    if candidate in known:
        return candidate
    wanted = normalise_name(name) if name else ""
    if wanted:
        hits = sorted(set_id for set_id, set_name in known.items()
                      if normalise_name(set_name) == wanted)
        if len(hits) == 1:
            return hits[0]
    return None


def matching_cards(row: ProductRow, cards: Iterable[T], name: Callable[[T], str],
                   number: Callable[[T], str]) -> tuple[list[T], list[T]]:
    """(cards with the row's number, those of them also with its name). Raises ValueError
    when the row's name carries no number."""
    card_name, card_number = split_card_name(row.name)
    wanted_number, wanted_name = normalise_number(card_number), normalise_name(card_name)
    same_number = [c for c in cards if normalise_number(number(c)) == wanted_number]
    return same_number, [c for c in same_number if normalise_name(name(c)) == wanted_name]


def sealed_kind(*texts: str) -> str:
    """The SealedProduct kind named in the type / name ("Elite Trainer Box" -> etb)."""
    text = " ".join(texts).lower()
    for needle, kind in _KINDS:
        if needle in text:
            return kind
    return SealedProduct.Kind.OTHER


def sealed_record(row: ProductRow, set_name: str | None) -> SealedRecord:
    """The sealed product of a row: named after the set when it is known ("Scarlet & Violet
    Booster Box": the CSV's "Base Set" alone would be ambiguous), else the CSV's name."""
    name = f"{set_name or row.name} {row.type}".strip()
    return SealedRecord(
        source_id=f"tcgplayer-{row.product_id}", name=name,
        kind=sealed_kind(row.type, row.name), tcgplayer_product_id=row.product_id,
        external_ids={"tcgplayer_url": row.url, "tcgplayer_set_code": row.set_code})


# --- Storing ---------------------------------------------------------------------------------

def csv_path(path: Path) -> Path:
    """`path` is the CSV itself (plain or .gz) or a folder holding it."""
    path = Path(path)
    if path.is_dir():
        for candidate in (path / FILE_NAME, path / f"{FILE_NAME}.gz"):
            if candidate.exists():
                return candidate
        raise FileNotFoundError(f"no {FILE_NAME} in {path}")
    return path


def tcgplayer_products_import(*, path: Path) -> ProductsReport:
    """Store the CSV's sealed products and link its singles to their cards. Idempotent."""
    rows, errors = read_rows(csv_path(path))
    report = ProductsReport(errors=errors)
    tcg = TCG.objects.get(slug=TCG_SLUG)
    sets = {s.source_id: s for s in CardSet.objects.filter(tcg=tcg, is_synthetic=False)}
    known = {source_id: s.name for source_id, s in sets.items()}

    sealed_by_set: dict[str | None, list[SealedRecord]] = {}
    card_rows: list[tuple[ProductRow, CardSet]] = []
    for row in rows:
        set_id = pokemontcg_set_id(row.set_code, "" if row.is_card else row.name, known)
        card_set = sets.get(set_id) if set_id else None
        if row.is_card:
            if card_set is None:
                report.unmatched.append(ReportedError(
                    row.set_code, f"line {row.line}",
                    f"card {row.name!r}: set {row.set_code} is not in the catalogue"))
            else:
                card_rows.append((row, card_set))
            continue
        if card_set is None:
            report.unmatched.append(ReportedError(
                row.set_code, f"line {row.line}",
                f"{row.name} {row.type}: set not in the catalogue; stored without a set"))
        sealed_by_set.setdefault(set_id if card_set else None, []).append(
            sealed_record(row, card_set.name if card_set else None))

    for set_id, records in sorted(sealed_by_set.items(), key=lambda kv: kv[0] or ""):
        catalogue_store_sealed(tcg=tcg, records=records, report=report.sealed,
                               card_set=sets.get(set_id) if set_id else None)
    with transaction.atomic():
        for row, card_set in card_rows:
            _link_card(row, card_set, report)
    return report


def _link_card(row: ProductRow, card_set: CardSet, report: ProductsReport) -> None:
    ref = f"line {row.line}"
    cards = list(Card.objects.filter(card_set=card_set)
                 .only("pk", "name", "number", "tcgplayer_product_id"))
    try:
        candidates, matches = matching_cards(row, cards, lambda c: c.name, lambda c: c.number)
    except ValueError as exc:
        report.errors.append(ReportedError(row.set_code, ref, str(exc)))
        return
    if len(matches) != 1:
        found = ", ".join(f"{c.name} #{c.number}" for c in candidates) or "no card"
        report.unmatched.append(ReportedError(
            row.set_code, ref,
            f"card {row.name!r}: {len(matches)} match(es) by number and name ({found} "
            f"with that number in {card_set.source_id})"))
        return
    card = matches[0]
    if card.tcgplayer_product_id == row.product_id:
        report.cards_unchanged += 1
        return
    card.tcgplayer_product_id = row.product_id
    card.save(update_fields=["tcgplayer_product_id", "updated_at"])
    report.cards_linked += 1


def with_tcgplayer_ids(bundles: Iterable[SetBundle], path: Path) -> Iterator[SetBundle]:
    """Pass pokemontcg bundles through, giving the CSV's singles their TCGplayer product id
    (same matching as the import: set, number and name).

    pokemontcg.io carries no TCGplayer product ids, and the importer framework stores a
    record's `tcgplayer_product_id=None` over an id another source set. Feeding the ids into
    the records keeps a re-import of the pokemontcg files from unlinking the cards."""
    rows, _errors = read_rows(csv_path(path))
    by_set: dict[str, list[ProductRow]] = {}
    for row in rows:
        set_id = code_set_id(row.set_code)
        if row.is_card and set_id:
            by_set.setdefault(set_id, []).append(row)
    for bundle in bundles:
        for row in by_set.get(bundle.set_record.source_id, []):
            try:
                _same, matches = matching_cards(row, bundle.cards, lambda c: c.name,
                                                lambda c: c.number)
            except ValueError:
                continue  # reported by the import of the CSV itself
            if len(matches) == 1:
                index = bundle.cards.index(matches[0])
                bundle.cards[index] = replace(matches[0], tcgplayer_product_id=row.product_id)
        yield bundle
