"""YGOJSON importer: Yu-Gi-Oh! set and card objects, from files and from YGOJSON's files."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from catalogue.importers import ygojson
from catalogue.models import Card, CardSet
from catalogue.services import catalogue_import_source

FIXTURES = Path(__file__).parent / "fixtures" / "ygojson"
REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "yugioh"
LOB_ID = "240fad99-f00a-41ed-99e9-26656d0d677c"


def _load(name: str) -> list[dict]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("csm.http.time.sleep", lambda seconds: None)


def _bundles() -> dict[str, object]:
    return {b.set_record.code: b for b in ygojson.bundles_from_path(FIXTURES)}


def test_sets_use_their_english_printing_and_numbers_join_prefix_and_suffix() -> None:
    bundles = _bundles()
    assert set(bundles) == {"LOB", "PGD", "RA01", "PHNI"}
    lob = bundles["LOB"]
    assert lob.set_record.source_id == LOB_ID
    assert lob.set_record.name == "Legend of Blue Eyes White Dragon"
    assert lob.set_record.release_date == date(2004, 12, 1)
    assert lob.set_record.external_ids["prefix"] == "LOB-EN"
    # Only the English list counts (the fixture keeps a German one too).
    assert [c.number for c in lob.cards] == [f"LOB-EN00{i}" for i in range(5)]
    bewd = lob.cards[1]
    assert (bewd.name, bewd.rarity, bewd.card_type) == (
        "Blue-Eyes White Dragon", "Ultra Rare", "Normal Monster")
    assert bewd.ygoprodeck_id == 89631139
    assert bewd.image_url == "https://images.ygoprodeck.com/images/cards/89631139.jpg"
    assert bewd.attributes["atk"] == 3000 and bewd.attributes["level"] == 8
    assert bewd.attributes["passwords"] == ["89631139"]
    assert bewd.attributes["printing_image"].endswith("BlueEyesWhiteDragon-LOB-EN-UR-UE.png")
    assert bewd.foreign_names["de"] == "Blauäugiger w. Drache"
    assert bewd.legalities["tcg"] == "Unlimited"
    assert bewd.variants == ["unlimited"]
    assert bewd.source_id == "36132134-3c53-47e9-bb71-e9a9fdcb3f20"


def test_na_only_set_and_date_fallback() -> None:
    bundles = _bundles()
    pgd = bundles["PGD"]
    assert pgd.cards[0].number == "PGD-001"
    assert pgd.set_record.release_date == date(2003, 7, 18)
    assert pgd.cards[0].variants == ["1st_edition", "unlimited"]
    # The modern sets have no "en" date: the other TCG locales give it.
    assert bundles["PHNI"].set_record.release_date == date(2024, 2, 8)
    assert bundles["RA01"].set_record.release_date == date(2023, 11, 2)


def test_a_number_in_several_rarities_is_keyed_by_rarity() -> None:
    bundles = _bundles()
    lava = [c for c in bundles["RA01"].cards if c.number == "RA01-EN001"]
    assert [c.variant_key for c in lava] == [
        "super", "ultra", "secret", "platinumsecret", "25thsecret", "ultimate", "collectors"]
    assert {c.name for c in lava} == {"Lava Golem"}
    phni = {(c.number, c.variant_key) for c in bundles["PHNI"].cards}
    assert phni == {("PHNI-EN000", ""), ("PHNI-EN001", ""), ("PHNI-EN008", "ultra"),
                    ("PHNI-EN008", "25thsecret")}


@pytest.mark.django_db
def test_import_and_a_second_run_changes_nothing() -> None:
    first = catalogue_import_source(source="ygojson", path=FIXTURES)
    assert (first.sets_created, first.cards_created, first.errors) == (4, 25, [])
    card = Card.objects.get(tcg__slug="yugioh", number="LOB-EN001")
    assert card.name == "Blue-Eyes White Dragon" and card.card_set.code == "LOB"
    second = catalogue_import_source(source="ygojson", path=FIXTURES)
    assert second.changed == 0 and second.cards_unchanged == 25


@pytest.mark.django_db
def test_malformed_printings_are_reported_and_the_rest_of_the_set_is_stored(tmp_path: Path
                                                                           ) -> None:
    sets, cards = _load("sets.json"), _load("cards.json")
    lob = next(s for s in sets if s["id"] == LOB_ID)
    english = next(c for c in lob["contents"] if c["locales"] == ["en"])
    english["cards"].append({"id": "x1", "card": "no-such-card", "suffix": "005",
                             "rarity": "common"})
    english["cards"].append({**english["cards"][2], "id": "x2", "suffix": None})
    (tmp_path / "sets.json").write_text(json.dumps(sets), encoding="utf-8")
    (tmp_path / "cards.json").write_text(json.dumps(cards), encoding="utf-8")
    report = catalogue_import_source(source="ygojson", path=tmp_path, only={"LOB"})
    assert [str(e) for e in report.errors] == [
        f"{LOB_ID} / LOB-EN005 (common): card 'no-such-card' is not in cards.json",
        f"{LOB_ID} / printing 7: printing without a suffix"]
    assert report.sets_failed == 0
    assert CardSet.objects.get(source_id=LOB_ID).cards.count() == 5


@pytest.mark.django_db
def test_gzipped_files_import_the_same(tmp_path: Path) -> None:
    for name in ("sets.json", "cards.json"):
        with gzip.open(tmp_path / f"{name}.gz", "wb") as handle:
            handle.write((FIXTURES / name).read_bytes())
    assert ygojson.count_sets(tmp_path) == 4
    assert ygojson.count_sets(tmp_path, only={"PGD", LOB_ID}) == 2
    report = catalogue_import_source(source="ygojson", path=tmp_path)
    assert report.cards_created == 25


@pytest.mark.django_db
def test_live_path_reads_the_aggregate_files_and_retries_after_a_500(recorded_http,
                                                                     no_backoff) -> None:
    recorded_http.routes["/sets.json"] = [
        (502, b"bad gateway", "text/html"),
        (200, (FIXTURES / "sets.json").read_bytes(), "application/json")]
    recorded_http.routes["/cards.json"] = (
        200, (FIXTURES / "cards.json").read_bytes(), "application/json")
    report = catalogue_import_source(source="ygojson", live=True, base_url=recorded_http.url)
    assert recorded_http.requests == ["/sets.json", "/sets.json", "/cards.json"]
    assert (report.sets_created, report.cards_created, report.sets_failed) == (4, 25, 0)
    assert ygojson.LIVE_BASE_URL == (
        "https://raw.githubusercontent.com/iconmaster5326/YGOJSON/v1/aggregate")


@pytest.mark.django_db
@pytest.mark.skipif(not REAL.is_dir(), reason="shared/data/yugioh is not here")
def test_real_files_import_every_english_printing() -> None:
    report = catalogue_import_source(source="ygojson", path=REAL)
    # 10 sets; 1,518 English printings (RA01: 79 numbers x 7 rarities), none malformed.
    assert (report.sets_created, report.cards_created, report.sets_failed) == (10, 1_518, 0)
    assert report.errors == []
    assert Card.objects.get(number="LOB-EN001").name == "Blue-Eyes White Dragon"
    assert Card.objects.filter(card_set__code="RA01").count() == 553


def test_fixture_is_small() -> None:
    assert sum(f.stat().st_size for f in FIXTURES.iterdir()) < 200_000


@pytest.mark.django_db
def test_unreadable_files_and_malformed_sets_fail_alone(tmp_path: Path) -> None:
    sets = _load("sets.json")
    pgd = next(s for s in sets if s["locales"].get("na", {}).get("prefix") == "PGD-")
    pgd["locales"]["na"] = "not an object"
    (tmp_path / "sets.json").write_text(json.dumps(sets), encoding="utf-8")
    (tmp_path / "cards.json").write_bytes((FIXTURES / "cards.json").read_bytes())
    report = catalogue_import_source(source="ygojson", path=tmp_path)
    assert (report.sets_created, report.sets_failed) == (3, 1)
    assert "malformed set object" in str(report.errors[-1])

    (tmp_path / "cards.json").unlink()
    (tmp_path / "cards.json.gz").write_bytes(b"\x1f\x8b truncated")
    report = catalogue_import_source(source="ygojson", path=tmp_path)
    assert report.sets_failed == 1 and report.changed == 0
    assert "YGOJSON files not readable" in str(report.errors[0])
    assert ygojson.count_sets(tmp_path) == 4  # PGD is counted, then reported as failed
