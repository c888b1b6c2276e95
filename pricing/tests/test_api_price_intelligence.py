"""Price intelligence endpoints: /api/price-intelligence/card/{id} (+ /sources, /history),
/compare/{id}, /sources, /stats and /search — tiers, validation, shapes and query counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalogue.tests.factories import CardFactory
from pricing import intelligence as pi
from pricing.ingest import Quote, prices_ingest
from pricing.models import FxRate, ScrapeRun
from pricing.services import source_listings_replace
from pricing.sources.base import Listing

pytestmark = pytest.mark.django_db

BASE = "/api/price-intelligence"


@pytest.fixture
def now() -> datetime:
    return timezone.now().replace(microsecond=0) - timedelta(minutes=5)


@pytest.fixture
def starter(key_client) -> APIClient:  # noqa: ANN001
    return key_client("starter")


@pytest.fixture
def charizard(now: datetime):  # noqa: ANN201
    """A holo rare priced by TCGplayer (USD), Cardmarket (EUR) and CardTrader listings,
    plus a graded PriceCharting row that must never be blended in."""
    FxRate.objects.create(date=now.date() - timedelta(days=1), currency="USD",
                          rate=Decimal("1.25"))
    FxRate.objects.create(date=now.date() - timedelta(days=1), currency="GBP",
                          rate=Decimal("0.80"))
    card = CardFactory(name="Charizard", variants=["holofoil", "1st_edition_holofoil"])
    ref = ("card_id", card.pk)
    prices_ingest(source="tcgplayer", quotes=[
        Quote(ref=ref, currency="USD", market=Decimal("900.00"), low=Decimal("850"),
              high=Decimal("2140"), variant="holofoil", observations=12, recorded_at=now),
        Quote(ref=ref, currency="USD", market=Decimal("50.00"), variant="reverse_holofoil",
              observations=4, recorded_at=now)])
    prices_ingest(source="cardmarket", quotes=[
        Quote(ref=ref, currency="EUR", market=Decimal("710.00"), variant="holofoil",
              observations=28, recorded_at=now)])
    prices_ingest(source="pricecharting", quotes=[
        Quote(ref=ref, currency="USD", market=Decimal("9000.00"), variant="holofoil",
              grade="psa_10", observations=3, recorded_at=now)])
    source_listings_replace(source="cardtrader", covered_refs=set(), listings=[
        Listing(ref=ref, external_id=f"ct-{n}", price=Decimal(amount), currency="EUR",
                condition=condition, title="Charizard (Base Set)", seller=f"seller{n}",
                url="https://www.cardtrader.com/cards/1", observed_at=now)
        for n, (amount, condition) in enumerate((("700", "NM"), ("740", "NM"),
                                                 ("720", "NM"), ("500", "LP")))])
    source_listings_replace(source="ebay", covered_refs=set(), listings=[
        Listing(ref=ref, external_id="eb-1", price=Decimal("640.00"), currency="GBP",
                kind="sold", title="Charizard 4/102 holo", observed_at=now)])
    return card


# --- access -----------------------------------------------------------------------------------


STARTER_PATHS = ["/card/{id}", "/card/{id}/sources", "/card/{id}/history", "/compare/{id}",
                 "/search"]


@pytest.mark.parametrize("path", STARTER_PATHS)
def test_starter_endpoints_refuse_anonymous_and_free_keys(path: str, key_client,  # noqa: ANN001
                                                          api_client: APIClient) -> None:
    url = BASE + path.format(id=CardFactory().pk)
    assert api_client.get(url).status_code == 401
    assert api_client.get(url).json() == {"detail": "Not authenticated"}
    refused = key_client("free").get(url)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "This endpoint requires the Starter tier or higher; "
                                        "your API key is on the Free tier."}


@pytest.mark.parametrize("path", STARTER_PATHS)
def test_starter_keys_and_session_cookies_get_through(path: str, key_client,  # noqa: ANN001
                                                      session_client: APIClient) -> None:
    url = BASE + path.format(id=CardFactory().pk)
    assert key_client("starter").get(url).status_code == 200
    assert key_client("pro").get(url).status_code == 200
    assert session_client.get(url).status_code == 200


@pytest.mark.parametrize("path", ["/sources", "/stats", "/fx/rate"])
def test_free_endpoints_need_no_key(path: str, api_client: APIClient) -> None:
    FxRate.objects.create(date=date(2026, 5, 1), currency="USD", rate=Decimal("1.1"))
    assert api_client.get(BASE + path).status_code == 200


@pytest.mark.parametrize("path", ["/card/{id}", "/card/{id}/sources", "/card/{id}/history",
                                  "/compare/{id}"])
def test_unknown_card_is_a_json_404(path: str, starter: APIClient) -> None:
    response = starter.get(BASE + path.format(id=987654321))
    assert response.status_code == 404
    assert response.json() == {"detail": "Card not found"}
    assert starter.get(BASE + path.format(id="9" * 30)).status_code == 404


# --- /card/{id} -------------------------------------------------------------------------------


def test_card_correlated_price_shape_and_figures(starter: APIClient, charizard,  # noqa: ANN001
                                                 now: datetime,
                                                 django_assert_max_num_queries) -> None:  # noqa: ANN001
    url = f"{BASE}/card/{charizard.pk}"
    starter.get(url)  # warm the key's and FX caches; the pin is about the view's own reads
    with django_assert_max_num_queries(4):  # key, card, price rows, listings
        response = starter.get(url)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"card_id", "segment", "price_summary", "source_breakdown",
                         "correlation_notes", "reason", "available_segments"}
    assert body["card_id"] == charizard.pk
    assert body["segment"] == {"foil_status": "nonfoil", "condition": "NM", "language": "en",
                               "printing": "unlimited"}
    breakdown = {entry["source"]: entry for entry in body["source_breakdown"]}
    assert set(breakdown) == {"cardmarket", "cardtrader", "ebay", "tcgplayer"}
    assert breakdown["tcgplayer"] | {"recorded_at": None, "weight": None,
                                     "deviation_pct": None} == {
        "source": "tcgplayer", "median_eur": 720.0, "n_listings": 12, "basis": "price",
        "low_eur": 720.0, "high_eur": 720.0, "included": True, "recorded_at": None,
        "weight": None, "deviation_pct": None}
    assert breakdown["cardtrader"]["median_eur"] == 720.0  # the NM listings 700/720/740
    assert breakdown["cardtrader"]["n_listings"] == 3
    assert (breakdown["cardtrader"]["low_eur"], breakdown["cardtrader"]["high_eur"]) == (
        710.0, 730.0)
    assert (breakdown["ebay"]["basis"], breakdown["ebay"]["median_eur"]) == ("sold", 800.0)
    assert breakdown["cardmarket"]["n_listings"] == 28
    summary = body["price_summary"]
    assert set(summary) == {"market_price_eur", "low_eur", "high_eur", "confidence",
                            "n_observations", "n_sources", "sources"}
    assert 710 < summary["market_price_eur"] < 800
    assert (summary["low_eur"], summary["high_eur"]) == (710.0, 800.0)
    assert summary["n_sources"] == 4 and summary["n_observations"] == 12 + 28 + 3 + 1
    assert 0.8 <= summary["confidence"] <= 1
    assert sum(entry["weight"] for entry in body["source_breakdown"]) == pytest.approx(1, abs=1e-3)
    assert "1 graded price (psa_10) is kept apart and not blended in." in \
        body["correlation_notes"]
    assert body["reason"] is None
    assert {"foil_status": "foil", "condition": "NM", "language": "en",
            "printing": "unlimited"} in body["available_segments"]


def test_card_segment_without_data_is_null_with_a_reason(starter: APIClient,  # noqa: ANN001
                                                         charizard) -> None:  # noqa: ANN001
    body = starter.get(f"{BASE}/card/{charizard.pk}",
                       {"printing": "1st_edition", "condition": "mp"}).json()
    assert body["price_summary"] is None
    assert body["source_breakdown"] == []
    assert body["reason"] == ("No raw prices or listings for this card in nonfoil 1st_edition "
                              "MP en; see available_segments.")
    foil = starter.get(f"{BASE}/card/{charizard.pk}", {"foil_status": "FOIL"}).json()
    assert foil["price_summary"]["market_price_eur"] == 40.0  # 50 USD at 1.25
    assert foil["price_summary"]["sources"] == ["tcgplayer"]


def test_card_price_without_any_price_says_so(starter: APIClient) -> None:
    body = starter.get(f"{BASE}/card/{CardFactory().pk}").json()
    assert body["price_summary"] is None
    assert body["reason"] == "This card has no prices or listings yet."


@pytest.mark.parametrize(("params", "loc"), [
    ({"foil_status": "shiny"}, "foil_status"), ({"condition": "MINT"}, "condition"),
    ({"language": "xx"}, "language"), ({"printing": "2nd_edition"}, "printing"),
    ({"language": ""}, "language"),
])
def test_card_query_enums_are_422(starter: APIClient, params: dict, loc: str) -> None:
    response = starter.get(f"{BASE}/card/{CardFactory().pk}", params)
    assert response.status_code == 422
    assert response.json() == {"detail": [{"loc": ["query", loc],
                                           "msg": "value is not a valid enumeration member",
                                           "type": "type_error.enum"}]}


@pytest.mark.parametrize(("given", "segment_language"), [
    ("jp", "jp"), ("JA", "jp"), ("kr", "ko"), ("zh-CN", "zh"), ("de", "de")])
def test_card_language_codes_and_aliases(starter: APIClient, given: str,
                                         segment_language: str) -> None:
    body = starter.get(f"{BASE}/card/{CardFactory().pk}", {"language": given}).json()
    assert body["segment"]["language"] == segment_language


def test_card_in_japanese_uses_the_japanese_rows(starter: APIClient, now: datetime) -> None:
    card = CardFactory()
    prices_ingest(source="cardtrader", quotes=[
        Quote(ref=("card_id", card.pk), currency="EUR", market=Decimal("30"), language="jp",
              recorded_at=now),
        Quote(ref=("card_id", card.pk), currency="EUR", market=Decimal("10"), recorded_at=now)])
    body = starter.get(f"{BASE}/card/{card.pk}", {"language": "ja"}).json()
    assert body["price_summary"]["market_price_eur"] == 30.0


# --- /card/{id}/sources -----------------------------------------------------------------------


def test_card_sources_lists_listings_then_price_rows(starter: APIClient, charizard,  # noqa: ANN001
                                                     now: datetime,
                                                     django_assert_max_num_queries) -> None:  # noqa: ANN001
    url = f"{BASE}/card/{charizard.pk}/sources"
    starter.get(url)
    with django_assert_max_num_queries(7):
        body = starter.get(url).json()
    assert (body["total"], body["limit"], body["offset"]) == (5 + 4, 50, 0)
    kinds = [(item["source"], item["kind"]) for item in body["items"]]
    assert kinds == [("cardtrader", "listing")] * 4 + [("ebay", "sold")] + [
        ("cardmarket", "price"), ("pricecharting", "price"), ("tcgplayer", "price"),
        ("tcgplayer", "price")]
    first = body["items"][0]
    assert first | {"id": None, "observed_at": None} == {
        "kind": "listing", "id": None, "source": "cardtrader", "external_id": "ct-3",
        "title": "Charizard (Base Set)", "condition": "LP", "language": "en",
        "foil_status": "nonfoil", "printing": "unlimited", "variant": None, "grade": "raw",
        "price": 500.0, "currency": "EUR", "price_eur": 500.0, "quantity": 1,
        "observations": None, "seller": "seller3", "url": "https://www.cardtrader.com/cards/1",
        "observed_at": None}
    assert body["items"][4]["price_eur"] == 800.0  # 640 GBP at 0.80
    tcg_rows = [item for item in body["items"] if item["source"] == "tcgplayer"]
    assert [(r["variant"], r["foil_status"], r["price"], r["price_eur"], r["observations"])
            for r in tcg_rows] == [("holofoil", "nonfoil", 900.0, 720.0, 12),
                                   ("reverse_holofoil", "foil", 50.0, 40.0, 4)]


def test_card_sources_filters_and_pages_across_both_kinds(starter: APIClient,  # noqa: ANN001
                                                          charizard) -> None:  # noqa: ANN001
    url = f"{BASE}/card/{charizard.pk}/sources"

    def get(**params) -> dict:
        response = starter.get(url, params)
        assert response.status_code == 200, response.json()
        return response.json()

    assert [i["source"] for i in get(source="tcgplayer")["items"]] == ["tcgplayer"] * 2
    assert get(source="cardtrader", condition="lp")["total"] == 1
    foil = get(foil_status="foil")["items"]
    assert [(i["source"], i["variant"]) for i in foil] == [("tcgplayer", "reverse_holofoil")]
    page = get(limit=3, offset=3)
    assert (page["total"], len(page["items"])) == (9, 3)
    assert [i["kind"] for i in page["items"]] == ["listing", "sold", "price"]
    tail = get(limit=2, offset=8)
    assert [i["source"] for i in tail["items"]] == ["tcgplayer"]
    assert get(offset=50)["items"] == []


@pytest.mark.parametrize(("params", "loc", "type_"), [
    ({"source": "amazon"}, "source", "type_error.enum"),
    ({"limit": 201}, "limit", "value_error.number.not_le"),
    ({"limit": 0}, "limit", "value_error.number.not_ge"),
    ({"offset": -1}, "offset", "value_error.number.not_ge"),
    ({"foil_status": "holo"}, "foil_status", "type_error.enum"),
])
def test_card_sources_bad_parameters_are_422(starter: APIClient, params: dict, loc: str,
                                             type_: str) -> None:
    response = starter.get(f"{BASE}/card/{CardFactory().pk}/sources", params)
    assert response.status_code == 422
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [(["query", loc],
                                                                           type_)]


# --- /card/{id}/history -----------------------------------------------------------------------


def test_card_history_points_per_day(starter: APIClient, now: datetime,
                                     django_assert_max_num_queries) -> None:  # noqa: ANN001
    FxRate.objects.create(date=now.date() - timedelta(days=40), currency="USD",
                          rate=Decimal("1.25"))
    card = CardFactory()
    for days_ago, usd, eur in ((20, "100", "90"), (10, "125", "100"), (0, "150", "120")):
        at = now - timedelta(days=days_ago)
        prices_ingest(source="tcgplayer", quotes=[Quote(
            ref=("card_id", card.pk), currency="USD", market=Decimal(usd), recorded_at=at)])
        prices_ingest(source="cardmarket", quotes=[Quote(
            ref=("card_id", card.pk), currency="EUR", market=Decimal(eur), recorded_at=at)])
    url = f"{BASE}/card/{card.pk}/history"
    starter.get(url)
    # key, card, rows, USD's rate at the window's start (not cached yet: the first call
    # had another window), the window's FX rates, snapshots
    with django_assert_max_num_queries(6):
        body = starter.get(url, {"days": 30}).json()
    assert body["days"] == 30 and body["reason"] is None
    assert [p["date"] for p in body["points"]] == [
        (now - timedelta(days=d)).date().isoformat() for d in (20, 10, 0)]
    assert [p["market_price_eur"] for p in body["points"]] == [85.0, 100.0, 120.0]
    assert body["points"][0] | {"date": None} == {
        "date": None, "market_price_eur": 85.0, "low_eur": 80.0, "high_eur": 90.0,
        "confidence": body["points"][0]["confidence"], "n_observations": 0, "n_sources": 2,
        "sources": ["cardmarket", "tcgplayer"]}
    week = starter.get(url, {"days": 7}).json()
    assert [p["market_price_eur"] for p in week["points"]] == [120.0]
    assert starter.get(url).json()["days"] == 90


@pytest.mark.parametrize("days", ["8", "abc", "0"])
def test_card_history_days_outside_the_set_is_422(starter: APIClient, days: str) -> None:
    response = starter.get(f"{BASE}/card/{CardFactory().pk}/history", {"days": days})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "days"]


# --- /compare/{id} ----------------------------------------------------------------------------


def test_compare_sets_sources_side_by_side(starter: APIClient, charizard,  # noqa: ANN001
                                           django_assert_max_num_queries) -> None:  # noqa: ANN001
    url = f"{BASE}/compare/{charizard.pk}"
    starter.get(url)
    with django_assert_max_num_queries(4):
        body = starter.get(url).json()
    assert set(body) == {"card_id", "segment", "correlated_price_eur", "confidence", "sources",
                         "correlation_notes", "reason"}
    rows = {row["source"]: row for row in body["sources"]}
    tcgplayer = rows["tcgplayer"]
    assert {k: tcgplayer[k] for k in ("name", "basis", "price", "currency", "price_eur",
                                      "observations", "in_correlated_price", "variants")} == {
        "name": "TCGplayer", "basis": "price", "price": 900.0, "currency": "USD",
        "price_eur": 720.0, "observations": 12, "in_correlated_price": True,
        "variants": ["holofoil"]}
    assert (rows["ebay"]["price"], rows["ebay"]["currency"]) == (640.0, "GBP")
    correlated = body["correlated_price_eur"]
    assert rows["ebay"]["deviation_pct"] == pytest.approx((800 - correlated) / correlated * 100,
                                                          abs=0.1)
    empty = starter.get(url, {"condition": "DMG"}).json()
    assert (empty["correlated_price_eur"], empty["confidence"], empty["sources"]) == (
        None, None, [])
    assert empty["reason"]


# --- /search ----------------------------------------------------------------------------------


def test_search_query_count_and_eur_bound(starter: APIClient,  # noqa: ANN001
                                                            charizard, now: datetime,  # noqa: ANN001
                                                            django_assert_max_num_queries) -> None:  # noqa: ANN001
    other = CardFactory(name="Blastoise")
    source_listings_replace(source="cardtrader", covered_refs={("card_id", other.pk)},
                            listings=[Listing(ref=("card_id", other.pk), external_id="bl-1",
                                              price=Decimal("90"), currency="USD",
                                              observed_at=now)])
    starter.get(f"{BASE}/search")
    with django_assert_max_num_queries(3):  # key, FX rates, page (short: no count)
        body = starter.get(f"{BASE}/search", {"max_price": "750", "sort": "price"}).json()
    # Charizard's 4 CardTrader listings + Blastoise's; eBay's 640 GBP is 800 EUR.
    assert body["total"] == 5
    assert [(item["card_name"], item["price_eur"]) for item in body["items"]][:2] == [
        ("Blastoise", 72.0), ("Charizard", 500.0)]
    with django_assert_max_num_queries(4):  # a full page needs the count
        full = starter.get(f"{BASE}/search", {"limit": 2, "offset": 1}).json()
    assert (full["total"], len(full["items"])) == (6, 2)
    beyond = starter.get(f"{BASE}/search", {"offset": 10}).json()
    assert (beyond["total"], beyond["items"]) == (6, [])


def test_search_finds_listings_by_card_name(starter: APIClient, now: datetime) -> None:
    zard, blastoise = CardFactory(name="Charizard"), CardFactory(name="Blastoise")
    listings = [Listing(ref=("card_id", zard.pk), external_id="z1", price=Decimal("700"),
                        currency="EUR", observed_at=now),
                Listing(ref=("card_id", zard.pk), external_id="z2", price=Decimal("500"),
                        currency="EUR", condition="LP", finish="foil", observed_at=now),
                Listing(ref=("card_id", blastoise.pk), external_id="b1", price=Decimal("90"),
                        currency="USD", observed_at=now),
                Listing(ref=("card_id", blastoise.pk), external_id="b2", price=Decimal("50"),
                        currency="GBP", observed_at=now)]
    source_listings_replace(source="cardtrader", covered_refs=set(), listings=listings)
    FxRate.objects.create(date=now.date(), currency="USD", rate=Decimal("1.5"))

    def get(**params) -> dict:
        response = starter.get(f"{BASE}/search", params)
        assert response.status_code == 200, response.json()
        return response.json()

    newest = get()
    assert newest["total"] == 4
    assert [i["external_id"] for i in newest["items"]] == ["b2", "b1", "z2", "z1"]
    # Cheapest in EUR first; GBP has no rate here: price_eur null, last.
    cheapest = get(sort="price")
    assert [(i["external_id"], i["price_eur"]) for i in cheapest["items"]] == [
        ("b1", 60.0), ("z2", 500.0), ("z1", 700.0), ("b2", None)]
    assert cheapest["items"][0]["card_id"] == blastoise.pk
    assert cheapest["items"][0]["card_name"] == "Blastoise"
    assert [i["external_id"] for i in get(q="IZAR", sort="price")["items"]] == ["z2", "z1"]
    assert [i["external_id"] for i in get(q="izar", condition="NM")["items"]] == ["z1"]
    assert [i["external_id"] for i in get(foil_status="foil")["items"]] == ["z2"]
    assert [i["external_id"] for i in get(min_price="55", max_price="600",
                                          sort="price")["items"]] == ["b1", "z2"]
    # Bounds are inclusive on the EUR figure shown: 90 USD is 60.00 EUR.
    assert [i["external_id"] for i in get(min_price="60", max_price="60")["items"]] == ["b1"]
    assert get(min_price="60.01", max_price="499.99")["items"] == []
    assert get(source="ebay")["total"] == 0
    assert get(q="nothing like it")["items"] == []


@pytest.mark.parametrize(("params", "loc"), [
    ({"source": "amazon"}, "source"), ({"min_price": "abc"}, "min_price"),
    ({"min_price": "-1"}, "min_price"), ({"max_price": "1", "min_price": "2"}, "max_price"),
    ({"limit": "500"}, "limit"), ({"q": "x" * 201}, "q"), ({"sort": "cheapest"}, "sort"),
])
def test_search_bad_parameters_are_422(starter: APIClient, params: dict, loc: str) -> None:
    response = starter.get(f"{BASE}/search", params)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["query", loc]]


# --- /sources and /stats (free) ---------------------------------------------------------------


def test_source_platforms_show_activity_and_coverage(api_client: APIClient, charizard,  # noqa: ANN001
                                                     now: datetime,
                                                     django_assert_max_num_queries) -> None:  # noqa: ANN001
    ScrapeRun.objects.create(source="cardmarket", status="ok", started_at=now,
                             finished_at=now)
    ScrapeRun.objects.create(source="tcgplayer", status="ok",
                             started_at=now - timedelta(days=30),
                             finished_at=now - timedelta(days=30))
    ScrapeRun.objects.create(source="tcgplayer", status="failed", started_at=now,
                             finished_at=now)
    with django_assert_max_num_queries(5):
        body = api_client.get(f"{BASE}/sources").json()
    assert body["active_days"] == 7
    items = {item["source"]: item for item in body["items"]}
    assert list(items) == ["tcgplayer", "cardmarket", "scryfall", "cardtrader",
                           "pricecharting", "ebay", "ygoprodeck"]
    assert items["cardmarket"] | {"last_success": None, "last_run_at": None} == {
        "source": "cardmarket", "name": "Cardmarket", "active": True, "last_success": None,
        "last_run_status": "ok", "last_run_at": None, "price_rows": 1, "cards_covered": 1,
        "raw_listings": 0}
    assert (items["tcgplayer"]["active"], items["tcgplayer"]["last_run_status"]) == (
        False, "failed")
    assert items["tcgplayer"]["last_success"] is not None
    assert (items["tcgplayer"]["price_rows"], items["cardtrader"]["raw_listings"]) == (2, 4)
    assert (items["scryfall"]["active"], items["scryfall"]["last_success"],
            items["scryfall"]["last_run_status"]) == (False, None, None)
    # The counts are cached: a second call reads only the scrape-run log.
    with django_assert_max_num_queries(2):
        api_client.get(f"{BASE}/sources")


def test_stats_totals(api_client: APIClient, charizard, now: datetime) -> None:  # noqa: ANN001
    CardFactory()  # unpriced
    graded_only = CardFactory()
    prices_ingest(source="pricecharting", quotes=[Quote(
        ref=("card_id", graded_only.pk), currency="USD", market=Decimal("50"), grade="psa_9",
        recorded_at=now)])
    ScrapeRun.objects.create(source="ebay", status="partial", started_at=now, finished_at=now)
    body = api_client.get(f"{BASE}/stats").json()
    assert body | {"counts_as_of": None} == {
        "price_rows": 5, "raw_listings": 5, "cards_with_raw_figures": 1,
        "sources_tracked": 7, "sources_active": 1,
        "fx_date": (now.date() - timedelta(days=1)).isoformat(), "fx_currencies": 2,
        "counts_as_of": None}


def test_coverage_refresh_recounts(charizard) -> None:  # noqa: ANN001
    assert pi.coverage()["per_source"]["cardmarket"]["price_rows"] == 1
    prices_ingest(source="cardmarket", quotes=[Quote(
        ref=("card_id", CardFactory().pk), currency="EUR", market=Decimal("1"),
        recorded_at=datetime.now(UTC))])
    assert pi.coverage()["per_source"]["cardmarket"]["price_rows"] == 1  # cached
    assert pi.coverage_refresh()["per_source"]["cardmarket"]["price_rows"] == 2
    assert pi.coverage()["per_source"]["cardmarket"]["price_rows"] == 2


def test_openapi_schema_lists_every_endpoint(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = [path for path in schema["paths"] if path.startswith(BASE)]
    for suffix in ("/card/{card_id}", "/card/{card_id}/sources", "/card/{card_id}/history",
                   "/compare/{card_id}", "/sources", "/stats", "/search", "/fx/rate"):
        assert any(path.rstrip("/").endswith(suffix) for path in paths), suffix
