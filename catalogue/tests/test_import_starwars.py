"""Star Wars: Unlimited importer: SWU-DB card lists, from files and from the SWU-DB API."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from catalogue.importers import starwars
from catalogue.models import Card, CardSet
from catalogue.services import catalogue_import_source

FIXTURES = Path(__file__).parent / "fixtures" / "starwars"
REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "starwars"


def _rows(name: str = "spark-of-rebellion") -> list[dict]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("csm.http.time.sleep", lambda seconds: None)


def test_a_file_is_a_set_named_after_it_and_coded_by_its_cards() -> None:
    bundles = {b.set_record.source_id: b for b in starwars.bundles_from_path(FIXTURES)}
    assert set(bundles) == {"SOR", "SHD"}
    sor = bundles["SOR"]
    assert (sor.set_record.name, sor.set_record.code) == ("Spark of Rebellion", "SOR")
    assert sor.set_record.release_date == date(2024, 3, 8)
    assert sor.set_record.total_cards == 14
    krennic = sor.cards[0]
    assert (krennic.number, krennic.variant_key, krennic.source_id) == ("001", "", "SOR-001")
    assert krennic.name == "Director Krennic - Aspiring to Authority"
    assert (krennic.card_type, krennic.rarity) == ("Leader", "Common")
    assert krennic.attributes["cost"] == 5 and krennic.attributes["hp"] == 7
    assert krennic.attributes["aspects"] == ["Vigilance", "Villainy"]
    assert krennic.image_url == "https://cdn.swu-db.com/images/cards/SOR/001.png"
    assert krennic.variants == ["normal", "foil"]
    base = next(c for c in sor.cards if c.card_type == "Base")
    assert base.name == "Security Complex - Scarif" and base.attributes["hp"] == 25
    assert starwars.set_name_from_stem("twilight-of-the-republic") == "Twilight of the Republic"


def test_variant_types_become_variant_keys() -> None:
    assert starwars.variant_key_for("Normal") == ""
    assert starwars.variant_key_for("Hyperspace") == "hyperspace"
    assert starwars.variant_key_for("Hyperspace Foil") == "hyperspace_foil"
    # A hyperspace printing as the SWU-DB API lists it: its own number, keyed by its type.
    hyperspace = starwars.parse_card({**_rows()[0], "Number": "269", "VariantType": "Hyperspace"})
    assert (hyperspace.variant_key, hyperspace.source_id) == ("hyperspace", "SOR-269-hyperspace")
    assert hyperspace.variants == ["hyperspace", "hyperspace_foil"]
    showcase = starwars.parse_card({**_rows()[0], "Number": "251", "VariantType": "Showcase"})
    assert showcase.variants == ["showcase"]


@pytest.mark.django_db
def test_import_and_a_second_run_changes_nothing() -> None:
    first = catalogue_import_source(source="starwars", path=FIXTURES)
    assert (first.sets_created, first.cards_created, first.errors) == (2, 20, [])
    card = Card.objects.get(tcg__slug="starwars", card_set__code="SOR", number="001")
    assert card.name == "Director Krennic - Aspiring to Authority"
    second = catalogue_import_source(source="starwars", path=FIXTURES)
    assert second.changed == 0 and second.cards_unchanged == 20


@pytest.mark.django_db
def test_malformed_rows_are_reported_and_the_rest_of_the_set_is_stored(tmp_path: Path
                                                                       ) -> None:
    rows = _rows()
    rows.append({**rows[0], "Number": None})
    rows.append({**rows[1], "Number": "900", "Name": ""})
    rows.append({**rows[2], "Number": "901", "Set": "SHD"})
    (tmp_path / "spark-of-rebellion.json").write_text(json.dumps(rows), encoding="utf-8")
    report = catalogue_import_source(source="starwars", path=tmp_path)
    assert [str(e) for e in report.errors] == [
        "SOR / row 15: malformed Number None",
        "SOR / SOR 900: empty Name",
        "SOR / SHD 901: card of set 'SHD' in the list of 'SOR'"]
    assert report.sets_failed == 0
    assert CardSet.objects.get(tcg__slug="starwars", source_id="SOR").cards.count() == 14


@pytest.mark.django_db
def test_gzipped_files_import_the_same(tmp_path: Path) -> None:
    for file in FIXTURES.iterdir():
        with gzip.open(tmp_path / f"{file.name}.gz", "wb") as handle:
            handle.write(file.read_bytes())
    assert starwars.count_sets(tmp_path) == 2
    assert starwars.count_sets(tmp_path, only={"SHD"}) == 1
    report = catalogue_import_source(source="starwars", path=tmp_path)
    assert report.cards_created == 20
    assert CardSet.objects.get(source_id="SHD").name == "Shadows of the Galaxy"


@pytest.mark.django_db
def test_live_path_reads_the_api_per_set_and_retries_after_a_500(recorded_http, no_backoff
                                                                 ) -> None:
    sor = {"total_cards": 14, "data": _rows()}
    recorded_http.routes["/cards/sor"] = [
        (500, b'{"error": "internal"}', "application/json"),
        (200, json.dumps(sor).encode(), "application/json")]
    recorded_http.add_json("/cards/shd", {"total_cards": 6, "data": _rows(
        "shadows-of-the-galaxy")})
    report = catalogue_import_source(source="starwars", live=True, only={"SOR", "SHD"},
                                     base_url=recorded_http.url)
    assert recorded_http.requests == ["/cards/sor", "/cards/sor", "/cards/shd"]
    assert (report.sets_created, report.cards_created, report.sets_failed) == (2, 20, 0)
    assert CardSet.objects.get(source_id="SOR").name == "Spark of Rebellion"
    assert starwars.LIVE_BASE_URL == "https://api.swu-db.com"


@pytest.mark.django_db
@pytest.mark.skipif(not REAL.is_dir(), reason="shared/data/starwars is not here")
def test_real_files_import_every_card() -> None:
    report = catalogue_import_source(source="starwars", path=REAL)
    # 4 sets, 1,018 cards; every row is well-formed, none reported.
    assert (report.sets_created, report.cards_created, report.sets_failed) == (4, 1_018, 0)
    assert report.errors == []
    assert set(CardSet.objects.filter(tcg__slug="starwars").values_list("name", flat=True)) == {
        "Spark of Rebellion", "Shadows of the Galaxy", "Twilight of the Republic",
        "Jump to Lightspeed"}


def test_fixture_is_small() -> None:
    assert sum(f.stat().st_size for f in FIXTURES.iterdir()) < 200_000


@pytest.mark.django_db
def test_an_unreadable_set_file_fails_alone(tmp_path: Path) -> None:
    (tmp_path / "spark-of-rebellion.json").write_bytes(
        (FIXTURES / "spark-of-rebellion.json").read_bytes())
    (tmp_path / "shadows-of-the-galaxy.json").write_text("[{", encoding="utf-8")
    report = catalogue_import_source(source="starwars", path=tmp_path)
    assert (report.sets_created, report.cards_created, report.sets_failed) == (1, 14, 1)
    assert str(report.errors[0]).startswith(
        "SHD / *: set not imported: shadows-of-the-galaxy.json not readable")
