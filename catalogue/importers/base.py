"""The importer framework every source format plugs into.

A source module turns its real format into plain records with *pure* parsers:

    parse_set(obj) -> SetRecord          parse_card(obj) -> CardRecord

and yields one `SetBundle` (a set with its cards and sealed products) at a time. The
framework stores each bundle in its own transaction: a bad *row* is reported in the
`ImportReport` and skipped, any unexpected failure rolls the whole set back, so no set is ever
half-imported. Upserts compare every field first, so running an import twice changes nothing
(no writes, no `updated_at` bump).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalogue.models import TCG, Card, CardSet, SealedProduct
from catalogue.selectors import search_sets_forget

_DIGITS = re.compile(r"\d+")


class RowError(ValueError):
    """A row of the source data that cannot be imported; reported, never half-stored."""


@dataclass(frozen=True)
class SetRecord:
    source_id: str
    name: str
    code: str = ""
    series: str = ""
    release_date: date | None = None
    total_cards: int | None = None
    printed_total: int | None = None
    logo_url: str | None = None
    symbol_url: str | None = None
    external_ids: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CardRecord:
    source_id: str
    name: str
    number: str
    variant_key: str = ""
    rarity: str = ""
    card_type: str = ""
    image_url: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    variants: list[str] = field(default_factory=list)
    legalities: dict[str, str] = field(default_factory=dict)
    foreign_names: dict[str, str] = field(default_factory=dict)
    evolves_from: str = ""
    tcgplayer_product_id: int | None = None
    cardmarket_product_id: int | None = None
    scryfall_id: str | None = None
    pokemontcg_id: str | None = None
    ygoprodeck_id: int | None = None


@dataclass(frozen=True)
class SealedRecord:
    source_id: str
    name: str
    kind: str = SealedProduct.Kind.OTHER
    image_url: str = ""
    tcgplayer_product_id: int | None = None
    cardmarket_product_id: int | None = None
    external_ids: dict[str, Any] = field(default_factory=dict)


@dataclass
class SetBundle:
    """One set as read from the source: its record, parsed cards and the rows that failed.
    A bundle with a `failure` (e.g. its file could not be read) is reported, never stored."""

    set_record: SetRecord
    cards: list[CardRecord] = field(default_factory=list)
    sealed: list[SealedRecord] = field(default_factory=list)
    errors: list[ReportedError] = field(default_factory=list)
    failure: str = ""


@dataclass(frozen=True)
class ReportedError:
    set_ref: str
    row_ref: str
    message: str

    def __str__(self) -> str:
        return f"{self.set_ref} / {self.row_ref}: {self.message}"


@dataclass
class ImportReport:
    source: str
    sets_created: int = 0
    sets_updated: int = 0
    sets_unchanged: int = 0
    sets_failed: int = 0
    cards_created: int = 0
    cards_updated: int = 0
    cards_unchanged: int = 0
    sealed_created: int = 0
    sealed_updated: int = 0
    sealed_unchanged: int = 0
    errors: list[ReportedError] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return (self.sets_created + self.sets_updated + self.cards_created + self.cards_updated
                + self.sealed_created + self.sealed_updated)

    def summary(self) -> str:
        return (f"{self.source}: sets +{self.sets_created} ~{self.sets_updated} "
                f"={self.sets_unchanged} !{self.sets_failed}; cards +{self.cards_created} "
                f"~{self.cards_updated} ={self.cards_unchanged}; sealed +{self.sealed_created} "
                f"~{self.sealed_updated} ={self.sealed_unchanged}; "
                f"{len(self.errors)} row error(s)")

    def merge(self, other: ImportReport) -> None:
        for name in ("sets_created", "sets_updated", "sets_unchanged", "sets_failed",
                     "cards_created", "cards_updated", "cards_unchanged", "sealed_created",
                     "sealed_updated", "sealed_unchanged"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = [str(e) for e in self.errors]
        return data


def number_sort_key(number: str) -> int:
    """The card's position from its collector number: the last run of digits before any
    "/total" ("SWSH020" -> 20, "4/102" -> 4, "OP01-001" -> 1, "LOB-EN054" -> 54)."""
    runs = _DIGITS.findall((number or "").split("/", 1)[0])
    return min(int(runs[-1]), 2_000_000_000) if runs else 0


def parse_rows(bundle: SetBundle, rows: Iterable[Any], parser: Callable[[Any], CardRecord],
               row_ref: Callable[[Any, int], str]) -> None:
    """Parse `rows` into `bundle.cards`, reporting each bad row (and duplicates) in the bundle."""
    seen: set[tuple[str, str]] = set()
    for index, row in enumerate(rows):
        ref = row_ref(row, index)
        try:
            record = parser(row)
        except (RowError, KeyError, TypeError, ValueError, AttributeError) as exc:
            bundle.errors.append(ReportedError(bundle.set_record.source_id, ref,
                                               _describe(exc)))
            continue
        identity = (record.number, record.variant_key)
        if identity in seen:
            bundle.errors.append(ReportedError(
                bundle.set_record.source_id, ref,
                f"duplicate card number {record.number!r} (variant {record.variant_key!r})"))
            continue
        seen.add(identity)
        bundle.cards.append(record)


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__


# --- Storing ---------------------------------------------------------------------------------

_SET_FIELDS = ("name", "code", "series", "release_date", "total_cards", "printed_total",
               "logo_url", "symbol_url", "external_ids")
_CARD_FIELDS = ("source_id", "name", "number", "number_sort", "variant_key", "rarity",
                "card_type", "image_url", "attributes", "variants", "legalities",
                "foreign_names", "evolves_from", "tcgplayer_product_id",
                "cardmarket_product_id", "scryfall_id", "pokemontcg_id", "ygoprodeck_id")
_SEALED_FIELDS = ("name", "kind", "image_url", "tcgplayer_product_id", "cardmarket_product_id",
                  "external_ids")


def _comparable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return str(value) if value.__class__.__name__ == "UUID" else value


# Ids one source cannot know but another sets (e.g. TCGplayer product ids from a price list
# on pokemontcg.io cards): a record without one keeps the stored value.
_KEEP_WHEN_MISSING = frozenset({"tcgplayer_product_id", "cardmarket_product_id", "scryfall_id",
                                "pokemontcg_id", "ygoprodeck_id"})


def _apply(obj: Any, values: dict[str, Any], fields: Iterable[str]) -> list[str]:
    """Set changed attributes on `obj`; return the names that changed."""
    changed = []
    for name in fields:
        new = values[name]
        if new is None and name in _KEEP_WHEN_MISSING:
            continue
        if _comparable(getattr(obj, name)) != _comparable(new):
            setattr(obj, name, new)
            changed.append(name)
    return changed


def _card_values(record: CardRecord) -> dict[str, Any]:
    # Shallow: asdict() deep-copies every attribute list, half the import time at scale.
    values = {f.name: getattr(record, f.name) for f in fields(record)}
    values["number_sort"] = number_sort_key(record.number)
    return values


@transaction.atomic
def catalogue_store_bundle(*, tcg: TCG, bundle: SetBundle, report: ImportReport) -> CardSet:
    """Upsert one set with its cards and sealed products, atomically. Call once per set."""
    set_values = asdict(bundle.set_record)
    card_set = (CardSet.objects.select_for_update()
                .filter(tcg=tcg, source_id=bundle.set_record.source_id).first())
    if card_set is None:
        card_set = CardSet.objects.create(tcg=tcg, source_id=bundle.set_record.source_id,
                                          **{k: set_values[k] for k in _SET_FIELDS})
        report.sets_created += 1
        transaction.on_commit(search_sets_forget)  # search caches set names and codes
    elif changed := _apply(card_set, set_values, _SET_FIELDS):
        card_set.save(update_fields=[*changed, "updated_at"])
        report.sets_updated += 1
        transaction.on_commit(search_sets_forget)
    else:
        report.sets_unchanged += 1

    existing = {(c.number, c.variant_key): c for c in Card.objects.filter(card_set=card_set)}
    # A card may have moved within the source (new number); its source_id is the anchor.
    by_source = {c.source_id: c for c in existing.values()}
    to_create, to_update, update_fields = [], [], set()
    now = timezone.now()
    for record in bundle.cards:
        values = _card_values(record)
        card = existing.get((record.number, record.variant_key)) or by_source.get(
            record.source_id)
        if card is None:
            to_create.append(Card(tcg=tcg, card_set=card_set, **values))
        elif changed := _apply(card, values, _CARD_FIELDS):
            card.updated_at = now  # bulk_update does not apply auto_now
            to_update.append(card)
            update_fields.update(changed)
        else:
            report.cards_unchanged += 1
    if to_update:
        Card.objects.bulk_update(to_update, [*sorted(update_fields), "updated_at"],
                                 batch_size=500)
        report.cards_updated += len(to_update)
    if to_create:
        Card.objects.bulk_create(to_create, batch_size=500)
        report.cards_created += len(to_create)

    _store_sealed(tcg=tcg, card_set=card_set, records=bundle.sealed, report=report)
    report.errors.extend(bundle.errors)
    return card_set


def catalogue_store_sealed(*, tcg: TCG, records: list[SealedRecord], report: ImportReport,
                           card_set: CardSet | None = None) -> None:
    """Upsert sealed products that belong to no set bundle (e.g. from a price list)."""
    with transaction.atomic():
        _store_sealed(tcg=tcg, card_set=card_set, records=records, report=report)


def _store_sealed(*, tcg: TCG, card_set: CardSet | None, records: list[SealedRecord],
                  report: ImportReport) -> None:
    if not records:
        return
    existing = {p.source_id: p for p in SealedProduct.objects.filter(
        tcg=tcg, source_id__in=[r.source_id for r in records])}
    for record in records:
        values = asdict(record)
        product = existing.get(record.source_id)
        if product is None:
            SealedProduct.objects.create(tcg=tcg, card_set=card_set, source_id=record.source_id,
                                         **{k: values[k] for k in _SEALED_FIELDS})
            report.sealed_created += 1
            continue
        changed = _apply(product, values, _SEALED_FIELDS)
        if card_set is not None and product.card_set_id != card_set.pk:
            product.card_set = card_set
            changed.append("card_set")
        if changed:
            product.save(update_fields=[*changed, "updated_at"])
            report.sealed_updated += 1
        else:
            report.sealed_unchanged += 1


def catalogue_import(*, tcg_slug: str, source: str, bundles: Iterator[SetBundle],
                     progress: Callable[[SetBundle], None] | None = None) -> ImportReport:
    """Store every bundle, one transaction per set. A set that fails is rolled back and
    reported; the import goes on with the next set."""
    tcg = TCG.objects.get(slug=tcg_slug)
    report = ImportReport(source=source)
    for bundle in bundles:
        part = ImportReport(source=source)  # counted only if the set's transaction commits
        try:
            if bundle.failure:
                raise RowError(bundle.failure)
            catalogue_store_bundle(tcg=tcg, bundle=bundle, report=part)
        except Exception as exc:  # noqa: BLE001 - the set is rolled back and reported
            report.sets_failed += 1
            report.errors.extend(bundle.errors)
            report.errors.append(ReportedError(bundle.set_record.source_id, "*",
                                               f"set not imported: {_describe(exc)}"))
        else:
            report.merge(part)
        if progress is not None:
            progress(bundle)
    return report
