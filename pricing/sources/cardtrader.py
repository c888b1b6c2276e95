"""CardTrader marketplace prices (CardTrader API v2).

Contract: `shared/spec/cardtrader-api-v2.txt` (https://api.cardtrader.com/api/v2, header
`Authorization: Bearer <JWT>`):

- `GET /games` -> `[{id, name, display_name}]`; `GET /expansions` -> `[{id, game_id, code,
  name}]`;
- `GET /blueprints/export?expansion_id=` -> the sellable items of an expansion, each with the
  ids other sites use: `scryfall_id`, `card_market_ids` (a list), `tcg_player_id`;
- `GET /marketplace/products?expansion_id=` -> `{"<blueprint id>": [product, …]}` with the
  cheapest 25 products of each blueprint; a product has `price: {cents, currency}`,
  `quantity`, `properties_hash` (condition, `<game>_language`, `<game>_foil`, …), `graded`,
  `on_vacation`, `bundle_size`, `user: {username, …}`. This endpoint allows 1 call per second.

Property names are game-prefixed (`mtg_language`, `pokemon_language`, `mtg_foil`,
`fab_foil`), plus `pokemon_reverse` (reverse holo) and `first_edition` — read by suffix, as
the contract's Flesh and Blood order item and public CardTrader clients do.

Per (card, condition, language, variant, currency) the quote is the cheapest listing:
market = low = cheapest, high = the dearest of the returned (cheapest 25) listings,
observations = listings counted. Variants: `normal`, `foil`, `reverse_holofoil`, each with a
`1st_edition_` prefix for first-edition copies. Graded, signed and altered copies, bundles
(`bundle_size` > 1) and sellers on vacation are left out: they are not a raw single anyone
can buy. Every product kept is also stored as a raw listing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from catalogue.models import TCG, Card, SealedProduct
from csm.http import PoliteClient, SourceError
from pricing.ingest import CURRENCIES, Quote
from pricing.models import Condition
from pricing.sources.base import Listing, Progress, ScrapeBatch, SourceAdapter
from pricing.sources.names import normalise_name

SOURCE = "cardtrader"
CENT = Decimal("0.01")
CARD_URL = "https://www.cardtrader.com/cards/{blueprint_id}"

# CardTrader's condition names (contract: Property `condition`) -> ours.
CONDITIONS: dict[str, str] = {
    "mint": Condition.NM,
    "near mint": Condition.NM,
    "slightly played": Condition.LP,
    "lightly played": Condition.LP,
    "moderately played": Condition.MP,
    "played": Condition.HP,
    "heavily played": Condition.HP,
    "poor": Condition.DMG,
    "damaged": Condition.DMG,
}

# Our TCG slug -> CardTrader game names (normalised `name` or `display_name` of GET /games).
GAMES: dict[str, tuple[str, ...]] = {
    "mtg": ("magic", "magic the gathering"),
    "pokemon": ("pokemon",),
    "yugioh": ("yugioh", "yu gi oh"),
    "onepiece": ("one piece", "one piece card game"),
    "lorcana": ("lorcana", "disney lorcana"),
    "fab": ("flesh and blood",),
    "digimon": ("digimon", "digimon card game"),
    "starwars": ("star wars unlimited",),
    "dragonball": ("dragon ball super", "dragon ball super card game",
                   "dragon ball super fusion world"),
    "grandarc": ("grand archive",),
    "riftbound": ("riftbound",),
}

# Reference kinds a blueprint can carry, in the order they are tried against the catalogue.
CARD_KINDS = ("scryfall_id", "tcgplayer_product_id", "cardmarket_product_id")
SEALED_KINDS = ("sealed_tcgplayer_product_id", "sealed_cardmarket_product_id")


def _flag(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _suffixed(properties: Mapping[str, Any], suffix: str) -> Any:
    for key, value in properties.items():
        if key == suffix.lstrip("_") or key.endswith(suffix):
            return value
    return None


@dataclass(frozen=True, slots=True)
class Product:
    """One marketplace product, read."""

    external_id: str
    blueprint_id: int
    price: Decimal
    currency: str
    condition: str
    language: str
    finish: str  # nonfoil | foil
    reverse: bool
    printing: str  # unlimited | 1st_edition
    quantity: int
    seller: str
    title: str

    @property
    def variant(self) -> str:
        base = "reverse_holofoil" if self.reverse else (
            "foil" if self.finish == "foil" else "normal")
        return f"1st_edition_{base}" if self.printing == "1st_edition" else base


class Skip(Exception):  # noqa: N818 - a product deliberately left out, not an error
    pass


def product_parse(raw: Mapping[str, Any]) -> Product:
    """A product of GET /marketplace/products. Raises Skip for products that are no raw single
    for sale (graded, signed, altered, bundle, seller on vacation) and ValueError for ones
    that cannot be read."""
    if not isinstance(raw, Mapping):
        raise ValueError("product is not an object")
    properties = raw.get("properties_hash") or {}
    if not isinstance(properties, Mapping):
        raise ValueError("properties_hash is not an object")
    if _flag(raw.get("graded")) or _flag(raw.get("on_vacation")) \
            or _flag(properties.get("signed")) or _flag(properties.get("altered")):
        raise Skip
    bundle = raw.get("bundle_size") or 1
    if not isinstance(bundle, int) or bundle > 1:
        raise Skip
    price = raw.get("price")
    if not isinstance(price, Mapping):
        raise ValueError("price is not an object")
    cents, currency = price.get("cents"), str(price.get("currency") or "").upper()
    if not isinstance(cents, int) or isinstance(cents, bool) or cents <= 0:
        raise ValueError(f"price.cents {cents!r} is not a positive integer")
    if currency not in CURRENCIES:
        raise ValueError(f"unknown currency {currency!r}")
    quantity = raw.get("quantity")
    if not isinstance(quantity, int) or quantity < 1:
        raise Skip
    condition_name = properties.get("condition")
    # The contract: a product without a condition has the default, "Near Mint".
    condition = CONDITIONS.get(str(condition_name or "Near Mint").strip().lower())
    if condition is None:
        raise ValueError(f"unknown condition {condition_name!r}")
    language = _suffixed(properties, "_language") or "en"
    if not isinstance(language, str) or not 0 < len(language) <= 8:
        raise ValueError(f"malformed language {language!r}")
    first_edition = _flag(_suffixed(properties, "_first_edition"))
    user = raw.get("user") if isinstance(raw.get("user"), Mapping) else {}
    expansion = raw.get("expansion") if isinstance(raw.get("expansion"), Mapping) else {}
    name = str(raw.get("name_en") or "")
    title = f"{name} ({expansion.get('name_en')})" if expansion.get("name_en") else name
    blueprint_id = raw.get("blueprint_id")
    if not isinstance(blueprint_id, int) or raw.get("id") is None:
        raise ValueError("product without id or blueprint_id")
    return Product(
        external_id=str(raw["id"]), blueprint_id=blueprint_id,
        price=(Decimal(cents) / 100).quantize(CENT), currency=currency, condition=condition,
        # A reverse holo is a foil printing (its quote's variant is reverse_holofoil).
        language=language,
        finish="foil" if _flag(_suffixed(properties, "_foil"))
        or _flag(properties.get("pokemon_reverse")) else "nonfoil",
        reverse=_flag(properties.get("pokemon_reverse")),
        printing="1st_edition" if first_edition else "unlimited", quantity=quantity,
        seller=str(user.get("username") or ""), title=title)


def blueprint_refs(blueprint: Mapping[str, Any]) -> list[tuple[str, object]]:
    """The catalogue references a blueprint offers, most specific first: its Scryfall id, its
    TCGplayer id, its Cardmarket ids — and the same TCGplayer / Cardmarket ids as sealed
    products (a booster box is a blueprint too)."""
    refs: list[tuple[str, object]] = []
    scryfall = blueprint.get("scryfall_id")
    if isinstance(scryfall, str) and scryfall.strip():
        refs.append(("scryfall_id", scryfall.strip().lower()))
    ids: dict[str, list[int]] = {"tcgplayer_product_id": [], "cardmarket_product_id": []}
    tcgplayer = blueprint.get("tcg_player_id")
    if str(tcgplayer or "").strip().isdigit():
        ids["tcgplayer_product_id"].append(int(str(tcgplayer).strip()))
    cardmarket = blueprint.get("card_market_ids") or []
    if isinstance(cardmarket, list):
        ids["cardmarket_product_id"] += [int(v) for v in cardmarket
                                         if str(v).strip().isdigit()]
    for kind in ("tcgplayer_product_id", "cardmarket_product_id"):
        refs += [(kind, value) for value in ids[kind]]
    for kind in ("tcgplayer_product_id", "cardmarket_product_id"):
        refs += [(f"sealed_{kind}", value) for value in ids[kind]]
    return refs


def marketplace_parse(payload: object, refs: Mapping[int, tuple[str, object]], *,
                      matched: set[int], observed_at: datetime) -> ScrapeBatch:
    """Pure: one GET /marketplace/products answer -> quotes (cheapest per card, condition,
    language, variant and currency) and listings (every product kept, for matched cards).

    `refs` maps blueprint id -> the reference its quotes carry; `matched` holds the blueprint
    ids whose reference is a card in the catalogue (their products become listings).
    """
    if not isinstance(payload, Mapping):
        raise SourceError("cardtrader: /marketplace/products did not answer an object of "
                          "blueprint id -> products")
    batch = ScrapeBatch()
    groups: dict[tuple, list[Product]] = defaultdict(list)
    for key, products in payload.items():
        if not str(key).isdigit() or not isinstance(products, list):
            raise SourceError(f"cardtrader: /marketplace/products entry {str(key)[:40]!r} is "
                              "not a blueprint id with a list of products")
        ref = refs.get(int(key))
        if ref is None:
            continue
        for raw in products:
            try:
                product = product_parse(raw)
            except Skip:
                continue
            except (ValueError, TypeError, ArithmeticError) as exc:
                batch.invalid += 1
                if len(batch.errors) < 10:
                    batch.errors.append(f"cardtrader product {_id(raw)}: {exc}")
                continue
            groups[(ref, product.condition, product.language, product.variant,
                    product.currency)].append(product)
            if int(key) in matched and ref[0] in CARD_KINDS:
                batch.listings.append(Listing(
                    ref=ref, external_id=product.external_id, price=product.price,
                    currency=product.currency, kind="listing", title=product.title,
                    condition=product.condition, language=product.language,
                    finish=product.finish, printing=product.printing,
                    quantity=product.quantity, seller=product.seller,
                    url=CARD_URL.format(blueprint_id=product.blueprint_id),
                    observed_at=observed_at))
    for (ref, condition, language, variant, currency), group in groups.items():
        prices = [p.price for p in group]
        batch.quotes.append(Quote(
            ref=ref, currency=currency, market=min(prices), low=min(prices), high=max(prices),
            variant=variant, condition=condition, language=language, grade="raw",
            observations=len(group), recorded_at=observed_at))
    return batch


def _id(raw: object) -> str:
    return str(raw.get("id")) if isinstance(raw, Mapping) else "?"


def _list_of_objects(payload: object, what: str) -> list[Mapping[str, Any]]:
    if not isinstance(payload, list) or not all(isinstance(x, Mapping) for x in payload):
        raise SourceError(f"cardtrader: {what} did not answer a list of objects")
    return payload


class CardtraderAdapter(SourceAdapter):
    """Options: `expansion_ids` (CardTrader expansion ids) or `tcgs` (our TCG slugs; default:
    every game with cards in the catalogue) — every expansion of those games."""

    source: ClassVar[str] = SOURCE
    schedule_minutes: ClassVar[int] = 24 * 60

    @classmethod
    def is_configured(cls) -> bool:
        return bool(settings.CARDTRADER_API_TOKEN)

    def scrape(self, *, progress: Progress | None = None) -> ScrapeBatch:
        if not self.is_configured():
            raise SourceError("cardtrader is not configured: set CARDTRADER_API_TOKEN")
        headers = {"Authorization": f"Bearer {settings.CARDTRADER_API_TOKEN}",
                   "Accept": "application/json"}
        client = PoliteClient(settings.PRICING_CARDTRADER_URL, min_interval=0.2,
                              headers=headers)
        # GET /marketplace/products: "limited to 1 call per second".
        market = PoliteClient(settings.PRICING_CARDTRADER_URL, min_interval=1.0,
                              headers=headers, session=client.session)
        expansion_ids = self._expansions(client)
        fetched: list[tuple[list[Mapping[str, Any]], object]] = []
        for done, expansion_id in enumerate(expansion_ids, start=1):
            params = {"expansion_id": expansion_id}
            blueprints = _list_of_objects(client.get_json("/blueprints/export", params=params),
                                          f"/blueprints/export?expansion_id={expansion_id}")
            products = market.get_json("/marketplace/products", params=params)
            fetched.append((blueprints, products))
            if progress is not None:
                progress(done, len(expansion_ids))
        return self._parse(fetched)

    def _expansions(self, client: PoliteClient) -> list[int]:
        wanted = self.options.get("expansion_ids")
        if wanted:
            return [int(x) for x in wanted]
        slugs = set(self.options.get("tcgs") or _tcgs_with_cards())
        games = _list_of_objects(client.get_json("/games"), "/games")
        game_ids = {game["id"] for game in games if _game_slug(game) in slugs}
        expansions = _list_of_objects(client.get_json("/expansions"), "/expansions")
        return sorted(int(e["id"]) for e in expansions if e.get("game_id") in game_ids)

    def _parse(self, fetched: Iterable[tuple[list[Mapping[str, Any]], object]]) -> ScrapeBatch:
        fetched = list(fetched)
        candidates: dict[int, list[tuple[str, object]]] = {}
        for blueprints, _products in fetched:
            for blueprint in blueprints:
                if isinstance(blueprint.get("id"), int):
                    candidates[blueprint["id"]] = blueprint_refs(blueprint)
        found = _catalogue_refs([ref for refs in candidates.values() for ref in refs])
        refs: dict[int, tuple[str, object]] = {}
        matched: set[int] = set()
        without_ids = 0
        for blueprint_id, options in candidates.items():
            hit = next((ref for ref in options if ref in found), None)
            if hit is not None:
                refs[blueprint_id] = hit
                matched.add(blueprint_id)
            elif options:
                refs[blueprint_id] = options[0]  # counted as unmatched by the ingest
            else:
                without_ids += 1
        now = timezone.now()
        batch = ScrapeBatch(covered_refs={refs[b] for b in matched if refs[b][0] in CARD_KINDS})
        for _blueprints, products in fetched:
            part = marketplace_parse(products, refs, matched=matched, observed_at=now)
            batch.quotes += part.quotes
            batch.listings += part.listings
            batch.invalid += part.invalid
            batch.errors += part.errors[:max(0, 10 - len(batch.errors))]
        batch.unmatched += without_ids
        if without_ids:
            batch.errors.insert(0, f"cardtrader: {without_ids} blueprints carry no Scryfall, "
                                   "TCGplayer or Cardmarket id and were not priced")
        return batch


def _game_slug(game: Mapping[str, Any]) -> str | None:
    names = {normalise_name(str(game.get("name") or "")),
             normalise_name(str(game.get("display_name") or ""))}
    for slug, aliases in GAMES.items():
        if names & set(aliases):
            return slug
    return None


def _tcgs_with_cards() -> list[str]:
    return list(TCG.objects.filter(Exists(Card.objects.filter(tcg=OuterRef("pk"))))
                .values_list("slug", flat=True))


def _catalogue_refs(refs: list[tuple[str, object]]) -> set[tuple[str, object]]:
    """The references that name a catalogue item: one query per reference kind in use."""
    columns = {"scryfall_id": (Card, "scryfall_id"),
               "tcgplayer_product_id": (Card, "tcgplayer_product_id"),
               "cardmarket_product_id": (Card, "cardmarket_product_id"),
               "sealed_tcgplayer_product_id": (SealedProduct, "tcgplayer_product_id"),
               "sealed_cardmarket_product_id": (SealedProduct, "cardmarket_product_id")}
    wanted: dict[str, set] = defaultdict(set)
    for kind, value in refs:
        wanted[kind].add(value)
    found: set[tuple[str, object]] = set()
    for kind, values in wanted.items():
        model, column = columns[kind]
        values_sorted = sorted(values, key=str)
        for start in range(0, len(values_sorted), 5000):
            chunk = values_sorted[start:start + 5000]
            for value in model.objects.filter(**{f"{column}__in": chunk}) \
                    .values_list(column, flat=True):
                found.add((kind, str(value).lower() if kind == "scryfall_id" else value))
    return found
