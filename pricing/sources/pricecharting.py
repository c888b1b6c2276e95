"""PriceCharting prices, ungraded and graded (USD).

Two real paths (https://www.pricecharting.com/api-documentation; the token is the 40-character
`t` parameter of the custom price guide):

- the price guide download `GET /price-guide/download-custom?t=TOKEN&category=pokemon-cards`:
  a CSV with one row per product — `id, console-name, product-name, loose-price, cib-price,
  new-price, graded-price, box-only-price, manual-only-price, bgs-10-price,
  condition-17-price, condition-18-price, …, sales-volume, genre, tcg-id, …, release-date`;
  prices are dollar amounts written "$199.99" (default mode);
- the JSON API: `GET /api/product?t=&id=` (one product) and `GET /api/products?t=&q=` (a
  search, `{"status": "success", "products": [...]}`), the same field names with prices as an
  integer number of pennies; errors are `{"status": "error", "error-message": "..."}`.

For trading cards PriceCharting reuses its video-game columns; their meaning, as its card
pages label them (and as public PriceCharting clients map them), and our grade segments:

| column | meaning | grade |
|---|---|---|
| loose-price | ungraded | raw |
| cib-price | grade 7 (any grader) | graded_7 |
| new-price | grade 8 (any grader) | graded_8 |
| graded-price | grade 9 (any grader) | graded_9 |
| box-only-price | grade 9.5 (any grader) | graded_9_5 |
| manual-only-price | PSA 10 | psa_10 |
| bgs-10-price | BGS 10 | bgs_10 |
| condition-17-price | CGC 10 | cgc_10 |
| condition-18-price | SGC 10 | sgc_10 |

PriceCharting publishes no per-grade sale count (`sales-volume` is the product's yearly
total), so observations are 0 ("not stated"). Matching: a product whose `tcg-id` (TCGplayer
product id) is a catalogue card's is that card; otherwise set + name + number: the
`console-name` without its game prefix ("Pokemon Base Set" -> "Base Set", also tried against
"<series> <set name>"), the `product-name` without `#number` and `[qualifiers]`
("Charizard [1st Edition] #4"), names normalised, numbers compared exactly. Anything else —
no number, no such set, no such card, two candidates — is counted as unmatched, never
guessed. Qualifiers become the variant (`normal` without any; "[1st Edition]" ->
`1st_edition`, "[Reverse Holo]" -> `reverse_holo`).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.conf import settings
from django.utils import timezone

from catalogue.models import Card, CardSet
from csm.http import PoliteClient, SourceError
from pricing.ingest import Quote, money
from pricing.sources.base import Progress, ScrapeBatch, SourceAdapter
from pricing.sources.names import normalise_name, normalise_number

SOURCE = "pricecharting"
CURRENCY = "USD"

# PriceCharting column -> our grade segment (see the module docstring).
GRADE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("loose-price", "raw"),
    ("cib-price", "graded_7"),
    ("new-price", "graded_8"),
    ("graded-price", "graded_9"),
    ("box-only-price", "graded_9_5"),
    ("manual-only-price", "psa_10"),
    ("bgs-10-price", "bgs_10"),
    ("condition-17-price", "cgc_10"),
    ("condition-18-price", "sgc_10"),
)
REQUIRED_COLUMNS = frozenset({"id", "console-name", "product-name", "loose-price"})

# Price guide category -> (our TCG slug, the console-name prefix of its products). Pokémon is
# the category the recorded payloads cover; the others follow PriceCharting's naming.
CATEGORIES: dict[str, tuple[str, str]] = {
    "pokemon-cards": ("pokemon", "Pokemon"),
    "magic-cards": ("mtg", "Magic"),
    "yugioh-cards": ("yugioh", "YuGiOh"),
    "one-piece-cards": ("onepiece", "One Piece"),
    "lorcana-cards": ("lorcana", "Lorcana"),
}
LANGUAGES = {"japanese": "jp", "chinese": "zh", "korean": "kr"}

_NUMBER = re.compile(r"#\s*([A-Za-z0-9][A-Za-z0-9\-/]*)")
_QUALIFIER = re.compile(r"\[([^\]]*)\]")


@dataclass(frozen=True, slots=True)
class ProductName:
    name: str  # normalised
    number: str | None  # normalised
    variant: str


def product_name_parse(product_name: str) -> ProductName:
    """"Charizard [1st Edition] #4" -> ("charizard", "4", "1st_edition")."""
    qualifiers = [q.strip() for q in _QUALIFIER.findall(product_name) if q.strip()]
    text = _QUALIFIER.sub(" ", product_name)
    numbers = _NUMBER.findall(text)
    number = normalise_number(numbers[-1]) if numbers else None
    name = normalise_name(_NUMBER.sub(" ", text))
    variant = "_".join(normalise_name(q).replace(" ", "_") for q in qualifiers) or "normal"
    return ProductName(name=name, number=number, variant=variant[:32])


def console_parse(console_name: str, prefix: str) -> tuple[str, str]:
    """("Pokemon Japanese Base Expansion Pack", "Pokemon") -> ("base expansion pack", "jp")."""
    words = normalise_name(console_name).split()
    head = normalise_name(prefix).split()
    if words[:len(head)] == head:
        words = words[len(head):]
    language = "en"
    if words and words[0] in LANGUAGES:
        language = LANGUAGES[words.pop(0)]
    return " ".join(words), language


def price_read(value: object, *, pennies: bool) -> Decimal | None:
    """A price cell: JSON API integers are pennies, CSV cells dollars ("$1,234.56")."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if pennies:
        if not isinstance(value, int):
            if not str(value).strip().isdigit():
                raise ValueError(f"price {value!r} is not a number of pennies")
            value = int(str(value).strip())
        return money(Decimal(value) / 100)
    text = str(value).strip().replace("$", "").replace(",", "")
    if not text:
        return None
    try:
        Decimal(text)
    except InvalidOperation:
        raise ValueError(f"price {value!r} is not a dollar amount") from None
    return money(text)


