"""Reads for the catalogue: TCGs, sets, cards, sealed products, search and card extras.

Every list the API and the pages show comes from here with its joins and aggregates already in
the query, so a page of results costs a fixed number of queries whatever its length.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Lookup,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, Upper
from django.http import Http404
from django.utils import timezone

from catalogue.models import TCG, Card, CardSet, SealedProduct

# --- TCGs -------------------------------------------------------------------------------------


def tcg_list() -> QuerySet[TCG]:
    return TCG.objects.order_by("sort_order", "name", "pk")


def tcg_get(*, slug: str) -> TCG:
    tcg = TCG.objects.filter(slug=slug).order_by().first()
    if tcg is None:
        raise Http404("TCG not found")
    return tcg


def _tcg_exists_or_404(slug: str | None) -> None:
    if slug is not None and not TCG.objects.filter(slug=slug).exists():
        raise Http404("TCG not found")


# --- Sets -------------------------------------------------------------------------------------


def _card_count_subquery() -> Subquery:
    """Cards per set as a correlated subquery: evaluated only for the rows a page returns and
    answered from the (card_set, number_sort) index, unlike a GROUP BY over every card."""
    counts = (Card.objects.filter(card_set=OuterRef("pk")).order_by()
              .values("card_set").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def set_list(*, tcg: TCG, card_counts: bool = True) -> QuerySet[CardSet]:
    """A TCG's sets, newest first, each annotated with `card_count` (unless `card_counts` is
    False: counting costs a little per set, and the API's set list does not show it)."""
    sets = CardSet.objects.filter(tcg=tcg).select_related("tcg")
    if card_counts:
        sets = sets.annotate(card_count=_card_count_subquery())
    return sets.order_by(F("release_date").desc(nulls_last=True), "name", "pk")


def set_get(*, tcg: TCG | None, set_id: int) -> CardSet:
    """One set; with `tcg`, a set of another TCG is not found either."""
    sets = CardSet.objects.select_related("tcg").filter(pk=set_id)
    if tcg is not None:
        sets = sets.filter(tcg=tcg)
    card_set = sets.order_by("pk").first()
    if card_set is None:
        raise Http404("Set not found")
    return card_set


