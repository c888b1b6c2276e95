from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalogue.importers import SOURCE_MODULES, source_module
from catalogue.services import catalogue_import_source


class Command(BaseCommand):
    help = ("Import card data from a real source format (files, or --live from the source's "
            "API). Idempotent; a bad row is reported, a failing set is rolled back.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", choices=sorted(SOURCE_MODULES))
        parser.add_argument("path", nargs="?", help="file or folder in the source's format")
        parser.add_argument("--live", action="store_true",
                            help="read from the live source instead of files")
        parser.add_argument("--base-url", help="override the live source's base URL")
        parser.add_argument("--set", dest="only", action="append",
                            help="only this set (source id); repeatable")
        parser.add_argument("--max-errors", type=int, default=50,
                            help="row errors to print (all are counted)")

    def handle(self, *args: Any, **options: Any) -> None:
        source, live = options["source"], options["live"]
        path = Path(options["path"]) if options["path"] else None
        if not live and (path is None or not path.exists()):
            raise CommandError("give an existing PATH, or --live")
        only = set(options["only"]) if options["only"] else None
        total = None if live else source_module(source).count_sets(path, only=only)
        with tqdm(total=total, unit="set", desc=source,
                  disable=options["verbosity"] == 0) as bar:
            def progress(bundle: Any) -> None:
                bar.set_postfix_str(bundle.set_record.source_id, refresh=False)
                bar.update(1)

            report = catalogue_import_source(source=source, path=path, live=live, only=only,
                                             base_url=options["base_url"], progress=progress)
        for error in report.errors[:options["max_errors"]]:
            self.stderr.write(f"  row error: {error}")
        if len(report.errors) > options["max_errors"]:
            self.stderr.write(f"  … and {len(report.errors) - options['max_errors']} more")
        self.stdout.write(report.summary())