def product_prices(row: Mapping[str, Any], *, pennies: bool) -> list[tuple[str, Decimal]]:
    """(grade segment, price) for every grade column with a price."""
    out = []
    for column, grade in GRADE_COLUMNS:
        price = price_read(row.get(column), pennies=pennies)
        if price is not None:
            out.append((grade, price))
    return out


def csv_rows(text: str) -> list[dict[str, str]]:
    """The price guide CSV; garbage (an HTML error page, a missing column) is a SourceError."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
    if missing:
        raise SourceError(f"pricecharting: the price guide is not the expected CSV (missing "
                          f"{', '.join(sorted(missing))})")
    return list(reader)


def _is_card(row: Mapping[str, Any]) -> bool:
    genre = str(row.get("genre") or "").lower()
    return not genre or "card" in genre


@dataclass
class CardMatcher:
    """Products -> catalogue cards, for one TCG. Built once per scrape: the TCG's sets, the
    cards of the sets the products name, and the cards carrying the products' tcg-ids."""

    tcg_slug: str
    prefix: str
    sets: dict[str, set[int]] = field(default_factory=dict)
    cards: dict[tuple[int, str, str], list[int]] = field(default_factory=dict)
    tcgplayer: dict[int, int] = field(default_factory=dict)

    @classmethod
    def build(cls, tcg_slug: str, prefix: str, rows: Iterable[Mapping[str, Any]]) -> CardMatcher:
        rows = list(rows)
        matcher = cls(tcg_slug=tcg_slug, prefix=prefix)
        sets: dict[str, set[int]] = defaultdict(set)
        for pk, name, series in CardSet.objects.filter(tcg__slug=tcg_slug).values_list(
                "pk", "name", "series"):
            sets[normalise_name(name)].add(pk)
            if series:
                sets[normalise_name(f"{series} {name}")].add(pk)
        matcher.sets = dict(sets)
        wanted = set()
        for row in rows:
            wanted |= matcher.sets.get(console_parse(str(row.get("console-name") or ""),
                                                    prefix)[0], set())
        cards: dict[tuple[int, str, str], list[int]] = defaultdict(list)
        for pk, set_id, name, number in Card.objects.filter(card_set_id__in=wanted) \
                .order_by("pk").values_list("pk", "card_set_id", "name", "number"):
            cards[(set_id, normalise_name(name), normalise_number(number))].append(pk)
        matcher.cards = dict(cards)
        tcg_ids = sorted({int(str(r.get("tcg-id")).strip()) for r in rows
                          if str(r.get("tcg-id") or "").strip().isdigit()})
        for start in range(0, len(tcg_ids), 5000):
            for tcg_id, pk in Card.objects.filter(
                    tcg__slug=tcg_slug, tcgplayer_product_id__in=tcg_ids[start:start + 5000]) \
                    .order_by("pk").values_list("tcgplayer_product_id", "pk"):
                matcher.tcgplayer.setdefault(tcg_id, pk)
        return matcher

    def match(self, row: Mapping[str, Any]) -> tuple[tuple[str, object], int] | str:
        """(quote reference, card id), or why the product matches no card."""
        tcg_id = str(row.get("tcg-id") or "").strip()
        if tcg_id.isdigit() and int(tcg_id) in self.tcgplayer:
            return ("tcgplayer_product_id", int(tcg_id)), self.tcgplayer[int(tcg_id)]
        parsed = product_name_parse(str(row.get("product-name") or ""))
        if not parsed.number:
            return "no card number"
        set_name, _language = console_parse(str(row.get("console-name") or ""), self.prefix)
        set_ids = self.sets.get(set_name)
        if not set_ids:
            return "no such set"
        found = [pk for set_id in set_ids
                 for pk in self.cards.get((set_id, parsed.name, parsed.number), [])]
        if not found:
            return "no such card"
        if len(found) > 1:
            return "ambiguous"
        return ("card_id", found[0]), found[0]


