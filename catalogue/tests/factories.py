"""Catalogue factories. The twelve TCG rows exist already (data migration): get them by slug."""

from __future__ import annotations

import factory

from catalogue.importers.base import number_sort_key
from catalogue.models import TCG, Card, CardSet, SealedProduct


def tcg(slug: str = "pokemon") -> TCG:
    """One of the twelve seeded TCGs."""
    return TCG.objects.get(slug=slug)


class CardSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CardSet

    tcg = factory.LazyFunction(tcg)
    source_id = factory.Sequence(lambda n: f"set{n}")
    name = factory.Sequence(lambda n: f"Test Set {n}")
    code = factory.Sequence(lambda n: f"TS{n}")
    series = "Test Series"
    release_date = factory.Faker("date_between", start_date="-20y", end_date="-1y")
    total_cards = 102
    printed_total = factory.SelfAttribute("total_cards")


class CardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Card

    card_set = factory.SubFactory(CardSetFactory)
    tcg = factory.SelfAttribute("card_set.tcg")
    source_id = factory.LazyAttributeSequence(lambda o, n: f"{o.card_set.source_id}-{n}")
    name = factory.Sequence(lambda n: f"Card {n}")
    number = factory.Sequence(lambda n: str(n + 1))
    number_sort = factory.LazyAttribute(lambda o: number_sort_key(o.number))
    rarity = "Common"
    card_type = "Pokémon"
    image_url = factory.LazyAttribute(
        lambda o: f"https://images.example.com/{o.card_set.source_id}/{o.number}.png")
    attributes = factory.LazyFunction(lambda: {"subtypes": ["Basic"]})
    variants = factory.LazyFunction(lambda: ["normal"])


class SealedProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SealedProduct

    tcg = factory.LazyFunction(tcg)
    card_set = None
    source_id = factory.Sequence(lambda n: f"sealed-{n}")
    name = factory.Sequence(lambda n: f"Booster Box {n}")
    kind = SealedProduct.Kind.BOOSTER_BOX
