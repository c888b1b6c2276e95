"""Card extras: /api/cards/{id}/marketplace-urls and /api/cards/{id}/evolution-chain."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.test import APIClient

from catalogue.models import Card, CardSet
from catalogue.tests.factories import CardFactory, CardSetFactory, tcg
from catalogue.tests.test_api_tcgs_sets import assert_json_404

# --- Marketplace URLs -------------------------------------------------------------------------


@pytest.fixture
def base_charizard(db) -> Card:  # noqa: ANN001
    card_set = CardSetFactory(source_id="base1", name="Base Set", code="BS", printed_total=102)
    return CardFactory(card_set=card_set, name="Charizard", number="4", rarity="Rare Holo",
                       variants=["holofoil", "1st_edition_holofoil"])


def _urls(client: APIClient, card: Card, **params) -> dict:
    response = client.get(f"/api/cards/{card.pk}/marketplace-urls", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_search_urls_when_no_product_ids_are_known(api_client: APIClient,  # noqa: ANN001
                                                   base_charizard: Card,
                                                   django_assert_max_num_queries) -> None:  # noqa: ANN001
    with django_assert_max_num_queries(1):
        body = _urls(api_client, base_charizard)

    assert body == {
        "card_id": base_charizard.pk, "variant": "holofoil",
        "cardmarket_url": "https://www.cardmarket.com/en/Pokemon/Products/Search"
                          "?searchString=Charizard",
        "tcgplayer_url": "https://www.tcgplayer.com/search/pokemon/product"
                         "?q=Charizard+Base+Set",
        "ebay_url": "https://www.ebay.com/sch/i.html?_nkw=Charizard+Base+Set+4%2F102+Holofoil",
    }


def test_product_urls_when_ids_are_known(api_client: APIClient,  # noqa: ANN001
                                         base_charizard: Card) -> None:
    Card.objects.filter(pk=base_charizard.pk).update(tcgplayer_product_id=42382,
                                                     cardmarket_product_id=273699)

    body = _urls(api_client, base_charizard, variant="1st_edition_holo")

    assert body["variant"] == "1st_edition_holofoil"
    assert body["cardmarket_url"] == ("https://www.cardmarket.com/en/Pokemon/Products/Singles/"
                                      "Base-Set/Charizard?isFirstEd=Y")
    assert body["tcgplayer_url"] == ("https://www.tcgplayer.com/product/42382"
                                     "?Printing=1st+Edition+Holofoil")
    assert parse_qs(urlsplit(body["ebay_url"]).query)["_nkw"] == [
        "Charizard Base Set 4/102 1st Edition Holofoil"]


def test_names_become_cardmarket_slugs(api_client: APIClient, db) -> None:  # noqa: ANN001
    card_set = CardSetFactory(name="Gym Challenge")
    card = CardFactory(card_set=card_set, name="Blaine's Charizard", cardmarket_product_id=1,
                       variants=["normal"])

    body = _urls(api_client, card, variant="normal")

    assert body["cardmarket_url"] == ("https://www.cardmarket.com/en/Pokemon/Products/Singles/"
                                      "Gym-Challenge/Blaines-Charizard")
    assert body["tcgplayer_url"] == "https://www.tcgplayer.com/search/pokemon/product?q=Blaine%27s+Charizard+Gym+Challenge"


@pytest.mark.parametrize(("slug", "game", "line"), [
    ("mtg", "Magic", "magic"), ("yugioh", "YuGiOh", "yugioh"),
    ("onepiece", "OnePiece", "one-piece-card-game"), ("lorcana", "Lorcana", "lorcana-tcg"),
    ("fab", "FleshAndBlood", "flesh-and-blood-tcg"),
    ("starwars", "StarWarsUnlimited", "star-wars-unlimited"),
    ("digimon", "Digimon", "digimon-card-game"), ("dragonball", "DragonBallSuper", None),
])
def test_each_game_has_its_marketplace_segment(api_client: APIClient, db, slug: str,  # noqa: ANN001
                                               game: str, line: str | None) -> None:
    card = CardFactory(card_set=CardSetFactory(tcg=tcg(slug)), name="Some Card")

    body = _urls(api_client, card)

    assert body["cardmarket_url"].startswith(f"https://www.cardmarket.com/en/{game}/Products/")
    if line:
        assert body["tcgplayer_url"].startswith(f"https://www.tcgplayer.com/search/{line}/")


def test_games_cardmarket_does_not_sell_have_no_cardmarket_url(api_client: APIClient,  # noqa: ANN001
                                                               db) -> None:
    card = CardFactory(card_set=CardSetFactory(tcg=tcg("keyforge")), name="Key Abduction")

    body = _urls(api_client, card)

    assert body["cardmarket_url"] is None
    assert body["tcgplayer_url"].startswith("https://www.tcgplayer.com/search/all/product?q=")


def test_mtg_foil_filters_cardmarket(api_client: APIClient, db) -> None:  # noqa: ANN001
    card = CardFactory(card_set=CardSetFactory(tcg=tcg("mtg"), name="Kamigawa: Neon Dynasty"),
                       name="The Wandering Emperor", cardmarket_product_id=606000,
                       variants=["nonfoil", "foil"])

    body = _urls(api_client, card, variant="FOIL")

    assert body["variant"] == "foil"
    assert body["cardmarket_url"] == ("https://www.cardmarket.com/en/Magic/Products/Singles/"
                                      "Kamigawa-Neon-Dynasty/The-Wandering-Emperor?isFoil=Y")


def test_a_card_without_variant_data_is_normal(api_client: APIClient, db) -> None:  # noqa: ANN001
    card = CardFactory(variants=[])

    assert _urls(api_client, card)["variant"] == "normal"
    assert _urls(api_client, card, variant="normal")["variant"] == "normal"


def test_unknown_variant_is_422(api_client: APIClient, base_charizard: Card) -> None:
    response = api_client.get(f"/api/cards/{base_charizard.pk}/marketplace-urls",
                              {"variant": "reverse_holofoil"})

    assert response.status_code == 422
    assert response.json() == {"detail": [{
        "loc": ["query", "variant"],
        "msg": "value is not a valid enumeration member; permitted: 'holofoil', "
               "'1st_edition_holofoil'",
        "type": "type_error.enum"}]}


def test_marketplace_urls_of_unknown_card_is_404(api_client: APIClient, db) -> None:  # noqa: ANN001
    assert_json_404(api_client.get("/api/cards/999999/marketplace-urls"), "Card not found")


# --- Evolution chains -------------------------------------------------------------------------


def _pokemon(card_set: CardSet, name: str, stage: str, evolves_from: str = "",
             **kwargs) -> Card:
    return CardFactory(card_set=card_set, name=name, evolves_from=evolves_from,
                       attributes={"subtypes": [stage]}, **kwargs)


@pytest.fixture
def lines(db) -> dict[str, Card]:  # noqa: ANN001
    """Real evolution lines across sets and series (names and stages as pokemontcg.io has
    them)."""
    base = CardSetFactory(source_id="base1", name="Base", series="Base")
    base2 = CardSetFactory(source_id="base4", name="Base Set 2", series="Base")
    jungle = CardSetFactory(source_id="base2", name="Jungle", series="Base")
    flames = CardSetFactory(source_id="sv3", name="Obsidian Flames", series="Scarlet & Violet")
    sv1 = CardSetFactory(source_id="sv1", name="Scarlet & Violet", series="Scarlet & Violet")
    return {
        "charmander": _pokemon(base, "Charmander", "Basic"),
        "charmeleon": _pokemon(base, "Charmeleon", "Stage 1", "Charmander"),
        "charizard": _pokemon(base, "Charizard", "Stage 2", "Charmeleon"),
        "charmander2": _pokemon(base2, "Charmander", "Basic"),
        "charizard_ex": CardFactory(card_set=flames, name="Charizard ex",
                                    evolves_from="Charmeleon",
                                    attributes={"subtypes": ["Stage 2", "ex"]}),
        "charmeleon_sv": _pokemon(sv1, "Charmeleon", "Stage 1", "Charmander"),
        "eevee": _pokemon(jungle, "Eevee", "Basic"),
        "vaporeon": _pokemon(jungle, "Vaporeon", "Stage 1", "Eevee"),
        "jolteon": _pokemon(jungle, "Jolteon", "Stage 1", "Eevee"),
        "flareon": _pokemon(jungle, "Flareon", "Stage 1", "Eevee"),
        "kadabra": _pokemon(base, "Kadabra", "Stage 1", "Abra"),
        "potion": CardFactory(card_set=base, name="Potion", card_type="Trainer",
                              attributes={"subtypes": ["Item"]}),
    }


def _chain(client: APIClient, card: Card) -> list[dict]:
    response = client.get(f"/api/cards/{card.pk}/evolution-chain")
    assert response.status_code == 200, response.content
    assert response.json()["card_id"] == card.pk
    return response.json()["chain"]


def _step(stage: str, card: Card) -> dict:
    return {"stage": stage, "name": card.name, "card_id": card.pk}


def test_chain_walks_back_to_the_basic_in_the_same_set(api_client: APIClient,  # noqa: ANN001
                                                       lines: dict[str, Card],
                                                       django_assert_max_num_queries) -> None:  # noqa: ANN001
    with django_assert_max_num_queries(6):
        chain = _chain(api_client, lines["charizard"])

    assert chain == [_step("Basic", lines["charmander"]), _step("Stage 1", lines["charmeleon"]),
                     _step("Stage 2", lines["charizard"])]


def test_chain_walks_forward_from_a_basic(api_client: APIClient,  # noqa: ANN001
                                          lines: dict[str, Card]) -> None:
    # Same set first: Base Set's Charizard, not Obsidian Flames' Charizard ex.
    assert _chain(api_client, lines["charmander"]) == [
        _step("Basic", lines["charmander"]), _step("Stage 1", lines["charmeleon"]),
        _step("Stage 2", lines["charizard"])]


def test_chain_prefers_the_same_series(api_client: APIClient,  # noqa: ANN001
                                       lines: dict[str, Card]) -> None:
    # Obsidian Flames has no Charmeleon: Scarlet & Violet's (same series) is chosen.
    chain = _chain(api_client, lines["charizard_ex"])

    assert chain[1:] == [_step("Stage 1", lines["charmeleon_sv"]),
                         _step("Stage 2", lines["charizard_ex"])]
    assert chain[0]["name"] == "Charmander"  # from any set: none in the series


def test_chain_branches(api_client: APIClient, lines: dict[str, Card]) -> None:
    chain = _chain(api_client, lines["eevee"])

    assert chain == [_step("Basic", lines["eevee"]), _step("Stage 1", lines["flareon"]),
                     _step("Stage 1", lines["jolteon"]), _step("Stage 1", lines["vaporeon"])]


def test_a_missing_ancestor_keeps_its_name(api_client: APIClient,  # noqa: ANN001
                                           lines: dict[str, Card]) -> None:
    assert _chain(api_client, lines["kadabra"]) == [
        {"stage": "Basic", "name": "Abra", "card_id": None}, _step("Stage 1", lines["kadabra"])]


def test_trainers_and_other_games_have_no_chain(api_client: APIClient,  # noqa: ANN001
                                                lines: dict[str, Card]) -> None:
    dragon = CardFactory(card_set=CardSetFactory(tcg=tcg("yugioh")), card_type="Monster",
                         name="Blue-Eyes White Dragon", attributes={})

    assert _chain(api_client, lines["potion"]) == []
    assert _chain(api_client, dragon) == []


def test_evolution_chain_of_unknown_card_is_404(api_client: APIClient, db) -> None:  # noqa: ANN001
    assert_json_404(api_client.get("/api/cards/999999/evolution-chain"), "Card not found")