def quotes_from_rows(rows: Iterable[Mapping[str, Any]], matcher: CardMatcher, *,
                     pennies: bool, recorded_at: datetime,
                     only_cards: set[int] | None = None
                     ) -> tuple[ScrapeBatch, dict[str, int], set[int]]:
    """Products -> one quote per priced grade column. Returns the batch, the unmatched
    products counted by reason and the card ids priced. `only_cards` keeps the products of
    those cards and ignores the rest (a search also returns its neighbours)."""
    batch = ScrapeBatch()
    unmatched: dict[str, int] = defaultdict(int)
    priced: set[int] = set()
    for row in rows:
        if not _is_card(row):
            continue
        try:
            prices = product_prices(row, pennies=pennies)
        except ValueError as exc:
            batch.invalid += 1
            if len(batch.errors) < 10:
                batch.errors.append(f"pricecharting product {row.get('id')}: {exc}")
            continue
        if not prices:
            continue
        found = matcher.match(row)
        if isinstance(found, str):
            if only_cards is None:
                unmatched[found] += 1
            continue
        ref, card_id = found
        if only_cards is not None and card_id not in only_cards:
            continue
        priced.add(card_id)
        variant = product_name_parse(str(row.get("product-name") or "")).variant
        language = console_parse(str(row.get("console-name") or ""), matcher.prefix)[1]
        for grade, price in prices:
            batch.quotes.append(Quote(ref=ref, currency=CURRENCY, market=price, grade=grade,
                                      variant=variant, language=language, observations=0,
                                      recorded_at=recorded_at))
    return batch, dict(unmatched), priced


