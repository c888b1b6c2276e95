"""YGOPRODeck card prices: the parser and full scrapes replayed from a recorded
cardinfo.php answer."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from catalogue.tests.factories import CardFactory, CardSetFactory, tcg
from csm.http import SourceError
from pricing.ingest import Quote, prices_ingest
from pricing.models import Price, ScrapeRun
from pricing.services import source_scrape_run
from pricing.sources.support import RecordError
from pricing.sources.ygoprodeck import YgoprodeckAdapter, parse_card, parse_payload
from pricing.tests.scrape_helpers import (
    FAST,
    fixture_bytes,
    fixture_json,
    json_route,
    silent_server,
)

CARDINFO = "/cardinfo.php"


def cards() -> dict[int, dict]:
    return {card["id"]: card for card in fixture_json("ygoprodeck", "cardinfo.json")["data"]}


# --- Parser ---------------------------------------------------------------------------------

def test_tcgplayer_figure_is_usd_and_cardmarket_figure_is_eur() -> None:
    quotes = parse_card(cards()[89631139])
    assert [(q.ref, q.currency, q.market, q.variant) for q in quotes] == [
        (("ygoprodeck_id", 89631139), "USD", Decimal("0.17"), "normal"),
        (("ygoprodeck_id", 89631139), "EUR", Decimal("0.10"), "normal")]


def test_zero_prices_are_no_prices() -> None:
    assert [(q.currency, q.market) for q in parse_card(cards()[39111158])] == [
        ("USD", Decimal("1.08"))]
    assert parse_card(cards()[32274490]) == []  # only an eBay figure: not kept
    assert parse_card({"id": "6368038", "card_prices": [{"tcgplayer_price": ""}]}) == []
    assert parse_card({"id": 6368038}) == []


@pytest.mark.parametrize("card", [
    "card", {"name": "no id"}, {"id": -3}, {"id": 6368038, "card_prices": "0.10"},
    {"id": 6368038, "card_prices": ["0.10"]}])
def test_parser_rejects_malformed_cards(card: object) -> None:
    with pytest.raises(RecordError):
        parse_card(card)


@pytest.mark.parametrize("payload", [
    {"error": "No card matching your query was found in the database."},
    [{"id": 1}], {"data": {"id": 1}}, {"data": [{"id": "x"}, "y"]}])
def test_an_answer_of_the_wrong_shape_is_a_source_error(payload: object) -> None:
    with pytest.raises(SourceError):
        parse_payload(payload)


# --- Scrapes --------------------------------------------------------------------------------

@pytest.fixture
def printings(db) -> dict[str, object]:  # noqa: ANN001
    lob = CardSetFactory(tcg=tcg("yugioh"), source_id="LOB")
    sdk = CardSetFactory(tcg=tcg("yugioh"), source_id="SDK")
    return {
        "lob-blue-eyes": CardFactory(card_set=lob, ygoprodeck_id=89631139),
        "sdk-blue-eyes": CardFactory(card_set=sdk, ygoprodeck_id=89631139),
        "tri-horned": CardFactory(card_set=lob, ygoprodeck_id=39111158),
        "skull-servant": CardFactory(card_set=lob, ygoprodeck_id=32274490),
    }


@pytest.fixture
def ygoprodeck_http(recorded_http, settings):  # noqa: ANN001, ANN201
    settings.PRICING_YGOPRODECK_URL = recorded_http.url
    recorded_http.routes[CARDINFO] = (200, fixture_bytes("ygoprodeck", "cardinfo.json"),
                                      "application/json")
    return recorded_http


@pytest.mark.django_db
def test_scrape_writes_usd_and_eur_prices_per_passcode(printings, ygoprodeck_http) -> None:
    run = source_scrape_run(source="ygoprodeck", **FAST)
    assert ygoprodeck_http.requests == [CARDINFO]
    # Dark Magician's two quotes are not in the catalogue
    assert (run.status, run.fetched, run.written, run.unmatched) == (
        ScrapeRun.Status.OK, 5, 3, 2)
    # A passcode shared by printings lands on the first printing (pricing.ingest's rule).
    assert set(Price.objects.values_list("card_id", "source", "currency", "market_price")) == {
        (printings["lob-blue-eyes"].pk, "ygoprodeck", "USD", Decimal("0.17")),
        (printings["lob-blue-eyes"].pk, "ygoprodeck", "EUR", Decimal("0.10")),
        (printings["tri-horned"].pk, "ygoprodeck", "USD", Decimal("1.08"))}


@pytest.mark.django_db
def test_a_source_that_never_answers_times_out_and_writes_nothing(printings,
                                                                  settings) -> None:
    prices_ingest(source="ygoprodeck", quotes=[Quote(
        ref=("card_id", printings["tri-horned"].pk), currency="USD", market=Decimal("1.00"),
        recorded_at=datetime(2024, 11, 1, tzinfo=UTC))])
    with silent_server() as url:
        settings.PRICING_YGOPRODECK_URL = url
        run = source_scrape_run(source="ygoprodeck", **{**FAST, "timeout": 0.3})
    assert run.status == ScrapeRun.Status.FAILED
    assert "failed after 1 attempts" in run.error and "timed out" in run.error
    assert list(Price.objects.values_list("market_price", flat=True)) == [Decimal("1.00")]


@pytest.mark.django_db
def test_an_error_answer_records_a_failed_run(printings, ygoprodeck_http) -> None:
    ygoprodeck_http.routes[CARDINFO] = json_route(
        {"error": "No card matching your query was found in the database."})
    run = source_scrape_run(source="ygoprodeck", **FAST)
    assert run.status == ScrapeRun.Status.FAILED
    assert "No card matching" in run.error
    assert not Price.objects.exists()


@pytest.mark.django_db
def test_the_adapter_reads_a_saved_answer(printings, tmp_path) -> None:
    path = tmp_path / "cardinfo.json"
    path.write_bytes(fixture_bytes("ygoprodeck", "cardinfo.json"))
    assert len(YgoprodeckAdapter(file=str(path)).scrape().quotes) == 5
