"""Price intelligence: variant placement, per-source figures, the weighted correlated price,
confidence at its edges, notes, and the selectors on the price book."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from catalogue.tests.factories import CardFactory
from pricing import intelligence as pi
from pricing.ingest import Quote, prices_ingest
from pricing.intelligence import (
    ListingInput,
    Placement,
    PriceInput,
    Segment,
    card_correlation,
    card_correlation_history,
    confidence_score,
    correlate,
)
from pricing.models import FxRate
from pricing.services import source_listings_replace
from pricing.sources.base import Listing

NOW = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)
NM_EN = Segment()


def price(source: str, market: str | None, *, currency: str = "EUR", eur: str | None = "same",
          variant: str = "normal", condition: str = "NM", language: str = "en",
          grade: str = "raw", n: int = 10, age_days: float = 0) -> PriceInput:
    value = None if market is None else Decimal(market)
    market_eur = value if eur == "same" else (None if eur is None else Decimal(eur))
    return PriceInput(source=source, variant=variant, condition=condition, language=language,
                      grade=grade, currency=currency, market=value, market_eur=market_eur,
                      observations=n, recorded_at=NOW - timedelta(days=age_days))


def listing(source: str, amount: str, *, kind: str = "listing", finish: str = "nonfoil",
            printing: str = "unlimited", condition: str = "NM", language: str = "en",
            grade: str = "raw", currency: str = "EUR", eur: str | None = "same",
            age_days: float = 0) -> ListingInput:
    value = Decimal(amount)
    return ListingInput(source=source, kind=kind, condition=condition, language=language,
                        finish=finish, printing=printing, grade=grade, price=value,
                        currency=currency,
                        price_eur=value if eur == "same" else (None if eur is None
                                                               else Decimal(eur)),
                        observed_at=NOW - timedelta(days=age_days))


# --- variant placement ------------------------------------------------------------------------


@pytest.mark.parametrize(("variant", "placed"), [
    ("normal", ("nonfoil", "unlimited")),
    ("holofoil", ("nonfoil", "unlimited")),
    ("reverse_holofoil", ("foil", "unlimited")),
    ("foil", ("foil", "unlimited")),
    ("etched", ("etched", "unlimited")),
    ("1st_edition_holofoil", ("nonfoil", "1st_edition")),
    ("1st_edition_normal", ("nonfoil", "1st_edition")),
    ("1st_edition", ("nonfoil", "1st_edition")),
    ("unlimited_holofoil", ("nonfoil", "unlimited")),
    ("1st_edition_reverse_holofoil", ("foil", "1st_edition")),
])
def test_variants_are_placed_in_finish_and_printing(variant: str, placed: tuple) -> None:
    placement = pi.VARIANTS[variant]
    assert (placement.foil_status, placement.printing) == placed


def test_unknown_variants_are_not_placed_and_noted() -> None:
    assert "limited_edition" not in pi.VARIANTS
    result = correlate(segment=NM_EN, now=NOW, listings=[], prices=[
        price("tcgplayer", "10"), price("tcgplayer", "99", variant="limited_edition")])
    assert result.summary.market_price_eur == Decimal("10.00")
    assert any("limited_edition" in note for note in result.notes)


def test_standard_kind_is_the_cards_first_non_foil_variant() -> None:
    assert pi.standard_kind_of(["holofoil", "1st_edition_holofoil"]) == pi.HOLO
    assert pi.standard_kind_of(["normal", "holofoil", "reverse_holofoil"]) == pi.PLAIN
    assert pi.standard_kind_of(["1st_edition_holofoil", "normal"], "1st_edition") == pi.HOLO
    assert pi.standard_kind_of([]) == pi.PLAIN
    assert isinstance(pi.VARIANTS["holo"], Placement)


def test_normal_and_holofoil_of_one_printing_are_not_blended() -> None:
    prices = [price("tcgplayer", "3.00", variant="normal"),
              price("tcgplayer", "40.00", variant="holofoil"),
              price("cardmarket", "38.00", variant="holofoil")]
    holo = correlate(segment=NM_EN, prices=prices, listings=[], now=NOW,
                     standard_kind=pi.HOLO)
    assert [(f.source, f.median_eur) for f in holo.figures] == [
        ("cardmarket", Decimal("38.00")), ("tcgplayer", Decimal("40.00"))]
    assert any("normal prices are left out" in note for note in holo.notes)
    plain = correlate(segment=NM_EN, prices=prices, listings=[], now=NOW)
    assert plain.summary.market_price_eur == Decimal("3.00")


# --- one figure per source --------------------------------------------------------------------


def test_single_source_is_its_own_figure_with_the_documented_confidence() -> None:
    result = correlate(segment=NM_EN, now=NOW, listings=[],
                       prices=[price("cardmarket", "710.00", n=28)])
    summary = result.summary
    assert (summary.market_price_eur, summary.low_eur, summary.high_eur) == (
        Decimal("710.00"), Decimal("710.00"), Decimal("710.00"))
    expected = round(0.35 / 3 + 0.30 * math.log10(29) / 2 + 0.35 * 0.5, 2)
    assert summary.confidence == expected == 0.51
    assert (summary.n_observations, summary.n_sources, summary.sources) == (
        28, 1, ("cardmarket",))
    assert any("Only one source (Cardmarket)" in note for note in result.notes)
    assert result.reason is None


def test_listings_replace_the_sources_price_row_and_sold_beats_active() -> None:
    listings = [listing("cardtrader", amount) for amount in ("10", "12", "14", "16", "100")]
    listings += [listing("ebay", "20", kind="listing"), listing("ebay", "11", kind="sold"),
                 listing("ebay", "13", kind="sold")]
    result = correlate(segment=NM_EN, now=NOW, listings=listings,
                       prices=[price("cardtrader", "9.00")])
    by_source = {fig.source: fig for fig in result.figures}
    cardtrader = by_source["cardtrader"]
    assert (cardtrader.basis, cardtrader.median_eur, cardtrader.n) == (
        "listings", Decimal("14.00"), 5)
    assert (cardtrader.low_eur, cardtrader.high_eur) == (Decimal("12.00"), Decimal("16.00"))
    ebay = by_source["ebay"]
    assert (ebay.basis, ebay.median_eur, ebay.n) == ("sold", Decimal("12.00"), 2)
    assert result.summary.low_eur == Decimal("11.50")  # eBay's P25 of 11 and 13
    assert result.summary.high_eur == Decimal("16.00")


def test_weights_follow_observations_reliability_and_recency() -> None:
    fresh_many = correlate(segment=NM_EN, now=NOW, listings=[], prices=[
        price("cardmarket", "100", n=63), price("tcgplayer", "200", currency="EUR", n=1)])
    # log2(64) = 6 against log2(2) = 1: (6*100 + 1*200) / 7
    assert fresh_many.summary.market_price_eur == Decimal("114.29")
    stale = correlate(segment=NM_EN, now=NOW, listings=[], prices=[
        price("cardmarket", "100", n=1, age_days=14), price("tcgplayer", "200", n=1)])
    # two half-lives: weight 0.25 against 1
    assert stale.summary.market_price_eur == Decimal("180.00")
    weights = {fig.source: fig.weight for fig in stale.figures}
    assert weights == {"cardmarket": 0.2, "tcgplayer": 0.8}
    reliable = correlate(segment=NM_EN, now=NOW, listings=[], prices=[
        price("cardmarket", "100", n=1), price("scryfall", "200", n=1)])
    assert reliable.summary.market_price_eur == Decimal("133.33")  # weights 1 and 0.5


def test_a_source_far_from_the_others_is_left_out_with_three_or_more() -> None:
    result = correlate(segment=NM_EN, now=NOW, listings=[], prices=[
        price("cardmarket", "100"), price("tcgplayer", "104"), price("ebay", "300")])
    by_source = {fig.source: fig for fig in result.figures}
    assert by_source["ebay"].included is False and by_source["ebay"].weight == 0
    assert result.summary.sources == ("cardmarket", "tcgplayer")
    assert result.summary.market_price_eur == Decimal("102.00")
    assert result.summary.high_eur == Decimal("104.00")
    assert any("eBay is 188% above the median of the sources" in n for n in result.notes)
    # Two sources can't out-vote each other: both count, and the gap is noted.
    pair = correlate(segment=NM_EN, now=NOW, listings=[], prices=[
        price("cardmarket", "100"), price("tcgplayer", "300")])
    assert pair.summary.market_price_eur == Decimal("200.00")
    assert "TCGplayer is 50% above the correlated price." in pair.notes
    assert "Cardmarket is 50% below the correlated price." in pair.notes


def test_confidence_edges() -> None:
    full = confidence_score(included=3, observations=99, figures=[Decimal(10)] * 3,
                            newest_age_days=0)
    assert full == 1.0
    split = confidence_score(included=2, observations=99,
                             figures=[Decimal(10), Decimal(30)], newest_age_days=0)
    assert split == round(0.35 * 2 / 3 + 0.30 + 0.35 * 0, 2)  # CV 0.5: no agreement
    assert confidence_score(included=1, observations=0, figures=[Decimal(5)],
                            newest_age_days=0) == round(0.35 / 3 + 0.35 * 0.5, 2)
    stale = confidence_score(included=3, observations=99, figures=[Decimal(10)] * 3,
                             newest_age_days=37)
    assert stale == 0.5
    close = correlate(segment=NM_EN, now=NOW, listings=[], prices=[
        price("cardmarket", "710", n=28), price("cardtrader", "732.40", n=11)])
    assert 0.8 < close.summary.confidence < 0.9


# --- honesty: segments, grades, FX ------------------------------------------------------------


def test_graded_prices_are_never_blended() -> None:
    result = correlate(segment=NM_EN, now=NOW, listings=[listing("ebay", "900", grade="psa_10")],
                       prices=[price("pricecharting", "950", grade="psa_10"),
                               price("tcgplayer", "20")])
    assert result.summary.market_price_eur == Decimal("20.00")
    assert "1 graded price (psa_10) is kept apart and not blended in." in result.notes
    assert "1 graded listing is kept apart and not blended in." in result.notes
    only_graded = correlate(segment=NM_EN, now=NOW, listings=[],
                            prices=[price("pricecharting", "950", grade="psa_10")])
    assert only_graded.summary is None
    assert "graded prices are never blended" in only_graded.reason


def test_another_segment_is_never_borrowed() -> None:
    prices = [price("tcgplayer", "5", variant="reverse_holofoil"),
              price("cardmarket", "3", condition="LP")]
    result = correlate(segment=NM_EN, prices=prices, listings=[], now=NOW)
    assert result.summary is None and result.figures == []
    assert "nonfoil unlimited NM en" in result.reason
    assert [s.as_dict() for s in result.available_segments] == [
        {"foil_status": "nonfoil", "condition": "LP", "language": "en",
         "printing": "unlimited"},
        {"foil_status": "foil", "condition": "NM", "language": "en", "printing": "unlimited"}]
    foil = correlate(segment=Segment(foil_status="foil"), prices=prices, listings=[], now=NOW)
    assert foil.summary.market_price_eur == Decimal("5.00")
    nothing = correlate(segment=NM_EN, prices=[], listings=[], now=NOW)
    assert nothing.reason == "This card has no prices or listings yet."


def test_rows_without_an_fx_rate_are_left_out_and_noted() -> None:
    result = correlate(segment=NM_EN, now=NOW, prices=[
        price("tcgplayer", "10", currency="GBP", eur=None),
        price("ebay", "11", currency="GBP", eur=None),
        price("cardmarket", "9")], listings=[listing("cardtrader", "8", currency="GBP",
                                                     eur=None)])
    assert result.summary.sources == ("cardmarket",)
    assert "No FX rate for GBP; 3 prices left out." in result.notes
    none_left = correlate(segment=NM_EN, now=NOW, listings=[], prices=[
        price("tcgplayer", "10", currency="USD", eur=None)])
    assert none_left.summary is None
    assert "no FX rate" in none_left.reason and "USD" in none_left.reason


def test_language_aliases_match_what_sources_store() -> None:
    prices = [price("cardtrader", "30", language="ja"), price("cardmarket", "32", language="jp")]
    result = correlate(segment=Segment(language="jp"), prices=prices, listings=[], now=NOW)
    assert result.summary.n_sources == 2
    assert correlate(segment=NM_EN, prices=prices, listings=[], now=NOW).summary is None
    assert {s.language for s in result.available_segments} == {"jp"}
    chinese = [price("cardtrader", "20", language="zh-CN"), price("scryfall", "22",
                                                                  language="zhs")]
    assert correlate(segment=Segment(language="zh"), prices=chinese, listings=[],
                     now=NOW).summary.n_sources == 2


@pytest.mark.django_db
def test_history_matches_stored_language_spellings() -> None:
    card = CardFactory()
    prices_ingest(source="cardtrader", quotes=[Quote(
        ref=("card_id", card.pk), currency="EUR", market=Decimal("20"), language="zh-CN",
        recorded_at=NOW)])
    history = card_correlation_history(card_id=card.pk, card_variants=[], days=7,
                                       segment=Segment(language="zh"), today=NOW.date())
    assert [p.summary.market_price_eur for p in history.points] == [Decimal("20.00")]


def test_stale_figures_are_noted() -> None:
    result = correlate(segment=NM_EN, now=NOW, listings=[],
                       prices=[price("cardmarket", "10", age_days=45)])
    assert "Cardmarket's figure is 45 days old." in result.notes
    assert result.summary.confidence < 0.3


# --- selectors on the price book --------------------------------------------------------------


@pytest.fixture
def rates(db) -> None:  # noqa: ANN001
    FxRate.objects.create(date=date(2026, 5, 1), currency="USD", rate=Decimal("1.25"))
    FxRate.objects.create(date=date(2026, 5, 4), currency="USD", rate=Decimal("1.10"))


@pytest.mark.django_db
def test_card_correlation_reads_the_price_book_and_listings(rates, django_assert_max_num_queries  # noqa: ANN001
                                                            ) -> None:
    card = CardFactory(variants=["holofoil", "1st_edition_holofoil"])
    prices_ingest(source="tcgplayer", quotes=[
        Quote(ref=("card_id", card.pk), currency="USD", market=Decimal("110.00"),
              variant="holofoil", observations=8, recorded_at=NOW),
        Quote(ref=("card_id", card.pk), currency="USD", market=Decimal("500.00"),
              variant="1st_edition_holofoil", observations=3, recorded_at=NOW)])
    prices_ingest(source="cardmarket", quotes=[
        Quote(ref=("card_id", card.pk), currency="EUR", market=Decimal("98.00"),
              variant="holofoil", observations=8, recorded_at=NOW)])
    source_listings_replace(source="cardtrader", covered_refs=set(), listings=[
        Listing(ref=("card_id", card.pk), external_id=f"ct-{i}", price=Decimal(p),
                currency="EUR", observed_at=NOW)
        for i, p in enumerate(("95", "101", "99"))])

    with django_assert_max_num_queries(4):
        result = card_correlation(card_id=card.pk, card_variants=card.variants,
                                  segment=NM_EN, now=NOW)

    by_source = {fig.source: fig for fig in result.figures}
    assert by_source["tcgplayer"].median_eur == Decimal("100.00")  # 110 USD at 1.10
    assert (by_source["tcgplayer"].price, by_source["tcgplayer"].currency) == (
        Decimal("110.00"), "USD")
    assert by_source["cardtrader"].basis == "listings"
    assert by_source["cardtrader"].median_eur == Decimal("99.00")
    assert result.summary.n_sources == 3
    assert Decimal("98") <= result.summary.market_price_eur <= Decimal("100")
    first = card_correlation(card_id=card.pk, card_variants=card.variants, now=NOW,
                             segment=Segment(printing="1st_edition"))
    assert first.summary.market_price_eur == Decimal("454.55")


@pytest.mark.django_db
def test_history_is_correlated_per_day_at_that_days_rate(rates,  # noqa: ANN001
                                                         django_assert_max_num_queries) -> None:
    card = CardFactory()
    day = [NOW - timedelta(days=offset) for offset in (3, 2, 0)]
    for at, usd, eur in ((day[0], "125.00", "100.00"), (day[1], "110.00", None),
                         (day[2], "132.00", "120.00")):
        prices_ingest(source="tcgplayer", quotes=[Quote(
            ref=("card_id", card.pk), currency="USD", market=Decimal(usd), observations=1,
            recorded_at=at)])
        if eur:
            prices_ingest(source="cardmarket", quotes=[Quote(
                ref=("card_id", card.pk), currency="EUR", market=Decimal(eur), observations=1,
                recorded_at=at)])
    prices_ingest(source="pricecharting", quotes=[Quote(
        ref=("card_id", card.pk), currency="USD", market=Decimal("5000"), grade="psa_10",
        recorded_at=day[2])])

    with django_assert_max_num_queries(4):
        history = card_correlation_history(card_id=card.pk, card_variants=[], segment=NM_EN,
                                           days=7, today=NOW.date())

    points = {point.date: point.summary for point in history.points}
    assert sorted(points) == [d.date() for d in day]
    # 3 May: 125 USD at the 1 May rate (1.25) = 100 EUR, Cardmarket 100 EUR.
    assert points[day[0].date()].market_price_eur == Decimal("100.00")
    # 4 May: 110 USD at 1.10 = 100; Cardmarket carries its 3 May figure (weight halves
    # per week: 0.5 ** (1/7)).
    assert points[day[1].date()].n_sources == 2
    assert points[day[1].date()].market_price_eur == Decimal("100.00")
    assert points[day[2].date()].market_price_eur == Decimal("120.00")
    assert history.reason is None

    empty = card_correlation_history(card_id=card.pk, card_variants=[], days=7,
                                     segment=Segment(condition="LP"), today=NOW.date())
    assert empty.points == [] and "LP" in empty.reason


@pytest.mark.django_db
def test_history_notes_days_without_a_rate() -> None:
    card = CardFactory()
    prices_ingest(source="tcgplayer", quotes=[Quote(
        ref=("card_id", card.pk), currency="GBP", market=Decimal("10"), recorded_at=NOW)])
    history = card_correlation_history(card_id=card.pk, card_variants=[], segment=NM_EN,
                                       days=7, today=NOW.date())
    assert history.points == []
    assert history.notes == ["No FX rate for GBP; 1 daily price left out."]
