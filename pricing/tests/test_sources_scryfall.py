"""Scryfall prices from the bulk data export: the parser, the streaming reader and full
scrapes replayed from a recorded bulk-data listing and file."""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from catalogue.tests.factories import CardFactory, CardSetFactory, tcg
from csm.http import SourceError
from pricing.ingest import Quote, prices_ingest
from pricing.models import Price, ScrapeRun
from pricing.services import source_scrape_run
from pricing.sources.scryfall import ScryfallAdapter, bulk_entry, card_objects, parse_card
from pricing.sources.support import RecordError
from pricing.tests.scrape_helpers import FAST, fixture_bytes, fixture_json, unreachable_url

KATANA = "d9b1ed43-ee6c-43a2-ba94-5bf71c63e070"
AO = "8d2c4063-7322-4041-a870-b95598a03e29"
FAREWELL = "3956b833-0b74-4890-bc67-4aed7df33af4"
SLASH = "e4b8946b-6604-49ca-98db-18a540b1b4e5"
DEFAULT_CARDS = "/default-cards/default-cards-20241120100609.json"
UPDATED = datetime(2024, 11, 20, 10, 6, 9, 497000, tzinfo=UTC)


def cards() -> dict[str, dict]:
    return {card["id"]: card for card in fixture_json("scryfall", "default-cards.json")}


# --- Parser and reader ----------------------------------------------------------------------

def test_parser_quotes_usd_and_eur_per_finish_and_skips_tix() -> None:
    quotes = parse_card(cards()[AO], recorded_at=UPDATED)
    assert [(q.currency, q.variant, q.market) for q in quotes] == [
        ("USD", "normal", Decimal("5.43")), ("USD", "foil", Decimal("9.87")),
        ("EUR", "normal", Decimal("5.10")), ("EUR", "foil", Decimal("10.20"))]
    assert {(q.ref, q.language, q.recorded_at) for q in quotes} == {
        (("scryfall_id", AO), "en", UPDATED)}


def test_etched_only_and_unpriced_cards() -> None:
    assert [(q.currency, q.variant, q.market) for q in parse_card(cards()[FAREWELL])] == [
        ("USD", "etched", Decimal("14.99")), ("EUR", "etched", Decimal("12.50"))]
    assert parse_card(cards()[SLASH]) == []


@pytest.mark.parametrize("card", [
    [], {"id": "not-a-uuid", "prices": {}}, {"id": KATANA, "prices": ["0.10"]}])
def test_parser_rejects_malformed_cards(card: object) -> None:
    with pytest.raises(RecordError):
        parse_card(card)


def test_reader_streams_card_objects_and_reports_bytes() -> None:
    body = fixture_bytes("scryfall", "default-cards.json")
    seen: list[tuple[int, int]] = []
    ids = [c["id"] for c in card_objects(io.BytesIO(body), total=len(body),
                                         progress=lambda d, t: seen.append((d, t)))]
    assert ids == list(cards())
    assert seen and seen[-1] == (len(body), len(body))


@pytest.mark.parametrize("body", [
    b'[{"object": "card", "id": "d9b1ed43-ee6c-43a2-ba94-5bf71c63e070", "pri',
    b'{"object": "error", "code": "not_found", "status": 404}',
    b"<html>busy</html>",
], ids=["truncated", "not-an-array", "garbage"])
def test_reader_turns_broken_files_into_source_errors(body: bytes) -> None:
    with pytest.raises(SourceError):
        list(card_objects(io.BytesIO(body)))


def test_bulk_listing_must_name_the_default_cards_file() -> None:
    listing = fixture_json("scryfall", "bulk-data.json")
    assert bulk_entry(listing)["type"] == "default_cards"
    listing["data"] = listing["data"][:1]
    with pytest.raises(SourceError, match="no default_cards"):
        bulk_entry(listing)
    with pytest.raises(SourceError):
        bulk_entry({"object": "error"})


# --- Scrapes --------------------------------------------------------------------------------

@pytest.fixture
def mtg_cards(db) -> dict[str, object]:  # noqa: ANN001
    neo = CardSetFactory(tcg=tcg("mtg"), source_id="NEO")
    return {sid: CardFactory(card_set=neo, scryfall_id=sid)
            for sid in (KATANA, AO, FAREWELL, SLASH)}