def _money(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def set_stats(*, card_set: CardSet) -> dict[str, Any]:
    """Card count and price aggregates over `best_price` in one query (prices null when none)."""
    row = Card.objects.filter(card_set=card_set).aggregate(
        card_count=Count("pk"), min_price=Min("best_price"), max_price=Max("best_price"),
        avg_price=Avg("best_price"), total_value=Sum("best_price"))
    return {"set_id": card_set.pk, "card_count": row["card_count"],
            "min_price": _money(row["min_price"]), "max_price": _money(row["max_price"]),
            "avg_price": _money(row["avg_price"]), "total_value": _money(row["total_value"])}


def set_top_cards(*, card_set: CardSet, limit: int) -> list[Card]:
    """The set's most valuable cards (priced cards only), best price first."""
    return list(Card.objects.filter(card_set=card_set, best_price__isnull=False)
                .select_related("tcg").order_by("-best_price", "pk")[:limit])


# --- Cards ------------------------------------------------------------------------------------


def card_list(*, tcg: TCG, set_id: int | None = None, rarity: str | None = None,
              name: str | None = None) -> QuerySet[Card]:
    """A TCG's cards in set and collector-number order. `rarity` matches case-insensitively;
    `name` is a case-insensitive substring (served by the trigram index on PostgreSQL)."""
    cards = Card.objects.filter(tcg=tcg).select_related("tcg", "card_set")
    if set_id is not None:
        cards = cards.filter(card_set_id=set_id)
    if rarity:
        cards = cards.filter(rarity__iexact=rarity)
    if name:
        cards = cards.annotate(uname=Upper("name")).filter(uname__contains=_db_upper(name))
    return cards.order_by("card_set_id", "number_sort", "number", "variant_key", "pk")


def card_get(*, card_id: int, tcg: TCG | None = None, tcg_slug: str | None = None) -> Card:
    """One card with its set and TCG; with `tcg` or `tcg_slug`, a card of another TCG is not
    found either (an unknown `tcg_slug` is "TCG not found")."""
    cards = Card.objects.select_related("tcg", "card_set").filter(pk=card_id)
    if tcg is not None:
        cards = cards.filter(tcg=tcg)
    if tcg_slug is not None:
        cards = cards.filter(tcg__slug=tcg_slug)
    card = cards.order_by("pk").first()  # pk: the model's ordering would add joins
    if card is None:
        _tcg_exists_or_404(tcg_slug)
        raise Http404("Card not found")
    return card


def card_get_many(*, card_ids: list[int]) -> list[Card]:
    """Cards in the order of `card_ids`; Http404 when any id is unknown."""
    found = {card.pk: card for card in
             Card.objects.select_related("tcg", "card_set").filter(pk__in=card_ids)}
    if any(card_id not in found for card_id in card_ids):
        raise Http404("Card not found")
    return [found[card_id] for card_id in card_ids]


def _by_tcg_slug(cards: QuerySet[Card], tcg_slug: str | None) -> QuerySet[Card]:
    return cards if tcg_slug is None else cards.filter(tcg__slug=tcg_slug)


def card_top_qs(*, tcg_slug: str | None = None) -> QuerySet[Card]:
    """Priced cards, most valuable first (the -best_price indexes serve it)."""
    cards = Card.objects.filter(best_price__isnull=False).select_related("tcg", "card_set")
    return _by_tcg_slug(cards, tcg_slug).order_by("-best_price", "pk")


def cards_top(*, tcg_slug: str | None = None, limit: int) -> list[Card]:
    return list(card_top_qs(tcg_slug=tcg_slug)[:limit])


def card_added_since_qs(*, since: datetime, tcg_slug: str | None = None) -> QuerySet[Card]:
    """Cards added at or after `since`, newest first."""
    cards = Card.objects.filter(created_at__gte=since).select_related("tcg", "card_set")
    return _by_tcg_slug(cards, tcg_slug).order_by("-created_at", "-pk")


def cards_recent(*, tcg_slug: str | None = None, limit: int, days: int = 7) -> list[Card]:
    since = timezone.now() - timedelta(days=days)
    return list(card_added_since_qs(since=since, tcg_slug=tcg_slug)[:limit])


def start_of_day(day: date | datetime) -> datetime:
    if isinstance(day, datetime):
        return day if timezone.is_aware(day) else day.replace(tzinfo=UTC)
    return datetime.combine(day, time.min, tzinfo=UTC)


def cards_new(*, since: date | datetime, tcg_slug: str | None = None, limit: int) -> list[Card]:
    return list(card_added_since_qs(since=start_of_day(since), tcg_slug=tcg_slug)[:limit])


# --- Search -----------------------------------------------------------------------------------
#
# The query is split into tokens. Each token must match the card (AND), in any of these ways:
#   - its name, case-insensitively: as a substring (4+ letters: "chariz", "izard"), the start
#     of a word (3 letters: "mew") or a whole word (1-2 letters: "ex", "V");
#   - its set: the set's code or source id equals the token ("BS", "OP01", "base1"), or the
#     token is a whole word of the set's name ("base", "jungle");
#   - its collector number, when the token holds a digit: "4", "#4", "004", "SWSH020",
#     "OP01-001", "LOB-EN001"; "4/102" is number 4 in a set whose printed total is 102.
# Sets are resolved from a cached index of all sets; the card query then uses only indexable
# conditions (trigram GIN for substrings, btree for name prefixes and UPPER(number),
# card_set_id). A search is two queries: the page's ids in relevance order with the total (a
# window count over narrow rows), then those cards with their set and TCG.
#
# Typos: only when that finds nothing, a third query lets name words match approximately —
# on PostgreSQL by pg_trgm strict word similarity (`UPPER(name) %>> 'CHARZARD'`: the word is
# similar to whole words of the name, threshold 0.5, served by the trigram GIN index), on
# SQLite by a small edit distance to the words of a bounded set of candidate names.
# Approximate matches are not mixed into exact ones: matching them costs index rechecks over
# thousands of rows at 133k cards, and they would pad every total with look-alike names.

_EDGE_PUNCTUATION = ".,;:!?\"()[]{}"
_FILLER = frozenset({"SET", "SETS", "CARD", "CARDS"})
# Words too common in set names to pick sets by ("Legend of the Dragon King").
_SET_STOPWORDS = frozenset({"THE", "OF", "AND", "A", "AN", "IN", "ON", "TO", "FOR", "&"})
_SLASH_NUMBER = re.compile(r"^([A-Z]*\d+[A-Z]?)/([A-Z]*)(\d+)$")
_TYPO_MIN_LENGTH = 4
_SUBSTRING_MIN_LENGTH = 4
SET_INDEX_CACHE_KEY = "catalogue:search-set-index-version:v1"
SET_INDEX_SECONDS = 300
_SQLITE_TYPO_CANDIDATES = 20_000
# The columns a search result carries (all a result list shows); other fields of the cards
# are loaded on access, one query per card. Building fewer, narrower objects halves the time
# a page of results takes.
SEARCH_FIELDS = ("id", "tcg_id", "card_set_id", "name", "number", "rarity", "card_type",
                 "image_url", "local_image_url", "variants", "best_price", "price_change_7d",
                 "created_at", "card_set__id", "card_set__tcg_id", "card_set__name",
                 "card_set__code", "card_set__series", "card_set__release_date",
                 "card_set__printed_total", "tcg__id", "tcg__slug", "tcg__name")


@dataclass(frozen=True)
class _Token:
    text: str                   # upper-cased as the database upper-cases
    numbers: tuple[str, ...]    # collector numbers it may denote
    printed_total: int | None   # "4/102" -> 102
    is_word: bool               # may match the name
    filler: bool = False

    @property
    def fuzzy(self) -> bool:
        return self.is_word and len(self.text) >= _TYPO_MIN_LENGTH and self.text.isalpha()


class _TrigramStrictWordSimilar(Lookup):
    """`lhs %>> rhs`: rhs is similar to whole words of lhs (pg_trgm; GIN-indexable)."""

    lookup_name = "csm_trigram_strict_word_similar"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} %%>> {rhs}", [*lhs_params, *rhs_params]


