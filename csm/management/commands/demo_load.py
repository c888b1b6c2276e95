"""Load the demo data a fresh installation starts with. Safe to run on every start.

Each step is idempotent: it creates what is missing and leaves existing rows alone, so
`make run` can call this every time without duplicating data or undoing admin edits.
New demo data (catalogue, prices, …) is added as another step in STEPS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand
from django.db import transaction

from catalogue.demo import DEMO_STEPS
from csm.models import PlatformSettings
from csm.selectors import platform_settings_forget
from pricing.demo import DEMO_STEPS as PRICING_DEMO_STEPS


@dataclass(frozen=True)
class Step:
    name: str
    load: Callable[[], str]  # returns a one-line summary of what it did


def _platform_settings() -> str:
    _obj, created = PlatformSettings.objects.get_or_create(pk=PlatformSettings.SINGLETON_ID)
    platform_settings_forget()
    return "created with defaults" if created else "already present"


def _site() -> str:
    """The sites framework row allauth puts in its emails; left alone once renamed."""
    domain = urlsplit(settings.SITE_URL).netloc or "127.0.0.1:8000"
    site, created = Site.objects.get_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": "CollectorsStashMarket"})
    if not created and site.domain == "example.com":
        site.domain, site.name = domain, "CollectorsStashMarket"
        site.save(update_fields=["domain", "name"])
        return f"set to {domain}"
    return f"created for {domain}" if created else f"already set ({site.domain})"


STEPS: list[Step] = [
    Step("platform settings", _platform_settings),
    Step("site", _site),
    # the demo catalogue: every source of catalogue/demo_data/ through its real importer
    *(Step(name, load) for name, load in DEMO_STEPS),
    # demo prices: the real TCGplayer history of the catalogue's Pokémon products
    *(Step(name, load) for name, load in PRICING_DEMO_STEPS),
]


class Command(BaseCommand):
    help = "Load the demo data (idempotent: run it as often as you like)."

    def handle(self, *args: object, **options: object) -> None:
        started = monotonic()
        for number, step in enumerate(STEPS, start=1):
            step_started = monotonic()
            with transaction.atomic():
                summary = step.load()
            self.stdout.write(f"[{number}/{len(STEPS)}] {step.name}: {summary} "
                              f"({monotonic() - step_started:.1f}s)")
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready ({len(STEPS)} steps, {monotonic() - started:.1f}s)."))
