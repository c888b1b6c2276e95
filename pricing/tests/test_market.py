"""Market intelligence computations (pricing.market) and their cache layer."""

from __future__ import annotations

import math
import statistics
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from catalogue.tests.factories import CardFactory, CardSetFactory, SealedProductFactory, tcg
from marketplace.services import seller_profile_create
from pricing import market
from pricing.ingest import Quote, prices_ingest
from pricing.models import FxRate, Price
from pricing.tests.market_data import Series, days_before, write_series

pytestmark = pytest.mark.django_db


@pytest.fixture
def end():
    """The newest day of the test book: two days ago, so its noon prices are never within
    the last 24 hours (and never in the future, which ingest refuses)."""
    return timezone.now().date() - timedelta(days=2)


def card_in(slug: str, **kwargs):  # noqa: ANN003, ANN201
    return CardFactory(card_set=CardSetFactory(tcg=tcg(slug)), **kwargs)


def names(items: list[dict]) -> list[str]:
    return [item["name"] for item in items]


def movers(tcg_slug: str = "all", period: str = "7d", limit: int = 50) -> dict:
    return market.market_movers(tcg=tcg_slug, period=period, limit=limit)


# --- Movers -----------------------------------------------------------------------------------

def test_change_is_latest_price_against_latest_on_or_before_period_start(end) -> None:
    card = card_in("pokemon", name="Charizard")
    # 10 days back 8.00, 7 days back 10.00 (the base), then 11.00 and 15.00 at the end.
    write_series(Series(card, [(end - timedelta(days=10), "8.00", 2),
                               (end - timedelta(days=7), "10.00", 3),
                               (end - timedelta(days=5), "11.00", 4),
                               (end, "15.00", 5)]))

    item = movers()["gainers"][0]

    assert item == {
        "card_id": card.pk, "name": "Charizard", "set_name": card.card_set.name,
        "tcg_slug": "pokemon", "current_price": 15.0, "change_pct": 50.0, "change_abs": 5.0,
        "previous_price": 10.0, "currency": "USD", "source": "tcgplayer", "volatility": None,
        "as_of": end.isoformat(), "since": (end - timedelta(days=7)).isoformat(),
        "data_points": 3, "observations": 12,
    }


def test_a_gap_longer_than_the_period_is_not_a_move_of_that_period(end) -> None:
    card = card_in("pokemon", name="Gappy")
    write_series(Series(card, [(end - timedelta(days=40), "10.00", 1), (end, "20.00", 1)]))

    assert movers(period="7d")["cards_with_data"] == 0  # 40 days is not a week's move
    thirty = movers(period="30d")
    assert names(thirty["gainers"]) == ["Gappy"]
    assert thirty["gainers"][0]["since"] == (end - timedelta(days=40)).isoformat()
    assert movers(period="90d")["cards_with_data"] == 0  # no price 90 days back


def test_series_that_stopped_before_the_period_are_left_out(end) -> None:
    fresh, stopped = card_in("pokemon", name="Fresh"), card_in("pokemon", name="Stopped")
    write_series(Series(fresh, [(end - timedelta(days=35), "10", 1),
                                (end - timedelta(days=7), "10", 1), (end, "12", 1)]),
                 Series(stopped, [(end - timedelta(days=50), "10", 1),
                                  (end - timedelta(days=17), "20", 1),
                                  (end - timedelta(days=10), "30", 1)]))

    # Stopped has a week's move, but ten days before the newest prices: not moving now.
    assert names(movers(period="7d")["gainers"]) == ["Fresh"]
    assert names(movers(period="30d")["gainers"]) == ["Stopped", "Fresh"]


def test_movers_read_only_the_reference_series_never_graded(end) -> None:
    card = card_in("pokemon", name="Blastoise")
    write_series(Series(card, days_before(end, ["50", "50"], step=7)),
                 Series(card, days_before(end, ["400", "900"], step=7), grade="psa_10",
                        primary=False),
                 Series(card, days_before(end, ["20", "60"], step=7), source="ebay",
                        primary=False))

    result = movers()

    assert result["gainers"] == [] and result["losers"] == []
    assert (result["cards_with_data"], result["cards_flat"]) == (1, 1)
    assert result["average_change_pct"] == 0.0


