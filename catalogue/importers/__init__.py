"""Catalogue importers, one module per real source format.

Each source module defines:

    SOURCE: str       the name used by `manage.py catalogue_import SOURCE` and the task
    TCG_SLUG: str     the game it fills
    LIVE_BASE_URL: str  where the live source lives (overridable, e.g. for tests)
    def bundles_from_path(path: Path, *, only: set[str] | None = None) -> Iterator[SetBundle]
    def bundles_from_live(client: PoliteClient, *, only: set[str] | None = None
                          ) -> Iterator[SetBundle]
    def count_sets(path: Path | None, *, only: set[str] | None = None) -> int | None
        (for the progress bar; None when unknown, e.g. live)
"""

from __future__ import annotations

import importlib
from types import ModuleType

SOURCE_MODULES = {
    "pokemontcg": "catalogue.importers.pokemontcg",
    "mtgjson": "catalogue.importers.mtgjson",
    "onepiece": "catalogue.importers.onepiece",
    "fab": "catalogue.importers.fab",
    "lorcana": "catalogue.importers.lorcana",
    "starwars": "catalogue.importers.starwars",
    "ygojson": "catalogue.importers.ygojson",
}


def source_module(name: str) -> ModuleType:
    if name not in SOURCE_MODULES:
        raise KeyError(f"unknown source {name!r}; choose from {', '.join(SOURCE_MODULES)}")
    return importlib.import_module(SOURCE_MODULES[name])
