from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from pricing.models import ScrapeRun
from pricing.services import source_scrape_run
from pricing.sources import ADAPTERS, adapter_class, ecb
from pricing.tasks.scrape import source_is_configured


class Command(BaseCommand):
    help = ("Scrape one price source now (or read a saved payload of its real format with "
            "--file) and write the prices; `fx` fetches the ECB reference rates. Prints the "
            "run's counts; a failed run writes nothing and exits non-zero.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", choices=sorted([*ADAPTERS, ecb.SOURCE]))
        parser.add_argument("--set", dest="set_ids", action="append",
                            help="only this set (pokemontcg.io set id); repeatable")
        parser.add_argument("--file", help="parse this saved payload (the source's own "
                                           "format, .gz accepted) instead of fetching")
        parser.add_argument("--history", action="store_true",
                            help="fx: fetch the last 90 days instead of the latest day")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["source"]
        path = options["file"]
        if path and not Path(path).is_file():
            raise CommandError(f"{path} is not a file")
        if source == ecb.SOURCE:
            run = ecb.fx_rates_fetch(history=options["history"], path=path)
        else:
            if not path and not source_is_configured(adapter_class(source)):
                # No run is recorded: a source without credentials is not a failing scraper.
                raise CommandError(f"{source} is not configured (see the README's "
                                   "configuration table)")
            adapter_options: dict[str, Any] = {}
            if path:
                adapter_options["file"] = path
            if options["set_ids"]:
                adapter_options["set_ids"] = options["set_ids"]
            with tqdm(total=100, unit="%", desc=source,
                      disable=options["verbosity"] == 0) as bar:
                def progress(done: int, total: int) -> None:
                    percent = min(100, int(done * 100 / total)) if total else 0
                    if percent > bar.n:
                        bar.update(percent - bar.n)

                run = source_scrape_run(source=source, progress=progress, **adapter_options)
                if run.status != ScrapeRun.Status.FAILED:
                    bar.update(100 - bar.n)
        self.stdout.write(
            f"{source}: {run.get_status_display()} — fetched {run.fetched}, written "
            f"{run.written}, unmatched {run.unmatched}, invalid {run.invalid}, "
            f"outliers {run.outliers}")
        if run.error:
            self.stderr.write(run.error)
        if run.status == ScrapeRun.Status.FAILED:
            raise CommandError(f"{source} scrape failed (run {run.pk})")