def test_gainers_losers_ranked_overall_and_per_tcg_with_counts(end) -> None:
    for name, slug, first, last in [("P up 100", "pokemon", "10", "20"),
                                    ("P up 10", "pokemon", "10", "11"),
                                    ("M up 50", "mtg", "10", "15"),
                                    ("M down 40", "mtg", "10", "6"),
                                    ("Y down 10", "yugioh", "10", "9"),
                                    ("Y flat", "yugioh", "10", "10")]:
        write_series(Series(card_in(slug, name=name), days_before(end, [first, last], step=7)))

    everything = movers()
    assert names(everything["gainers"]) == ["P up 100", "M up 50", "P up 10"]
    assert names(everything["losers"]) == ["M down 40", "Y down 10"]
    assert everything["losers"][0]["change_pct"] == -40.0
    assert (everything["cards_with_data"], everything["cards_up"], everything["cards_down"],
            everything["cards_flat"]) == (6, 3, 2, 1)
    assert everything["average_change_pct"] == round((100 + 10 + 50 - 40 - 10) / 6, 2)

    mtg = movers("mtg")
    assert names(mtg["gainers"]) == ["M up 50"] and names(mtg["losers"]) == ["M down 40"]
    assert (mtg["tcg"], mtg["cards_with_data"], mtg["average_change_pct"]) == ("mtg", 2, 5.0)
    assert movers("lorcana")["cards_with_data"] == 0
    assert movers("lorcana")["reason"]
    assert names(movers(limit=1)["gainers"]) == ["P up 100"]


def test_each_tcg_keeps_its_own_top_list_beyond_the_overall_top(end) -> None:
    cards = [card_in("pokemon", name=f"P{i:02}") for i in range(market.MAX_MOVERS + 1)]
    write_series(*[Series(card, days_before(end, ["10", str(20 + i)], step=7))
                   for i, card in enumerate(cards)],
                 Series(card_in("mtg", name="Small mtg gain"),
                        days_before(end, ["10", "10.50"], step=7)))

    everything = movers()
    assert len(everything["gainers"]) == market.MAX_MOVERS
    assert "Small mtg gain" not in names(everything["gainers"])
    assert names(movers("mtg")["gainers"]) == ["Small mtg gain"]
    assert everything["cards_up"] == market.MAX_MOVERS + 2


def test_most_volatile_is_std_of_daily_log_returns_with_enough_points(end) -> None:
    calm, wild = card_in("pokemon", name="Calm"), card_in("pokemon", name="Wild")
    few = card_in("pokemon", name="Few points")
    wild_points = [(end - timedelta(days=7), "10"), (end - timedelta(days=5), "14"),
                   (end - timedelta(days=4), "9"), (end - timedelta(days=1), "16"),
                   (end, "12")]
    write_series(Series(calm, days_before(end, ["10", "10.1", "10.2", "10.1", "10.3", "10.2",
                                                  "10.3", "10.4"])),
                 Series(wild, [(day, price, 1) for day, price in wild_points]),
                 Series(few, days_before(end, ["10", "11", "30"], step=4)))

    result = movers()

    assert names(result["most_volatile"]) == ["Wild", "Calm"]
    returns = [math.log(float(b) / float(a)) / math.sqrt((d2 - d1).days)
               for (d1, a), (d2, b) in zip(wild_points, wild_points[1:], strict=False)]
    assert result["most_volatile"][0]["volatility"] == round(statistics.stdev(returns), 4)
    assert result["cards_with_volatility"] == 2
    few_item = next(i for i in result["gainers"] if i["name"] == "Few points")
    assert few_item["volatility"] is None and few_item["data_points"] == 3


def test_a_card_with_a_single_price_has_no_move(end) -> None:
    write_series(Series(card_in("pokemon"), [(end, "5", 1)]))

    result = movers()

    assert result["cards_with_data"] == 0 and result["gainers"] == []
    assert result["average_change_pct"] is None


def test_empty_book_answers_empty_lists_with_reasons() -> None:
    result = movers()

    assert (result["gainers"], result["losers"], result["most_volatile"]) == ([], [], [])
    assert result["reason"] and result["as_of"] is None
    overview = market.market_overview()
    assert overview["average_change_pct"] is None and overview["biggest_gainer"] is None
    assert overview["reason"]
    assert market.market_best_deals()["items"] == []
    assert market.market_trending()["items"] == []
    assert market.market_stats()["last_update"] is None


