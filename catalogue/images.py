"""Card images: download the source image once, serve our own WebP thumbnails.

Files live in the default storage (MEDIA_ROOT) at
`cards/<tcg slug>/<set source id>/<card id>-<size>.webp`, one per size in `SIZES`; the card's
`local_image_url` is the media URL of the detail size, so pages use it first and fall back to
the source's `image_url` until it is there.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from PIL import Image, UnidentifiedImageError

from catalogue.models import Card
from csm.http import PoliteClient, SourceError

GRID = 245
DETAIL = 490
SIZES = (GRID, DETAIL)
WEBP_QUALITY = 82
# Card scans are a few hundred kB; anything far bigger is not a card image.
MAX_SOURCE_BYTES = 15 * 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class CardImageError(Exception):
    """The source image could not be turned into thumbnails."""


@dataclass
class ImageFetchReport:
    fetched: int = 0
    skipped: int = 0
    no_source: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def summary(self) -> str:
        return (f"images: {self.fetched} fetched, {self.skipped} already done, "
                f"{self.no_source} without a source image, {len(self.failed)} failed")


def _safe(part: str) -> str:
    return _UNSAFE.sub("-", part).strip("-.") or "x"


def card_image_name(*, card: Card, size: int) -> str:
    """Storage name of one thumbnail; needs `card.tcg` and `card.card_set` (select_related)."""
    return (f"cards/{_safe(card.tcg.slug)}/{_safe(card.card_set.source_id)}/"
            f"{card.pk}-{size}.webp")


def card_thumb_url(*, local_image_url: str, size: int) -> str:
    """The URL of another size next to a stored detail image ("" when there is none)."""
    suffix = f"-{DETAIL}.webp"
    if not local_image_url.endswith(suffix):
        return ""
    return f"{local_image_url.removesuffix(suffix)}-{size}.webp"


def make_thumbnails(data: bytes) -> dict[int, bytes]:
    """WebP thumbnails of an image, at most SIZES wide (never upscaled), aspect ratio kept."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CardImageError(f"not an image: {exc}") from exc
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P"
                                                and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    thumbnails: dict[int, bytes] = {}
    for size in SIZES:
        width = min(size, image.width)
        height = max(1, round(image.height * width / image.width))
        resized = image if width == image.width else image.resize((width, height),
                                                                   Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        resized.save(buffer, "WEBP", quality=WEBP_QUALITY, method=4)
        thumbnails[size] = buffer.getvalue()
    return thumbnails


def image_client() -> PoliteClient:
    # Image URLs are absolute; one client keeps one polite pace across all CDNs it meets.
    return PoliteClient("", min_interval=0.1, timeout=30, retries=3)


def _download(client: PoliteClient, url: str) -> bytes:
    response = client.get(url)
    data = response.content
    if len(data) > MAX_SOURCE_BYTES:
        raise CardImageError(f"{url} is {len(data)} bytes, more than an image should be")
    return data


def _store(name: str, content: bytes) -> None:
    if default_storage.exists(name):
        default_storage.delete(name)
    stored = default_storage.save(name, ContentFile(content))
    if stored != name:  # a concurrent writer got there first; theirs is the same image
        default_storage.delete(stored)


def is_done(card: Card) -> bool:
    name = card_image_name(card=card, size=DETAIL)
    return (bool(card.local_image_url) and card.local_image_url == default_storage.url(name)
            and all(default_storage.exists(card_image_name(card=card, size=size))
                    for size in SIZES))


def card_image_fetch(*, card: Card, client: PoliteClient, force: bool = False) -> str:
    """Download one card's source image, store its thumbnails and set `local_image_url`.

    Returns "fetched", "skipped" (done already; `force` redoes it) or "no_source". Raises
    SourceError / CardImageError without touching the card or its files.
    """
    if not card.image_url:
        return "no_source"
    if not force and is_done(card):
        return "skipped"
    thumbnails = make_thumbnails(_download(client, card.image_url))
    for size, content in thumbnails.items():
        _store(card_image_name(card=card, size=size), content)
    url = default_storage.url(card_image_name(card=card, size=DETAIL))
    # Only this field: the card's other data and its updated_at belong to the importers.
    Card.objects.filter(pk=card.pk).update(local_image_url=url)
    card.local_image_url = url
    return "fetched"


def cards_for_images(*, card_ids: Iterable[int] | None = None, tcg_slug: str | None = None,
                     set_source_id: str | None = None, missing_only: bool = False
                     ) -> QuerySet[Card]:
    cards = (Card.objects.select_related("tcg", "card_set").exclude(image_url="")
             .only("pk", "image_url", "local_image_url", "tcg__slug", "card_set__source_id")
             .order_by("pk"))
    if card_ids is not None:
        cards = cards.filter(pk__in=list(card_ids))
    if tcg_slug:
        cards = cards.filter(tcg__slug=tcg_slug)
    if set_source_id:
        cards = cards.filter(card_set__source_id=set_source_id)
    if missing_only:
        cards = cards.filter(local_image_url="")
    return cards


def _in_chunks(cards: QuerySet[Card], size: int = 500) -> Iterator[Card]:
    # Keyset pagination: steady memory on 100k+ cards, no long-lived server-side cursor.
    last = 0
    while True:
        chunk = list(cards.filter(pk__gt=last)[:size])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].pk


def card_images_update(*, cards: QuerySet[Card], force: bool = False,
                       client: PoliteClient | None = None,
                       progress: Callable[[Card, str], None] | None = None) -> ImageFetchReport:
    """Fetch images for `cards` (from `cards_for_images`); a failure is reported per card."""
    client = client or image_client()
    report = ImageFetchReport()
    for card in _in_chunks(cards):
        try:
            outcome = card_image_fetch(card=card, client=client, force=force)
        except (SourceError, CardImageError) as exc:
            outcome = "failed"
            report.failed.append((card.pk, str(exc)))
        else:
            if outcome == "fetched":
                report.fetched += 1
            elif outcome == "skipped":
                report.skipped += 1
            else:
                report.no_source += 1
        if progress:
            progress(card, outcome)
    return report
