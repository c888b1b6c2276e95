from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from pricing.summaries import price_summaries_refresh, priced_ids


class Command(BaseCommand):
    help = ("Recompute card and sealed summaries from the price book: each card's reference "
            "series (is_primary), best_price (lowest raw NM market price in USD) and "
            "price_change_7d, and sealed products' best_price. By default every card and "
            "product that has prices or still shows a summary; --all takes the whole "
            "catalogue. Ingest keeps these current; this is for backfills.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true",
                            help="every card and sealed product of the catalogue")
        parser.add_argument("--card", dest="card_ids", type=int, action="append",
                            help="only this card id; repeatable")

    def handle(self, *args: Any, **options: Any) -> None:
        from catalogue.models import Card, SealedProduct

        if options["card_ids"]:
            card_ids, sealed_ids = sorted(set(options["card_ids"])), []
        elif options["all"]:
            card_ids = list(Card.objects.order_by("pk").values_list("pk", flat=True))
            sealed_ids = list(SealedProduct.objects.order_by("pk").values_list("pk", flat=True))
        else:
            card_ids, sealed_ids = priced_ids()
        with tqdm(total=len(card_ids) + len(sealed_ids), unit="item", desc="summaries",
                  disable=options["verbosity"] == 0) as bar:
            result = price_summaries_refresh(card_ids=card_ids, sealed_ids=sealed_ids,
                                             progress=bar.update)
        self.stdout.write(result.summary())