def test_series_in_euro_moves_in_its_own_currency(end) -> None:
    card = card_in("mtg", name="Black Lotus")
    write_series(Series(card, days_before(end, ["1000", "900"], step=7), source="cardmarket",
                        currency="EUR"))

    item = movers("mtg")["losers"][0]

    assert (item["currency"], item["current_price"], item["change_pct"]) == ("EUR", 900.0, -10.0)


def test_legacy_movers_are_thirty_day_gainers_or_losers(end) -> None:
    up, down = card_in("pokemon", name="Up"), card_in("pokemon", name="Down")
    write_series(Series(up, days_before(end, ["10", "10", "30"], step=15)),
                 Series(down, days_before(end, ["10", "8"], step=30)))

    assert names(market.market_movers_legacy(direction="up")) == ["Up"]
    assert names(market.market_movers_legacy(direction="down")) == ["Down"]
    assert market.market_movers_legacy(direction="up")[0]["change_pct"] == 200.0


# --- Best deals -------------------------------------------------------------------------------

@pytest.fixture
def eur_usd(end) -> None:
    """ECB: 1 EUR = 1.10 USD."""
    FxRate.objects.create(date=end, currency="USD", rate=Decimal("1.10"))


def test_best_deals_compare_raw_nm_prices_in_usd(end, eur_usd) -> None:
    card = card_in("pokemon", name="Pikachu")
    write_series(
        Series(card, [(end, "10.00", 4)]),
        Series(card, [(end, "12.00", 6)], source="cardmarket", currency="EUR", primary=False),
        Series(card, [(end, "300.00", 1)], source="ebay", grade="psa_10", primary=False),
        Series(card, [(end, "2.00", 1)], source="cardtrader", condition="HP", primary=False),
        Series(card, [(end, "1.00", 1)], source="cardtrader", variant="reverse_holofoil",
               primary=False))

    deals = market.market_best_deals()

    assert deals["items"] == [{
        "card_id": card.pk, "name": "Pikachu", "set_name": card.card_set.name,
        "tcg_slug": "pokemon", "variant": "normal", "language": "en",
        "cheapest_source": "tcgplayer", "cheapest_price": 10.0,
        "cheapest_price_original": 10.0, "cheapest_currency": "USD",
        "most_expensive_source": "cardmarket", "most_expensive_price": 13.2,
        "most_expensive_price_original": 12.0, "most_expensive_currency": "EUR",
        "spread_pct": 32.0, "spread_abs": 3.2, "currency": "USD", "sources": 2,
        "observations": 10,
    }]
    assert (deals["total"], deals["cards_compared"]) == (1, 1)
    assert deals["fx_rates"]["EUR"] == {"usd_rate": 1.1, "date": end.isoformat()}
    assert deals["currencies_without_rate"] == []


def test_best_deals_leave_out_currencies_without_a_rate(end) -> None:
    card = card_in("pokemon")
    write_series(Series(card, [(end, "10.00", 1)]),
                 Series(card, [(end, "50.00", 1)], source="cardmarket", currency="EUR",
                        primary=False))

    deals = market.market_best_deals()

    assert deals["items"] == [] and deals["cards_compared"] == 0
    assert deals["currencies_without_rate"] == ["EUR"] and deals["reason"]


def test_best_deals_threshold_order_and_one_figure_per_source(end, eur_usd) -> None:
    wide, narrow = card_in("pokemon", name="Wide"), card_in("mtg", name="Narrow")
    yugi = card_in("yugioh", name="Two figures one source")
    write_series(Series(wide, [(end, "10", 1)]),
                 Series(wide, [(end, "25", 1)], source="ebay", primary=False),
                 Series(narrow, [(end, "10", 1)], source="scryfall"),
                 Series(narrow, [(end, "11", 1)], source="tcgplayer", primary=False),
                 # YGOPRODeck carries a USD and a EUR figure: one source, at its cheapest.
                 Series(yugi, [(end, "10", 1)], source="ygoprodeck"),
                 Series(yugi, [(end, "30", 1)], source="ygoprodeck", currency="EUR",
                        primary=False))

    assert names(market.market_best_deals()["items"]) == ["Wide"]
    assert names(market.market_best_deals(min_spread=5)["items"]) == ["Wide", "Narrow"]
    assert market.market_best_deals(min_spread=5)["cards_compared"] == 2
    assert names(market.market_best_deals(tcg="mtg", min_spread=5)["items"]) == ["Narrow"]
    assert market.market_best_deals(tcg="mtg")["items"] == []


