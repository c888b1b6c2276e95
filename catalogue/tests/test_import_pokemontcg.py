"""The pokemontcg.io importer: real API v2 objects from files and from the (recorded) live API."""

from __future__ import annotations

import copy
import functools
import gzip
import json
import shutil
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError

from catalogue.importers import pokemontcg
from catalogue.importers.base import catalogue_import
from catalogue.models import Card, CardSet
from catalogue.services import catalogue_import_source
from catalogue.tasks import catalogue_import_run
from csm.http import PoliteClient, SourceError

FIXTURES = Path(__file__).parent / "fixtures" / "pokemontcg"
REAL_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "pokemon"

pytestmark = pytest.mark.django_db


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _dump(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A writable copy of the recorded files."""
    return Path(shutil.copytree(FIXTURES / "files", tmp_path / "pokemon"))


def _cards_file(folder: Path, set_id: str) -> Path:
    return folder / "cards" / "en" / f"{set_id}.json"


def _real_card(card_id: str) -> dict[str, Any]:
    set_id = card_id.split("-")[0]
    return next(c for c in _load(_cards_file(FIXTURES / "files", set_id)) if c["id"] == card_id)


def _real_set(set_id: str) -> dict[str, Any]:
    return next(s for s in _load(FIXTURES / "files" / "sets" / "en.json") if s["id"] == set_id)


def _import(folder: Path, **kwargs: Any):  # noqa: ANN202 - ImportReport
    return catalogue_import_source(source="pokemontcg", path=folder, **kwargs)


def _stamps() -> dict[str, Any]:
    return dict(Card.objects.values_list("source_id", "updated_at"))


# --- Parsing real objects -------------------------------------------------------------------


def test_parse_charizard_base1_4() -> None:
    base = pokemontcg.parse_set(_real_set("base1"))
    card = pokemontcg.parse_card(_real_card("base1-4"), base)

    assert (card.source_id, card.pokemontcg_id, card.name, card.number) == (
        "base1-4", "base1-4", "Charizard", "4")
    assert card.rarity == "Rare Holo"
    assert card.evolves_from == "Charmeleon"
    assert card.card_type == "Pokémon"
    assert card.image_url == "https://images.pokemontcg.io/base1/4_hires.png"
    assert card.legalities == {"unlimited": "Legal"}
    assert card.attributes["hp"] == "120"
    assert card.attributes["subtypes"] == ["Stage 2"]
    assert card.attributes["types"] == ["Fire"]
    assert card.attributes["artist"] == "Mitsuhiro Arita"
    assert card.attributes["abilities"][0]["name"] == "Energy Burn"
    assert card.attributes["retreatCost"] == ["Colorless"] * 3
    assert card.attributes["nationalPokedexNumbers"] == [6]
    # Base Set's 1st Edition run is the shadowless print; unlimited is plain holofoil.
    assert card.variants == ["holofoil", "1st_edition_holofoil"]
    assert card.tcgplayer_product_id is None and card.cardmarket_product_id is None
    assert card.variant_key == ""


def test_parse_set_base1() -> None:
    record = pokemontcg.parse_set(_real_set("base1"))

    assert record.source_id == "base1" and record.name == "Base" and record.code == "BS"
    assert record.series == "Base"
    assert record.release_date.isoformat() == "1999-01-09"
    assert (record.total_cards, record.printed_total) == (102, 102)
    assert record.logo_url == "https://images.pokemontcg.io/base1/logo.png"
    assert record.symbol_url == "https://images.pokemontcg.io/base1/symbol.png"
    assert record.external_ids == {"ptcgo_code": "BS", "pokemontcg_id": "base1"}


def test_variants_come_from_tcgplayer_price_keys_when_present() -> None:
    obj = copy.deepcopy(_real_card("base1-4"))
    empty = {"low": None, "mid": None, "high": None, "market": None, "directLow": None}
    obj["tcgplayer"] = {"url": "https://prices.pokemontcg.io/tcgplayer/base1-4",
                        "prices": {"1stEditionHolofoil": empty, "reverseHolofoil": empty,
                                   "normal": empty, "holofoil": empty,
                                   "1stEditionNormal": empty}}
    card = pokemontcg.parse_card(obj, pokemontcg.parse_set(_real_set("base1")))

    assert card.variants == ["normal", "holofoil", "reverse_holofoil", "1st_edition_normal",
                             "1st_edition_holofoil"]


@pytest.mark.parametrize(("set_id", "series", "released", "rarity", "expected"), [
    ("base2", "Base", "1999/06/16", "Rare Holo", ["holofoil", "1st_edition_holofoil"]),
    ("neo1", "Neo", "2000/12/16", "Uncommon", ["normal", "1st_edition_normal"]),
    ("base4", "Base", "2000/02/24", "Common", ["normal"]),
    ("si1", "Other", "2001/07/31", "", ["normal"]),
    ("base6", "Other", "2002/05/24", "Common", ["normal", "reverse_holofoil"]),
    ("ex1", "EX", "2003/07/01", "Rare Holo", ["holofoil", "reverse_holofoil"]),
    ("swsh7", "Sword & Shield", "2021/08/27", "Rare", ["normal", "reverse_holofoil"]),
    ("swsh7", "Sword & Shield", "2021/08/27", "Rare Ultra", ["holofoil"]),
    ("sv3pt5", "Scarlet & Violet", "2023/09/22", "Rare", ["holofoil", "reverse_holofoil"]),
    ("sv3pt5", "Scarlet & Violet", "2023/09/22", "Special Illustration Rare", ["holofoil"]),
    ("pop1", "POP", "2004/09/01", "Common", ["normal"]),
    ("swsh9tg", "Sword & Shield", "2022/02/25", "Trainer Gallery Rare Holo", ["holofoil"]),
    ("svp", "Scarlet & Violet", "2023/01/01", "Promo", ["normal"]),
])
def test_variants_inferred_from_rarity_and_set_era(set_id: str, series: str, released: str,
                                                    rarity: str, expected: list[str]) -> None:
    card_set = pokemontcg.parse_set({"id": set_id, "name": set_id, "series": series,
                                     "releaseDate": released})
    assert pokemontcg.infer_variants(rarity, card_set) == expected


@pytest.mark.parametrize(("key", "variant"), [
    ("normal", "normal"), ("holofoil", "holofoil"), ("reverseHolofoil", "reverse_holofoil"),
    ("1stEditionHolofoil", "1st_edition_holofoil"), ("1stEditionNormal", "1st_edition_normal"),
    ("unlimitedHolofoil", "unlimited_holofoil"),
])
def test_price_keys_become_snake_case_variants(key: str, variant: str) -> None:
    assert pokemontcg.price_variant_name(key) == variant


def test_cards_sharing_a_number_get_the_id_suffix_as_variant_key() -> None:
    _import(FIXTURES / "files")

    fifteens = Card.objects.filter(card_set__source_id="cel25c", number="15")
    assert sorted(fifteens.values_list("variant_key", "name")) == [
        ("A1", "Venusaur"), ("A2", "Here Comes Team Rocket!"), ("A3", "Rocket's Zapdos"),
        ("A4", "Claydol")]
    assert Card.objects.get(source_id="cel25c-4_A").variant_key == "A"


# --- Storing --------------------------------------------------------------------------------


def test_import_files_stores_every_set_and_card() -> None:
    report = _import(FIXTURES / "files")

    assert (report.sets_created, report.cards_created, report.sets_failed) == (3, 15, 0)
    assert report.errors == []
    charizard = Card.objects.select_related("card_set", "tcg").get(source_id="base1-4")
    assert charizard.tcg.slug == "pokemon"
    assert (charizard.card_set.source_id, charizard.number, charizard.number_sort) == (
        "base1", "4", 4)
    assert charizard.evolves_from == "Charmeleon"
    assert charizard.pokemontcg_id == "base1-4"
    assert Card.objects.get(source_id="base1-24").name == "Charmeleon"
    jungle = CardSet.objects.get(source_id="base2")
    assert (jungle.name, jungle.code, jungle.release_date.isoformat()) == (
        "Jungle", "JU", "1999-06-16")


def test_second_import_changes_nothing() -> None:
    _import(FIXTURES / "files")
    before = _stamps()
    set_stamps = dict(CardSet.objects.values_list("source_id", "updated_at"))

    report = _import(FIXTURES / "files")

    assert report.changed == 0
    assert (report.sets_unchanged, report.cards_unchanged) == (3, 15)
    assert _stamps() == before
    assert dict(CardSet.objects.values_list("source_id", "updated_at")) == set_stamps


def test_reimport_keeps_external_ids_another_source_set() -> None:
    _import(FIXTURES / "files")
    Card.objects.filter(source_id="base1-4").update(tcgplayer_product_id=42382)

    report = _import(FIXTURES / "files")

    assert report.changed == 0
    assert Card.objects.get(source_id="base1-4").tcgplayer_product_id == 42382


def test_an_update_in_the_source_changes_exactly_that_card(folder: Path) -> None:
    _import(folder)
    before = _stamps()
    time.sleep(0.01)
    cards = _load(_cards_file(folder, "base1"))
    next(c for c in cards if c["id"] == "base1-2")["hp"] = "110"
    _dump(_cards_file(folder, "base1"), cards)

    report = _import(folder)

    assert (report.changed, report.cards_updated) == (1, 1)
    after = _stamps()
    assert after["base1-2"] > before["base1-2"]
    assert {k: v for k, v in after.items() if k != "base1-2"} == {
        k: v for k, v in before.items() if k != "base1-2"}
    assert Card.objects.get(source_id="base1-2").attributes["hp"] == "110"


def test_malformed_rows_are_reported_and_the_rest_of_the_set_is_stored(folder: Path) -> None:
    cards = _load(_cards_file(folder, "base2"))
    nameless = {**cards[0], "id": "base2-900", "number": "900"}
    del nameless["name"]
    cards += [
        nameless,
        {**cards[1], "id": "base2-901", "number": 901},          # number is not a string
        {**cards[1], "id": "base2-902", "number": "902", "subtypes": "Basic"},
        "not a card",
    ]
    _dump(_cards_file(folder, "base2"), cards)

    report = _import(folder)

    assert report.sets_failed == 0
    assert sorted(e.row_ref for e in report.errors) == [
        "base2-900", "base2-901", "base2-902", "card #7"]
    assert {e.set_ref for e in report.errors} == {"base2"}
    messages = {e.row_ref: e.message for e in report.errors}
    assert messages["base2-900"] == "missing name"
    assert "number" in messages["base2-901"]
    assert "subtypes" in messages["base2-902"]
    assert sorted(Card.objects.filter(card_set__source_id="base2")
                  .values_list("source_id", flat=True)) == ["base2-1", "base2-30", "base2-64"]


def test_a_failure_inside_a_set_leaves_nothing_of_it(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Card.objects.bulk_create

    def failing_for_jungle(objs: list[Card], *args: Any, **kwargs: Any) -> list[Card]:
        if objs and objs[0].card_set.source_id == "base2":
            original(objs[:1], *args, **kwargs)  # half-way through the set …
            raise IntegrityError("simulated failure")
        return original(objs, *args, **kwargs)

    monkeypatch.setattr(Card.objects, "bulk_create", failing_for_jungle)

    report = _import(FIXTURES / "files")

    assert report.sets_failed == 1
    assert [str(e) for e in report.errors] == [
        "base2 / *: set not imported: simulated failure"]
    assert not CardSet.objects.filter(source_id="base2").exists()
    assert not Card.objects.filter(source_id__startswith="base2-").exists()
    assert sorted(CardSet.objects.values_list("source_id", flat=True)) == ["base1", "cel25c"]
    assert Card.objects.count() == 12


def test_an_unreadable_cards_file_fails_only_that_set(folder: Path) -> None:
    _cards_file(folder, "base2").write_text("[{", encoding="utf-8")

    report = _import(folder)

    assert report.sets_failed == 1
    assert report.errors[0].set_ref == "base2"
    assert report.errors[0].message.startswith("set not imported: cards not readable")
    assert sorted(CardSet.objects.values_list("source_id", flat=True)) == ["base1", "cel25c"]


def test_gzipped_files_import_like_plain_ones(folder: Path) -> None:
    for path in [*folder.rglob("*.json")]:
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()

    assert pokemontcg.count_sets(folder) == 3
    report = _import(folder)

    assert (report.sets_created, report.cards_created, report.errors) == (3, 15, [])


def test_only_filters_set_ids() -> None:
    assert pokemontcg.count_sets(FIXTURES / "files", only={"base1", "nope"}) == 1

    report = _import(FIXTURES / "files", only={"base1"})

    assert (report.sets_created, report.cards_created) == (1, 6)


def test_command_prints_the_summary() -> None:
    out, err = StringIO(), StringIO()
    call_command("catalogue_import", "pokemontcg", str(FIXTURES / "files"), stdout=out,
                 stderr=err)

    assert out.getvalue().strip() == (
        "pokemontcg: sets +3 ~0 =0 !0; cards +15 ~0 =0; sealed +0 ~0 =0; 0 row error(s)")


def test_task_imports_eagerly() -> None:
    result = catalogue_import_run.apply(
        kwargs={"source": "pokemontcg", "path": str(FIXTURES / "files"), "only": ["base2"]})

    assert result.successful()
    assert (result.result["sets_created"], result.result["cards_created"]) == (1, 3)
    assert Card.objects.filter(card_set__source_id="base2").count() == 3


# --- Live API (recorded) --------------------------------------------------------------------

SETS_PAGE_1 = "/sets?page=1&pageSize=2"
BASE1_PAGE_1 = "/cards?q=set.id:base1&page=1&pageSize=2"
BASE1_PAGE_2 = "/cards?q=set.id:base1&page=2&pageSize=2"
SV3PT5_PAGE_1 = "/cards?q=set.id:sv3pt5&page=1&pageSize=2"


@pytest.fixture
def live(recorded_http, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    """The recorded API, answering pages of two as the real one does for `pageSize=2`."""
    monkeypatch.setattr(pokemontcg, "PAGE_SIZE", 2)
    monkeypatch.delenv(pokemontcg.API_KEY_ENV, raising=False)
    for route, name in ((SETS_PAGE_1, "sets.page1"), (BASE1_PAGE_1, "cards.base1.page1"),
                        (BASE1_PAGE_2, "cards.base1.page2"),
                        (SV3PT5_PAGE_1, "cards.sv3pt5.page1")):
        recorded_http.add_json(route, _load(FIXTURES / "live" / f"{name}.json"))
    return recorded_http


def _client(server: Any, headers_seen: list[str | None] | None = None) -> PoliteClient:
    client = PoliteClient(server.url, min_interval=0, backoff=0, retries=2)
    if headers_seen is not None:
        client.session.hooks["response"].append(
            lambda response, *a, **k: headers_seen.append(
                response.request.headers.get("X-Api-Key")))
    return client


def _live_import(client: PoliteClient, only: set[str] | None = None):  # noqa: ANN202
    return catalogue_import(tcg_slug="pokemon", source="pokemontcg",
                            bundles=pokemontcg.bundles_from_live(client, only=only))


def test_live_reads_every_page_and_sends_the_api_key(live, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv(pokemontcg.API_KEY_ENV, "test-key")
    keys: list[str | None] = []

    report = _live_import(_client(live, keys))

    assert live.requests == [SETS_PAGE_1, BASE1_PAGE_1, BASE1_PAGE_2, SV3PT5_PAGE_1]
    assert keys == ["test-key"] * 4
    assert (report.sets_created, report.cards_created, report.errors) == (2, 5, [])
    assert sorted(Card.objects.filter(card_set__source_id="base1")
                  .values_list("source_id", flat=True)) == ["base1-24", "base1-4", "base1-46"]
    # The live card carries TCGplayer price keys: they decide the variants.
    assert Card.objects.get(source_id="sv3pt5-199").variants == ["holofoil"]
    assert Card.objects.get(source_id="sv3pt5-1").variants == ["normal", "reverse_holofoil"]
    assert CardSet.objects.get(source_id="sv3pt5").name == "151"


def test_live_sends_no_api_key_without_one(live) -> None:  # noqa: ANN001
    keys: list[str | None] = []
    _live_import(_client(live, keys), only={"sv3pt5"})

    assert keys == [None, None]
    assert live.requests == [SETS_PAGE_1, SV3PT5_PAGE_1]


def test_live_stops_at_an_empty_page(live) -> None:  # noqa: ANN001
    payload = _load(FIXTURES / "live" / "cards.base1.page1.json")
    del payload["totalCount"]
    live.add_json(BASE1_PAGE_1, payload)
    live.add_json(BASE1_PAGE_2, {"data": [], "page": 2, "pageSize": 2, "count": 0})

    report = _live_import(_client(live), only={"base1"})

    assert report.cards_created == 2
    assert live.requests == [SETS_PAGE_1, BASE1_PAGE_1, BASE1_PAGE_2]


def test_live_retries_a_500(live) -> None:  # noqa: ANN001
    page = (200, (FIXTURES / "live" / "cards.base1.page2.json").read_text(), "application/json")
    live.routes[BASE1_PAGE_2] = [(500, b"{}", "application/json"), page]

    report = _live_import(_client(live), only={"base1"})

    assert report.cards_created == 3
    assert live.requests == [SETS_PAGE_1, BASE1_PAGE_1, BASE1_PAGE_2, BASE1_PAGE_2]


def test_live_persistent_500_raises_and_stores_nothing(live) -> None:  # noqa: ANN001
    live.routes[BASE1_PAGE_2] = (500, b"{}", "application/json")

    with pytest.raises(SourceError):
        _live_import(_client(live))

    assert live.requests.count(BASE1_PAGE_2) == 3  # first try + 2 retries
    assert not CardSet.objects.exists() and not Card.objects.exists()


def test_live_command_with_base_url(live, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr("catalogue.services.PoliteClient",
                        functools.partial(PoliteClient, min_interval=0, backoff=0))
    out = StringIO()
    call_command("catalogue_import", "pokemontcg", "--live", "--base-url", live.url,
                 stdout=out, stderr=StringIO())

    assert "pokemontcg: sets +2 ~0 =0 !0; cards +5" in out.getvalue()


# --- The real data ----------------------------------------------------------------------------


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="../shared/data/pokemon is not here")
def test_real_pokemon_data_imports_completely() -> None:
    started = time.monotonic()
    report = _import(REAL_DATA)
    seconds = time.monotonic() - started
    print(f"\npokemontcg real data: {report.summary()} in {seconds:.1f} s")

    assert report.sets_failed == 0
    assert [str(e) for e in report.errors] == []
    assert (report.sets_created, report.cards_created) == (163, 18506)
    assert CardSet.objects.filter(tcg__slug="pokemon").count() == 163
    assert Card.objects.filter(tcg__slug="pokemon").count() == 18506
    assert Card.objects.get(source_id="base1-4").evolves_from == "Charmeleon"

    again = _import(REAL_DATA)
    assert (again.changed, again.cards_unchanged) == (0, 18506)


def test_search_finds_a_newly_imported_set_at_once(django_capture_on_commit_callbacks) -> None:  # noqa: ANN001
    from catalogue.selectors import card_search

    assert card_search(q="base1", limit=5, offset=0)[1] == 0  # warms the cached set index
    with django_capture_on_commit_callbacks(execute=True):
        _import(FIXTURES / "files")

    cards, total = card_search(q="base1", limit=50, offset=0)
    assert total > 0 and {card.card_set.source_id for card in cards} == {"base1"}
