"""`{% card_price_book card as book %}`: the card page's current prices and chart settings.

The card page (catalogue) shows the price book without the catalogue's view knowing about
pricing: the template asks for it here (one query).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation
from django.utils.translation import gettext as _

from catalogue.models import Card
from catalogue.views import variant_label
from pricing import selectors
from pricing.models import RAW, Condition, Source

register = template.Library()

DEFAULT_DAYS = 90


def grade_label(grade: str) -> str:
    """raw -> Raw, psa_10 -> PSA 10, bgs_9_5 -> BGS 9.5."""
    if grade == RAW:
        return _("Raw")
    company, _sep, score = grade.partition("_")
    return f"{company.upper()} {score.replace('_', '.')}".strip()


def language_label(code: str) -> str:
    try:
        return str(translation.get_language_info(code)["name_translated"])
    except KeyError:
        return code


@register.simple_tag
def card_price_book(card: Card) -> dict[str, Any]:
    rows = card_price_book_rows(card)
    sources = {value: str(label) for value, label in Source.choices}
    variants = {row["variant"]: row["variant_label"] for row in rows}
    return {
        "rows": rows,
        "periods": selectors.HISTORY_DAYS,
        "default_days": DEFAULT_DAYS,
        "has_chart": any(row["grade"] == RAW and row["condition"] == Condition.NM
                         for row in rows),
        "labels": {"sources": sources, "variants": variants},
    }


def card_price_book_rows(card: Card) -> list[dict[str, Any]]:
    conditions = dict(Condition.choices)
    return [{
        **row,
        "source_label": str(Source(row["source"]).label) if row["source"] in Source.values
        else row["source"],
        "variant_label": variant_label(row["variant"]),
        "condition_label": str(conditions.get(row["condition"], row["condition"])),
        "language_label": language_label(row["language"]),
        "grade_label": grade_label(row["grade"]),
    } for row in selectors.card_price_book(card_id=card.pk)]