@pytest.fixture
def scryfall_http(recorded_http, settings):  # noqa: ANN001, ANN201
    settings.PRICING_SCRYFALL_URL = recorded_http.url
    body = fixture_bytes("scryfall", "default-cards.json")
    listing = json.loads(fixture_bytes("scryfall", "bulk-data.json").decode()
                         .replace("https://data.scryfall.io", recorded_http.url))
    listing["data"][1]["size"] = len(body)
    recorded_http.add_json("/bulk-data", listing)
    recorded_http.routes[DEFAULT_CARDS] = (200, body, "application/json")
    return recorded_http


@pytest.mark.django_db
def test_scrape_streams_the_bulk_file_and_writes_prices(mtg_cards, scryfall_http) -> None:
    progress: list[tuple[int, int]] = []
    run = source_scrape_run(source="scryfall", progress=lambda d, t: progress.append((d, t)),
                            **FAST)
    assert scryfall_http.requests == ["/bulk-data", DEFAULT_CARDS]
    assert scryfall_http.headers[0]["Accept"].startswith("application/json")
    # Fury Sliver (4 quotes) is not in the catalogue
    assert (run.status, run.fetched, run.written, run.unmatched) == (
        ScrapeRun.Status.OK, 14, 10, 4)
    assert progress[-1][0] == progress[-1][1] > 0
    assert set(Price.objects.filter(card=mtg_cards[AO]).values_list(
        "source", "currency", "variant", "market_price")) == {
        ("scryfall", "USD", "normal", Decimal("5.43")),
        ("scryfall", "USD", "foil", Decimal("9.87")),
        ("scryfall", "EUR", "normal", Decimal("5.10")),
        ("scryfall", "EUR", "foil", Decimal("10.20"))}
    assert Price.objects.filter(card=mtg_cards[AO]).first().recorded_at == UPDATED
    assert not Price.objects.filter(card=mtg_cards[SLASH]).exists()


@pytest.mark.django_db
def test_a_bulk_file_cut_off_half_way_writes_nothing(mtg_cards, scryfall_http) -> None:
    prices_ingest(source="scryfall", quotes=[Quote(
        ref=("card_id", mtg_cards[AO].pk), currency="USD", market=Decimal("5.00"),
        recorded_at=datetime(2024, 11, 1, tzinfo=UTC))])
    body = fixture_bytes("scryfall", "default-cards.json")
    cut = body.index(b'"Farewell"')  # Katana and Ao are complete before the cut
    scryfall_http.routes[DEFAULT_CARDS] = (200, body[:cut], "application/json")
    run = source_scrape_run(source="scryfall", **FAST)
    assert run.status == ScrapeRun.Status.FAILED
    assert "unreadable after 2 cards" in run.error
    assert list(Price.objects.values_list("card_id", "currency", "market_price")) == [
        (mtg_cards[AO].pk, "USD", Decimal("5.00"))]


@pytest.mark.django_db
@pytest.mark.parametrize("failure", ["listing-500", "file-404", "unreachable"])
def test_an_unreadable_source_records_a_failed_run(mtg_cards, scryfall_http, settings,
                                                   failure: str) -> None:
    if failure == "listing-500":
        scryfall_http.add_json("/bulk-data", {"object": "error"}, status=500)
    elif failure == "file-404":
        del scryfall_http.routes[DEFAULT_CARDS]
    else:
        settings.PRICING_SCRYFALL_URL = unreachable_url()
    run = source_scrape_run(source="scryfall", **FAST)
    assert run.status == ScrapeRun.Status.FAILED and run.error.startswith("SourceError")
    assert not Price.objects.exists()


@pytest.mark.django_db
def test_the_adapter_reads_a_saved_gzipped_bulk_file(mtg_cards, tmp_path) -> None:
    path = tmp_path / "default-cards.json.gz"
    path.write_bytes(gzip.compress(fixture_bytes("scryfall", "default-cards.json")))
    batch = ScryfallAdapter(file=str(path)).scrape()
    assert len(batch.quotes) == 14 and batch.invalid == 0
    assert {q.recorded_at for q in batch.quotes} == {None}
