"""Demo prices: the real TCGplayer history, loaded by `manage.py demo_load` after the
catalogue steps (it needs the demo catalogue's Pokémon cards and sealed products).

Idempotent and fast on repeat: the import compares with the database and writes nothing
(and records no scrape run) when nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from catalogue.demo import PRODUCTS_PATH
from catalogue.models import SealedProduct
from pricing.history import PRODUCTS_FILE, price_history_import

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
HISTORY_PATH = DEMO_DATA / "tcgplayer_history.csv.gz"


def demo_price_history() -> str:
    """The TCGplayer price history of the demo's Pokémon singles and sealed products."""
    if not SealedProduct.objects.filter(tcg__slug="pokemon",
                                        tcgplayer_product_id__isnull=False).exists():
        return ("SKIPPED: no Pokémon products with a TCGplayer id in the catalogue (the "
                "TCGplayer products step did not load any), so the history has nothing to "
                "attach to")
    report = price_history_import(path=HISTORY_PATH, products_path=PRODUCTS_PATH / PRODUCTS_FILE,
                                  record_unchanged=False)
    state = "changed" if report.changed else "no changes"
    unmatched = ""
    if report.unmatched:
        unmatched = f" — unmatched: {'; '.join(str(e) for e in report.unmatched[:3])}"
        if len(report.unmatched) > 3:
            unmatched += f" (+{len(report.unmatched) - 3} more)"
    return f"{report.summary()}; {state}{unmatched}"


DEMO_STEPS: list[tuple[str, Callable[[], str]]] = [
    ("prices: TCGplayer price history (price CSV)", demo_price_history),
]
