"""The MTGJSON importer: real MTGJSON 5 set files, from a folder and from the (recorded) API."""

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

from catalogue.importers import mtgjson
from catalogue.importers.base import catalogue_import
from catalogue.models import Card, CardSet, SealedProduct
from catalogue.services import catalogue_import_source
from catalogue.tasks import catalogue_import_run
from csm.http import PoliteClient, SourceError

FIXTURES = Path(__file__).parent / "fixtures" / "mtgjson"
REAL_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "mtg"
KIND = SealedProduct.Kind
# The fixtures hold 4 LEA cards and 5 paper KHM cards (Halvar's two faces + 3), plus one
# Arena-only KHM card that is not imported.
FIXTURE_CARDS = 9

pytestmark = pytest.mark.django_db


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _dump(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / "files", tmp_path / "mtg"))


def _real_card(code: str, name: str) -> dict[str, Any]:
    cards = _load(FIXTURES / "files" / f"{code}.json")["data"]["cards"]
    return copy.deepcopy(next(c for c in cards if c["name"] == name))


def _import(path: Path, **kwargs: Any):  # noqa: ANN202 - ImportReport
    return catalogue_import_source(source="mtgjson", path=path, **kwargs)


def _stamps() -> dict[str, Any]:
    return {str(k): v for k, v in Card.objects.values_list("source_id", "updated_at")}


# --- Parsing real objects -------------------------------------------------------------------


def test_parse_set_lea() -> None:
    record = mtgjson.parse_set(_load(FIXTURES / "files" / "LEA.json")["data"])

    assert (record.source_id, record.code, record.name) == ("LEA", "LEA",
                                                            "Limited Edition Alpha")
    assert record.series == "Core Set"  # the block
    assert record.release_date.isoformat() == "1993-08-05"
    assert (record.total_cards, record.printed_total) == (295, 295)
    assert record.external_ids == {"tcgplayer_group_id": 7, "keyrune_code": "LEA",
                                   "type": "core"}
    assert record.symbol_url == "https://svgs.scryfall.io/sets/lea.svg"


def test_parse_set_without_block_uses_its_type() -> None:
    record = mtgjson.parse_set(_load(FIXTURES / "files" / "KHM.json")["data"])

    assert record.series == "expansion"
    assert record.external_ids == {"tcgplayer_group_id": 2750, "mcm_id": 3660,
                                   "keyrune_code": "KHM", "type": "expansion"}
    assert (record.total_cards, record.printed_total) == (438, 285)


def test_parse_card_keeps_legalities_and_foreign_names() -> None:
    card = mtgjson.parse_card(_real_card("KHM", "Axgard Braggart"))

    assert card.source_id == "027d4611-2917-5151-87a9-9ff81dc88ebb"
    assert (card.name, card.number, card.rarity) == ("Axgard Braggart", "1", "Common")
    assert card.card_type == "Creature — Dwarf Warrior"
    assert card.legalities["standard"] == "Legal"
    assert card.legalities["pauper"] == "Legal"
    assert card.foreign_names == {
        "de": "Axgard-Angeber", "es": "Fanfarrón de Axgard", "fr": "Fanfaron d'Axgard",
        "it": "Sbruffone di Axgard", "ja": "アクスガルドの自慢屋", "ko": "액스가르드 허풍선이",
        "pt": "Fanfarrão de Axgard", "ru": "Аксгардский Хвастун", "zhs": "艾席嘉吹嘘人",
        "zht": "艾席嘉吹噓人"}
    assert card.scryfall_id == "4de5ff64-6fe7-4fc5-be27-cdbaa14545ab"
    assert card.tcgplayer_product_id == 230675
    assert card.cardmarket_product_id == 532042
    assert card.image_url == ("https://cards.scryfall.io/normal/front/4/d/"
                              "4de5ff64-6fe7-4fc5-be27-cdbaa14545ab.jpg")
    assert card.variants == ["normal", "foil"]
    assert card.attributes["colors"] == ["W"]
    assert card.attributes["scryfallOracleId"] == "d0d4ab83-8b9b-49cd-86b8-720abd0550f4"
    assert card.attributes["layout"] == "normal"
    assert "KHM" in card.attributes["printings"]


def test_parse_black_lotus_legalities() -> None:
    card = mtgjson.parse_card(_real_card("LEA", "Black Lotus"))

    assert card.legalities == {"commander": "Banned", "duel": "Banned", "legacy": "Banned",
                               "oldschool": "Restricted", "vintage": "Restricted"}
    assert (card.rarity, card.variants, card.foreign_names) == ("Rare", ["normal"], {})
    assert card.tcgplayer_product_id == 1042 and card.cardmarket_product_id == 5465


