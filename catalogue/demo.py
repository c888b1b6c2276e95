"""Demo catalogue: load the dataset shipped in catalogue/demo_data/ with the real importers.

`manage.py demo_load` runs `DEMO_STEPS` (after the platform steps); each step imports one
source's folder with `catalogue_import_source`, the last one attaches the TCGplayer products
of the price CSV. Every step is idempotent (the importers upsert and compare first), returns a
one-line summary with counts, and says clearly when its importer is not installed.

Fast repeat runs: after a clean load, a step records a fingerprint of its data files and
importer code together with a snapshot of what the database then held for that game
(counts and latest `updated_at`) in `var/demo_catalogue.json` (setting `CSM_DEMO_MARKER`).
When both still match, the step does not re-read the files. Any change — new data, a changed
importer, an admin edit, a fresh database — makes it import again. Delete the file to force.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max

from catalogue.importers import SOURCE_MODULES, source_module
from catalogue.importers.base import ImportReport, SetBundle, catalogue_import
from catalogue.models import Card, CardSet, SealedProduct

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
PRODUCTS_PATH = DEMO_DATA / "prices"
ERRORS_SHOWN = 3


@dataclass(frozen=True)
class DemoSource:
    source: str  # the importer's name (catalogue.importers.SOURCE_MODULES)
    folder: str  # under catalogue/demo_data/, laid out like the real source
    label: str
    # external ids another demo file knows, fed into the parsed records before storing
    enrich: Callable[[Iterable[SetBundle]], Iterator[SetBundle]] | None = None
    extra_inputs: tuple[Path, ...] = ()  # other files the step reads (for the fingerprint)

    @property
    def path(self) -> Path:
        return DEMO_DATA / self.folder


def _tcgplayer_ids(bundles: Iterable[SetBundle]) -> Iterator[SetBundle]:
    from catalogue.importers.tcgplayer_products import with_tcgplayer_ids

    return with_tcgplayer_ids(bundles, PRODUCTS_PATH)


DEMO_SOURCES: list[DemoSource] = [
    # pokemontcg.io has no TCGplayer product ids: the price CSV's singles get theirs here, so
    # re-importing the files does not unlink them (see tcgplayer_products.with_tcgplayer_ids)
    DemoSource("pokemontcg", "pokemon", "Pokémon (pokemontcg.io)", enrich=_tcgplayer_ids,
               extra_inputs=(PRODUCTS_PATH,
                             Path(__file__).resolve().parent / "importers"
                             / "tcgplayer_products.py")),
    DemoSource("mtgjson", "mtg", "Magic (MTGJSON)"),
    DemoSource("onepiece", "onepiece", "One Piece"),
    DemoSource("fab", "fab", "Flesh and Blood"),
    DemoSource("lorcana", "lorcana", "Lorcana"),
    DemoSource("starwars", "starwars", "Star Wars Unlimited"),
    DemoSource("ygojson", "yugioh", "Yu-Gi-Oh! (YGOJSON)"),
]


def importer_available(source: str) -> bool:
    module_name = SOURCE_MODULES.get(source)
    if module_name is None:
        return False
    try:
        importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return False
        raise
    return True


def _skipped(source: str) -> str:
    module = SOURCE_MODULES.get(source, f"catalogue.importers.{source}")
    return (f"SKIPPED: the {source} importer ({module.replace('.', '/')}.py) is not "
            f"installed, so this part of the demo catalogue is not loaded")


def _errors_tail(errors: list) -> str:
    if not errors:
        return ""
    shown = "; ".join(str(e) for e in errors[:ERRORS_SHOWN])
    more = f" (+{len(errors) - ERRORS_SHOWN} more)" if len(errors) > ERRORS_SHOWN else ""
    return f" — {shown}{more}"


def report_line(report: ImportReport) -> str:
    """'34 sets (+34 ~0 =0 failed 0), 5,479 cards (+5,479 ~0 =0), 0 sealed (+0 ~0), …'."""
    sets = report.sets_created + report.sets_updated + report.sets_unchanged
    cards = report.cards_created + report.cards_updated + report.cards_unchanged
    sealed = report.sealed_created + report.sealed_updated + report.sealed_unchanged
    state = "no changes" if not report.changed else "changed"
    return (f"{sets:,} sets (+{report.sets_created} ~{report.sets_updated} "
            f"={report.sets_unchanged} failed {report.sets_failed}), {cards:,} cards "
            f"(+{report.cards_created:,} ~{report.cards_updated:,} ={report.cards_unchanged:,}),"
            f" {sealed} sealed (+{report.sealed_created} ~{report.sealed_updated}), "
            f"{len(report.errors)} row error(s); {state}{_errors_tail(report.errors)}")


def demo_import(demo: DemoSource) -> ImportReport | None:
    """Import one demo source; None when its importer is not installed."""
    from catalogue.services import catalogue_import_source

    if not importer_available(demo.source):
        return None
    if demo.enrich is None:
        return catalogue_import_source(source=demo.source, path=demo.path)
    # what catalogue_import_source does, with the records enriched on their way in
    module = source_module(demo.source)
    return catalogue_import(tcg_slug=module.TCG_SLUG, source=module.SOURCE,
                            bundles=demo.enrich(module.bundles_from_path(demo.path)))


# --- Fingerprints for fast repeat runs -------------------------------------------------------

def marker_path() -> Path:
    return Path(getattr(settings, "CSM_DEMO_MARKER", None)
                or Path(settings.VAR_DIR) / "demo_catalogue.json")


def _hash_inputs(digest: Any, path: Path) -> None:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")


def fingerprint(demo: DemoSource) -> str:
    """The demo files and the importer code a step runs (a change to either re-imports)."""
    module = importlib.import_module(SOURCE_MODULES[demo.source])
    importers = Path(__file__).resolve().parent / "importers"
    digest = hashlib.sha256()
    for path in (demo.path, *demo.extra_inputs, Path(module.__file__),
                 importers / "base.py", importers / "files.py"):
        _hash_inputs(digest, path)
    return digest.hexdigest()


def snapshot(tcg_slug: str) -> dict[str, Any]:
    """What the database holds for a game: real sets and cards, the source's sealed products."""
    sets = CardSet.objects.filter(tcg__slug=tcg_slug, is_synthetic=False).aggregate(
        n=Count("pk"), at=Max("updated_at"))
    cards = Card.objects.filter(tcg__slug=tcg_slug, is_synthetic=False).aggregate(
        n=Count("pk"), at=Max("updated_at"), last=Max("pk"))
    # the price CSV's products are the products step's, not this source's
    sealed = (SealedProduct.objects.filter(tcg__slug=tcg_slug)
              .exclude(source_id__startswith="tcgplayer-")
              .aggregate(n=Count("pk"), at=Max("updated_at")))
    return json.loads(json.dumps({"sets": sets, "cards": cards, "sealed": sealed},
                                 default=str, sort_keys=True))


