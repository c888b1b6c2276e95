"""Flesh and Blood importer: @flesh-and-blood/cards, from files and from the live npm CDN."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from catalogue.importers import fab
from catalogue.models import Card, CardSet
from catalogue.services import catalogue_import_source

FIXTURES = Path(__file__).parent / "fixtures" / "fab"
REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "fab"
FIXTURE_SETS = {"MST", "1HP", "ARC", "APS", "SUP", "promos", "DYN", "GEM", "AZS", "OMN"}


def _cards() -> list[dict]:
    return json.loads((FIXTURES / "cards.json").read_text(encoding="utf-8"))


def _by_key(bundles) -> dict[tuple[str, str], object]:  # noqa: ANN001
    return {(c.number, c.variant_key): c for b in bundles for c in b.cards}


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("csm.http.time.sleep", lambda seconds: None)


def test_each_printing_is_a_card_of_its_release() -> None:
    bundles = list(fab.bundles_from_path(FIXTURES))
    assert {b.set_record.source_id for b in bundles} == FIXTURE_SETS
    mst = next(b for b in bundles if b.set_record.source_id == "MST")
    assert (mst.set_record.name, mst.set_record.code) == ("Part the Mistveil", "MST")
    cards = _by_key(bundles)
    plain, rainbow = cards[("MST131", "")], cards[("MST131", "rainbow")]
    assert plain.name == "10,000 Year Reunion (Red)" and plain.rarity == "Majestic"
    assert plain.variants == ["normal"] and rainbow.variants == ["rainbow_foil"]
    assert rainbow.source_id == "MST131-rainbow"
    assert plain.tcgplayer_product_id == rainbow.tcgplayer_product_id == 551703
    assert rainbow.image_url == "https://content.fabrary.net/cards/MST131.webp"
    assert plain.attributes["pitch"] == 1 and plain.attributes["cost"] == 8
    assert plain.attributes["classes"] == ["Illusionist"]
    assert plain.attributes["keywords"] == ["Ward"]
    assert plain.legalities["classic_constructed"] == "Legal"
    assert plain.card_type == "Illusionist Action - Aura"


def test_editions_foilings_treatments_and_backs_get_distinct_keys() -> None:
    cards = _by_key(fab.bundles_from_path(FIXTURES))
    assert {k for n, k in cards if n == "ARC132"} == {"1st", "1st-rainbow", "unl", "unl-rainbow"}
    assert {k for n, k in cards if n == "OMN001"} == {"", "cold-fa", "cold-fa-back"}
    assert cards[("OMN001", "cold-fa")].variants == ["cold_foil"]
    assert cards[("HER146", "rainbow-arf")].variants == ["rainbow_foil"]
    # Two GEM119 printings share the print id "GEM119-Full Art"; one is also an alternate art
    # (another artist). Both are real: neither is dropped nor reported.
    assert cards[("GEM119", "fa")].attributes["artists"] == ["Sam Yang"]
    assert cards[("GEM119", "aa-fa")].attributes["artists"] == ["Isuardi Therianto"]


def test_banned_and_multi_prefix_releases() -> None:
    bundles = {b.set_record.source_id: b for b in fab.bundles_from_path(FIXTURES)}
    berserk = next(c for c in bundles["DYN"].cards if c.number == "DYN009")
    assert berserk.legalities["classic_constructed"] == "Banned"
    assert berserk.legalities["blitz"] == "Legal"
    promos = bundles["promos"].set_record
    assert (promos.name, promos.code) == ("Promos", "FAB/HER")
    # A printing without an image (SUP239 in the source) keeps an empty image URL.
    assert next(c for c in bundles["SUP"].cards if c.number == "SUP239").image_url == ""


@pytest.mark.django_db
def test_import_and_a_second_run_changes_nothing() -> None:
    first = catalogue_import_source(source="fab", path=FIXTURES)
    assert (first.sets_created, first.cards_created, first.errors) == (10, 25, [])
    card = Card.objects.get(tcg__slug="fab", number="MST131", variant_key="rainbow")
    assert card.card_set.code == "MST" and card.tcgplayer_product_id == 551703
    second = catalogue_import_source(source="fab", path=FIXTURES)
    assert second.changed == 0 and second.cards_unchanged == 25


@pytest.mark.django_db
def test_malformed_printing_is_reported_and_the_rest_of_the_release_is_stored(
        tmp_path: Path) -> None:
    cards = _cards()
    broken = cards[0]["printings"]
    broken.append({**broken[0], "identifier": "MST-131", "print": "MST-131"})
    broken.append({**broken[0], "print": "MST131-Cold", "foiling": "Cold",
                   "tcgplayer": {"productId": "n/a"}})
    (tmp_path / "cards.json").write_text(json.dumps(cards), encoding="utf-8")
    report = catalogue_import_source(source="fab", path=tmp_path, only={"MST"})
    assert [str(e) for e in report.errors] == [
        "MST / MST-131: malformed identifier 'MST-131'",
        "MST / MST131-Cold: tcgplayer productId 'n/a' is not a number"]
    assert report.sets_failed == 0
    assert CardSet.objects.get(source_id="MST").cards.count() == 2


@pytest.mark.django_db
def test_gzipped_file_imports_the_same(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "cards.json.gz", "wb") as handle:
        handle.write((FIXTURES / "cards.json").read_bytes())
    assert fab.count_sets(tmp_path) == 10
    assert fab.count_sets(tmp_path, only={"MST", "Promos"}) == 2
    report = catalogue_import_source(source="fab", path=tmp_path)
    assert report.cards_created == 25


def _recorded_module() -> bytes:
    """The package's shape: a CommonJS module whose `cards` export is the card list."""
    cards = (FIXTURES / "cards.json").read_text(encoding="utf-8")
    return (f'"use strict";var t=Object.freeze({{Rainbow:"Rainbow"}});var c={cards};'
            f"module.exports={{cards:c}};").encode()