def test_the_faces_of_a_double_faced_card_share_the_number() -> None:
    _import(FIXTURES / "files")

    faces = Card.objects.filter(card_set__source_id="KHM", number="15").order_by("variant_key")
    assert [(c.variant_key, c.attributes["faceName"], c.card_type) for c in faces] == [
        ("a", "Halvar, God of Battle", "Legendary Creature — God"),
        ("b", "Sword of the Realms", "Legendary Artifact — Equipment")]
    assert faces[0].name == faces[1].name == "Halvar, God of Battle // Sword of the Realms"
    assert "/front/" in faces[0].image_url and "/back/" in faces[1].image_url


@pytest.mark.parametrize(("finishes", "variants"), [
    (["nonfoil"], ["normal"]), (["nonfoil", "foil"], ["normal", "foil"]),
    (["foil"], ["foil"]), (["etched"], ["etched"]),
])
def test_finishes_become_variants(finishes: list[str], variants: list[str]) -> None:
    card = _real_card("LEA", "Black Lotus")
    card["finishes"] = finishes
    assert mtgjson.parse_card(card).variants == variants


@pytest.mark.parametrize(("product", "kind"), [
    ({"name": "Alpha Edition Booster Box"}, KIND.BOOSTER_BOX),
    ({"name": "Alpha Edition Booster Pack"}, KIND.BOOSTER_PACK),
    ({"name": "Alpha Edition Starter Deck"}, KIND.DECK),
    ({"name": "Kaldheim Bundle"}, KIND.BOOSTER_BUNDLE),
    ({"name": "Kaldheim Collector Booster Display"}, KIND.BOOSTER_BOX),
    ({"name": "Kaldheim Draft Booster Box Case"}, KIND.CASE),
    ({"name": "Kaldheim Theme Booster Viking"}, KIND.BOOSTER_PACK),
    ({"name": "Kaldheim Theme Booster Set of 6"}, KIND.OTHER),
    ({"name": "Kaldheim Prerelease Pack"}, KIND.OTHER),
    ({"name": "Core Set 2021 Planeswalker Deck Chandra"}, KIND.DECK),
    ({"name": "Core Set 2021 Planeswalker Deck Display"}, KIND.OTHER),
    ({"name": "Innistrad Crimson Vow Gift Bundle Case"}, KIND.CASE),
    ({"name": "Something", "category": "booster_box", "subtype": "collector"}, KIND.BOOSTER_BOX),
    ({"name": "Something", "category": "bundle"}, KIND.BOOSTER_BUNDLE),
])
def test_sealed_kind(product: dict[str, Any], kind: str) -> None:
    assert mtgjson.sealed_kind(product) == kind


def test_con_is_read_from_its_windows_safe_file_name() -> None:
    assert mtgjson.file_name_for("con") == "CON_.json"
    assert mtgjson.file_name_for("KHM") == "KHM.json"
    assert mtgjson.set_code_from_stem("CON_") == "CON"


# --- Storing --------------------------------------------------------------------------------


def test_import_files_stores_sets_cards_and_sealed_products() -> None:
    report = _import(FIXTURES / "files")

    assert (report.sets_created, report.cards_created, report.sealed_created) == (
        2, FIXTURE_CARDS, 9)
    assert (report.sets_failed, report.errors) == (0, [])
    box = SealedProduct.objects.select_related("card_set", "tcg").get(
        name="Alpha Edition Booster Box")
    assert (box.kind, box.tcgplayer_product_id) == (KIND.BOOSTER_BOX, 27262)
    assert (box.tcg.slug, box.card_set.source_id) == ("mtg", "LEA")
    assert box.source_id == "22bb173e-dfe7-5589-8616-c820fce5ebb4"
    lotus = Card.objects.get(name="Black Lotus")
    assert (lotus.card_set.code, lotus.number, lotus.number_sort) == ("LEA", "232", 232)
    assert str(lotus.scryfall_id) == "b0faa7f2-b547-42c4-a810-839da50dadfe"
    assert lotus.legalities["vintage"] == "Restricted"
    braggart = Card.objects.get(name="Axgard Braggart")
    assert braggart.foreign_names["de"] == "Axgard-Angeber"


def test_arena_only_cards_are_not_imported() -> None:
    _import(FIXTURES / "files")

    assert not Card.objects.filter(number__startswith="A-").exists()


