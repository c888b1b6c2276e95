"""Catalogue pages: TCGs, sets, cards, search and top cards. Reads come from selectors."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalogue import selectors
from catalogue.images import GRID, card_thumb_url
from catalogue.models import TCG, Card

SETS_PER_PAGE = 24
CARDS_PER_PAGE = 48
SEARCH_PER_PAGE = 24
TOP_LIMIT = 48
TOP_IN_SET = 6


# --- Pagination -------------------------------------------------------------------------------

def _paginate(request: HttpRequest, items: QuerySet, per_page: int) -> Page:
    """One COUNT and one page query; a bad or too-high ?page= shows the nearest real page."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


@dataclass(frozen=True)
class ResultPage:
    """A page of a list counted elsewhere (search returns a page and its total), shaped like
    Django's Page so the same pagination partial renders both."""

    object_list: list[Any]
    number: int
    count: int
    per_page: int

    @property
    def paginator(self) -> ResultPage:
        return self  # count and num_pages live here

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.per_page))

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1

    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return min(int(raw), 10_000) if raw.isdigit() and int(raw) > 0 else 1


# --- Presentation helpers ---------------------------------------------------------------------

def _with_images(cards: Iterable[Card]) -> list[Card]:
    """Our WebP thumbnail when it exists, else the source's image."""
    cards = list(cards)
    for card in cards:
        card.grid_image_url = (card_thumb_url(local_image_url=card.local_image_url, size=GRID)
                               or card.local_image_url or card.image_url)
        card.detail_image_url = card.local_image_url or card.image_url
    return cards


VARIANT_LABELS = {
    "normal": _("Normal"),
    "holo": _("Holo"),
    "holofoil": _("Holofoil"),
    "reverse_holofoil": _("Reverse holofoil"),
    "1st_edition_holofoil": _("1st Edition holofoil"),
    "1st_edition_normal": _("1st Edition"),
    "unlimited_holofoil": _("Unlimited holofoil"),
    "unlimited_normal": pgettext_lazy("card edition", "Unlimited"),
    "foil": _("Foil"),
    "nonfoil": _("Non-foil"),
    "etched": _("Etched foil"),
    "cold_foil": _("Cold foil"),
    "rainbow_foil": _("Rainbow foil"),
}

LEGALITY_LABELS = {
    "legal": _("Legal"),
    "not_legal": _("Not legal"),
    "banned": _("Banned"),
    "restricted": _("Restricted"),
    "suspended": _("Suspended"),
}

MTG_COLOURS = {"W": _("White"), "U": _("Blue"), "B": _("Black"), "R": _("Red"), "G": _("Green")}

