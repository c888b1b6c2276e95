from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from catalogue.images import card_images_update, cards_for_images


class Command(BaseCommand):
    help = ("Download card images from their source and store WebP thumbnails under "
            "MEDIA_ROOT (cards/<tcg>/<set>/<card id>-<size>.webp). Cards done already are "
            "skipped unless --force; a failed download is reported and leaves the card as it was.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tcg", help="only this TCG (slug)")
        parser.add_argument("--set", dest="set_source_id", help="only this set (source id)")
        parser.add_argument("--card", dest="card_ids", type=int, action="append",
                            help="only this card id; repeatable")
        parser.add_argument("--force", action="store_true",
                            help="download again and replace existing thumbnails")
        parser.add_argument("--missing", action="store_true",
                            help="only cards without a local image (fast on big catalogues)")
        parser.add_argument("--max-errors", type=int, default=50,
                            help="failures to print (all are counted)")

    def handle(self, *args: Any, **options: Any) -> None:
        cards = cards_for_images(card_ids=options["card_ids"], tcg_slug=options["tcg"],
                                 set_source_id=options["set_source_id"],
                                 missing_only=options["missing"])
        with tqdm(total=cards.count(), unit="card", desc="images",
                  disable=options["verbosity"] == 0) as bar:
            def progress(card: Any, outcome: str) -> None:
                bar.set_postfix_str(outcome, refresh=False)
                bar.update(1)

            report = card_images_update(cards=cards, force=options["force"],
                                        progress=progress)
        for card_id, message in report.failed[:options["max_errors"]]:
            self.stderr.write(f"  card {card_id}: {message}")
        if len(report.failed) > options["max_errors"]:
            self.stderr.write(f"  … and {len(report.failed) - options['max_errors']} more")
        self.stdout.write(report.summary())
