"""The shipped demo dataset: files, determinism, loading with the real importers, products."""

from __future__ import annotations

import csv
import gzip
import io
import json
import struct
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Max

from catalogue import demo
from catalogue.demo import DEMO_DATA, DEMO_SOURCES, PRODUCTS_PATH, importer_available
from catalogue.importers import tcgplayer_products as products
from catalogue.models import Card, CardSet, SealedProduct
from catalogue.services import catalogue_import_source

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
MAX_BYTES = 8_000_000

# What the full demo load holds per game (real sets, cards), pinned from the dataset; a
# source whose importer is not installed yet is checked to be skipped instead.
EXPECTED = {
    "pokemontcg": ("pokemon", 34, 5479),
    "mtgjson": ("mtg", 7, 2113),
    "onepiece": ("onepiece", 60, 4843),
    "fab": ("fab", 101, 15591),
    "lorcana": ("lorcana", 23, 3154),
    "starwars": ("starwars", 4, 1018),
    "ygojson": ("yugioh", 7, 793),
}


def gz_files() -> list[Path]:
    return sorted(DEMO_DATA.rglob("*.gz"))


# --- Files -----------------------------------------------------------------------------------

def test_every_source_folder_is_shipped_gzip_compressed_and_small() -> None:
    for source in DEMO_SOURCES:
        files = list(source.path.rglob("*.gz"))
        assert files, f"{source.folder}: no data files"
    assert (PRODUCTS_PATH / products.FILE_NAME).exists()
    assert (DEMO_DATA / "README.md").exists()
    total = sum(p.stat().st_size for p in DEMO_DATA.rglob("*") if p.is_file())
    assert total < MAX_BYTES, f"demo dataset is {total:,} bytes"
    for path in gz_files():
        head = path.read_bytes()[:10]
        assert head[:2] == b"\x1f\x8b", f"{path} is not gzip"
        # deterministic header: no mtime, no file name (FLG bit 3 clear)
        assert struct.unpack("<I", head[4:8])[0] == 0, f"{path} carries an mtime"
        assert not head[3] & 0x08, f"{path} carries a file name"


def test_json_files_decompress_to_the_source_formats() -> None:
    sets = json.loads(gzip.decompress((DEMO_DATA / "pokemon/sets/en.json.gz").read_bytes()))
    ids = {s["id"] for s in sets}
    assert {"base1", "base6", "gym1", "neo4", "si1", "basep", "sv3", "swsh7", "cel25"} <= ids
    for set_id in ids:
        cards = json.loads(gzip.decompress(
            (DEMO_DATA / f"pokemon/cards/en/{set_id}.json.gz").read_bytes()))
        assert cards and all(c["id"].startswith(set_id) for c in cards)
    lea = json.loads(gzip.decompress((DEMO_DATA / "mtg/LEA.json.gz").read_bytes()))["data"]
    assert lea["code"] == "LEA" and "booster" not in lea and "translations" not in lea
    card = lea["cards"][0]
    assert {"legalities", "identifiers", "finishes", "foreignData"} <= set(card)
    assert "rulings" not in card and "purchaseUrls" not in card
    assert any(json.loads(gzip.decompress(p.read_bytes()))["data"]["releaseDate"]
               .startswith("2022") for p in (DEMO_DATA / "mtg").glob("*.json.gz"))
    for path in gz_files():
        if path.name.endswith(".json.gz"):
            json.loads(gzip.decompress(path.read_bytes()))
    ygo = json.loads(gzip.decompress((DEMO_DATA / "yugioh/sets.json.gz").read_bytes()))
    assert len(ygo) == 7


@pytest.mark.skipif(not (SHARED_DATA / "README.md").exists(),
                    reason="the real data (../shared/data) is not on this machine")
def test_rebuilding_the_dataset_gives_identical_bytes(tmp_path: Path) -> None:
    from scripts.build_demo_dataset import main

    assert main(["--source", str(SHARED_DATA), "--out", str(tmp_path)]) == 0
    built = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*")
             if p.is_file()}
    shipped = {p.relative_to(DEMO_DATA): p.read_bytes() for p in DEMO_DATA.rglob("*")
               if p.is_file() and p.name != "README.md"}
    assert built.keys() == shipped.keys()
    assert [k for k in built if built[k] != shipped[k]] == []


# --- TCGplayer products CSV ------------------------------------------------------------------

def test_products_csv_parses_every_row() -> None:
    rows, errors = products.read_rows(PRODUCTS_PATH / products.FILE_NAME)
    assert errors == [] and len(rows) == 43
    assert sum(r.is_card for r in rows) == 20
    first = rows[0]
    assert (first.set_code, first.product_id) == ("SWSH06", 236258)
    assert first.url.startswith("https://www.tcgplayer.com/product/236258/")
    assert "r.jina.ai" not in first.url and "?" not in first.url