def test_second_import_changes_nothing() -> None:
    _import(FIXTURES / "files")
    before = _stamps()
    sealed = dict(SealedProduct.objects.values_list("source_id", "updated_at"))

    report = _import(FIXTURES / "files")

    assert report.changed == 0
    assert (report.cards_unchanged, report.sealed_unchanged) == (FIXTURE_CARDS, 9)
    assert _stamps() == before
    assert dict(SealedProduct.objects.values_list("source_id", "updated_at")) == sealed


def test_an_update_in_the_source_changes_exactly_that_card(folder: Path) -> None:
    _import(folder)
    before = _stamps()
    time.sleep(0.01)
    document = _load(folder / "LEA.json")
    lotus = next(c for c in document["data"]["cards"] if c["name"] == "Black Lotus")
    lotus["legalities"]["premodern"] = "Banned"
    _dump(folder / "LEA.json", document)

    report = _import(folder)

    assert (report.changed, report.cards_updated) == (1, 1)
    changed = {k for k, v in _stamps().items() if v != before[k]}
    assert changed == {lotus["uuid"]}
    assert Card.objects.get(name="Black Lotus").legalities["premodern"] == "Banned"


def test_malformed_rows_and_duplicates_are_reported(folder: Path) -> None:
    document = _load(folder / "LEA.json")
    cards = document["data"]["cards"]
    bolt = next(c for c in cards if c["name"] == "Lightning Bolt")
    nameless = {**bolt, "uuid": "00000000-0000-5000-8000-000000000001", "number": "900"}
    del nameless["name"]
    cards += [
        nameless,
        {**bolt, "uuid": "00000000-0000-5000-8000-000000000002", "number": "901",
         "identifiers": {**bolt["identifiers"], "tcgplayerProductId": "not-an-id"}},
        {**bolt, "uuid": "00000000-0000-5000-8000-000000000003"},  # same number, no side
        {**bolt, "uuid": "00000000-0000-5000-8000-000000000004", "number": "902",
         "legalities": ["vintage"]},
    ]
    document["data"]["sealedProduct"].append({"name": "No uuid box", "identifiers": {}})
    _dump(folder / "LEA.json", document)

    report = _import(folder)

    assert report.sets_failed == 0
    messages = sorted(e.message for e in report.errors)
    assert len(messages) == 5
    assert "missing name" in messages
    assert "missing uuid" in messages
    assert any("tcgplayerProductId is not an id" in m for m in messages)
    assert any("duplicate card number '161'" in m for m in messages)
    assert any("legalities" in m for m in messages)
    assert {e.set_ref for e in report.errors} == {"LEA"}
    assert Card.objects.filter(card_set__source_id="LEA").count() == 4
    assert Card.objects.get(number="161").source_id == bolt["uuid"]
    assert SealedProduct.objects.filter(card_set__source_id="LEA").count() == 3


