"""eBay listings and sales, per grade segment (Browse API; Marketplace Insights when granted).

Real paths (developer.ebay.com):

- OAuth client credentials: `POST /identity/v1/oauth2/token` with `Authorization: Basic
  base64(app id:cert id)` and the form `grant_type=client_credentials&scope=…` ->
  `{"access_token", "expires_in", "token_type"}`; scope `https://api.ebay.com/oauth/api_scope`,
  plus `…/api_scope/buy.marketplace.insights` when the keyset has the limited-release
  Marketplace Insights API (setting EBAY_MARKETPLACE_INSIGHTS);
- active listings: `GET /buy/browse/v1/item_summary/search?q=&category_ids=183454&filter=
  buyingOptions:{FIXED_PRICE}&limit=` -> `{"total", "itemSummaries": [{itemId, title,
  price: {value, currency}, condition, conditionId, seller: {username}, itemWebUrl,
  buyingOptions, …}]}` (183454: CCG Individual Cards; auctions are left out, a current bid
  is no price);
- sold items: `GET /buy/marketplace_insights/v1_beta/item_sales/search` (same query) ->
  `{"itemSales": [{itemId, title, lastSoldPrice: {value, currency}, lastSoldDate,
  totalSoldQuantity, condition, seller, itemWebUrl}]}` — the last 90 days.
Both send `X-EBAY-C-MARKETPLACE-ID` (EBAY_US unless the `marketplace` option says otherwise).

A card is searched as "<name> <number> <set>". Every title is read: lots, proxies, customs,
digital codes, sealed product, accessories and other cards (another collector number or set
total, or a title without the card's name) are dropped; the rest is classified into a grade
segment — `psa_10`, `bgs_9_5`, `cgc_10`, `cgc_10_pristine`, `bgs_10_black`, … or `raw` —
from the grader and grade in the title; a title naming two different grades, a grader without
a grade, "PSA ready"-style speculation or a title contradicting eBay's Graded / Ungraded
condition is dropped as ambiguous. Raw copies take their condition from eBay's condition
text when it names one (near mint / excellent / very good / poor), else NM.

Per (card, grade, variant, condition, language, currency): market = median of the sold prices
when there are at least three, otherwise the median of the active listings; observations =
the count behind that median; low / high = their min / max. Every kept item is stored as a
raw listing (kind listing or sold).
"""

from __future__ import annotations

import base64
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from catalogue.models import Card
from csm.http import PoliteClient, SourceError
from pricing.ingest import CENT, CURRENCIES, Quote, money
from pricing.models import Condition
from pricing.sources.base import Listing, Progress, ScrapeBatch, SourceAdapter
from pricing.sources.names import normalise_name, normalise_number

SOURCE = "ebay"
CATEGORY_ID = "183454"  # Collectible Card Games > CCG Individual Cards
SCOPE = "https://api.ebay.com/oauth/api_scope"
INSIGHTS_SCOPE = "https://api.ebay.com/oauth/api_scope/buy.marketplace.insights"
BROWSE_PATH = "/buy/browse/v1/item_summary/search"
INSIGHTS_PATH = "/buy/marketplace_insights/v1_beta/item_sales/search"
OAUTH_PATH = "/identity/v1/oauth2/token"
MIN_SOLD = 3  # sold prices needed before they, not the asking prices, make the market
GRADED_CONDITION_ID = "2750"
UNGRADED_CONDITION_ID = "4000"

_GRADERS = {"PSA": "psa", "BGS": "bgs", "BECKETT": "bgs", "CGC": "cgc", "SGC": "sgc",
            "TAG": "tag", "ACE": "ace"}
# A grader, optional label words, then the grade: "PSA 10", "PSA10", "BGS 9.5", "CGC Pristine
# 10", "Beckett Black Label 10", "PSA GEM MINT 10", "SGC 9.5 MT".
_GRADE = re.compile(
    r"\b(PSA|BGS|BECKETT|CGC|SGC|TAG|ACE)[\s\-:#]*"
    r"(?:(?:GEM[\s\-]*(?:MINT|MT)|MINT|MT|NM[\s\-]*MT|PRISTINE|PERFECT|BLACK[\s\-]*LABEL)\s*)*"
    r"(10|[1-9](?:\.5)?)(?![\d.])")