# --- Trending ---------------------------------------------------------------------------------

def test_trending_ranks_growth_of_source_activity(end) -> None:
    hot, hotter = card_in("pokemon", name="Hot"), card_in("mtg", name="Hotter")
    cooling, tiny = card_in("pokemon", name="Cooling"), card_in("pokemon", name="Tiny")
    new_source = card_in("pokemon", name="New coverage")
    two_weeks = days_before(end, ["10"] * 14, observations=[5] * 7 + [10] * 7)
    write_series(
        Series(hot, two_weeks),
        Series(hotter, days_before(end, ["10"] * 14, observations=[6] * 7 + [18] * 7)),
        Series(cooling, days_before(end, ["10"] * 14, observations=[10] * 7 + [5] * 7)),
        Series(tiny, days_before(end, ["10"] * 14, observations=[1] * 7 + [4] * 7)),
        # Only the recent week: coverage that is new to us, not growing activity.
        Series(new_source, days_before(end, ["10"] * 7, observations=50)))

    result = market.market_trending()

    assert names(result["items"]) == ["Hotter", "Hot"]
    assert result["items"][1] | {"best_price": None, "price_change_7d": None} == {
        "card_id": hot.pk, "name": "Hot", "set_name": hot.card_set.name,
        "tcg_slug": "pokemon", "activity_recent": 10.0, "activity_previous": 5.0,
        "activity_growth_pct": 100.0, "sources": 1, "series": 1, "best_price": None,
        "best_price_currency": "USD", "price_change_7d": None}
    assert (result["total"], result["cards_measured"]) == (2, 4)
    assert result["as_of"] == end.isoformat()
    assert names(market.market_trending(tcg="mtg")["items"]) == ["Hotter"]
    assert names(market.market_trending(limit=1)["items"]) == ["Hotter"]


# --- Totals -----------------------------------------------------------------------------------

def test_stats_are_the_contract_fields_from_the_registry_and_the_book(end, make_user) -> None:
    seller = make_user()
    seller_profile_create(user=seller, display_name="Shop")
    make_user()
    card = card_in("mtg")
    card_in("pokemon")
    write_series(Series(card, [(end, "3", 1)]))
    product = SealedProductFactory(tcg=tcg("lorcana"))
    prices_ingest(source="tcgplayer", quotes=[Quote(ref=("sealed_id", product.pk),
                                                    currency="USD", market=Decimal("99"))])

    stats = market.market_stats()

    newest = Price.objects.order_by("-recorded_at").first().recorded_at
    assert stats == {"total_cards": 2, "total_prices": 2, "total_users": 2,
                     "total_sellers": 1, "tcgs_covered": 2,
                     "last_update": newest.isoformat().replace("+00:00", "Z")}


def test_radar_stats_strip(end, eur_usd) -> None:
    up, down = card_in("pokemon", name="Up"), card_in("mtg", name="Down")
    card_in("yugioh")
    write_series(Series(up, days_before(end, ["10", "20"], step=7)),
                 Series(down, days_before(end, ["10", "5"], step=7), source="scryfall"),
                 Series(down, [(end, "9", 1)], source="cardmarket", currency="EUR",
                        primary=False))
    prices_ingest(source="ebay", quotes=[Quote(ref=("card_id", up.pk), currency="USD",
                                               market=Decimal("30"))])

    radar = market.market_radar_stats()

    assert {k: v for k, v in radar.items() if k not in ("generated_at", "last_update")} == {
        "tracked_cards": 3, "priced_cards": 2, "priced_sealed_products": 0,
        "total_prices": 4, "prices_updated_24h": 1, "active_sources": 4,
        "sources": ["tcgplayer", "cardmarket", "scryfall", "ebay"], "active_source_days": 7,
        "average_change_7d_pct": 25.0, "cards_with_7d_data": 2, "gainers_7d": 1,
        "losers_7d": 1, "unchanged_7d": 0, "best_deals": 2, "best_deals_min_spread_pct": 20.0,
        "cards_compared": 2, "tcgs_covered": 2, "stale": False}


