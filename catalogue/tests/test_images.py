"""Card images: source image → WebP thumbnails in MEDIA_ROOT → local_image_url."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image, ImageDraw

from catalogue.images import DETAIL, GRID, card_thumb_url, make_thumbnails
from catalogue.models import TCG, Card, CardSet
from catalogue.tasks import card_images_fetch

pytestmark = pytest.mark.django_db

REAL_SCAN = Path("/work/shared/data/images/pokemon/charizard-base-set-bs-4.jpg")


def source_jpeg() -> tuple[bytes, tuple[int, int]]:
    """The real Base Set Charizard scan when the shared data is there, else a generated one."""
    if REAL_SCAN.exists():
        data = REAL_SCAN.read_bytes()
    else:
        buffer = io.BytesIO()
        Image.new("RGB", (436, 600), (200, 80, 30)).save(buffer, "JPEG", quality=90)
        data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as image:
        return data, image.size


def big_png() -> bytes:
    """A card with transparent rounded corners, as pokemontcg.io's hi-res PNGs have."""
    image = Image.new("RGBA", (734, 1024), (0, 0, 0, 0))
    ImageDraw.Draw(image).rounded_rectangle((0, 0, 733, 1023), radius=40,
                                            fill=(20, 90, 200, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_URL = "/media/"
    return settings.MEDIA_ROOT


@pytest.fixture
def base_set() -> CardSet:
    return CardSet.objects.create(tcg=TCG.objects.get(slug="pokemon"), source_id="base1",
                                  name="Base", code="BS", total_cards=102)


def make_card(card_set: CardSet, number: str, name: str, image_url: str) -> Card:
    return Card.objects.create(tcg=card_set.tcg, card_set=card_set, name=name, number=number,
                               number_sort=int(number), source_id=f"base1-{number}",
                               rarity="Rare Holo", image_url=image_url)


def webp_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        assert image.format == "WEBP"
        image.verify()
        return image.size


def test_make_thumbnails_never_upscales_and_keeps_the_aspect_ratio() -> None:
    data, (width, height) = source_jpeg()
    thumbs = make_thumbnails(data)
    assert set(thumbs) == {GRID, DETAIL}
    with Image.open(io.BytesIO(thumbs[GRID])) as grid:
        assert grid.format == "WEBP"
        assert grid.width == GRID
        assert grid.height == round(height * GRID / width)
    with Image.open(io.BytesIO(thumbs[DETAIL])) as detail:
        assert detail.width == min(DETAIL, width)


def test_make_thumbnails_keeps_transparency() -> None:
    thumbs = make_thumbnails(big_png())
    with Image.open(io.BytesIO(thumbs[DETAIL])) as detail:
        assert detail.size == (DETAIL, round(1024 * DETAIL / 734))
        assert detail.mode == "RGBA"
        assert detail.getpixel((0, 0))[3] == 0


def test_task_stores_webp_thumbnails_and_sets_the_local_url(recorded_http, base_set: CardSet,
                                                            media_root: Path) -> None:
    data, (width, height) = source_jpeg()
    recorded_http.routes["/base1/4_hires.png"] = (200, data, "image/jpeg")
    card = make_card(base_set, "4", "Charizard", f"{recorded_http.url}/base1/4_hires.png")
    updated_at = card.updated_at

    report = card_images_fetch.delay([card.pk]).get()

    assert report["fetched"] == 1 and report["failed"] == []
    folder = media_root / "cards" / "pokemon" / "base1"
    assert webp_size(folder / f"{card.pk}-{GRID}.webp") == (GRID, round(height * GRID / width))
    assert webp_size(folder / f"{card.pk}-{DETAIL}.webp")[0] == min(DETAIL, width)
    card.refresh_from_db()
    assert card.local_image_url == f"/media/cards/pokemon/base1/{card.pk}-{DETAIL}.webp"
    assert card.updated_at == updated_at  # only local_image_url was written
    assert card_thumb_url(local_image_url=card.local_image_url, size=GRID) == (
        f"/media/cards/pokemon/base1/{card.pk}-{GRID}.webp")
    assert recorded_http.requests == ["/base1/4_hires.png"]


def test_cards_done_are_skipped_unless_forced(recorded_http, base_set: CardSet) -> None:
    recorded_http.routes["/4.png"] = (200, big_png(), "image/png")
    card = make_card(base_set, "4", "Charizard", f"{recorded_http.url}/4.png")
    assert card_images_fetch([card.pk])["fetched"] == 1

    assert card_images_fetch([card.pk]) == {"fetched": 0, "skipped": 1, "no_source": 0,
                                            "failed": []}
    assert len(recorded_http.requests) == 1

    assert card_images_fetch([card.pk], force=True)["fetched"] == 1
    assert len(recorded_http.requests) == 2


def test_missing_files_are_fetched_again(recorded_http, base_set: CardSet,
                                         media_root: Path) -> None:
    recorded_http.routes["/4.png"] = (200, big_png(), "image/png")
    card = make_card(base_set, "4", "Charizard", f"{recorded_http.url}/4.png")
    card_images_fetch([card.pk])
    (media_root / "cards" / "pokemon" / "base1" / f"{card.pk}-{GRID}.webp").unlink()
    assert card_images_fetch([card.pk])["fetched"] == 1


@pytest.mark.parametrize("route", [
    (404, b"not found", "text/plain"),
    (200, b"<html>this is no image</html>", "text/html"),
])
def test_a_failed_download_is_reported_and_leaves_the_card_untouched(
        recorded_http, base_set: CardSet, media_root: Path, route: tuple) -> None:
    recorded_http.routes["/gone.png"] = route
    recorded_http.routes["/ok.png"] = (200, big_png(), "image/png")
    broken = make_card(base_set, "4", "Charizard", f"{recorded_http.url}/gone.png")
    fine = make_card(base_set, "5", "Clefairy", f"{recorded_http.url}/ok.png")

    report = card_images_fetch([broken.pk, fine.pk])

    assert report["fetched"] == 1
    assert [card_id for card_id, _message in report["failed"]] == [broken.pk]
    broken.refresh_from_db()
    assert broken.local_image_url == ""
    assert not list((media_root / "cards" / "pokemon" / "base1").glob(f"{broken.pk}-*"))
    fine.refresh_from_db()
    assert fine.local_image_url.endswith(f"/{fine.pk}-{DETAIL}.webp")


def test_command_reports_progress_and_failures(recorded_http, base_set: CardSet,
                                               capsys) -> None:  # noqa: ANN001
    recorded_http.routes["/ok.png"] = (200, big_png(), "image/png")
    make_card(base_set, "4", "Charizard", f"{recorded_http.url}/ok.png")
    missing = make_card(base_set, "5", "Clefairy", f"{recorded_http.url}/missing.png")
    make_card(base_set, "6", "Gyarados", "")  # no source image: not a candidate

    call_command("catalogue_images", "--tcg", "pokemon")

    captured = capsys.readouterr()
    assert "images: 1 fetched, 0 already done, 0 without a source image, 1 failed" in captured.out
    assert f"card {missing.pk}: GET" in captured.err
    assert "2/2" in captured.err  # tqdm's bar

    call_command("catalogue_images", "--set", "base1", "--missing", verbosity=0)
    assert "0 fetched" in capsys.readouterr().out


def test_pages_use_the_local_image_once_fetched(recorded_http, base_set: CardSet,
                                                client) -> None:  # noqa: ANN001
    source = f"{recorded_http.url}/base1/4_hires.png"
    recorded_http.routes["/base1/4_hires.png"] = (200, source_jpeg()[0], "image/jpeg")
    card = make_card(base_set, "4", "Charizard", source)
    card_page = f"/en/pokemon/cards/{card.pk}/"
    set_page = f"/en/pokemon/sets/{base_set.pk}/"
    assert f'<img src="{source}"' in client.get(card_page, HTTP_ACCEPT="text/html").content.decode()

    card_images_fetch([card.pk])

    detail = f"/media/cards/pokemon/base1/{card.pk}-{DETAIL}.webp"
    grid = f"/media/cards/pokemon/base1/{card.pk}-{GRID}.webp"
    body = client.get(card_page, HTTP_ACCEPT="text/html").content.decode()
    assert f'<img src="{detail}"' in body and source not in body
    body = client.get(set_page, HTTP_ACCEPT="text/html").content.decode()
    assert f'<img src="{grid}" alt="" width="245" height="342" loading="lazy"' in body