class _Similarity(Func):
    function = "similarity"
    output_field = FloatField()


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _db_upper(text: str) -> str:
    """Upper-case as the database's UPPER() does: SQLite only folds ASCII letters."""
    if _is_postgres():
        return text.upper()
    return "".join(char.upper() if char.isascii() else char for char in text)


def _number_forms(number: str) -> tuple[str, ...]:
    """"4" also finds "04" and "004" (numbering styles differ by game), "004" finds "4"."""
    if not number.isdigit():
        return (number,)
    bare = number.lstrip("0") or "0"
    return tuple(dict.fromkeys((number, bare, bare.zfill(2), bare.zfill(3))))


def search_tokens(q: str) -> list[_Token]:
    tokens = []
    for raw in q.split():
        text = _db_upper(raw.strip(_EDGE_PUNCTUATION))
        if not text:
            continue
        bare = text.lstrip("#") or text
        slash = _SLASH_NUMBER.match(bare)
        if slash:
            tokens.append(_Token(text=bare, numbers=_number_forms(slash.group(1)),
                                 printed_total=int(slash.group(3)), is_word=False))
        elif any(char.isdigit() for char in bare):
            # "SWSH020" is a number; "Porygon2" may be a name too.
            tokens.append(_Token(text=bare, numbers=_number_forms(bare), printed_total=None,
                                 is_word=bare == text and any(c.isalpha() for c in bare)))
        else:
            tokens.append(_Token(text=text, numbers=(), printed_total=None, is_word=True,
                                 filler=text in _FILLER))
    if len(tokens) > 1 and any(not t.filler for t in tokens):
        tokens = [t for t in tokens if not t.filler]
    return tokens[:8]


def _word_pattern(word: str) -> str:
    """A regex matching `word` as a whole word of an upper-cased text (PostgreSQL and Python
    regexes agree on this subset)."""
    return rf"(^|[^A-Z0-9]){re.escape(word)}($|[^A-Z0-9])"


@dataclass(frozen=True)
class _SetIndex:
    """What search needs to know about every set, upper-cased as the database does."""

    by_key: dict[str, frozenset[int]]   # codes and source ids
    by_word: dict[str, frozenset[int]]  # whole words of set names
    by_size: dict[int, frozenset[int]]  # printed totals (else total cards)
    tcg_of: dict[int, str]


def _set_index_build() -> _SetIndex:
    by_key: dict[str, set[int]] = {}
    by_word: dict[str, set[int]] = {}
    by_size: dict[int, set[int]] = {}
    tcg_of: dict[int, str] = {}
    rows = CardSet.objects.order_by().values_list("pk", "code", "source_id", "name",
                                                   "printed_total", "total_cards", "tcg__slug")
    for pk, code, source_id, name, printed_total, total_cards, tcg_slug in rows:
        tcg_of[pk] = tcg_slug
        for key in {_db_upper(code), _db_upper(source_id)} - {""}:
            by_key.setdefault(key, set()).add(pk)
        for word in set(_WORD_SPLIT.split(_db_upper(name))) - _SET_STOPWORDS - {""}:
            by_word.setdefault(word, set()).add(pk)
        size = printed_total if printed_total is not None else total_cards
        if size is not None:
            by_size.setdefault(size, set()).add(pk)

    def frozen(index: dict) -> dict:
        return {key: frozenset(ids) for key, ids in index.items()}

    return _SetIndex(frozen(by_key), frozen(by_word), frozen(by_size), tcg_of)


