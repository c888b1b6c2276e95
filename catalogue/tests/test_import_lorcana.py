"""Lorcana importer: great-illuminary/lorcana-data YAML, from files and from the live repo."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest
import yaml

from catalogue.importers import lorcana
from catalogue.models import Card, CardSet
from catalogue.services import catalogue_import_source

FIXTURES = Path(__file__).parent / "fixtures" / "lorcana"
REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "lorcana"
FIXTURE_SETS = {"tfc", "iti", "arc", "urr", "fab", "p1", "p3", "c1", "c2", "d23", "worlds"}
# Both are genuine problems of the source data, see the module docstring:
FIXTURE_ERRORS = [
    # Maleficent - Monstrous Dragon lists the same Fabled variant (fab 108, 009-108) twice.
    "fab / #108 Maleficent - Monstrous Dragon (from tfc.yml): duplicate card number '108' "
    "(variant '')",
    # Stitch - Little Rocket's second variant says iti 125 but is the P2 promo #43.
    "iti / #125 Stitch - Little Rocket (from iti.yml): set 'iti' number 125 disagrees with "
    "its collector line '43/P2 EN 3' (dreamborn '003-P2-043')",
]


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("csm.http.time.sleep", lambda seconds: None)


def _cards(bundles) -> dict[tuple[str, str, str], object]:  # noqa: ANN001
    return {(b.set_record.source_id, c.number, c.variant_key): c for b in bundles
            for c in b.cards}


def test_variants_become_cards_of_the_set_they_are_printed_in() -> None:
    bundles = list(lorcana.bundles_from_path(FIXTURES))
    assert {b.set_record.source_id for b in bundles} == FIXTURE_SETS
    tfc = next(b for b in bundles if b.set_record.source_id == "tfc").set_record
    assert (tfc.name, tfc.code, tfc.release_date, tfc.printed_total) == (
        "The First Chapter", "TFC", date(2023, 8, 18), 204)
    cards = _cards(bundles)
    ariel = cards[("tfc", "1", "")]
    assert ariel.name == "Ariel - On Human Legs" and ariel.rarity == "Uncommon"
    assert ariel.card_type == "Character" and ariel.source_id == "tfc-1"
    assert ariel.foreign_names["de"] == "Arielle - Auf menschlichen Beinen"
    assert ariel.attributes["cardmarket_url"] == (
        "https://www.cardmarket.com/Lorcana/Products/Singles/The-First-Chapter/"
        "Ariel-On-Human-Legs")
    assert ariel.attributes["strength"] == 3 and ariel.attributes["willpower"] == 4
    assert ariel.image_url == "https://lorcana.codlab.eu/images/tfc/en/1.webp"
    assert ariel.variants == ["normal", "foil"]
    assert ariel.legalities == {"infinity_constructed": "Legal"}
    # Reprints and promos of a tfc card land in their own sets.
    assert cards[("fab", "43", "")].name == "Elsa - Spirit of Winter"
    assert cards[("tfc", "207", "")].rarity == "Enchanted"
    assert cards[("tfc", "207", "")].variants == ["foil"]
    assert cards[("worlds", "2024", "")].name == "Mickey Mouse - Brave Little Tailor"


def test_suffixed_numbers_and_challenge_waves_stay_distinct() -> None:
    cards = _cards(lorcana.bundles_from_path(FIXTURES))
    assert {n for s, n, _k in cards if s == "iti" and n.startswith("4")} == {
        "4a", "4b", "4c", "4d", "4e"}
    assert cards[("c2", "5", "wave7")].name == "Elsa - Ice Maker"
    assert cards[("c2", "5", "wave9")].name == "Pegasus - Gift for Hercules"
    assert cards[("c2", "5", "wave9")].source_id == "c2-5-wave9"


def test_data_errors_are_reported_not_stored() -> None:
    errors = [str(e) for b in lorcana.bundles_from_path(FIXTURES) for e in b.errors]
    assert sorted(errors) == FIXTURE_ERRORS


@pytest.mark.django_db
def test_import_and_a_second_run_changes_nothing() -> None:
    first = catalogue_import_source(source="lorcana", path=FIXTURES)
    assert (first.sets_created, first.cards_created) == (11, 30)
    assert sorted(str(e) for e in first.errors) == FIXTURE_ERRORS
    card = Card.objects.get(tcg__slug="lorcana", card_set__source_id="tfc", number="1")
    assert card.name == "Ariel - On Human Legs"
    assert CardSet.objects.get(tcg__slug="lorcana", source_id="iti").cards.filter(
        number="125").count() == 1
    second = catalogue_import_source(source="lorcana", path=FIXTURES)
    assert second.changed == 0 and second.cards_unchanged == 30


@pytest.mark.django_db
def test_malformed_variant_is_reported_and_the_rest_of_the_set_is_stored(tmp_path: Path
                                                                        ) -> None:
    cards = yaml.safe_load((FIXTURES / "tfc.yml").read_text(encoding="utf-8"))
    cards[0]["variants"][0]["id"] = "one"
    del cards[1]["languages"]["en"]
    (tmp_path / "tfc.yml").write_text(yaml.safe_dump(cards), encoding="utf-8")
    report = catalogue_import_source(source="lorcana", path=tmp_path, only={"tfc"})
    assert [str(e) for e in report.errors] == [
        "tfc / #one Ariel - On Human Legs (from tfc.yml): variant id 'one' is not a number",
        "tfc / #2 (from tfc.yml): no English name"]
    assert report.sets_failed == 0
    assert sorted(CardSet.objects.get(source_id="tfc").cards.values_list("number", flat=True)
                  ) == ["113", "115", "207", "42"]


@pytest.mark.django_db
def test_gzipped_files_import_the_same(tmp_path: Path) -> None:
    for file in FIXTURES.iterdir():
        with gzip.open(tmp_path / f"{file.name}.gz", "wb") as handle:
            handle.write(file.read_bytes())
    assert lorcana.count_sets(tmp_path) == 11
    assert lorcana.count_sets(tmp_path, only={"TFC", "c2"}) == 2
    report = catalogue_import_source(source="lorcana", path=tmp_path)
    assert report.cards_created == 30


@pytest.mark.django_db
def test_a_single_set_file_reads_its_folders_configuration() -> None:
    report = catalogue_import_source(source="lorcana", path=FIXTURES / "arc.yml")
    assert report.sets_created == 2 and report.cards_created == 4


@pytest.mark.django_db
def test_live_path_reads_the_repository_files_and_retries_after_a_500(recorded_http,
                                                                      no_backoff) -> None:
    for stem in lorcana.LIVE_SET_FILES:
        file = FIXTURES / f"{stem}.yml"
        body = file.read_bytes() if file.exists() else b"[]\n"
        recorded_http.routes[f"/{stem}.yml"] = (200, body, "text/plain")
    recorded_http.routes["/tfc.yml"] = [(500, b"", "text/plain"),
                                        (200, (FIXTURES / "tfc.yml").read_bytes(), "text/plain")]
    recorded_http.routes["/configuration.yml"] = (
        200, (FIXTURES / "configuration.yml").read_bytes(), "text/plain")
    report = catalogue_import_source(source="lorcana", live=True, base_url=recorded_http.url)
    assert recorded_http.requests.count("/tfc.yml") == 2
    assert (report.sets_created, report.cards_created, report.sets_failed) == (11, 30, 0)
    assert lorcana.LIVE_BASE_URL.startswith(
        "https://raw.githubusercontent.com/great-illuminary/lorcana-data/main/")


@pytest.mark.django_db
@pytest.mark.skipif(not REAL.is_dir(), reason="shared/data/lorcana is not here")
def test_real_files_import_without_failed_sets() -> None:
    report = catalogue_import_source(source="lorcana", path=REAL)
    assert (report.sets_created, report.sets_failed) == (23, 0)
    # 2,477 cards with 3,157 variants; three variants are data errors, all reported:
    assert sorted(str(e) for e in report.errors) == [
        FIXTURE_ERRORS[0],
        FIXTURE_ERRORS[1],
        # Iago - Out of Reach's second variant says roj 195 but is the D23 promo #8.
        "roj / #195 Iago - Out of Reach (from roj.yml): set 'roj' number 195 disagrees with "
        "its collector line '8/D23 EN 8' (dreamborn '008-D23-008')",
    ]
    assert report.cards_created == 3_154
    assert Card.objects.get(card_set__source_id="tfc", number="1").name == (
        "Ariel - On Human Legs")


def test_fixture_is_small() -> None:
    assert sum(f.stat().st_size for f in FIXTURES.iterdir()) < 200_000


@pytest.mark.django_db
def test_an_unreadable_set_file_fails_that_set_alone(tmp_path: Path) -> None:
    for file in FIXTURES.iterdir():
        (tmp_path / file.name).write_bytes(file.read_bytes())
    (tmp_path / "urr.yml").write_text("- variants: [unclosed\n", encoding="utf-8")
    assert lorcana.count_sets(tmp_path) == 11  # urr is counted, then reported as failed
    report = catalogue_import_source(source="lorcana", path=tmp_path)
    assert report.sets_failed == 1
    assert any(str(e).startswith("urr / *: set not imported: urr.yml not readable")
               for e in report.errors)
    assert not CardSet.objects.filter(source_id="urr").exists()
    assert CardSet.objects.get(source_id="tfc").cards.count() == 6