def test_a_failure_inside_a_set_leaves_nothing_of_it(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Card.objects.bulk_create

    def failing_for_khm(objs: list[Card], *args: Any, **kwargs: Any) -> list[Card]:
        if objs and objs[0].card_set.source_id == "KHM":
            original(objs[:2], *args, **kwargs)
            raise IntegrityError("simulated failure")
        return original(objs, *args, **kwargs)

    monkeypatch.setattr(Card.objects, "bulk_create", failing_for_khm)

    report = _import(FIXTURES / "files")

    assert report.sets_failed == 1
    assert [str(e) for e in report.errors] == ["KHM / *: set not imported: simulated failure"]
    assert list(CardSet.objects.values_list("source_id", flat=True)) == ["LEA"]
    assert Card.objects.count() == 4
    assert not SealedProduct.objects.filter(name__startswith="Kaldheim").exists()


def test_an_unreadable_set_file_fails_only_that_set(folder: Path) -> None:
    (folder / "KHM.json").write_text('{"meta": {}, "data": {"code": "KHM"', encoding="utf-8")

    report = _import(folder)

    assert report.sets_failed == 1
    assert report.errors[0].set_ref == "KHM"
    assert "not readable" in report.errors[0].message
    assert list(CardSet.objects.values_list("source_id", flat=True)) == ["LEA"]


def test_gzipped_set_files_import_like_plain_ones(folder: Path) -> None:
    for path in [*folder.glob("*.json")]:
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()

    assert mtgjson.count_sets(folder) == 2
    report = _import(folder)

    assert (report.sets_created, report.cards_created, report.errors) == (
        2, FIXTURE_CARDS, [])


def test_only_and_single_file_paths() -> None:
    assert mtgjson.count_sets(FIXTURES / "files", only={"lea"}) == 1

    report = _import(FIXTURES / "files", only={"lea"})
    assert (report.sets_created, report.cards_created) == (1, 4)

    report = _import(FIXTURES / "files" / "KHM.json")
    assert (report.sets_created, report.cards_created) == (1, 5)


def test_command_prints_the_summary() -> None:
    out = StringIO()
    call_command("catalogue_import", "mtgjson", str(FIXTURES / "files"), stdout=out,
                 stderr=StringIO())

    assert out.getvalue().strip() == (
        f"mtgjson: sets +2 ~0 =0 !0; cards +{FIXTURE_CARDS} ~0 =0; sealed +9 ~0 =0; "
        "0 row error(s)")


def test_task_imports_eagerly() -> None:
    result = catalogue_import_run.apply(
        kwargs={"source": "mtgjson", "path": str(FIXTURES / "files"), "only": ["LEA"]})

    assert result.successful()
    assert (result.result["cards_created"], result.result["sealed_created"]) == (4, 3)


# --- Live (recorded) ------------------------------------------------------------------------


@pytest.fixture
def live(recorded_http):  # noqa: ANN001, ANN201
    recorded_http.add_json("/SetList.json", _load(FIXTURES / "live" / "SetList.json"))
    for code in ("LEA", "KHM"):
        recorded_http.add_json(f"/{code}.json", _load(FIXTURES / "files" / f"{code}.json"))
    return recorded_http


def _live_import(server: Any, only: set[str] | None = None):  # noqa: ANN202
    client = PoliteClient(server.url, min_interval=0, backoff=0, retries=2)
    return catalogue_import(tcg_slug="mtg", source="mtgjson",
                            bundles=mtgjson.bundles_from_live(client, only=only))


def test_live_reads_only_the_requested_set(live) -> None:  # noqa: ANN001
    report = _live_import(live, only={"lea"})

    assert live.requests == ["/LEA.json"]
    assert (report.sets_created, report.cards_created, report.sealed_created) == (1, 4, 3)


def test_live_without_only_reads_every_set_of_the_set_list(live) -> None:  # noqa: ANN001
    report = _live_import(live)

    assert live.requests == ["/SetList.json", "/LEA.json", "/KHM.json"]
    assert (report.sets_created, report.cards_created, report.errors) == (
        2, FIXTURE_CARDS, [])


def test_live_retries_a_500(live) -> None:  # noqa: ANN001
    body = (FIXTURES / "files" / "LEA.json").read_text(encoding="utf-8")
    live.routes["/LEA.json"] = [(503, b"", "text/plain"), (200, body, "application/json")]

    report = _live_import(live, only={"LEA"})

    assert live.requests == ["/LEA.json", "/LEA.json"]
    assert report.cards_created == 4


def test_live_persistent_500_raises_and_stores_nothing(live) -> None:  # noqa: ANN001
    live.routes["/SetList.json"] = (500, b"", "text/plain")

    with pytest.raises(SourceError):
        _live_import(live)

    assert live.requests == ["/SetList.json"] * 3
    assert not CardSet.objects.exists() and not Card.objects.exists()


def test_live_command(live, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr("catalogue.services.PoliteClient",
                        functools.partial(PoliteClient, min_interval=0, backoff=0))
    out = StringIO()
    call_command("catalogue_import", "mtgjson", "--live", "--base-url", live.url,
                 "--set", "KHM", stdout=out, stderr=StringIO())

    assert "mtgjson: sets +1 ~0 =0 !0; cards +5 ~0 =0; sealed +6" in out.getvalue()


# --- The real data ----------------------------------------------------------------------------


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="../shared/data/mtg is not here")
def test_real_mtg_data_imports_completely() -> None:
    started = time.monotonic()
    report = _import(REAL_DATA)
    seconds = time.monotonic() - started
    print(f"\nmtgjson real data: {report.summary()} in {seconds:.1f} s")

    assert report.sets_failed == 0
    assert [str(e) for e in report.errors] == []
    # 5,224 cards in the files, less 59 Arena-only Alchemy cards.
    assert (report.sets_created, report.cards_created, report.sealed_created) == (
        14, 5165, 213)
    assert SealedProduct.objects.get(name="Alpha Edition Booster Box").kind == KIND.BOOSTER_BOX

    again = _import(REAL_DATA)
    assert (again.changed, again.cards_unchanged) == (0, 5165)