class PricechartingAdapter(SourceAdapter):
    """Options: `categories` (price guide categories, default ["pokemon-cards"]) — the CSV
    download; or `product_ids` (PriceCharting ids) — /api/product each; or `card_ids` (our
    cards) — an /api/products search each, "<set> <name> #<number>"."""

    source: ClassVar[str] = SOURCE
    schedule_minutes: ClassVar[int] = 24 * 60

    @classmethod
    def is_configured(cls) -> bool:
        return bool(settings.PRICECHARTING_API_TOKEN)

    def scrape(self, *, progress: Progress | None = None) -> ScrapeBatch:
        if not self.is_configured():
            raise SourceError("pricecharting is not configured: set PRICECHARTING_API_TOKEN")
        token = settings.PRICECHARTING_API_TOKEN
        client = PoliteClient(settings.PRICING_PRICECHARTING_URL, min_interval=1.0)
        try:
            if self.options.get("card_ids"):
                return self._scrape_cards(client, token, progress)
            if self.options.get("product_ids"):
                return self._scrape_products(client, token, progress)
            return self._scrape_guides(client, token, progress)
        except SourceError as exc:
            # The token travels in the query string: keep it out of the run log.
            raise SourceError(str(exc).replace(token, "<token>")) from None

    def _scrape_guides(self, client: PoliteClient, token: str,
                       progress: Progress | None) -> ScrapeBatch:
        categories = list(self.options.get("categories") or ["pokemon-cards"])
        unknown = [c for c in categories if c not in CATEGORIES]
        if unknown:
            raise ValueError(f"unknown PriceCharting categories: {', '.join(unknown)}")
        downloads = []
        for done, category in enumerate(categories, start=1):
            response = client.get("/price-guide/download-custom",
                                  params={"t": token, "category": category})
            downloads.append((category, csv_rows(response.text)))
            if progress is not None:
                progress(done, len(categories))
        now = timezone.now()
        batch = ScrapeBatch()
        for category, rows in downloads:
            slug, prefix = CATEGORIES[category]
            matcher = CardMatcher.build(slug, prefix, (r for r in rows if _is_card(r)))
            part, unmatched, _priced = quotes_from_rows(rows, matcher, pennies=False,
                                                        recorded_at=now)
            _merge(batch, part, unmatched, category)
        return batch

    def _scrape_products(self, client: PoliteClient, token: str,
                         progress: Progress | None) -> ScrapeBatch:
        ids = [int(x) for x in self.options["product_ids"]]
        rows: list[Mapping[str, Any]] = []
        errors: list[str] = []
        for done, product_id in enumerate(ids, start=1):
            payload = client.get_json("/api/product", params={"t": token, "id": product_id})
            row = _api_answer(payload, f"/api/product?id={product_id}")
            if row is None:
                errors.append(f"pricecharting product {product_id}: "
                              f"{payload.get('error-message', 'error')}")
            else:
                rows.append(row)
            if progress is not None:
                progress(done, len(ids))
        batch, _priced = self._quote_api_rows(rows)
        batch.errors[:0] = errors[:10]
        batch.invalid += len(errors)
        return batch

    def _scrape_cards(self, client: PoliteClient, token: str,
                      progress: Progress | None) -> ScrapeBatch:
        wanted = [int(x) for x in self.options["card_ids"]]
        cards = list(Card.objects.filter(pk__in=wanted).select_related("card_set", "tcg")
                     .order_by("pk"))
        rows: list[Mapping[str, Any]] = []
        for done, card in enumerate(cards, start=1):
            query = f"{card.card_set.name} {card.name} #{card.number}"
            payload = client.get_json("/api/products", params={"t": token, "q": query})
            answer = _api_answer(payload, "/api/products")
            products = (answer or {}).get("products")
            if answer is not None and not isinstance(products, list):
                raise SourceError("pricecharting: /api/products did not answer a product list")
            rows += [p for p in products or [] if isinstance(p, Mapping)]
            if progress is not None:
                progress(done, len(cards))
        only = {c.pk for c in cards}
        batch, priced = self._quote_api_rows(rows, only_cards=only)
        if only - priced:
            batch.errors.insert(0, f"pricecharting: {len(only - priced)} of {len(only)} cards "
                                   "found no PriceCharting product")
        return batch

    def _quote_api_rows(self, rows: list[Mapping[str, Any]], *,
                        only_cards: set[int] | None = None) -> tuple[ScrapeBatch, set[int]]:
        now = timezone.now()
        batch = ScrapeBatch()
        priced: set[int] = set()
        by_category: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for row in rows:
            by_category[_category_of(str(row.get("console-name") or ""))].append(row)
        for category, group in by_category.items():
            if category not in CATEGORIES:
                if only_cards is None:
                    _merge(batch, ScrapeBatch(), {"not a supported card game": len(group)},
                           "api")
                continue
            slug, prefix = CATEGORIES[category]
            matcher = CardMatcher.build(slug, prefix, (r for r in group if _is_card(r)))
            part, unmatched, found = quotes_from_rows(group, matcher, pennies=True,
                                                      recorded_at=now, only_cards=only_cards)
            priced |= found
            _merge(batch, part, unmatched, category)
        return batch, priced


def _api_answer(payload: object, what: str) -> Mapping[str, Any] | None:
    """The JSON answer when it succeeded, None for PriceCharting's {"status": "error"}."""
    if not isinstance(payload, Mapping) or payload.get("status") not in {"success", "error"}:
        raise SourceError(f"pricecharting: {what} did not answer a PriceCharting object")
    return payload if payload["status"] == "success" else None


def _category_of(console_name: str) -> str:
    words = normalise_name(console_name).split()
    for category, (_slug, prefix) in CATEGORIES.items():
        head = normalise_name(prefix).split()
        if words[:len(head)] == head:
            return category
    return ""


def _merge(batch: ScrapeBatch, part: ScrapeBatch, unmatched: dict[str, int],
           label: str) -> None:
    batch.quotes += part.quotes
    batch.invalid += part.invalid
    batch.errors += part.errors[:max(0, 10 - len(batch.errors))]
    if unmatched:
        batch.unmatched += sum(unmatched.values())
        reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(unmatched.items()))
        batch.errors.insert(0, f"pricecharting {label}: {sum(unmatched.values())} products "
                               f"not matched to the catalogue ({reasons})")