# Graders whose name alone (without a grade) means the copy is graded. TAG and ACE are also
# card words ("Tag Team", "ACE SPEC"), so they count only with a grade.
_GRADER_WORD = re.compile(r"\b(PSA|BGS|BECKETT|CGC|SGC|GRADED|SLAB|SLABBED)\b")
_SPECULATIVE = re.compile(
    r"\b(READY|CANDIDATE|POTENTIAL|WORTHY|POSSIBLE|CONTENDER|QUALITY|PREP|NOT\s+GRADED|"
    r"UNGRADED|RAW)\b|\?")
_REJECT = re.compile("|".join((
    # lots, several copies, choices
    r"\blots?\b", r"\bbundle\b", r"\bbulk\b", r"\bplayset\b", r"\bset\s+of\b",
    r"\bx\s?\d+\b", r"\b\d+\s?x\b", r"\bchoose\b", r"\byou\s+pick\b", r"\bpick\s+(?:your|a)\b",
    r"\bcomplete\s+(?:your\s+)?set\b", r"\bmystery\b", r"\brepacks?\b",
    # not a genuine card
    r"\bprox(?:y|ies)\b", r"\bcustoms?\b", r"\bfan\s*art\b", r"\borica\b", r"\breplica\b",
    r"\breprint\b", r"\bfake\b", r"\bnot\s+real\b", r"\bhandmade\b", r"\bmetal\s+card\b",
    r"\bgold\s+metal\b", r"\bgold\s+plated\b", r"\b24k\b", r"\bsticker\b", r"\bart\s+card\b",
    # digital
    r"\bdigital\b", r"\bonline\s+code\b", r"\bcode\s+card\b", r"\bptcgo\b", r"\bptcgl\b",
    r"\btcg\s+live\b", r"\bmtg\s+arena\b",
    # sealed product and accessories
    r"\bbooster\s+(?:pack|box|bundle)\b", r"\bsealed\s+pack\b", r"\bblister\b",
    r"\belite\s+trainer\b", r"\betb\b", r"\btheme\s+deck\b", r"\bdeck\s+box\b",
    r"\bjumbo\b", r"\boversized?\b", r"\bsleeves?\b", r"\bplaymat\b", r"\bbinder\b",
    r"\bposter\b", r"\bempty\b", r"\bslab\s+only\b", r"\bcase\s+only\b",
)), re.IGNORECASE)
_FRACTION = re.compile(r"\b([A-Za-z]*\d+[A-Za-z]*)\s*/\s*([A-Za-z]*\d+)\b")
_HASH_NUMBER = re.compile(r"#\s*([A-Za-z]*\d+[A-Za-z]*)\b")
_LANGUAGES = (("jp", r"\b(japanese|japan|jpn)\b"), ("kr", r"\bkorean\b"),
              ("zh", r"\b(chinese|s-chinese|t-chinese)\b"), ("de", r"\b(german|deutsch)\b"),
              ("fr", r"\b(french|francais)\b"), ("it", r"\b(italian|italiano)\b"),
              ("es", r"\b(spanish|espanol)\b"), ("pt", r"\b(portuguese)\b"))
_RAW_CONDITIONS = (("near mint", Condition.NM), ("mint", Condition.NM),
                   ("lightly played", Condition.LP), ("excellent", Condition.LP),
                   ("moderately played", Condition.MP), ("very good", Condition.MP),
                   ("heavily played", Condition.HP), ("poor", Condition.HP),
                   ("damaged", Condition.DMG))


class Rejected(Exception):  # noqa: N818 - an item deliberately left out, not an error
    """A title that is not one copy of this card, or whose grade cannot be told."""


