"""Import the real TCGplayer market-price history.

    manage.py price_history_import ../shared/data/prices                 # folder with both CSVs
    manage.py price_history_import path/tcgplayer_history.csv.gz --products path/products.csv
    manage.py price_history_import ../shared/data/prices --dry-run       # report, write nothing

See pricing/history.py for how the file is read and matched. Idempotent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from pricing.history import price_history_import


class Command(BaseCommand):
    help = ("Import TCGplayer's market-price history CSV (tcgplayer_history.csv) as price "
            "history of the matching cards and sealed products. Idempotent; bad and "
            "unmatched rows are reported.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="tcgplayer_history.csv(.gz), or a folder holding it")
        parser.add_argument("--products", help="tcgplayer_products.csv (default: next to the "
                                               "history file, if there)")
        parser.add_argument("--dry-run", action="store_true",
                            help="read, match and compare, but write nothing")
        parser.add_argument("--max-errors", type=int, default=50,
                            help="bad / unmatched rows to print (all are counted)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        products = Path(options["products"]) if options["products"] else None
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        if products is not None and not products.exists():
            raise CommandError(f"{products} does not exist")
        bars: dict[str, tqdm] = {}
        quiet = options["verbosity"] == 0

        def progress(stage: str, done: int, total: int | None) -> None:
            bar = bars.get(stage)
            if bar is None:
                for other in bars.values():
                    other.close()
                unit = "row" if stage == "read" else "snapshot"
                bar = bars[stage] = tqdm(total=total, unit=unit, desc=stage, disable=quiet)
            bar.update(done - bar.n)

        try:
            report = price_history_import(path=path, products_path=products,
                                          dry_run=options["dry_run"], progress=progress)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for bar in bars.values():
                bar.close()
        limit = options["max_errors"]
        problems = [("row error", e) for e in report.errors] + \
                   [("unmatched", e) for e in report.unmatched]
        for kind, error in problems[:limit]:
            self.stderr.write(f"  {kind}: {error}")
        if len(problems) > limit:
            self.stderr.write(f"  … and {len(problems) - limit} more")
        self.stdout.write(report.summary())
        if report.run_id:
            self.stdout.write(f"Recorded as scrape run {report.run_id}.")