@pytest.mark.parametrize(("code", "name", "expected"), [
    ("SWSH06", "", "swsh6"), ("SV03.5", "", "sv3pt5"), ("SV01", "Base Set", "sv1"),
    ("SWSH07.5", "Celebrations", "cel25"), ("SWSH12.5", "Crown Zenith", "swsh12pt5"),
    ("SV08.5", "Prismatic Evolutions", None), ("SV09", "", None),
])
def test_set_codes_map_to_pokemontcg_ids(code: str, name: str, expected: str | None) -> None:
    known = {"swsh6": "Chilling Reign", "sv3pt5": "151", "sv1": "Scarlet & Violet",
             "cel25": "Celebrations", "cel25c": "Celebrations: Classic Collection",
             "swsh12pt5": "Crown Zenith", "base1": "Base"}
    assert products.pokemontcg_set_id(code, name, known) == expected


def test_kinds_names_and_numbers() -> None:
    assert products.sealed_kind("Elite Trainer Box") == SealedProduct.Kind.ETB
    assert products.sealed_kind("Booster Box") == SealedProduct.Kind.BOOSTER_BOX
    assert products.sealed_kind("Booster Bundle") == SealedProduct.Kind.BOOSTER_BUNDLE
    assert products.sealed_kind("Mini Tin") == SealedProduct.Kind.TIN
    assert products.sealed_kind("Something") == SealedProduct.Kind.OTHER
    assert products.split_card_name("Fezandipiti ex 092") == ("Fezandipiti ex", "092")
    assert products.normalise_number("092") == products.normalise_number("92")
    assert (products.normalise_name("Lillies Clefairy ex")
            == products.normalise_name("Lillie's Clefairy ex"))
    with pytest.raises(ValueError, match="no TCGplayer product URL"):
        products.product_url("https://example.com/x")


def test_bad_csv_rows_are_reported(tmp_path: Path) -> None:
    path = tmp_path / products.FILE_NAME
    path.write_text("set,type,period,name,url\n"
                    "SV03,Card,3M,Charizard ex 223,https://example.com/nothing\n"
                    ",Booster Box,3M,X,https://www.tcgplayer.com/product/1/x\n"
                    "SV03,Booster Box,3M,Obsidian Flames,"
                    "https://r.jina.ai/https://www.tcgplayer.com/product/501257/x?page=1\n",
                    encoding="utf-8")
    rows, errors = products.read_rows(path)
    assert [r.product_id for r in rows] == [501257]
    assert [e.row_ref for e in errors] == ["line 2", "line 3"]


needs_pokemontcg = pytest.mark.skipif(not importer_available("pokemontcg"),
                                      reason="the pokemontcg importer is not installed")


@needs_pokemontcg
@pytest.mark.django_db
def test_products_attach_to_sets_and_link_cards() -> None:
    catalogue_import_source(source="pokemontcg", path=DEMO_DATA / "pokemon",
                            only={"sv3", "sv6pt5", "cel25", "swsh9"})
    report = products.tcgplayer_products_import(path=PRODUCTS_PATH)
    assert report.errors == []
    assert report.cards_linked == 3  # sv3 223, sv6pt5 092 -> 92, swsh9 154
    charizard = Card.objects.get(card_set__source_id="sv3", number="223")
    assert charizard.tcgplayer_product_id == 509980
    assert Card.objects.get(card_set__source_id="sv6pt5",
                            number="92").tcgplayer_product_id == 560403
    assert Card.objects.filter(tcgplayer_product_id__isnull=False).count() == 3
    # all 23 sealed rows are stored; those whose set is loaded are attached to it
    assert SealedProduct.objects.count() == 23
    etb = SealedProduct.objects.get(tcgplayer_product_id=242811)
    assert (etb.card_set.source_id, etb.kind, etb.name) == (
        "cel25", SealedProduct.Kind.ETB, "Celebrations Elite Trainer Box")
    box = SealedProduct.objects.get(source_id="tcgplayer-501257")
    assert box.card_set.source_id == "sv3" and box.kind == SealedProduct.Kind.BOOSTER_BOX
    assert box.external_ids["tcgplayer_url"].startswith("https://www.tcgplayer.com/product/")
    unlinked = SealedProduct.objects.get(tcgplayer_product_id=624679)  # SV10, no set
    assert unlinked.card_set is None and unlinked.name == "Destined Rivals Booster Box"
    # 17 single rows are unmatched (their sets are not loaded here), every one reported
    assert len([e for e in report.unmatched if "card" in e.message]) == 17
    again = products.tcgplayer_products_import(path=PRODUCTS_PATH)
    assert again.changed == 0 and again.cards_unchanged == 3
    assert again.sealed.sealed_unchanged == 23