def title_grade(title: str) -> str:
    """The grade segment a title describes: "psa_10", "bgs_9_5", "cgc_10_pristine",
    "bgs_10_black", … or "raw". Raises Rejected when it cannot be told."""
    upper = title.upper()
    grades = set()
    for match in _GRADE.finditer(upper):
        grader, grade = _GRADERS[match.group(1)], match.group(2).replace(".", "_")
        label = match.group(0)
        if grade == "10" and grader == "bgs" and re.search(r"BLACK[\s\-]*LABEL", upper):
            grade = "10_black"
        elif grade == "10" and grader == "cgc" and "PRISTINE" in label:
            grade = "10_pristine"
        grades.add(f"{grader}_{grade}")
    if len(grades) > 1:
        raise Rejected(f"several grades ({', '.join(sorted(grades))})")
    if grades:
        if _SPECULATIVE.search(upper):
            raise Rejected("a grade that is only hoped for")
        return grades.pop()
    if _GRADER_WORD.search(upper):
        raise Rejected("graded, but no grade")
    return "raw"


def title_rejection(title: str, *, name: str, number: str, printed_total: int | None
                    ) -> str | None:
    """Why a title is not one genuine copy of this card (None when it is)."""
    hit = _REJECT.search(title)
    if hit:
        return f"not a single genuine card ({hit.group(0).strip().lower()!r})"
    words = set(normalise_name(title).split())
    if not set(normalise_name(name).split()) <= words:
        return "another card (name missing)"
    wanted = normalise_number(number)
    numbers = [(normalise_number(a), b) for a, b in _FRACTION.findall(title)]
    numbers += [(normalise_number(a), None) for a in _HASH_NUMBER.findall(title)]
    if numbers and wanted and all(n != wanted for n, _total in numbers):
        return "another card (number)"
    totals = {normalise_number(t) for n, t in numbers if n == wanted and t}
    if printed_total and totals and str(printed_total) not in totals:
        return "another card (set total)"
    return None


def title_variant(title: str) -> tuple[str, str, str]:
    """(variant, finish, printing) from the title: 1st edition, shadowless, reverse holo,
    foil. Variant names: normal, foil, reverse_holofoil, with a 1st_edition_ or
    shadowless_ prefix."""
    lower = title.lower()
    first = bool(re.search(r"\b(1st|first)\s*(edition|ed\b)", lower))
    shadowless = "shadowless" in lower
    if re.search(r"\brev(erse)?\.?\s*(holo|foil)", lower):
        base, finish = "reverse_holofoil", "foil"
    elif re.search(r"(?<!non[\s-])\bfoil\b", lower):
        base, finish = "foil", "foil"
    else:
        base, finish = "normal", "nonfoil"
    prefix = "1st_edition_" if first else ("shadowless_" if shadowless else "")
    return prefix + base, finish, "1st_edition" if first else "unlimited"


def title_language(title: str) -> str:
    lower = title.lower()
    for code, pattern in _LANGUAGES:
        if re.search(pattern, lower):
            return code
    return "en"


def raw_condition(condition: str) -> str:
    lower = (condition or "").lower()
    for words, ours in _RAW_CONDITIONS:
        if words in lower:
            return ours
    return Condition.NM


@dataclass(frozen=True, slots=True)
class Item:
    """One eBay listing or sale, read and classified for a card."""

    external_id: str
    kind: str  # listing | sold
    title: str
    price: Decimal
    currency: str
    grade: str
    variant: str
    finish: str
    printing: str
    condition: str
    language: str
    seller: str
    url: str
    observed_at: datetime | None


@dataclass(frozen=True, slots=True)
class CardQuery:
    """What the title filter needs to know about the card searched."""

    card_id: int
    name: str
    number: str
    set_name: str
    printed_total: int | None

    @property
    def q(self) -> str:
        return f"{self.name} {self.number} {self.set_name}"