_local_set_index: tuple[str, _SetIndex] | None = None


def _set_index() -> _SetIndex:
    """The sets, indexed for search, so a search does not query the sets table. Each process
    keeps its index while the version in the shared cache stands; the version expires after
    SET_INDEX_SECONDS and search_sets_forget() (called after imports) drops it at once."""
    global _local_set_index
    version = cache.get(SET_INDEX_CACHE_KEY)
    if version is not None and _local_set_index and _local_set_index[0] == version:
        return _local_set_index[1]
    index = _set_index_build()
    if version is None:
        version = uuid.uuid4().hex
        cache.set(SET_INDEX_CACHE_KEY, version, SET_INDEX_SECONDS)
    _local_set_index = (version, index)
    return index


def search_sets_forget() -> None:
    """Call after sets were added, renamed or removed, so search sees them at once."""
    cache.delete(SET_INDEX_CACHE_KEY)


def _set_matches(tokens: list[_Token], tcg_slug: str | None) -> dict[_Token, set[int]]:
    """For each token, the ids of the sets it names: by code or source id ("BS", "base1"), by
    a whole word of the name ("base", "jungle"), or "4/102" by the printed total."""
    index = _set_index()
    found: dict[_Token, set[int]] = {}
    for token in tokens:
        if token.printed_total is not None:
            ids = set(index.by_size.get(token.printed_total, ()))
        else:
            ids = set(index.by_key.get(token.text, ())) | index.by_word.get(token.text, set())
        if tcg_slug is not None:
            ids = {pk for pk in ids if index.tcg_of.get(pk) == tcg_slug}
        found[token] = ids
    return found


@dataclass(frozen=True)
class _Fuzzy:
    """How name words may match approximately: pg_trgm, or (SQLite) the look-alike names
    found for each word."""

    trigram: bool = False
    names: dict[str, list[str]] = field(default_factory=dict)
    # The exact pass already found nothing for this (single-word) query under the same
    # filters, so its conditions cannot match here: test the approximate one alone.
    approximate_only: bool = False


_EXACT = _Fuzzy()


def _name_condition(token: _Token, fuzzy: _Fuzzy) -> Q | None:
    """Four letters or more: anywhere in the name; three: the start of a word ("mew" finds
    Mewtwo, "the" does not find Synthetic); one or two: a whole word ("ex", "V")."""
    if not token.is_word:
        return None
    text = token.text
    if len(text) >= _SUBSTRING_MIN_LENGTH:
        condition = Q(uname__contains=text)
    else:
        # Indexable LIKE patterns (btree prefix, trigram GIN) find the words starting with
        # the token; for a whole word a regex then checks where the word ends.
        condition = (Q(uname__startswith=text) | Q(uname__contains=f" {text}")
                     | Q(uname__contains=f"-{text}"))
        if len(text) < 3:
            condition &= Q(uname__regex=_word_pattern(text))
    if token.fuzzy:
        approximate = None
        if fuzzy.trigram:
            approximate = Q(_TrigramStrictWordSimilar(Upper("name"), token.text))
        elif fuzzy.names.get(token.text):
            approximate = Q(uname__in=fuzzy.names[token.text])
        if approximate is not None:
            return approximate if fuzzy.approximate_only else condition | approximate
    return condition