@pytest.mark.django_db
@pytest.mark.skipif(shutil.which("node") is None, reason="the live path needs Node.js")
def test_live_path_evaluates_the_cdn_module_and_retries_after_a_500(recorded_http,
                                                                    no_backoff) -> None:
    recorded_http.routes["/dist/index.js"] = [
        (503, b"busy", "text/plain"), (200, _recorded_module(), "application/javascript")]
    report = catalogue_import_source(source="fab", live=True, base_url=recorded_http.url)
    assert recorded_http.requests == ["/dist/index.js", "/dist/index.js"]
    assert report.cards_created == 25 and report.sets_failed == 0
    assert fab.LIVE_BASE_URL == "https://cdn.jsdelivr.net/npm/@flesh-and-blood/cards"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_the_module_runs_without_require_or_process() -> None:
    from csm.http import SourceError

    with pytest.raises(SourceError, match="require is not defined"):
        fab.cards_from_module('require("fs");module.exports={cards:[]};')


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_an_escaped_module_sees_no_environment_and_no_files(monkeypatch) -> None:  # noqa: ANN001
    """vm is no security boundary; the process around it is: no env, no file system."""
    from csm.http import SourceError

    monkeypatch.setenv("SECRET_KEY", "must-not-leak")
    escape = 'const p = this.constructor.constructor("return process")();'
    cards = fab.cards_from_module(escape + "module.exports={cards:[Object.keys(p.env)]};")
    assert cards == [[]]
    with pytest.raises(SourceError, match="restricted|ERR_ACCESS_DENIED"):
        fab.cards_from_module(
            escape + 'p.mainModule; const fs = p.binding("fs");'
            'module.exports={cards:[String(p.getBuiltinModule ? '
            'p.getBuiltinModule("fs").readFileSync("/etc/passwd") : fs.open("/etc/passwd"))]};')


@pytest.mark.django_db
@pytest.mark.skipif(not REAL.is_dir(), reason="shared/data/fab is not here")
def test_real_card_list_imports_every_printing() -> None:
    report = catalogue_import_source(source="fab", path=REAL)
    # 4,682 cards with 15,591 printings in 101 releases; every printing is a distinct
    # (identifier, variant) in its release, so none is reported.
    assert (report.sets_created, report.sets_failed) == (101, 0)
    assert report.cards_created == 15_591
    assert report.errors == []


def test_fixture_is_small() -> None:
    assert sum(f.stat().st_size for f in FIXTURES.iterdir()) < 200_000


@pytest.mark.django_db
def test_an_unreadable_file_is_a_failed_import_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "cards.json").write_text('{"cards": []}', encoding="utf-8")
    assert fab.count_sets(tmp_path) is None
    report = catalogue_import_source(source="fab", path=tmp_path)
    assert report.sets_failed == 1 and report.changed == 0
    assert "cards.json not readable: it holds dict, not a list" in str(report.errors[0])