def item_parse(raw: Mapping[str, Any], card: CardQuery, *, kind: str) -> Item:
    """A Browse `itemSummaries` entry (kind "listing") or a Marketplace Insights `itemSales`
    entry (kind "sold"). Raises Rejected for titles that are not this card or have no clear
    grade, ValueError for entries that cannot be read."""
    if not isinstance(raw, Mapping):
        raise ValueError("item is not an object")
    title = raw.get("title")
    item_id = raw.get("itemId")
    if not isinstance(title, str) or not title.strip() or not item_id:
        raise ValueError("item without itemId or title")
    price = raw.get("lastSoldPrice" if kind == "sold" else "price")
    if not isinstance(price, Mapping):
        raise ValueError("item without a price")
    amount, currency = money(price.get("value")), str(price.get("currency") or "").upper()
    if amount is None:
        raise ValueError(f"price {price.get('value')!r} is not a positive amount")
    if currency not in CURRENCIES:
        raise ValueError(f"unknown currency {currency!r}")
    reason = title_rejection(title, name=card.name, number=card.number,
                             printed_total=card.printed_total)
    if reason:
        raise Rejected(reason)
    grade = title_grade(title)
    condition_text = str(raw.get("condition") or "")
    condition_id = str(raw.get("conditionId") or "")
    graded_per_ebay = condition_id == GRADED_CONDITION_ID or condition_text.lower() == "graded"
    ungraded_per_ebay = condition_id == UNGRADED_CONDITION_ID \
        or condition_text.lower() == "ungraded"
    if (grade == "raw" and graded_per_ebay) or (grade != "raw" and ungraded_per_ebay):
        raise Rejected("title and eBay condition disagree on graded")
    variant, finish, printing = title_variant(title)
    seller = raw.get("seller") if isinstance(raw.get("seller"), Mapping) else {}
    sold_at = parse_datetime(str(raw.get("lastSoldDate") or "")) if kind == "sold" else None
    if sold_at is not None and timezone.is_naive(sold_at):
        sold_at = None
    prefix = "sold:" if kind == "sold" else ""
    return Item(
        external_id=f"{prefix}{item_id}"[:100], kind=kind, title=title.strip(), price=amount,
        currency=currency, grade=grade, variant=variant, finish=finish, printing=printing,
        condition=Condition.NM if grade != "raw" else raw_condition(condition_text),
        language=title_language(title), seller=str(seller.get("username") or ""),
        url=str(raw.get("itemWebUrl") or ""), observed_at=sold_at)


def search_parse(payload: object, card: CardQuery, *, kind: str
                 ) -> tuple[list[Item], dict[str, int], list[str]]:
    """One search answer -> the items kept, the rejections counted by reason, and errors."""
    key = "itemSales" if kind == "sold" else "itemSummaries"
    if not isinstance(payload, Mapping) or not isinstance(payload.get(key, []), list):
        raise SourceError(f"ebay: the {kind} search did not answer an object with {key}")
    items: list[Item] = []
    rejected: dict[str, int] = defaultdict(int)
    errors: list[str] = []
    for raw in payload.get(key, []):
        try:
            items.append(item_parse(raw, card, kind=kind))
        except Rejected as exc:
            rejected[str(exc).split(" (", 1)[0]] += 1
        except (ValueError, TypeError, ArithmeticError) as exc:
            errors.append(f"ebay item {raw.get('itemId') if isinstance(raw, Mapping) else '?'}"
                          f": {exc}")
    return items, dict(rejected), errors


def _median(values: list[Decimal]) -> Decimal:
    return Decimal(statistics.median(values)).quantize(CENT)


