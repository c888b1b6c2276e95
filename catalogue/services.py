"""Writes for the catalogue."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from catalogue.importers import source_module
from catalogue.importers.base import ImportReport, SetBundle, catalogue_import
from csm.http import PoliteClient


def catalogue_import_source(*, source: str, path: Path | None = None, live: bool = False,
                            only: set[str] | None = None, base_url: str | None = None,
                            progress: Callable[[SetBundle], None] | None = None
                            ) -> ImportReport:
    """Import one source from files (`path`) or from the live source (`live`)."""
    module = source_module(source)
    if live:
        client = PoliteClient(base_url or module.LIVE_BASE_URL)
        bundles = module.bundles_from_live(client, only=only)
    else:
        if path is None:
            raise ValueError("a path is needed unless importing from the live source")
        bundles = module.bundles_from_path(Path(path), only=only)
    return catalogue_import(tcg_slug=module.TCG_SLUG, source=module.SOURCE, bundles=bundles,
                            progress=progress)
