"""Price intelligence: one confidence-weighted price per card segment from every source.

A *segment* is (foil status, printing, condition, language). Each source contributes one
figure for the segment, in EUR:

- from its raw listings when it has any in the segment (sold items when there are any, else
  active listings): the median listing price, with the interquartile range as its low/high,
  `n` = the number of listings;
- otherwise from its price-book rows (`Price`, grade `raw` only): the median of the rows'
  market prices (one row per currency as a rule), `n` = the observations the source reported
  (0 when it does not say).

Prices are converted to EUR with the ECB reference rates (`pricing.fx`): current figures at
the latest rate, history at the rate of each day. A figure in a currency without a rate is
left out and noted, never guessed. Graded rows and listings are never blended in.

The correlated price is the weighted mean of the source figures, each weighted

    w = reliability(source) × log2(1 + max(n, 1)) × 0.5 ** (age_days / 7)

(more observations count with diminishing returns; a figure loses half its weight per week
of age). With three or more sources, a source more than 50 % away from the median of the
source figures is left out of the mean (shown in the breakdown, noted). low/high are the
lowest/highest included source figures, listing-backed sources contributing their P25/P75.

    confidence = (0.35 × S + 0.30 × O + 0.35 × A) × F
    S = min(1, included sources / 3)
    O = min(1, log10(1 + total observations) / 2)      (100 observations → 1)
    A = max(0, 1 − 2 × CV) over all source figures (CV = population std / mean);
        0.5 with a single source (agreement cannot be measured)
    F = 0.5 ** (max(0, age_days of the newest figure − 7) / 30)

rounded to two decimals (0–1).
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pricing.fx import Converter, fx_rate
from pricing.models import RAW, FxRate, Price, PriceSnapshot, ScrapeRun, Source, SourceListing

CENT = Decimal("0.01")

NONFOIL, FOIL, ETCHED = "nonfoil", "foil", "etched"
UNLIMITED, FIRST_EDITION = "unlimited", "1st_edition"
FOIL_STATUSES = (NONFOIL, FOIL, ETCHED)
PRINTINGS = (UNLIMITED, FIRST_EDITION)
CONDITIONS = ("NM", "LP", "MP", "HP", "DMG")

# Segment language -> the codes sources store for it, compared case-insensitively (Scryfall
# says "ja", "zhs", "zht" and CardTrader "kr", "zh-CN" where we say "jp", "zh", "zh-tw", "ko").
LANGUAGE_FORMS: dict[str, frozenset[str]] = {
    "en": frozenset({"en"}), "de": frozenset({"de"}), "fr": frozenset({"fr"}),
    "it": frozenset({"it"}), "es": frozenset({"es"}), "pt": frozenset({"pt"}),
    "jp": frozenset({"jp", "ja"}), "ko": frozenset({"ko", "kr"}),
    "zh": frozenset({"zh", "zh-cn", "zh-hans", "zhs"}),
    "zh-tw": frozenset({"zh-tw", "zh-hant", "zht"}),
    "ru": frozenset({"ru"}), "nl": frozenset({"nl"}), "pl": frozenset({"pl"}),
}


def stored_language_forms(language: str) -> set[str]:
    """The spellings to match in SQL (exact comparison): each form as stored lower-case,
    upper-case and with an upper-case region or title-case script (CardTrader's `zh-CN`)."""
    forms: set[str] = set()
    for form in LANGUAGE_FORMS.get(language, frozenset({language})):
        head, _dash, tail = form.partition("-")
        forms |= {form, form.upper()}
        if tail:
            forms |= {f"{head}-{tail.upper()}", f"{head}-{tail.title()}"}
    return forms


LANGUAGE_ALIASES: dict[str, str] = {form: lang for lang, forms in LANGUAGE_FORMS.items()
                                    for form in forms}
LANGUAGES = tuple(LANGUAGE_FORMS)

# The variant names sources write into Price.variant, placed as (foil status, printing,
# kind). For Pokémon a holo rare's "holofoil" is its standard printing, so "normal" and
# "holofoil" are both the non-foil finish; reverse holos and foils are the foil finish.
# `kind` tells the two non-foil finishes apart when a card has both (see _resolve_kinds).
PLAIN, HOLO = "plain", "holo"
_BASE_VARIANTS: dict[str, tuple[str, str | None]] = {
    "normal": (NONFOIL, PLAIN), "nonfoil": (NONFOIL, PLAIN),
    "holofoil": (NONFOIL, HOLO), "holo": (NONFOIL, HOLO),
    "foil": (FOIL, None), "reverse_holofoil": (FOIL, None), "reverse_holo": (FOIL, None),
    "etched": (ETCHED, None), "foil_etched": (ETCHED, None), "etched_foil": (ETCHED, None),
}


@dataclass(frozen=True, slots=True)
class Placement:
    foil_status: str
    printing: str
    kind: str | None


def _variant_table() -> dict[str, Placement]:
    table: dict[str, Placement] = {
        "unlimited": Placement(NONFOIL, UNLIMITED, PLAIN),
        "1st_edition": Placement(NONFOIL, FIRST_EDITION, PLAIN),
    }
    for base, (finish, kind) in _BASE_VARIANTS.items():
        table[base] = Placement(finish, UNLIMITED, kind)
        table[f"unlimited_{base}"] = Placement(finish, UNLIMITED, kind)
        table[f"1st_edition_{base}"] = Placement(finish, FIRST_EDITION, kind)
    return table


VARIANTS: dict[str, Placement] = _variant_table()

# Per-source reliability weight. Cardmarket and TCGplayer publish figures from the largest
# volume of real sales and listings; CardTrader listings are real asks; eBay sold prices are
# real but matched from free-text titles; PriceCharting is built from eBay sales (overlaps
# eBay); Scryfall and YGOPRODeck republish TCGplayer/Cardmarket figures, so counting them
# fully would count the same market twice.
RELIABILITY: dict[str, float] = {
    "cardmarket": 1.0, "tcgplayer": 1.0, "cardtrader": 0.9, "ebay": 0.8,
    "pricecharting": 0.7, "scryfall": 0.5, "ygoprodeck": 0.5,
}
DEFAULT_RELIABILITY = 0.5
HALF_LIFE_DAYS = 7.0
SOURCE_OUTLIER = Decimal("0.5")  # left out of the mean when > 50 % from the sources' median
NOTE_DEVIATION_PCT = 20.0  # a source this far from the correlated price gets a note
STALE_DAYS = 30  # a figure older than this gets a note
HISTORY_CARRY_DAYS = 14  # a row's last snapshot counts for this many days in /history
ACTIVE_DAYS = 7  # a source is active with a successful scrape this recent
COVERAGE_SECONDS = 24 * 3600  # kept between warm-ups; counted on the spot only when missing


@dataclass(frozen=True, slots=True)
class Segment:
    foil_status: str = NONFOIL
    condition: str = "NM"
    language: str = "en"
    printing: str = UNLIMITED

    def as_dict(self) -> dict[str, str]:
        return {"foil_status": self.foil_status, "condition": self.condition,
                "language": self.language, "printing": self.printing}

    def describe(self) -> str:
        return f"{self.foil_status} {self.printing} {self.condition} {self.language}"


@dataclass(frozen=True, slots=True)
class PriceInput:
    """A price-book row (or one of its daily snapshots), with its value in EUR (None when
    there is no FX rate for its currency)."""

    source: str
    variant: str
    condition: str
    language: str
    grade: str
    currency: str
    market: Decimal | None
    market_eur: Decimal | None
    observations: int
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class ListingInput:
    source: str
    kind: str  # listing | sold
    condition: str
    language: str
    finish: str
    printing: str
    grade: str
    price: Decimal
    currency: str
    price_eur: Decimal | None
    observed_at: datetime


@dataclass(slots=True)
class SourceFigure:
    source: str
    basis: str  # sold | listings | price
    median_eur: Decimal
    low_eur: Decimal
    high_eur: Decimal
    n: int
    recorded_at: datetime
    price: Decimal  # in `currency`: the native median when all inputs share a currency
    currency: str
    variants: tuple[str, ...]
    weight: float = 0.0
    included: bool = True
    deviation_pct: float | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    market_price_eur: Decimal
    low_eur: Decimal
    high_eur: Decimal
    confidence: float
    n_observations: int
    n_sources: int
    sources: tuple[str, ...]


@dataclass(slots=True)
class Correlation:
    segment: Segment
    summary: Summary | None
    figures: list[SourceFigure]
    notes: list[str]
    reason: str | None
    available_segments: list[Segment] = field(default_factory=list)


# --- pure computation -------------------------------------------------------------------------


def canonical_language(code: str) -> str:
    return LANGUAGE_ALIASES.get(code.lower(), code.lower())


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def percentile(values: Sequence[Decimal], p: float) -> Decimal:
    """Linear-interpolation percentile (numpy's default) of a non-empty sequence."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * p
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    fraction = Decimal(str(position - lower))
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction


def _label(source: str) -> str:
    try:
        return str(Source(source).label)
    except ValueError:
        return source


def recency(age_days: float) -> float:
    return 0.5 ** (max(0.0, age_days) / HALF_LIFE_DAYS)


def source_weight(source: str, n: int, age_days: float) -> float:
    return (RELIABILITY.get(source, DEFAULT_RELIABILITY) * math.log2(1 + max(n, 1))
            * recency(age_days))


def confidence_score(*, included: int, observations: int, figures: Sequence[Decimal],
                     newest_age_days: float) -> float:
    """The documented confidence (module docstring), 0–1."""
    s = min(1.0, included / 3)
    o = min(1.0, math.log10(1 + max(observations, 0)) / 2)
    if len(figures) >= 2:
        values = [float(v) for v in figures]
        mean = sum(values) / len(values)
        spread = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        cv = spread / mean if mean > 0 else 1.0
        a = max(0.0, 1 - 2 * cv)
    else:
        a = 0.5
    f = 0.5 ** (max(0.0, newest_age_days - 7) / 30)
    return round((0.35 * s + 0.30 * o + 0.35 * a) * f, 2)


def _age_days(now: datetime, then: datetime) -> float:
    return max(0.0, (now - then).total_seconds() / 86400)


def _resolve_kinds(placed: list[tuple[Any, Placement]], standard_kind: str,
                   notes: list[str]) -> list[tuple[Any, Placement]]:
    """A card priced both as "normal" and as "holofoil" in one printing has two non-foil
    finishes; only the card's standard one (its first listed variant) is this segment."""
    kinds = {placement.kind for _row, placement in placed if placement.kind}
    if len(kinds) < 2:
        return placed
    dropped = HOLO if standard_kind == PLAIN else PLAIN
    kept_names = sorted({row.variant for row, p in placed if p.kind == standard_kind})
    dropped_names = sorted({row.variant for row, p in placed if p.kind == dropped})
    notes.append(_("Prices exist for both %(kept)s and %(dropped)s; %(dropped)s prices are "
                   "left out because %(kept)s is this card's standard finish.")
                 % {"kept": ", ".join(kept_names), "dropped": ", ".join(dropped_names)})
    return [(row, p) for row, p in placed if p.kind != dropped]


def standard_kind_of(card_variants: Iterable[str], printing: str = UNLIMITED) -> str:
    """PLAIN or HOLO: the first non-foil variant the card lists for that printing."""
    for name in card_variants or ():
        placement = VARIANTS.get(str(name))
        if placement and placement.printing == printing and placement.kind:
            return placement.kind
    return PLAIN


def segment_price_rows(prices: Sequence[PriceInput], segment: Segment, standard_kind: str,
                       notes: list[str]) -> tuple[list[PriceInput], dict[str, int]]:
    """The raw price rows of the segment (after the finish check) and, per currency, the
    rows without an FX rate. Graded and unplaceable rows are noted."""
    forms = LANGUAGE_FORMS.get(segment.language, frozenset({segment.language}))
    placed: list[tuple[PriceInput, Placement]] = []
    graded: Counter[str] = Counter()
    unplaced: Counter[str] = Counter()
    for row in prices:
        if row.condition != segment.condition or row.language.lower() not in forms:
            continue
        placement = VARIANTS.get(row.variant)
        if placement is None:
            unplaced[row.variant] += 1
            continue
        if (placement.foil_status, placement.printing) != (segment.foil_status,
                                                           segment.printing):
            continue
        if row.grade != RAW:
            graded[row.grade] += 1
            continue
        if row.market is not None:
            placed.append((row, placement))
    if graded:
        count = sum(graded.values())
        notes.append(ngettext(
            "%(count)d graded price (%(grades)s) is kept apart and not blended in.",
            "%(count)d graded prices (%(grades)s) are kept apart and not blended in.", count)
            % {"count": count, "grades": ", ".join(sorted(graded))})
    if unplaced:
        count = sum(unplaced.values())
        notes.append(ngettext(
            "%(count)d price of a variant we cannot place (%(variants)s) is left out.",
            "%(count)d prices of variants we cannot place (%(variants)s) are left out.", count)
            % {"count": count, "variants": ", ".join(sorted(unplaced))})
    placed = _resolve_kinds(placed, standard_kind, notes)
    no_fx: dict[str, int] = Counter()
    rows: list[PriceInput] = []
    for row, _placement in placed:
        if row.market_eur is None:
            no_fx[row.currency] += 1
        else:
            rows.append(row)
    return rows, dict(no_fx)


def segment_listings(listings: Sequence[ListingInput], segment: Segment,
                     notes: list[str]) -> tuple[list[ListingInput], dict[str, int]]:
    forms = LANGUAGE_FORMS.get(segment.language, frozenset({segment.language}))
    kept: list[ListingInput] = []
    graded = 0
    no_fx: dict[str, int] = Counter()
    for listing in listings:
        if (listing.condition != segment.condition or listing.language.lower() not in forms
                or listing.finish != segment.foil_status
                or listing.printing != segment.printing):
            continue
        if listing.grade != RAW:
            graded += 1
        elif listing.price_eur is None:
            no_fx[listing.currency] += 1
        else:
            kept.append(listing)
    if graded:
        notes.append(ngettext(
            "%(count)d graded listing is kept apart and not blended in.",
            "%(count)d graded listings are kept apart and not blended in.", graded)
            % {"count": graded})
    return kept, dict(no_fx)


def _price_figure(source: str, rows: list[PriceInput]) -> SourceFigure:
    if len(rows) == 1:  # the usual case (one row per currency), and /history's hot path
        row = rows[0]
        return SourceFigure(
            source=source, basis="price", median_eur=row.market_eur, low_eur=row.market_eur,
            high_eur=row.market_eur, n=row.observations, recorded_at=row.recorded_at,
            price=row.market, currency=row.currency, variants=(row.variant,))
    values = [row.market_eur for row in rows if row.market_eur is not None]
    median = cents(Decimal(statistics.median(values)))
    currencies = {row.currency for row in rows}
    if len(currencies) == 1:
        currency = currencies.pop()
        native = cents(Decimal(statistics.median([row.market for row in rows
                                               if row.market is not None])))
    else:
        currency, native = "EUR", median
    return SourceFigure(
        source=source, basis="price", median_eur=median, low_eur=median, high_eur=median,
        n=sum(row.observations for row in rows),
        recorded_at=max(row.recorded_at for row in rows), price=native, currency=currency,
        variants=tuple(sorted({row.variant for row in rows})))


def _listing_figure(source: str, listings: list[ListingInput]) -> SourceFigure:
    sold = [item for item in listings if item.kind == SourceListing.Kind.SOLD]
    chosen = sold or listings
    values = [item.price_eur for item in chosen if item.price_eur is not None]
    currencies = {item.currency for item in chosen}
    median = cents(percentile(values, 0.5))
    if len(currencies) == 1:
        currency = currencies.pop()
        native = cents(percentile([item.price for item in chosen], 0.5))
    else:
        currency, native = "EUR", median
    return SourceFigure(
        source=source, basis="sold" if sold else "listings", median_eur=median,
        low_eur=cents(percentile(values, 0.25)), high_eur=cents(percentile(values, 0.75)),
        n=len(chosen), recorded_at=max(item.observed_at for item in chosen), price=native,
        currency=currency, variants=())


def source_figures(rows: Sequence[PriceInput], listings: Sequence[ListingInput]
                   ) -> list[SourceFigure]:
    """One figure per source: its raw listings when it has any, else its price rows."""
    by_source_rows: dict[str, list[PriceInput]] = defaultdict(list)
    by_source_listings: dict[str, list[ListingInput]] = defaultdict(list)
    for row in rows:
        by_source_rows[row.source].append(row)
    for listing in listings:
        by_source_listings[listing.source].append(listing)
    figures = [_listing_figure(source, items) for source, items in by_source_listings.items()]
    figures += [_price_figure(source, items) for source, items in by_source_rows.items()
                if source not in by_source_listings]
    return sorted(figures, key=lambda fig: (fig.source, fig.basis))


def _fx_notes(no_fx: dict[str, int], notes: list[str]) -> None:
    for currency, count in sorted(no_fx.items()):
        notes.append(ngettext("No FX rate for %(currency)s; %(count)d price left out.",
                              "No FX rate for %(currency)s; %(count)d prices left out.", count)
                     % {"currency": currency, "count": count})


def combine(figures: list[SourceFigure], *, now: datetime,
            notes: list[str] | None = None) -> Summary:
    """The weighted mean of the source figures (module docstring); sets each figure's
    weight share, inclusion and deviation, and adds the notes (when given a list)."""
    included = list(figures)
    if len(figures) >= 3:
        median = Decimal(statistics.median([fig.median_eur for fig in figures]))
        agreeing = [fig for fig in figures
                    if median > 0 and abs(fig.median_eur - median) / median <= SOURCE_OUTLIER]
        if agreeing:
            included = agreeing
        kept = {id(fig) for fig in included}
        for fig in figures:
            if id(fig) not in kept:
                fig.included = False
                if notes is None:
                    continue
                pct = float((fig.median_eur - median) / median * 100)
                notes.append(
                    (_("%(source)s is %(pct)d%% above the median of the sources and is left "
                       "out of the correlated price.") if pct > 0 else
                     _("%(source)s is %(pct)d%% below the median of the sources and is left "
                       "out of the correlated price."))
                    % {"source": _label(fig.source), "pct": round(abs(pct))})
    raw_weights = {id(fig): source_weight(fig.source, fig.n, _age_days(now, fig.recorded_at))
                   for fig in included}
    total_weight = sum(raw_weights.values())
    market = cents(sum((fig.median_eur * Decimal(repr(raw_weights[id(fig)]))
                     for fig in included), Decimal(0)) / Decimal(repr(total_weight)))
    for fig in figures:
        fig.weight = round(raw_weights.get(id(fig), 0.0) / total_weight, 4)
        fig.deviation_pct = round(float((fig.median_eur - market) / market * 100), 1)
        if notes is None:
            continue
        if fig.included and abs(fig.deviation_pct) >= NOTE_DEVIATION_PCT:
            notes.append(
                (_("%(source)s is %(pct)d%% above the correlated price.")
                 if fig.deviation_pct > 0 else
                 _("%(source)s is %(pct)d%% below the correlated price."))
                % {"source": _label(fig.source), "pct": round(abs(fig.deviation_pct))})
        age = _age_days(now, fig.recorded_at)
        if age > STALE_DAYS:
            notes.append(_("%(source)s's figure is %(days)d days old.")
                         % {"source": _label(fig.source), "days": int(age)})
    if len(included) == 1 and notes is not None:
        notes.append(_("Only one source (%(source)s); the figure cannot be cross-checked.")
                     % {"source": _label(included[0].source)})
    observations = sum(fig.n for fig in included)
    newest = min(_age_days(now, fig.recorded_at) for fig in included)
    return Summary(
        market_price_eur=market,
        low_eur=min(fig.low_eur for fig in included),
        high_eur=max(fig.high_eur for fig in included),
        confidence=confidence_score(included=len(included), observations=observations,
                                    figures=[fig.median_eur for fig in figures],
                                    newest_age_days=newest),
        n_observations=observations, n_sources=len(included),
        sources=tuple(fig.source for fig in included))


def available_segments(prices: Sequence[PriceInput],
                       listings: Sequence[ListingInput]) -> list[Segment]:
    """The segments that have raw data (so a client can ask for one that does)."""
    found: set[Segment] = set()
    for row in prices:
        placement = VARIANTS.get(row.variant)
        if placement and row.grade == RAW and row.market is not None:
            found.add(Segment(placement.foil_status, row.condition,
                              canonical_language(row.language), placement.printing))
    for listing in listings:
        if listing.grade == RAW:
            found.add(Segment(listing.finish, listing.condition,
                              canonical_language(listing.language), listing.printing))
    order = {value: index for index, value in enumerate((*FOIL_STATUSES, *PRINTINGS,
                                                         *CONDITIONS))}
    return sorted(found, key=lambda s: (order.get(s.foil_status, 99),
                                        order.get(s.printing, 99),
                                        order.get(s.condition, 99), s.language))


def correlate(*, segment: Segment, prices: Sequence[PriceInput],
              listings: Sequence[ListingInput], now: datetime,
              standard_kind: str = PLAIN) -> Correlation:
    """The correlated price of one segment from a card's price rows and raw listings."""
    notes: list[str] = []
    rows, rows_no_fx = segment_price_rows(prices, segment, standard_kind, notes)
    items, items_no_fx = segment_listings(listings, segment, notes)
    no_fx = Counter(rows_no_fx) + Counter(items_no_fx)
    _fx_notes(no_fx, notes)
    figures = source_figures(rows, items)
    segments = available_segments(prices, listings)
    if not figures:
        return Correlation(segment=segment, summary=None, figures=[], notes=notes,
                           reason=_no_data_reason(segment, prices, listings, no_fx, segments),
                           available_segments=segments)
    summary = combine(figures, now=now, notes=notes)
    return Correlation(segment=segment, summary=summary, figures=figures, notes=notes,
                       reason=None, available_segments=segments)


def _no_data_reason(segment: Segment, prices: Sequence[PriceInput],
                    listings: Sequence[ListingInput], no_fx: Counter[str],
                    segments: list[Segment]) -> str:
    if no_fx:
        return (_("There is no FX rate for the currencies of the %(segment)s prices "
                  "(%(currencies)s), so there is nothing to combine.")
                % {"segment": segment.describe(), "currencies": ", ".join(sorted(no_fx))})
    if not prices and not listings:
        return _("This card has no prices or listings yet.")
    if not segments:
        return _("This card only has graded prices; graded prices are never blended into a "
                 "raw price.")
    return (_("No raw prices or listings for this card in %(segment)s; see "
              "available_segments.") % {"segment": segment.describe()})


# --- selectors --------------------------------------------------------------------------------


class EurConverter:
    """pricing.fx.convert(amount, currency, "EUR") at the latest rate, each currency's rate
    looked up once (a request converts many amounts in few currencies)."""

    def __init__(self) -> None:
        self._convert = Converter()

    def __call__(self, amount: Decimal | None, currency: str) -> Decimal | None:
        return self._convert(amount, currency, "EUR")


def card_price_inputs(*, card_id: int, to_eur: EurConverter | None = None
                      ) -> list[PriceInput]:
    """The card's current price-book rows, converted at the latest FX rates."""
    to_eur = to_eur or EurConverter()
    rows = Price.objects.filter(card_id=card_id).values_list(
        "source", "variant", "condition", "language", "grade", "currency", "market_price",
        "observations", "recorded_at")
    return [PriceInput(source=s, variant=v, condition=c, language=lang, grade=g, currency=cur,
                       market=m, market_eur=to_eur(m, cur), observations=o, recorded_at=at)
            for s, v, c, lang, g, cur, m, o, at in rows]


def card_listing_inputs(*, card_id: int, to_eur: EurConverter | None = None
                        ) -> list[ListingInput]:
    to_eur = to_eur or EurConverter()
    rows = SourceListing.objects.filter(card_id=card_id).values_list(
        "source", "kind", "condition", "language", "finish", "printing", "grade", "price",
        "currency", "observed_at")
    return [ListingInput(source=s, kind=k, condition=c, language=lang, finish=fin,
                         printing=pr, grade=g, price=p, currency=cur, price_eur=to_eur(p, cur),
                         observed_at=at)
            for s, k, c, lang, fin, pr, g, p, cur, at in rows]


def card_correlation(*, card_id: int, card_variants: Iterable[str], segment: Segment,
                     now: datetime | None = None) -> Correlation:
    """Two queries (price rows, listings) plus at most one FX lookup per currency (cached)."""
    to_eur = EurConverter()
    return correlate(segment=segment, prices=card_price_inputs(card_id=card_id, to_eur=to_eur),
                     listings=card_listing_inputs(card_id=card_id, to_eur=to_eur),
                     now=now or timezone.now(),
                     standard_kind=standard_kind_of(card_variants, segment.printing))


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    source: str
    variant: str
    currency: str


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    date: date
    summary: Summary


@dataclass(slots=True)
class History:
    segment: Segment
    points: list[HistoryPoint]
    notes: list[str]
    reason: str | None


class _FxDays:
    """Rates to EUR per currency as of each day in [start, end]: the latest ECB rate on or
    before the day, as pricing.fx does, from one query for the window plus one (cached)
    lookup per currency for the rate in force at its start."""

    def __init__(self, currencies: set[str], start: date, end: date) -> None:
        self.start = start
        self.anchor: dict[str, Decimal | None] = {}
        self.days: dict[str, list[date]] = defaultdict(list)
        self.rates: dict[str, list[Decimal]] = defaultdict(list)
        foreign = sorted(currencies - {"EUR"})
        for currency in foreign:
            rate = fx_rate(currency, "EUR", on=start)
            self.anchor[currency] = rate.rate if rate else None
        if foreign:
            for currency, day, per_euro in FxRate.objects.filter(
                    currency__in=foreign, date__gt=start, date__lte=end
            ).order_by("currency", "date").values_list("currency", "date", "rate"):
                self.days[currency].append(day)
                self.rates[currency].append((Decimal(1) / per_euro).quantize(Decimal("1e-8")))

    def to_eur(self, amount: Decimal | None, currency: str, day: date) -> Decimal | None:
        if amount is None:
            return None
        if currency == "EUR":
            return amount
        position = bisect_right(self.days.get(currency, ()), day)
        rate = self.rates[currency][position - 1] if position else self.anchor.get(currency)
        if rate is None:
            return None
        return cents(Decimal(amount) * rate)


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def card_correlation_history(*, card_id: int, card_variants: Iterable[str], segment: Segment,
                             days: int, today: date | None = None) -> History:
    """The correlated price per day over the last `days` days, from the daily snapshots of
    the segment's raw price rows. A day has a point when at least one row has a snapshot
    that day; every row contributes its latest snapshot of the previous
    HISTORY_CARRY_DAYS days (its weight decays with that age like the live figure's).
    Three queries plus one cached FX lookup per foreign currency."""
    today = today or timezone.now().date()
    start = today - timedelta(days=days - 1)
    forms = stored_language_forms(segment.language)
    variant_names = [name for name, p in VARIANTS.items()
                     if (p.foil_status, p.printing) == (segment.foil_status, segment.printing)]
    rows = list(Price.objects.filter(
        card_id=card_id, grade=RAW, condition=segment.condition, language__in=forms,
        variant__in=variant_names,
    ).values_list("id", "source", "variant", "currency"))
    notes: list[str] = []
    if not rows:
        return History(segment=segment, points=[], notes=notes,
                       reason=_("No raw prices for this card in %(segment)s.")
                       % {"segment": segment.describe()})
    standard = standard_kind_of(card_variants, segment.printing)
    placed = [(_Row(*row), VARIANTS[row[2]]) for row in rows]
    kept = {row.id: row for row, _p in _resolve_kinds(placed, standard, notes)}
    snapshots = PriceSnapshot.objects.filter(
        price_id__in=list(kept), date__gte=start - timedelta(days=HISTORY_CARRY_DAYS),
        date__lte=today, market_price__isnull=False,
    ).order_by("date").values_list("price_id", "date", "market_price", "observations")
    fx = _FxDays({row.currency for row in kept.values()},
                 start - timedelta(days=HISTORY_CARRY_DAYS), today)
    by_day: dict[date, list[tuple[int, Decimal, int]]] = defaultdict(list)
    for price_id, day, market, observations in snapshots:
        by_day[day].append((price_id, market, observations))
    latest: dict[int, tuple[date, Decimal, Decimal | None, int]] = {}
    no_fx: Counter[str] = Counter()
    points: list[HistoryPoint] = []
    for day in sorted(by_day):
        for price_id, market, observations in by_day[day]:
            row = kept[price_id]
            eur = fx.to_eur(market, row.currency, day)
            if eur is None and day >= start:
                no_fx[row.currency] += 1
            latest[price_id] = (day, market, eur, observations)
        if day < start:
            continue
        inputs = [
            PriceInput(source=kept[pid].source, variant=kept[pid].variant,
                       condition=segment.condition, language=segment.language, grade=RAW,
                       currency=kept[pid].currency, market=market, market_eur=eur,
                       observations=observations, recorded_at=_noon(seen))
            for pid, (seen, market, eur, observations) in latest.items()
            if eur is not None and (day - seen).days <= HISTORY_CARRY_DAYS]
        figures = source_figures(inputs, [])
        if figures:
            points.append(HistoryPoint(date=day, summary=combine(figures, now=_noon(day))))
    for currency, count in sorted(no_fx.items()):
        notes.append(ngettext(
            "No FX rate for %(currency)s; %(count)d daily price left out.",
            "No FX rate for %(currency)s; %(count)d daily prices left out.", count)
            % {"currency": currency, "count": count})
    reason = None if points else (
        _("No raw prices for this card in %(segment)s during the last %(days)d days.")
        % {"segment": segment.describe(), "days": days})
    return History(segment=segment, points=points, notes=notes, reason=reason)


def variants_for(*, foil_status: str | None = None, printing: str | None = None) -> list[str]:
    return [name for name, p in VARIANTS.items()
            if (foil_status is None or p.foil_status == foil_status)
            and (printing is None or p.printing == printing)]


def eur_multipliers() -> dict[str, Decimal]:
    """currency -> EUR per unit at the latest ECB rate (as pricing.fx.fx_rate(cur, "EUR")),
    every currency in one query."""
    latest = FxRate.objects.filter(currency=OuterRef("currency")).order_by("-date")
    rows = FxRate.objects.filter(date=Subquery(latest.values("date")[:1])) \
        .values_list("currency", "rate")
    out = {currency: (Decimal(1) / rate).quantize(Decimal("1e-8")) for currency, rate in rows}
    out["EUR"] = Decimal(1)
    return out


def price_eur_expression(field_name: str, multipliers: dict[str, Decimal]) -> Case:
    """SQL: `field_name` in EUR, NULL for a currency without a rate."""
    output = DecimalField(max_digits=20, decimal_places=8)
    return Case(
        *[When(currency=currency, then=F(field_name) * Value(multiplier, output_field=output))
          for currency, multiplier in sorted(multipliers.items())],
        default=Value(None, output_field=output), output_field=output)


def card_listings_qs(*, card_id: int, source: str | None = None,
                     foil_status: str | None = None,
                     condition: str | None = None) -> QuerySet[SourceListing]:
    listings = SourceListing.objects.filter(card_id=card_id)
    if source:
        listings = listings.filter(source=source)
    if foil_status:
        listings = listings.filter(finish=foil_status)
    if condition:
        listings = listings.filter(condition=condition)
    return listings.order_by("source", "kind", "price", "pk")


def card_price_rows_qs(*, card_id: int, exclude_sources: Iterable[str],
                       source: str | None = None, foil_status: str | None = None,
                       condition: str | None = None) -> QuerySet[Price]:
    """The card's price-book rows of the sources that have no raw listings for it."""
    rows = Price.objects.filter(card_id=card_id).exclude(source__in=list(exclude_sources))
    if source:
        rows = rows.filter(source=source)
    if foil_status:
        rows = rows.filter(variant__in=variants_for(foil_status=foil_status))
    if condition:
        rows = rows.filter(condition=condition)
    return rows.order_by("source", "variant", "condition", "language", "grade", "currency",
                         "pk")


def card_listing_sources(*, card_id: int) -> set[str]:
    return set(SourceListing.objects.filter(card_id=card_id).values_list("source", flat=True)
               .order_by().distinct())


SEARCH_SORTS = ("newest", "price")
HALF_CENT = Decimal("0.005")


def _eur_bounds(multipliers: dict[str, Decimal], low: Decimal | None,
                high: Decimal | None) -> Q:
    """price_eur within [low, high], as plain per-currency ranges on the stored price (no
    arithmetic per row): cents(price × m) ≥ low ⇔ price ≥ (low − ½ cent) / m, and
    cents(price × m) ≤ high ⇔ price < (high + ½ cent) / m. A currency without a rate
    matches nothing."""
    bounds = Q(pk__in=[])
    for currency, multiplier in sorted(multipliers.items()):
        condition = Q(currency=currency)
        if low is not None:
            condition &= Q(price__gte=(low - HALF_CENT) / multiplier)
        if high is not None:
            condition &= Q(price__lt=(high + HALF_CENT) / multiplier)
        bounds |= condition
    return bounds


def listings_search_qs(*, q: str | None = None, source: str | None = None,
                       condition: str | None = None, foil_status: str | None = None,
                       min_price_eur: Decimal | None = None,
                       max_price_eur: Decimal | None = None, sort: str = "newest",
                       multipliers: dict[str, Decimal] | None = None
                       ) -> QuerySet[SourceListing]:
    """Raw listings of every card. `q` is a card-name substring (case-insensitive; the
    trigram index on UPPER(name) serves it on PostgreSQL). Sort `newest` (the latest
    stored first: the primary key, so a page is an index scan at any size) or `price`
    (cheapest in EUR first: sorts every matching listing, so narrow it with q or filters
    on a big table). A listing in a currency without an FX rate has price_eur NULL, sorts
    last and fails any price bound. Annotate the page (not the count) with the card name."""
    multipliers = multipliers if multipliers is not None else eur_multipliers()
    listings = SourceListing.objects.all()
    if q:
        # UPPER() on both sides, as the database folds case (SQLite: ASCII letters only).
        folded = q.upper() if connection.vendor == "postgresql" else "".join(
            char.upper() if char.isascii() else char for char in q)
        listings = listings.annotate(card_uname=Upper("card__name")) \
            .filter(card_uname__contains=folded)
    if source:
        listings = listings.filter(source=source)
    if condition:
        listings = listings.filter(condition=condition)
    if foil_status:
        listings = listings.filter(finish=foil_status)
    if min_price_eur is not None or max_price_eur is not None:
        listings = listings.filter(_eur_bounds(multipliers, min_price_eur, max_price_eur))
    listings = listings.annotate(price_eur=price_eur_expression("price", multipliers))
    if sort == "price":
        return listings.order_by(F("price_eur").asc(nulls_last=True), "pk")
    return listings.order_by("-pk")


# --- platform-wide figures (free endpoints) ------------------------------------------------


# One pass over the card key index (card_id, source, …): rows and cards per source, and the
# cards with at least one raw price row or raw listing. Built from constants only.
_COVERAGE_SQL = (
    "WITH per_card AS ("
    " SELECT card_id, source, COUNT(*) AS n,"
    "  MAX(CASE WHEN grade = 'raw' THEN 1 ELSE 0 END) AS has_raw"
    " FROM pricing_price WHERE card_id IS NOT NULL GROUP BY card_id, source)"
    " SELECT source, SUM(n), COUNT(*), NULL FROM per_card GROUP BY source"
    " UNION ALL"
    " SELECT NULL, NULL, NULL, COUNT(*) FROM ("
    "  SELECT card_id FROM per_card WHERE has_raw = 1"
    "  UNION SELECT card_id FROM pricing_sourcelisting WHERE grade = 'raw') cards")


def _coverage_compute() -> dict[str, Any]:
    """The expensive counts over the whole price book (seconds at 2M rows — run by a task,
    see coverage()). Three queries."""
    per_source: dict[str, dict[str, int]] = {
        source: {"price_rows": 0, "cards_covered": 0, "raw_listings": 0}
        for source in Source.values}

    def entry(source: str) -> dict[str, int]:
        return per_source.setdefault(source, {"price_rows": 0, "cards_covered": 0,
                                              "raw_listings": 0})

    cards = 0
    with connection.cursor() as cursor:
        cursor.execute(_COVERAGE_SQL)
        for source, rows, covered, with_raw in cursor.fetchall():
            if source is None:
                cards = int(with_raw)
            else:
                entry(source).update(price_rows=int(rows), cards_covered=int(covered))
    for row in Price.objects.filter(sealed_product_id__isnull=False).order_by() \
            .values("source").annotate(n=Count("pk")):
        entry(row["source"])["price_rows"] += row["n"]
    for row in SourceListing.objects.order_by().values("source").annotate(n=Count("pk")):
        entry(row["source"])["raw_listings"] = row["n"]
    return {"per_source": per_source, "cards_with_raw_figures": cards,
            "as_of": timezone.now()}


_COVERAGE_KEY = "pricing:intelligence:coverage"


def coverage_refresh() -> dict[str, Any]:
    """Recount and store the coverage figures. Run it from the market cache warm-up (after
    scrapes and every 15 minutes on beat); the entry outlives many warm-ups, so requests
    do not wait for a count."""
    figures = _coverage_compute()
    cache.set(_COVERAGE_KEY, figures, COVERAGE_SECONDS)
    return figures


def coverage() -> dict[str, Any]:
    """The stored coverage figures (`as_of` says when they were counted); counted on the
    spot only when none are stored yet (first start, cache flushed)."""
    return cache.get(_COVERAGE_KEY) or coverage_refresh()


def source_runs(*, now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Per source: last successful run and the last run of any status (two small
    aggregates over the scrape-run log)."""
    now = now or timezone.now()
    success = dict(ScrapeRun.objects.filter(
        status__in=[ScrapeRun.Status.OK, ScrapeRun.Status.PARTIAL], finished_at__isnull=False,
    ).order_by().values("source").annotate(last=Max("finished_at")).values_list("source",
                                                                                "last"))
    latest_run = ScrapeRun.objects.filter(source=OuterRef("source")).order_by("-started_at")
    last = {
        row["source"]: row for row in ScrapeRun.objects.filter(
            pk=Subquery(latest_run.values("pk")[:1])).values("source", "status",
                                                             "started_at", "finished_at")}
    since = now - timedelta(days=ACTIVE_DAYS)
    out: dict[str, dict[str, Any]] = {}
    for source in Source.values:
        ok_at = success.get(source)
        run = last.get(source)
        out[source] = {"last_success": ok_at,
                       "active": ok_at is not None and ok_at >= since,
                       "last_run_status": run["status"] if run else None,
                       "last_run_at": run["started_at"] if run else None}
    return out


def sources_overview() -> list[dict[str, Any]]:
    counts = coverage()["per_source"]
    runs = source_runs()
    return [{"source": source, "name": str(label), **runs[source],
             **counts.get(source, {"price_rows": 0, "cards_covered": 0, "raw_listings": 0})}
            for source, label in Source.choices]


def intelligence_stats() -> dict[str, Any]:
    figures = coverage()
    runs = source_runs()
    per_source = figures["per_source"]
    fx = FxRate.objects.order_by("-date").values_list("date", flat=True).first()
    fx_currencies = FxRate.objects.filter(date=fx).count() if fx else 0
    return {
        "price_rows": sum(entry["price_rows"] for entry in per_source.values()),
        "raw_listings": sum(entry["raw_listings"] for entry in per_source.values()),
        "cards_with_raw_figures": figures["cards_with_raw_figures"],
        "sources_tracked": len(Source.values),
        "sources_active": sum(1 for run in runs.values() if run["active"]),
        "fx_date": fx,
        "fx_currencies": fx_currencies,
        "counts_as_of": figures["as_of"],
    }