def _token_condition(token: _Token, set_ids: set[int], fuzzy: _Fuzzy) -> Q:
    if token.printed_total is not None:
        # "4/102": that number in a set of that printed size; no such set -> no match.
        return Q(unumber__in=token.numbers, card_set_id__in=sorted(set_ids))
    condition = Q(pk__in=[])
    name = _name_condition(token, fuzzy)
    if name is not None:
        condition |= name
    if token.numbers:
        condition |= Q(unumber__in=token.numbers)
        if "-" in token.text:
            condition |= Q(pokemontcg_id=token.text.lower())
    if set_ids:
        condition |= Q(card_set_id__in=sorted(set_ids))
    return condition


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment), giving up beyond `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


_WORD_SPLIT = re.compile(r"[^A-Z0-9\u00c0-\uffff]+")


def _sqlite_typo_names(tokens: list[_Token], tcg_slug: str | None) -> dict[str, list[str]]:
    """Names having a word within a small edit distance of a query word (1 for words of up to
    five letters, else 2), from a bounded candidate set: names with a word starting with the
    query word's first letter (a typo in the first letter is not found)."""
    words = [t.text for t in tokens if t.fuzzy]
    if not words:
        return {}
    condition = Q()
    for initial in sorted({word[0] for word in words}):
        condition |= Q(uname__startswith=initial) | Q(uname__contains=f" {initial}")
    names = _by_tcg_slug(Card.objects.annotate(uname=Upper("name")).filter(condition),
                         tcg_slug).order_by().values_list("uname", flat=True).distinct()
    found: dict[str, list[str]] = {word: [] for word in words}
    for name in names[:_SQLITE_TYPO_CANDIDATES]:
        name_words = [w for w in _WORD_SPLIT.split(name) if w]
        for word in words:
            allowed = 1 if len(word) <= 5 else 2
            if any(w[0] == word[0] and _edit_distance(word, w, allowed) <= allowed
                   for w in name_words):
                found[word].append(name)
    return found


def _fuzzy_for(tokens: list[_Token], tcg_slug: str | None) -> _Fuzzy | None:
    """The approximate matching for a retry, or None when no word can match approximately."""
    if not any(t.fuzzy for t in tokens):
        return None
    if _is_postgres():
        return _Fuzzy(trigram=True)
    names = _sqlite_typo_names(tokens, tcg_slug)
    return _Fuzzy(names=names) if any(names.values()) else None


@dataclass(frozen=True)
class _SearchPlan:
    tokens: list[_Token]
    set_ids: dict[_Token, set[int]]
    phrase: str        # the query's words (numbers left out)
    name_phrase: str   # …and without the words that name a set


def _search_plan(q: str, tcg_slug: str | None) -> _SearchPlan | None:
    tokens = search_tokens(q)
    if not tokens:
        return None
    set_ids = _set_matches(tokens, tcg_slug)
    words = [t for t in tokens if t.is_word and not t.numbers]
    return _SearchPlan(tokens, set_ids, " ".join(t.text for t in words),
                       " ".join(t.text for t in words if not set_ids[t]))


def _search_matches(plan: _SearchPlan, *, fuzzy: _Fuzzy, tcg_slug: str | None,
                    set_id: int | None, rarity: str | None, min_price: float | None,
                    max_price: float | None) -> QuerySet[Card]:
    cards = Card.objects.annotate(uname=Upper("name"), unumber=Upper("number"))
    for token in plan.tokens:
        cards = cards.filter(_token_condition(token, plan.set_ids[token], fuzzy))
    cards = _by_tcg_slug(cards, tcg_slug)
    if set_id is not None:
        cards = cards.filter(card_set_id=set_id)
    if rarity:
        cards = cards.filter(rarity__iexact=rarity)
    if min_price is not None:
        cards = cards.filter(best_price__gte=Decimal(str(min_price)))
    if max_price is not None:
        cards = cards.filter(best_price__lte=Decimal(str(max_price)))
    return cards


def _search_ranked(plan: _SearchPlan, matches: QuerySet[Card], fuzzy: _Fuzzy
                   ) -> QuerySet[Card]:
    """Matches in relevance order, each with the total: exact name, name prefix, name
    containing the phrase, other (the phrase with and without set words); approximate matches
    by trigram similarity; then best price, then id. Callers select only the ids for a large
    match set: ranking thousands of matches must not drag whole rows (and joins) along."""
    phrases = [p for p in dict.fromkeys((plan.phrase, plan.name_phrase)) if p]
    # Approximate-only matches all fall in the last tier: no tier to compute.
    whens = [] if fuzzy.approximate_only else [
        When(**{f"uname__{lookup}": phrase}, then=Value(tier))
        for lookup, tier in (("exact", 0), ("startswith", 1), ("contains", 2))
        for phrase in phrases]
    # Without words (numbers, codes) there is no tier to sort by.
    order: list[Any] = ["rank"] if whens else []
    if fuzzy.trigram and plan.name_phrase:
        order.append(_Similarity(Upper("name"), Value(plan.name_phrase)).desc())
    order += [F("best_price").desc(nulls_last=True), "pk"]
    ranked = matches.annotate(search_total=Window(Count("pk")))
    if whens:
        ranked = ranked.annotate(rank=Case(*whens, default=Value(3),
                                           output_field=IntegerField()))
    return ranked.order_by(*order)


def _search_page(plan: _SearchPlan, fuzzy: _Fuzzy, filters: dict[str, Any], *, limit: int,
                 offset: int) -> tuple[list[Card], int]:
    """Two queries: the page's ids with the total, then those cards with their set and TCG."""
    matches = _search_matches(plan, fuzzy=fuzzy, **filters)
    if fuzzy.approximate_only:
        # A typo retry matches few rows: rank them with their set and TCG in one query.
        rows = list(_search_ranked(plan, matches, fuzzy).select_related("tcg", "card_set")
                    .only(*SEARCH_FIELDS)[offset:offset + limit])
        if not rows:
            return [], matches.count() if offset else 0
        return rows, rows[0].search_total
    ranked = list(_search_ranked(plan, matches, fuzzy).values_list("pk", "search_total")
                  [offset:offset + limit])
    if not ranked:
        return [], matches.count() if offset else 0
    ids = [pk for pk, _total in ranked]
    cards = (Card.objects.select_related("tcg", "card_set").only(*SEARCH_FIELDS).order_by()
             .in_bulk(ids))
    return [cards[pk] for pk in ids if pk in cards], ranked[0][1]


def card_search(*, q: str, tcg_slug: str | None = None, set_id: int | None = None,
                rarity: str | None = None, min_price: float | None = None,
                max_price: float | None = None, limit: int, offset: int
                ) -> tuple[list[Card], int]:
    """Cards matching `q` (see the notes above), most relevant first. Returns (page, total).
    Only SEARCH_FIELDS of the cards (and their set and TCG) are loaded.

    Raises Http404 for an unknown `tcg_slug`.
    """
    plan = _search_plan(q, tcg_slug)
    if plan is None:
        _tcg_exists_or_404(tcg_slug)
        return [], 0
    filters = {"tcg_slug": tcg_slug, "set_id": set_id, "rarity": rarity,
               "min_price": min_price, "max_price": max_price}
    page, total = _search_page(plan, _EXACT, filters, limit=limit, offset=offset)
    if total == 0:
        fuzzy = _fuzzy_for(plan.tokens, tcg_slug)
        if fuzzy is not None:
            if len(plan.tokens) == 1:
                fuzzy = replace(fuzzy, approximate_only=True)
            page, total = _search_page(plan, fuzzy, filters, limit=limit, offset=offset)
    if total == 0:
        _tcg_exists_or_404(tcg_slug)
    return page, total


def search_sql(*, q: str, tcg_slug: str | None = None, fuzzy: bool = False,
               limit: int = 50) -> tuple[str, tuple]:
    """The SQL and parameters of the ranking query for `q`, exact or (PostgreSQL)
    approximate, for EXPLAIN in tests and benchmarks."""
    plan = _search_plan(q, tcg_slug)
    if plan is None:
        raise ValueError("empty query")
    how = _Fuzzy(trigram=True) if fuzzy else _EXACT
    matches = _search_matches(plan, fuzzy=how, tcg_slug=tcg_slug, set_id=None, rarity=None,
                              min_price=None, max_price=None)
    ranked = _search_ranked(plan, matches, how).values_list("pk", "search_total")
    return ranked[:limit].query.sql_with_params()


# --- Marketplace links ------------------------------------------------------------------------

# Cardmarket's game segment per TCG (games Cardmarket does not sell have none).
CARDMARKET_GAMES = {
    "pokemon": "Pokemon", "mtg": "Magic", "yugioh": "YuGiOh", "onepiece": "OnePiece",
    "lorcana": "Lorcana", "fab": "FleshAndBlood", "starwars": "StarWarsUnlimited",
    "digimon": "Digimon", "dragonball": "DragonBallSuper", "riftbound": "Riftbound",
}
# TCGplayer's product line per TCG, as in its search URLs.
TCGPLAYER_LINES = {
    "pokemon": "pokemon", "mtg": "magic", "yugioh": "yugioh",
    "onepiece": "one-piece-card-game", "lorcana": "lorcana-tcg", "fab": "flesh-and-blood-tcg",
    "starwars": "star-wars-unlimited", "digimon": "digimon-card-game",
    "dragonball": "dragon-ball-super-fusion-world", "grandarc": "grand-archive",
    "riftbound": "riftbound-league-of-legends-trading-card-game",
}
DEFAULT_VARIANT = "normal"


class UnknownVariant(ValueError):
    """The card is not printed in the requested variant."""

    def __init__(self, variant: str, permitted: list[str]) -> None:
        self.variant = variant
        self.permitted = permitted
        super().__init__(f"unknown variant {variant!r}; permitted: {', '.join(permitted)}")


def _variant_key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return key + "foil" if key.endswith("holo") else key


def card_variants(card: Card) -> list[str]:
    """The variants a card is printed in (a card without variant data is `normal`)."""
    return [v for v in card.variants if isinstance(v, str) and v] or [DEFAULT_VARIANT]


def card_variant_resolve(*, card: Card, variant: str | None) -> str:
    """The card's own spelling of `variant` ("holo" finds "holofoil"); without one, `normal`
    when the card has it, else its first variant. Raises UnknownVariant."""
    variants = card_variants(card)
    if variant is None:
        by_key = {_variant_key(v): v for v in variants}
        return by_key.get(DEFAULT_VARIANT, variants[0])
    wanted = _variant_key(variant)
    for name in variants:
        if _variant_key(name) == wanted:
            return name
    raise UnknownVariant(variant, variants)


def _slug(text: str) -> str:
    """Cardmarket's URL slug: accents dropped, apostrophes removed, other runs -> "-"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    ascii_text = re.sub(r"['’`]", "", ascii_text)
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")