def _database_key() -> str:
    return f"{connection.vendor}:{connection.settings_dict['NAME']}"


def _read_marker() -> dict[str, Any]:
    try:
        data = json.loads(marker_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _remember(source: str, state: dict[str, Any]) -> None:
    data = _read_marker()
    data.setdefault(_database_key(), {})[source] = state
    path = marker_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    except OSError:
        pass  # only an optimisation: the next run imports (and changes nothing)


def _source_step(demo: DemoSource) -> Callable[[], str]:
    def load() -> str:
        if not importer_available(demo.source):
            return _skipped(demo.source)
        tcg_slug = source_module(demo.source).TCG_SLUG
        fp = fingerprint(demo)
        known = _read_marker().get(_database_key(), {}).get(demo.source)
        if known == {"fingerprint": fp, "snapshot": snapshot(tcg_slug)}:
            held = known["snapshot"]
            return (f"{held['sets']['n']:,} sets, {held['cards']['n']:,} cards, "
                    f"{held['sealed']['n']} sealed; no changes (files and importer unchanged "
                    f"since the last load)")
        report = demo_import(demo)
        if report.sets_failed == 0:
            state = {"fingerprint": fp, "snapshot": snapshot(tcg_slug)}
            transaction.on_commit(lambda: _remember(demo.source, state))
        return report_line(report)

    load.__name__ = f"demo_{demo.source}"
    return load


def demo_products() -> str:
    """The sealed products and singles' TCGplayer ids of the price CSV (needs Pokémon sets)."""
    from catalogue.importers.tcgplayer_products import tcgplayer_products_import

    if not CardSet.objects.filter(tcg__slug="pokemon", is_synthetic=False).exists():
        return ("SKIPPED: no Pokémon sets in the catalogue (the pokemontcg step did not load "
                "any), so the products have nothing to attach to")
    report = tcgplayer_products_import(path=PRODUCTS_PATH)
    state = "no changes" if not report.changed else "changed"
    unmatched = ""
    if report.unmatched:
        codes = sorted({e.set_ref for e in report.unmatched})
        unmatched = f" — unmatched rows' sets: {', '.join(codes)}"
    return f"{report.summary()}; {state}{unmatched}{_errors_tail(report.errors)}"


DEMO_STEPS: list[tuple[str, Callable[[], str]]] = [
    *((f"catalogue: {demo.label}", _source_step(demo)) for demo in DEMO_SOURCES),
    ("catalogue: TCGplayer products (price CSV)", demo_products),
]