# Labels for the attribute keys the importers keep (pokemontcg.io, MTGJSON and the other
# sources' own names); keys not listed here are shown with a label made from the key.
ATTRIBUTE_LABELS = {
    "supertype": _("Card kind"),
    "subtypes": _("Subtypes"),
    "level": _("Level"),
    "hp": _("HP"),
    "types": _("Types"),
    "evolvesTo": _("Evolves into"),
    "rules": _("Rules"),
    "ancientTrait": _("Ancient Trait"),
    "abilities": _("Abilities"),
    "attacks": _("Attacks"),
    "weaknesses": _("Weakness"),
    "resistances": _("Resistance"),
    "retreatCost": _("Retreat cost"),
    "regulationMark": _("Regulation mark"),
    "nationalPokedexNumbers": _("National Pokédex number"),
    "manaCost": _("Mana cost"),
    "manaValue": _("Mana value"),
    "colors": _("Colours"),
    "colorIdentity": _("Colour identity"),
    "supertypes": _("Supertypes"),
    "text": _("Rules text"),
    "power": _("Power"),
    "toughness": _("Toughness"),
    "loyalty": _("Loyalty"),
    "defense": _("Defence"),
    "keywords": _("Keywords"),
    "layout": _("Layout"),
    "faceName": _("Face"),
    "cost": _("Cost"),
    "counter": _("Counter"),
    "life": _("Life"),
    "attribute": _("Attribute"),
    "color": _("Colour"),
    "colour": _("Colour"),
    "effect": _("Effect"),
    "trigger": _("Trigger"),
    "traits": _("Traits"),
    "aspects": _("Aspects"),
    "arena": _("Arena"),
    "subtitle": _("Subtitle"),
    "ink": _("Ink"),
    "inkwell": _("Inkwell"),
    "strength": _("Strength"),
    "willpower": _("Willpower"),
    "lore": _("Lore"),
    "classifications": _("Classifications"),
    "pitch": _("Pitch"),
    "race": _("Race"),
    "archetype": _("Archetype"),
    "atk": _("ATK"),
    "def": _("DEF"),
    "description": _("Text"),
    "artist": _("Illustrator"),
    "flavorText": _("Flavour text"),
}
# Long texts: shown as paragraphs, after the short facts.
PROSE_KEYS = frozenset({"text", "effect", "description", "flavorText", "rules"})
# Kept for machines (ids, bookkeeping), not for readers.
HIDDEN_KEYS = frozenset({"convertedRetreatCost", "scryfallOracleId", "scryfallIllustrationId",
                         "tcgplayerEtchedProductId", "printings", "side", "images", "id"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _label_from_key(key: str) -> str:
    words = _CAMEL.sub(" ", key).replace("_", " ").strip()
    return words[:1].upper() + words[1:].lower()


def variant_label(variant: str) -> str:
    return str(VARIANT_LABELS.get(variant, _label_from_key(variant)))


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _entries(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Attacks, abilities and other named effects: a title, a line of facts and the text."""
    entries = []
    for item in items:
        cost = item.get("cost")
        facts = [item.get("type") or ""]
        if isinstance(cost, list):
            facts.append(" ".join(str(c) for c in cost))
        elif cost:
            facts.append(str(cost))
        entries.append({"title": str(item.get("name") or ""),
                        "facts": " · ".join(f for f in facts if f),
                        "damage": str(item.get("damage") or ""),
                        "text": str(item.get("text") or "")})
    return entries


def _value_text(key: str, value: Any) -> str:
    if key in ("colors", "colorIdentity") and isinstance(value, list):
        return ", ".join(str(MTG_COLOURS.get(c, c)) for c in value)
    if key == "nationalPokedexNumbers" and isinstance(value, list):
        return ", ".join(f"#{n}" for n in value)
    if isinstance(value, list):
        if all(isinstance(v, dict) and "type" in v and "value" in v for v in value):
            return ", ".join(f"{v['type']} {v['value']}" for v in value)  # weakness ×2
        return ", ".join(_scalar(v) for v in value if not isinstance(v, dict | list))
    if isinstance(value, dict):
        return ", ".join(f"{_label_from_key(str(k))}: {_scalar(v)}" for k, v in value.items()
                         if not isinstance(v, dict | list))
    return _scalar(value)


def card_attribute_rows(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    """A card's game attributes as labelled rows: facts first (in the label table's order,
    then the rest alphabetically), effects and long texts last."""
    order = {key: index for index, key in enumerate(ATTRIBUTE_LABELS)}
    keys = sorted((k for k in attributes if k not in HIDDEN_KEYS),
                  key=lambda k: (order.get(k, len(order)), k))
    facts, effects, prose = [], [], []
    for key in keys:
        value = attributes[key]
        if value in (None, "", [], {}):
            continue
        label = ATTRIBUTE_LABELS.get(key) or _label_from_key(key)
        named = [value] if isinstance(value, dict) and "name" in value else value
        if (isinstance(named, list) and named
                and all(isinstance(v, dict) and "name" in v for v in named)):
            effects.append({"label": label, "kind": "entries", "entries": _entries(named)})
        elif key in PROSE_KEYS or (isinstance(value, str) and len(value) > 120):
            text = "\n".join(map(str, value)) if isinstance(value, list) else str(value)
            prose.append({"label": label, "kind": "prose", "value": text,
                          "is_flavour": key == "flavorText"})
        else:
            text = _value_text(key, value)
            if text:
                facts.append({"label": label, "kind": "text", "value": text})
    return facts + effects + prose


def legality_rows(legalities: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for game_format, status in sorted(legalities.items()):
        key = re.sub(r"[^a-z]+", "_", str(status).lower()).strip("_")
        rows.append({"format": _label_from_key(str(game_format)),
                     "status": str(LEGALITY_LABELS.get(key, status)), "status_key": key})
    return rows


def foreign_name_rows(names: dict[str, str]) -> list[tuple[str, str]]:
    """(language in the reader's language, name): language codes as the importers store them."""
    aliases = {"zhs": "zh-hans", "zht": "zh-hant"}  # MTGJSON's Chinese codes
    rows = []
    for code, name in names.items():
        try:
            language = translation.get_language_info(aliases.get(code, code))["name_translated"]
        except KeyError:
            language = code
        rows.append((str(language), name))
    return sorted(rows)


# --- Pages ------------------------------------------------------------------------------------

def tcg_index(request: HttpRequest) -> HttpResponse:
    """The twelve games with their set and card counts (two queries)."""
    counts = selectors.platform_tcg_counts()
    tcgs = list(selectors.tcg_list())
    for tcg in tcgs:
        figures = counts.get(tcg.slug, {})
        tcg.set_count = figures.get("sets", 0)
        tcg.card_count = figures.get("cards", 0)
    return render(request, "catalogue/tcg_index.html", {"tcgs": tcgs})


def tcg_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A game and its sets, newest first, paginated."""
    tcg = selectors.tcg_get(slug=slug)
    page = _paginate(request, selectors.set_list(tcg=tcg), SETS_PER_PAGE)
    return render(request, "catalogue/tcg_detail.html", {"tcg": tcg, "page_obj": page})


def tcg_detail_by_tcg_slug(request: HttpRequest, tcg_slug: str) -> HttpResponse:
    """/<tcg>/sets/: the API's path for a game's sets shows the game's page."""
    return tcg_detail(request, slug=tcg_slug)


def set_detail(request: HttpRequest, tcg_slug: str, set_id: int | str) -> HttpResponse:
    tcg = selectors.tcg_get(slug=tcg_slug)
    card_set = selectors.set_get(tcg=tcg, set_id=int(set_id))
    page = _paginate(request, selectors.card_list(tcg=tcg, set_id=card_set.pk), CARDS_PER_PAGE)
    page.object_list = _with_images(page.object_list)
    return render(request, "catalogue/set_detail.html", {
        "tcg": tcg, "card_set": card_set, "page_obj": page,
        "stats": selectors.set_stats(card_set=card_set),
        "top_cards": _with_images(selectors.set_top_cards(card_set=card_set,
                                                          limit=TOP_IN_SET)),
    })


class CardFilterForm(forms.Form):
    """The filters of /<tcg>/cards/ (the API's names: set_id, rarity, name)."""

    name = forms.CharField(label=_("Name contains"), max_length=100, required=False)
    set_id = forms.TypedChoiceField(label=_("Set"), required=False, coerce=int,
                                    empty_value=None)
    rarity = forms.CharField(label=_("Rarity"), max_length=64, required=False)

    def __init__(self, *args: Any, sets: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["set_id"].choices = [("", _("All sets"))] + [
            (card_set.pk, card_set.name) for card_set in sets]


def tcg_cards(request: HttpRequest, tcg_slug: str) -> HttpResponse:
    """A game's cards in set and number order, filtered like the API's /<tcg>/cards."""
    tcg = selectors.tcg_get(slug=tcg_slug)
    form = CardFilterForm(request.GET or None, sets=selectors.set_list(tcg=tcg))
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {key: value for key, value in form.cleaned_data.items() if value}
    page = _paginate(request, selectors.card_list(tcg=tcg, **filters), CARDS_PER_PAGE)
    page.object_list = _with_images(page.object_list)
    return render(request, "catalogue/tcg_cards.html",
                  {"tcg": tcg, "form": form, "page_obj": page})


def card_detail(request: HttpRequest, tcg_slug: str, card_id: int | str) -> HttpResponse:
    tcg = selectors.tcg_get(slug=tcg_slug)
    card = _with_images([selectors.card_get(card_id=int(card_id), tcg=tcg)])[0]
    variants = [
        {"name": variant, "label": variant_label(variant),
         "urls": selectors.card_marketplace_urls(card=card, variant=variant)}
        for variant in selectors.card_variants(card)
    ]
    return render(request, "catalogue/card_detail.html", {
        "tcg": tcg, "card": card, "card_set": card.card_set,
        "variants": variants,
        "attribute_rows": card_attribute_rows(card.attributes or {}),
        "legalities": legality_rows(card.legalities or {}),
        "foreign_names": foreign_name_rows(card.foreign_names or {}),
        "evolution_chain": selectors.card_evolution_chain(card=card),
    })


class SearchForm(forms.Form):
    """The filters of the API's /api/search, with its parameter names."""

    q = forms.CharField(label=_("Search for"), max_length=200, required=False)
    tcg_slug = forms.ChoiceField(label=_("Game"), required=False)
    set_id = forms.TypedChoiceField(label=_("Set"), required=False, coerce=int,
                                    empty_value=None)
    rarity = forms.CharField(label=_("Rarity"), max_length=64, required=False)
    min_price = forms.DecimalField(label=_("Minimum price (USD)"), required=False, min_value=0,
                                   max_digits=12, decimal_places=2)
    max_price = forms.DecimalField(label=_("Maximum price (USD)"), required=False, min_value=0,
                                   max_digits=12, decimal_places=2)

    def __init__(self, *args: Any, tcgs: Iterable[TCG] = (), sets: Iterable[Any] = (),
                 **kwargs: Any) -> None:
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["tcg_slug"].choices = [("", _("All games"))] + [
            (tcg.slug, tcg.name) for tcg in tcgs]
        sets = list(sets)
        if sets:
            self.fields["set_id"].choices = [("", _("All sets"))] + [
                (card_set.pk, card_set.name) for card_set in sets]
        else:  # a set list of every game would be hundreds long
            self.fields["set_id"].choices = [("", _("Pick a game first"))]
            self.fields["set_id"].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", _("The maximum price is below the minimum price."))
        return data


def search(request: HttpRequest) -> HttpResponse:
    tcgs = list(selectors.tcg_list())
    data = request.GET.copy()
    tcg = next((t for t in tcgs if t.slug == data.get("tcg_slug")), None)
    sets = list(selectors.set_list(tcg=tcg)) if tcg else []
    if data.get("set_id") and str(data["set_id"]) not in {str(s.pk) for s in sets}:
        data.pop("set_id")  # the set of a game no longer chosen
    form = SearchForm(data, tcgs=tcgs, sets=sets)
    page = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        filters = form.cleaned_data
        number = _page_number(request)
        cards, total = selectors.card_search(
            q=filters["q"], tcg_slug=filters["tcg_slug"] or None, set_id=filters["set_id"],
            rarity=filters["rarity"] or None,
            min_price=_as_float(filters["min_price"]), max_price=_as_float(filters["max_price"]),
            limit=SEARCH_PER_PAGE, offset=(number - 1) * SEARCH_PER_PAGE)
        page = ResultPage(_with_images(cards), number, total, SEARCH_PER_PAGE)
    return render(request, "catalogue/search.html",
                  {"form": form, "page_obj": page, "query": form.data.get("q", "").strip()})


def _as_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def cards_top(request: HttpRequest) -> HttpResponse:
    tcgs = list(selectors.tcg_list())
    tcg = next((t for t in tcgs if t.slug == request.GET.get("tcg_slug")), None)
    cards = _with_images(selectors.cards_top(tcg_slug=tcg.slug if tcg else None,
                                             limit=TOP_LIMIT))
    return render(request, "catalogue/cards_top.html",
                  {"tcgs": tcgs, "tcg": tcg, "cards": cards})