def test_active_sellers_is_empty_with_a_reason_until_the_marketplace_has_listings(
        make_user) -> None:  # noqa: ANN001
    seller = make_user(username="recent", last_login=timezone.now())
    seller_profile_create(user=seller, display_name="Recent Cards", country="nl")

    # a sign-in is not marketplace activity
    assert market.market_active_sellers() == {
        "items": [], "total": 0, "days": 30, "limit": 20, "activity": "listings_and_sales",
        "reason": "The marketplace has no listings or sales yet."}


# --- Cache layer ------------------------------------------------------------------------------

def test_warm_up_stores_every_variant_the_endpoints_serve(end) -> None:
    write_series(Series(card_in("pokemon"), days_before(end, ["1", "2"], step=7)))
    slugs = ["all", *tcg("pokemon").__class__.objects.values_list("slug", flat=True)]

    stored = market.market_caches_warm_all()

    keys = [market.key_movers(slug, period) for slug in slugs for period in market.PERIODS]
    keys += [market.key_deals(slug, market.DEFAULT_MIN_SPREAD) for slug in slugs]
    keys += [market.key_trending(slug) for slug in slugs]
    keys += [market.KEY_STATS, market.KEY_OVERVIEW, market.KEY_RADAR]
    assert stored == len(keys) == len(cache.get_many(keys))


def test_warm_reads_run_no_sql(end, django_assert_num_queries) -> None:
    write_series(Series(card_in("pokemon"), days_before(end, ["1", "2"], step=7)))
    market.market_caches_warm_all()

    with django_assert_num_queries(0):
        for slug in ("all", "pokemon", "mtg"):
            for period in market.PERIODS:
                market.market_movers(tcg=slug, period=period)
        market.market_movers_legacy(direction="down", tcg="pokemon")
        market.market_best_deals(tcg="mtg")
        market.market_trending(tcg="pokemon")
        market.market_stats()
        market.market_overview()
        market.market_radar_stats()


def test_a_cold_cache_computes_once_and_stores(end, django_assert_max_num_queries) -> None:
    write_series(Series(card_in("pokemon", name="Cold"), days_before(end, ["1", "2"], step=7)))

    with django_assert_max_num_queries(6):
        assert names(market.market_movers(tcg="pokemon")["gainers"]) == ["Cold"]
    # The cold request stored its period for every TCG.
    assert cache.get(market.key_movers("mtg", "7d"))["cards_with_data"] == 0


def test_unknown_tcg_raises_404_and_stores_nothing() -> None:
    from django.http import Http404

    with pytest.raises(Http404, match="TCG not found"):
        market.market_movers(tcg="nosuchgame")
    assert cache.get(market.key_movers("all", "7d")) is None


def test_new_prices_mark_stale_and_one_warm_up_follows_a_burst(
        end, django_capture_on_commit_callbacks) -> None:
    card = card_in("pokemon", name="Moving")
    write_series(Series(card, days_before(end, ["10", "10"], step=7)))
    market.market_caches_warm_all()
    assert movers()["stale"] is False and movers()["cards_flat"] == 1

    write_series(Series(card, [(end + timedelta(days=1), "15", 1)]))
    with django_capture_on_commit_callbacks() as callbacks:
        for _burst in range(3):
            market.market_caches_refresh()

    assert len(callbacks) == 1  # one warm-up for the burst
    before = movers()
    assert before["stale"] is True and before["cards_flat"] == 1  # old figures meanwhile

    callbacks[0]()  # the commit happens: the (eager) warm-up runs

    after = movers()
    assert after["stale"] is False and names(after["gainers"]) == ["Moving"]
    with django_capture_on_commit_callbacks() as again:
        market.market_caches_refresh()
    assert len(again) == 1  # the warm-up freed the slot for the next burst


def test_ingest_refreshes_the_market_through_the_receivers(
        end, django_capture_on_commit_callbacks) -> None:
    card = card_in("pokemon", name="Live")
    market.market_caches_warm_all()
    assert movers()["cards_with_data"] == 0

    for days_ago, price in ((8, "4.00"), (1, "5.00")):
        with django_capture_on_commit_callbacks(execute=True):
            prices_ingest(source="tcgplayer", quotes=[Quote(
                ref=("card_id", card.pk), currency="USD", market=Decimal(price),
                recorded_at=timezone.now() - timedelta(days=days_ago))])

    result = movers()
    assert names(result["gainers"]) == ["Live"] and result["gainers"][0]["change_pct"] == 25.0
    assert result["stale"] is False