def card_quotes(card_id: int, items: Iterable[Item], *, recorded_at: datetime) -> list[Quote]:
    """Per grade segment (and variant, condition, language, currency): the median of the sold
    prices when there are at least MIN_SOLD, else the median of the active listings."""
    groups: dict[tuple, dict[str, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for item in items:
        key = (item.grade, item.variant, item.condition, item.language, item.currency)
        groups[key][item.kind].append(item.price)
    quotes = []
    for (grade, variant, condition, language, currency), kinds in groups.items():
        series = kinds["sold"] if len(kinds["sold"]) >= MIN_SOLD else kinds["listing"]
        if not series:
            continue
        quotes.append(Quote(
            ref=("card_id", card_id), currency=currency, market=_median(series),
            low=min(series), high=max(series), variant=variant, condition=condition,
            language=language, grade=grade, observations=len(series),
            recorded_at=recorded_at))
    return quotes


class EbayAdapter(SourceAdapter):
    """Options: `card_ids` (our cards), or the `top` (default PRICING_EBAY_TOP_N) most
    valuable cards of each game in `tcgs` (default PRICING_EBAY_TCGS); `limit` items per
    search (default 100, at most 200); `marketplace` (default EBAY_US)."""

    source: ClassVar[str] = SOURCE
    schedule_minutes: ClassVar[int] = 24 * 60

    @classmethod
    def is_configured(cls) -> bool:
        return bool(settings.EBAY_APP_ID and settings.EBAY_CERT_ID)

    def scrape(self, *, progress: Progress | None = None) -> ScrapeBatch:
        if not self.is_configured():
            raise SourceError("ebay is not configured: set EBAY_APP_ID and EBAY_CERT_ID")
        client = PoliteClient(settings.PRICING_EBAY_URL, min_interval=0.5)
        insights = bool(settings.EBAY_MARKETPLACE_INSIGHTS)
        token = self._token(client, insights=insights)
        client.session.headers.update({
            "Authorization": f"Bearer {token}",
            "X-EBAY-C-MARKETPLACE-ID": str(self.options.get("marketplace") or "EBAY_US")})
        cards = self._cards()
        limit = max(1, min(200, int(self.options.get("limit") or 100)))
        fetched = []
        for done, card in enumerate(cards, start=1):
            params = {"q": card.q, "category_ids": CATEGORY_ID, "limit": limit}
            active = client.get_json(BROWSE_PATH, params={
                **params, "filter": "buyingOptions:{FIXED_PRICE}"})
            sold = client.get_json(INSIGHTS_PATH, params=params) if insights else None
            fetched.append((card, active, sold))
            if progress is not None:
                progress(done, len(cards))
        return self._parse(fetched)

    def _token(self, client: PoliteClient, *, insights: bool) -> str:
        credentials = f"{settings.EBAY_APP_ID}:{settings.EBAY_CERT_ID}".encode()
        scope = f"{SCOPE} {INSIGHTS_SCOPE}" if insights else SCOPE
        response = client.post(OAUTH_PATH, data={"grant_type": "client_credentials",
                                                 "scope": scope}, headers={
            "Authorization": f"Basic {base64.b64encode(credentials).decode()}"})
        try:
            token = response.json().get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise SourceError("ebay: the OAuth token endpoint answered no access_token")
        return token

    def _cards(self) -> list[CardQuery]:
        rows = Card.objects.select_related("card_set").order_by("-best_price", "pk")
        if self.options.get("card_ids"):
            picked = list(rows.filter(pk__in=[int(x) for x in self.options["card_ids"]]))
        else:
            top = int(self.options.get("top") or settings.PRICING_EBAY_TOP_N)
            picked = []
            for slug in self.options.get("tcgs") or settings.PRICING_EBAY_TCGS:
                picked += list(rows.filter(tcg__slug=slug, best_price__isnull=False)[:top])
        return [CardQuery(card_id=c.pk, name=c.name, number=c.number,
                          set_name=c.card_set.name, printed_total=c.card_set.printed_total)
                for c in picked]

    def _parse(self, fetched: list[tuple[CardQuery, object, object]]) -> ScrapeBatch:
        now = timezone.now()
        batch = ScrapeBatch()
        rejected: dict[str, int] = defaultdict(int)
        for card, active, sold in fetched:
            items: list[Item] = []
            for payload, kind in ((active, "listing"), (sold, "sold")):
                if payload is None:
                    continue
                kept, dropped, errors = search_parse(payload, card, kind=kind)
                items += kept
                for reason, count in dropped.items():
                    rejected[reason] += count
                batch.invalid += len(errors)
                batch.errors += errors[:max(0, 10 - len(batch.errors))]
            ref = ("card_id", card.card_id)
            batch.covered_refs.add(ref)
            batch.quotes += card_quotes(card.card_id, items, recorded_at=now)
            batch.listings += [Listing(
                ref=ref, external_id=item.external_id, price=item.price,
                currency=item.currency, kind=item.kind, title=item.title,
                condition=item.condition, language=item.language, finish=item.finish,
                printing=item.printing, grade=item.grade, seller=item.seller, url=item.url,
                observed_at=item.observed_at or now) for item in items]
        if rejected:
            reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(rejected.items()))
            batch.errors.insert(0, f"ebay: {sum(rejected.values())} items dropped ({reasons})")
        return batch