@pytest.mark.django_db
def test_a_card_with_the_number_but_another_name_is_not_linked() -> None:
    from catalogue.tests.factories import CardFactory, CardSetFactory

    card_set = CardSetFactory(source_id="sv3", name="Obsidian Flames")
    CardFactory(card_set=card_set, number="223", name="Not Charizard")
    report = products.tcgplayer_products_import(path=PRODUCTS_PATH)
    assert report.cards_linked == 0
    assert any(e.row_ref == "line 34" and "Not Charizard #223" in e.message
               for e in report.unmatched)
    assert SealedProduct.objects.get(tcgplayer_product_id=501257).card_set == card_set


# --- demo_load -------------------------------------------------------------------------------

def test_a_missing_importer_is_skipped_with_a_clear_message(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setitem(demo.SOURCE_MODULES, "mtgjson", "catalogue.importers.not_there")
    step = dict(demo.DEMO_STEPS)["catalogue: Magic (MTGJSON)"]
    message = step()
    assert message.startswith("SKIPPED: the mtgjson importer")
    assert "not installed" in message


@pytest.mark.django_db
def test_products_step_waits_for_pokemon_sets() -> None:
    assert demo.demo_products().startswith("SKIPPED: no Pokémon sets")
    assert not SealedProduct.objects.exists()


def _state() -> dict[str, object]:
    return {
        "sets": CardSet.objects.count(), "cards": Card.objects.count(),
        "sealed": SealedProduct.objects.count(),
        "sets_updated": CardSet.objects.aggregate(m=Max("updated_at"))["m"],
        "cards_updated": Card.objects.aggregate(m=Max("updated_at"))["m"],
        "sealed_updated": SealedProduct.objects.aggregate(m=Max("updated_at"))["m"],
        "linked": Card.objects.filter(tcgplayer_product_id__isnull=False).count(),
    }


@pytest.fixture
def marker(settings, tmp_path: Path) -> Path:  # noqa: ANN001
    settings.CSM_DEMO_MARKER = str(tmp_path / "demo_catalogue.json")
    return tmp_path / "demo_catalogue.json"


@pytest.mark.django_db
def test_demo_load_loads_every_source_once_and_a_second_run_changes_nothing(marker) -> None:  # noqa: ANN001
    out = io.StringIO()
    call_command("demo_load", stdout=out)
    first = out.getvalue()
    lines = {line.split(": ", 1)[1].split(": ", 1)[0]: line for line in first.splitlines()
             if line.startswith("[") and "catalogue: " in line}
    for source in DEMO_SOURCES:
        line = next(v for k, v in lines.items() if source.label in k)
        if not importer_available(source.source):
            assert "SKIPPED" in line and source.source in line
            continue
        assert "failed 0" in line, line
        slug, sets, cards = EXPECTED.get(source.source, (None, None, None))
        if slug is None:
            continue  # landed after this test was written: loaded, counts not pinned yet
        assert CardSet.objects.filter(tcg__slug=slug, is_synthetic=False).count() == sets
        assert Card.objects.filter(tcg__slug=slug, is_synthetic=False).count() == cards
    if importer_available("pokemontcg"):
        assert SealedProduct.objects.filter(source_id__startswith="tcgplayer-").count() == 23
        assert Card.objects.filter(tcg__slug="pokemon",
                                   tcgplayer_product_id__isnull=False).count() == 18
    before = _state()

    out = io.StringIO()
    call_command("demo_load", stdout=out)
    second = [line for line in out.getvalue().splitlines() if "catalogue: " in line]
    assert second and all("no changes" in line or "SKIPPED" in line for line in second), \
        "\n".join(second)
    assert _state() == before


needs_starwars = pytest.mark.skipif(not importer_available("starwars"),
                                    reason="the starwars importer is not installed")


@needs_starwars
@pytest.mark.django_db
def test_a_repeat_run_skips_unchanged_files_until_the_database_changes(
        marker, django_capture_on_commit_callbacks) -> None:  # noqa: ANN001
    step = dict(demo.DEMO_STEPS)["catalogue: Star Wars Unlimited"]
    with django_capture_on_commit_callbacks(execute=True):
        assert "+1,018" in step()
    assert marker.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert "files and importer unchanged" in step()
    card = Card.objects.filter(tcg__slug="starwars").first()
    card.name = "Edited in the admin"
    card.save()
    with django_capture_on_commit_callbacks(execute=True):
        line = step()  # the database changed: the files are imported again
    assert "~1 " in line and "files and importer unchanged" not in line
    with django_capture_on_commit_callbacks(execute=True):
        assert "files and importer unchanged" in step()


def test_readme_names_every_folder_and_licence() -> None:
    text = (DEMO_DATA / "README.md").read_text(encoding="utf-8")
    for source in DEMO_SOURCES:
        assert f"`{source.folder}/" in text
    assert text.count("MIT") >= 4
    with (PRODUCTS_PATH / products.FILE_NAME).open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 43
