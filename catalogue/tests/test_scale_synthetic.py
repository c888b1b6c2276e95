"""catalogue_scale_synthetic: exact top-up to a target, idempotent, only synthetic rows removed."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from catalogue.models import Card, CardSet
from catalogue.tests.factories import CardFactory, CardSetFactory, tcg

pytestmark = pytest.mark.django_db

TARGET = 500


@pytest.fixture
def real_catalogue() -> list[Card]:
    """A few real sets in two games, with real-looking names, numbers and rarities."""
    cards = []
    base = CardSetFactory(source_id="base1", name="Base", code="BS", total_cards=6)
    for number, name, rarity in [("1", "Alakazam", "Rare Holo"), ("4", "Charizard", "Rare Holo"),
                                 ("25", "Pikachu", "Common"), ("44", "Bulbasaur", "Common"),
                                 ("63", "Squirtle", "Common"), ("58", "Pikachu", "Uncommon")]:
        cards.append(CardFactory(card_set=base, number=number, name=name, rarity=rarity))
    op01 = CardSetFactory(tcg=tcg("onepiece"), source_id="OP01", name="Romance Dawn",
                          code="OP01", total_cards=3)
    for number, name, rarity in [("OP01-001", "Roronoa Zoro", "L"),
                                 ("OP01-024", "Monkey.D.Luffy", "SR"),
                                 ("OP01-025", "Roronoa Zoro", "SR")]:
        cards.append(CardFactory(card_set=op01, number=number, name=name, rarity=rarity))
    return cards


def scale(*args: str) -> str:
    out = io.StringIO()
    call_command("catalogue_scale_synthetic", *args, "-v", "0", stdout=out)
    return out.getvalue()


def test_scales_to_exactly_the_target_with_marked_synthetic_rows(real_catalogue) -> None:
    scale("--cards", str(TARGET))
    assert Card.objects.count() == TARGET
    synthetic = Card.objects.filter(is_synthetic=True)
    assert synthetic.count() == TARGET - len(real_catalogue)
    assert not synthetic.exclude(card_set__is_synthetic=True).exists()
    assert Card.objects.filter(is_synthetic=False).count() == len(real_catalogue)
    # realistic: real names (marked), real numbers and rarities, games in proportion
    names = {c.name for c in real_catalogue}
    for card in synthetic[:50]:
        assert card.name.endswith(" (Synthetic)")
        assert card.name.removesuffix(" (Synthetic)") in names
        assert card.number in {c.number for c in real_catalogue if c.tcg_id == card.tcg_id}
    assert synthetic.filter(tcg__slug="pokemon").count() > synthetic.filter(
        tcg__slug="onepiece").count() > 0
    assert synthetic.filter(number="OP01-001").exists()
    sets = CardSet.objects.filter(is_synthetic=True)
    assert sets.exists() and all("Synthetic" in s.name and "-SYN" in s.code for s in sets)
    prices = [p for p in synthetic.values_list("best_price", flat=True) if p is not None]
    assert len(prices) > 0.8 * synthetic.count()
    assert min(prices) >= Decimal("0.01")
    holo = synthetic.filter(rarity="Rare Holo", best_price__isnull=False)
    common = synthetic.filter(rarity="Common", best_price__isnull=False)
    assert _median(holo) > _median(common)


def _median(queryset) -> Decimal:  # noqa: ANN001
    prices = sorted(queryset.values_list("best_price", flat=True))
    return prices[len(prices) // 2]


def test_a_second_run_changes_nothing_and_a_larger_target_tops_up(real_catalogue) -> None:
    scale("--cards", str(TARGET))
    ids = set(Card.objects.values_list("pk", flat=True))
    output = scale("--cards", str(TARGET))
    assert set(Card.objects.values_list("pk", flat=True)) == ids
    assert f"{TARGET:,} cards" in output
    scale("--cards", "800")
    assert Card.objects.count() == 800
    assert ids < set(Card.objects.values_list("pk", flat=True))
    assert len(set(Card.objects.values_list("card_set_id", "number", "variant_key"))) == 800


def test_a_smaller_target_removes_synthetic_cards_only(real_catalogue) -> None:
    scale("--cards", str(TARGET))
    scale("--cards", "100")
    assert Card.objects.count() == 100
    scale("--cards", "5")  # below the real catalogue: real cards stay
    assert Card.objects.count() == len(real_catalogue)
    assert not CardSet.objects.filter(is_synthetic=True).exists()


def test_remove_deletes_only_synthetic_rows(real_catalogue) -> None:
    scale("--cards", str(TARGET))
    output = scale("--remove")
    assert "Removed" in output
    assert not Card.objects.filter(is_synthetic=True).exists()
    assert not CardSet.objects.filter(is_synthetic=True).exists()
    assert Card.objects.count() == len(real_catalogue)
    assert CardSet.objects.count() == 2


def test_needs_real_cards_to_recombine() -> None:
    with pytest.raises(CommandError, match="no real cards"):
        scale("--cards", str(TARGET))