def _variant_words(variant: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", variant).replace("_", " ").split()
    return " ".join(w if w[0].isdigit() else w.capitalize() for w in words)


def card_marketplace_urls(*, card: Card, variant: str) -> dict[str, Any]:
    """Buy-now URLs on Cardmarket, TCGplayer and eBay for `card` in `variant` (a name from
    card_variants(); `card.tcg` and `card.card_set` are read). Raises UnknownVariant."""
    variant = card_variant_resolve(card=card, variant=variant)
    key = _variant_key(variant)
    plain = key == DEFAULT_VARIANT
    slug, card_set = card.tcg.slug, card.card_set

    cardmarket_url = None
    game = CARDMARKET_GAMES.get(slug)
    if game:
        if card.cardmarket_product_id and card_set.name:
            cardmarket_url = (f"https://www.cardmarket.com/en/{game}/Products/Singles/"
                              f"{_slug(card_set.name)}/{_slug(card.name)}")
            filters = {}
            if key.startswith("1stedition"):
                filters["isFirstEd"] = "Y"
            if "reverse" in key:
                filters["isReverseHolo"] = "Y"
            elif slug == "mtg" and "foil" in key:
                filters["isFoil"] = "Y"
            if filters:
                cardmarket_url += "?" + urlencode(filters)
        else:
            cardmarket_url = (f"https://www.cardmarket.com/en/{game}/Products/Search?"
                              + urlencode({"searchString": card.name}))

    if card.tcgplayer_product_id:
        tcgplayer_url = f"https://www.tcgplayer.com/product/{card.tcgplayer_product_id}"
        if not plain:
            tcgplayer_url += "?" + urlencode({"Printing": _variant_words(variant)})
    else:
        line = TCGPLAYER_LINES.get(slug, "all")
        tcgplayer_url = (f"https://www.tcgplayer.com/search/{quote(line)}/product?"
                         + urlencode({"q": f"{card.name} {card_set.name}".strip()}))

    number = card.number
    if card_set.printed_total and number.isdigit():
        number = f"{number}/{card_set.printed_total}"
    words = [card.name, card_set.name, number]
    if not plain:
        words.append(_variant_words(variant))
    ebay_url = "https://www.ebay.com/sch/i.html?_nkw=" + quote_plus(" ".join(w for w in words
                                                                             if w))
    return {"card_id": card.pk, "variant": variant, "cardmarket_url": cardmarket_url,
            "tcgplayer_url": tcgplayer_url, "ebay_url": ebay_url}


# --- Evolution chains -------------------------------------------------------------------------

# Stage subtypes of pokemontcg.io, in the order a card's subtypes are searched.
STAGES = ("Baby", "Basic", "Stage 1", "Stage 2", "Restored", "BREAK", "Level-Up", "LEGEND",
          "MEGA", "VMAX", "VSTAR", "V-UNION")
_PREVIOUS_STAGE = {"Stage 1": "Basic", "Stage 2": "Stage 1"}
_CHAIN_FIELDS = ("pk", "name", "evolves_from", "attributes", "card_set_id")
_MAX_STEPS = 4
_MAX_BRANCHES = 10


def _stage(row: dict[str, Any]) -> str | None:
    subtypes = (row.get("attributes") or {}).get("subtypes") or []
    for subtype in subtypes:
        if subtype in STAGES:
            return subtype
    return None if row.get("evolves_from") else "Basic"


def _node(row: dict[str, Any]) -> dict[str, Any]:
    return {"stage": _stage(row), "name": row["name"], "card_id": row["pk"]}


def _closest(card: Card, condition: Q) -> list[dict[str, Any]]:
    """Per name, the Pokémon card matching `condition` closest to `card`: same set, else same
    series, else any (oldest set first). Only names at the closest level found are returned."""
    closeness = Case(When(card_set_id=card.card_set_id, then=Value(0)),
                     When(card_set__series=card.card_set.series, then=Value(1)),
                     default=Value(2), output_field=IntegerField())
    order = [closeness.asc(), F("card_set__release_date").asc(nulls_last=True), "pk"]
    rows = list(Card.objects.filter(condition, tcg_id=card.tcg_id)
                .annotate(closeness=closeness,
                          pick=Window(RowNumber(), partition_by=[F("name")], order_by=order))
                .filter(pick=1).order_by("closeness", "name", "pk")
                .values(*_CHAIN_FIELDS, "closeness")[:_MAX_BRANCHES * 3])
    if not rows:
        return []
    best = rows[0]["closeness"]
    return [row for row in rows if row["closeness"] == best][:_MAX_BRANCHES]


def card_evolution_chain(*, card: Card) -> list[dict[str, Any]]:
    """The evolution line of a Pokémon card from its Basic to its last stage, from the
    cards' real `evolves_from` data. Each step is {stage, name, card_id}; a step whose card is
    not in the catalogue keeps its name with card_id null. Non-Pokémon cards have no chain."""
    if card.tcg.slug != "pokemon":
        return []
    this = {"pk": card.pk, "name": card.name, "evolves_from": card.evolves_from,
            "attributes": card.attributes, "card_set_id": card.card_set_id}
    if _stage(this) is None and not card.evolves_from and not card.card_type.startswith("Pok"):
        return []
    if card.card_type and not card.card_type.startswith("Pok"):
        return []  # Trainers and Energy
    chain = [_node(this)]
    seen = {card.name}

    current = this
    for _ in range(_MAX_STEPS):
        previous_name = current["evolves_from"]
        if not previous_name or previous_name in seen:
            break
        seen.add(previous_name)
        found = _closest(card, Q(name=previous_name))
        if not found:
            chain.insert(0, {"stage": _PREVIOUS_STAGE.get(chain[0]["stage"] or ""),
                             "name": previous_name, "card_id": None})
            break
        current = found[0]
        chain.insert(0, _node(current))

    names = [card.name]
    for _ in range(_MAX_STEPS):
        found = [row for row in _closest(card, Q(evolves_from__in=names))
                 if row["name"] not in seen]
        if not found:
            break
        seen.update(row["name"] for row in found)
        chain.extend(_node(row) for row in found)
        names = [row["name"] for row in found]
    return chain


# --- Sealed products --------------------------------------------------------------------------


def sealed_list(*, tcg: TCG, set_id: int | None = None) -> QuerySet[SealedProduct]:
    products = SealedProduct.objects.filter(tcg=tcg).select_related("tcg", "card_set")
    if set_id is not None:
        products = products.filter(card_set_id=set_id)
    return products.order_by("name", "pk")


def sealed_get(*, tcg: TCG, product_id: int) -> SealedProduct:
    product = (SealedProduct.objects.select_related("tcg", "card_set")
               .filter(tcg=tcg, pk=product_id).order_by("pk").first())
    if product is None:
        raise Http404("Sealed product not found")
    return product


# --- Platform counts (collected by csm.selectors) ---------------------------------------------


def platform_counts() -> dict[str, int]:
    """Catalogue totals: tcgs, sets, cards, sealed_products."""
    return {"tcgs": TCG.objects.count(), "sets": CardSet.objects.count(),
            "cards": Card.objects.count(), "sealed_products": SealedProduct.objects.count()}


def platform_tcg_counts() -> dict[str, dict[str, Any]]:
    """Per TCG: {slug: {"name", "sets", "cards"}}, in the TCGs' display order (one query)."""
    sets = (CardSet.objects.filter(tcg=OuterRef("pk")).order_by().values("tcg")
            .annotate(n=Count("pk")).values("n"))
    cards = (Card.objects.filter(tcg=OuterRef("pk")).order_by().values("tcg")
             .annotate(n=Count("pk")).values("n"))
    rows = tcg_list().annotate(
        set_count=Coalesce(Subquery(sets, output_field=IntegerField()), 0),
        card_count=Coalesce(Subquery(cards, output_field=IntegerField()), 0),
    ).values_list("slug", "name", "set_count", "card_count")
    return {slug: {"name": name, "sets": set_count, "cards": card_count}
            for slug, name, set_count, card_count in rows}
