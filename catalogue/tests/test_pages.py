"""Catalogue pages in English and Dutch: games, sets, cards, search and top cards."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from catalogue.models import Card, CardSet
from catalogue.tests.factories import CardFactory, CardSetFactory, tcg
from pricing.summaries import price_summaries_refresh
from pricing.tests.book import history, put

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html"}

CHARIZARD_ATTRIBUTES = {
    "hp": "120", "types": ["Fire"], "subtypes": ["Stage 2"], "level": "76",
    "abilities": [{"name": "Energy Burn", "type": "Pokémon Power",
                   "text": "As often as you like during your turn (before your attack), you may "
                           "turn all Energy attached to Charizard into Fire Energy for the rest "
                           "of the turn."}],
    "attacks": [{"name": "Fire Spin", "cost": ["Fire", "Fire", "Fire", "Fire"],
                 "convertedEnergyCost": 4, "damage": "100",
                 "text": "Discard 2 Energy cards attached to Charizard in order to use this "
                         "attack."}],
    "weaknesses": [{"type": "Water", "value": "×2"}],
    "resistances": [{"type": "Fighting", "value": "-30"}],
    "retreatCost": ["Colorless", "Colorless", "Colorless"], "convertedRetreatCost": 3,
    "artist": "Mitsuhiro Arita", "nationalPokedexNumbers": [6],
    "flavorText": "Spits fire that is hot enough to melt boulders.",
}


@pytest.fixture
def base_set() -> CardSet:
    return CardSetFactory(tcg=tcg("pokemon"), source_id="base1", name="Base", code="BS",
                          series="Base", release_date=date(1999, 1, 9), total_cards=102,
                          printed_total=102)


@pytest.fixture
def charizard_line(base_set: CardSet) -> dict[str, Card]:
    """Base Set Charizard #4 with its real data, and the cards it evolves from."""
    charmander = CardFactory(card_set=base_set, name="Charmander", number="46", number_sort=46,
                             rarity="Common", source_id="base1-46", pokemontcg_id="base1-46",
                             attributes={"hp": "50", "subtypes": ["Basic"]})
    charmeleon = CardFactory(card_set=base_set, name="Charmeleon", number="24", number_sort=24,
                             rarity="Uncommon", source_id="base1-24", pokemontcg_id="base1-24",
                             evolves_from="Charmander",
                             attributes={"hp": "80", "subtypes": ["Stage 1"]})
    charizard = CardFactory(card_set=base_set, name="Charizard", number="4", number_sort=4,
                            rarity="Rare Holo", source_id="base1-4", pokemontcg_id="base1-4",
                            evolves_from="Charmeleon", attributes=CHARIZARD_ATTRIBUTES,
                            legalities={"unlimited": "Legal"},
                            variants=["holofoil", "1st_edition_holofoil"],
                            image_url="https://images.pokemontcg.io/base1/4_hires.png")
    return {"charmander": charmander, "charmeleon": charmeleon, "charizard": charizard}


@pytest.fixture
def black_lotus() -> Card:
    alpha = CardSetFactory(tcg=tcg("mtg"), source_id="LEA", name="Limited Edition Alpha",
                           code="LEA", series="", release_date=date(1993, 8, 5),
                           total_cards=295, printed_total=295)
    return CardFactory(card_set=alpha, name="Black Lotus", number="232", number_sort=232,
                       rarity="Rare", card_type="Artifact", source_id="lotus-uuid",
                       attributes={"manaCost": "{0}", "manaValue": 0.0, "colors": [],
                                   "types": ["Artifact"], "artist": "Christopher Rush",
                                   "text": "{T}, Sacrifice Black Lotus: Add three mana of any "
                                           "one color.",
                                   "printings": ["LEA", "LEB", "2ED"]},
                       legalities={"vintage": "Restricted", "legacy": "Banned"},
                       foreign_names={"de": "Schwarzer Lotus"}, variants=["normal"],
                       tcgplayer_product_id=1044)


def get(client: Client, path: str, **params: Any) -> str:
    response = client.get(path, params, **HTML)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def warm(client: Client) -> None:
    client.get("/en/", **HTML)  # platform settings are cached after the first page


# --- Games --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "heading", "counts"), [
    ("en", "Trading card games", ["1 set", "3 cards"]),
    ("nl", "Ruilkaartspellen", ["1 set", "3 kaarten"]),
])
def test_tcg_index_lists_the_twelve_games_with_counts(client: Client, charizard_line: dict,
                                                      language: str, heading: str,
                                                      counts: list[str]) -> None:
    body = get(client, f"/{language}/tcgs/")
    assert f"<h1>{heading}</h1>" in body
    assert body.count('class="tile"') == 12
    for name in ("Pokémon", "Magic: The Gathering", "Yu-Gi-Oh!", "KeyForge"):
        assert name in body
    pokemon = re.search(r'data-tcg="pokemon">(.*?)</p>', body, re.S).group(1)
    for text in counts:
        assert text in " ".join(pokemon.split())


def test_tcg_index_query_count(client: Client, charizard_line: dict,
                               django_assert_max_num_queries) -> None:
    warm(client)
    with django_assert_max_num_queries(2):
        get(client, "/en/tcgs/")


def test_tcg_page_lists_sets_newest_first_and_paginates(client: Client,
                                                        django_assert_max_num_queries) -> None:
    pokemon = tcg("pokemon")
    for year in range(1999, 2029):
        CardSetFactory(tcg=pokemon, name=f"Set of {year}", release_date=date(year, 3, 1))
    warm(client)
    with django_assert_max_num_queries(3):
        body = get(client, "/en/tcgs/pokemon/")
    assert "30 sets, newest first" in body
    assert body.index("Set of 2028") < body.index("Set of 2010")
    assert "Set of 2004" not in body  # on page 2
    assert "Page 1 of 2" in body
    page2 = get(client, "/en/tcgs/pokemon/", page=2)
    assert "Set of 2004" in page2 and "Set of 2028" not in page2
    assert get(client, "/en/tcgs/pokemon/", page=99).count("Set of 1999") == 1  # last page


def test_tcg_sets_path_mirrors_the_api_and_unprefixed_browsers_are_redirected(
        client: Client, base_set: CardSet) -> None:
    for path in ("/en/pokemon/sets/", "/en/pokemon/sets"):
        body = get(client, path)
        assert "<h1>Pokémon" in body and ">Base</a>" in body
        assert '<link rel="canonical" href="/en/tcgs/pokemon/">' in body
    response = client.get("/pokemon/sets", **HTML)
    assert response.status_code == 302
    assert response["Location"] == "/en/pokemon/sets"


def test_unknown_game_is_a_localised_404(client: Client) -> None:
    response = client.get("/nl/tcgs/no-such-game/", **HTML)
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.content.decode()


# --- Sets ---------------------------------------------------------------------------------------

def test_set_page_shows_the_card_grid_stats_and_honest_empty_prices(
        client: Client, charizard_line: dict, base_set: CardSet) -> None:
    Card.objects.filter(pk=charizard_line["charmander"].pk).update(
        local_image_url="/media/cards/pokemon/base1/7-490.webp")
    body = get(client, f"/en/pokemon/sets/{base_set.pk}/")
    assert "<h1>Base</h1>" in body
    grid = body[body.index('<ul class="card-grid">'):]
    # collector-number order: #4, #24, #46
    assert grid.index(">Charizard<") < grid.index(">Charmeleon<") < grid.index(">Charmander<")
    assert '<img src="https://images.pokemontcg.io/base1/4_hires.png" alt="" width="245" ' \
           'height="342" loading="lazy"' in body
    # our thumbnail first: the grid takes the 245 px size next to the detail image
    assert 'src="/media/cards/pokemon/base1/7-245.webp"' in body
    assert 'data-stat="card_count">3<' in body
    assert "No prices for this set yet." in body
    assert "$" not in grid


def test_set_page_with_prices_shows_value_and_top_cards(client: Client, charizard_line: dict,
                                                        base_set: CardSet) -> None:
    Card.objects.filter(pk=charizard_line["charizard"].pk).update(best_price=Decimal("894.61"))
    Card.objects.filter(pk=charizard_line["charmander"].pk).update(best_price=Decimal("5.39"))
    body = get(client, f"/en/pokemon/sets/{base_set.pk}/")
    assert "Most valuable cards" in body
    assert "$900.00" in body  # total value
    assert "$894.61" in body
    assert "No prices for this set yet." not in body
    assert "$ 894,61" in get(client, f"/nl/pokemon/sets/{base_set.pk}/")


def test_set_page_query_count_does_not_grow_with_cards(client: Client, base_set: CardSet,
                                                       django_assert_max_num_queries) -> None:
    CardFactory.create_batch(60, card_set=base_set)
    warm(client)
    # game, set, stats, top cards, count, page
    with django_assert_max_num_queries(6):
        body = get(client, f"/en/pokemon/sets/{base_set.pk}/")
    assert body.count('class="card-tile"') == 48
    assert "Page 1 of 2" in body


def test_set_of_another_game_is_not_found(client: Client, base_set: CardSet) -> None:
    assert client.get(f"/en/mtg/sets/{base_set.pk}/", **HTML).status_code == 404
    assert client.get("/en/pokemon/sets/999999/", **HTML).status_code == 404


# --- Cards --------------------------------------------------------------------------------------

def test_card_page_shows_the_card(client: Client, charizard_line: dict,
                                  base_set: CardSet) -> None:
    charizard = charizard_line["charizard"]
    body = get(client, f"/en/pokemon/cards/{charizard.pk}/")
    assert "<h1>Charizard</h1>" in body
    assert f'href="/en/pokemon/sets/{base_set.pk}/">Base</a>' in body
    assert "4/102" in body and "Rare Holo" in body
    assert '<img src="https://images.pokemontcg.io/base1/4_hires.png" alt="Charizard"' in body
    # attributes, readable
    for text in ("HP</dt><dd>120", "Fire Spin", "Energy Burn", "Pokémon Power",
                 "Water ×2", "Fighting -30", "Colorless, Colorless, Colorless", "#6",
                 "Mitsuhiro Arita", "Spits fire"):
        assert text in body, text
    assert "convertedRetreatCost" not in body and "Converted retreat cost" not in body
    assert 'class="badge legal-legal">Legal<' in body
    # prices: the honest empty state, no number
    assert "Prices arrive with the pricing engine" in body
    assert 'class="price"' not in body


def test_card_page_links_every_variant_to_the_marketplaces(client: Client,
                                                           charizard_line: dict) -> None:
    charizard = charizard_line["charizard"]
    body = get(client, f"/en/pokemon/cards/{charizard.pk}/")
    assert 'data-variant="holofoil"' in body and 'data-variant="1st_edition_holofoil"' in body
    assert ">1st Edition holofoil<" in body
    hrefs = re.findall(r'href="(https://[^"]+)" rel="noopener nofollow"', body)
    assert sum("cardmarket.com/en/Pokemon/Products/Search?searchString=Charizard" in h
               for h in hrefs) == 2
    assert sum(h.startswith("https://www.tcgplayer.com/search/pokemon/product?")
               for h in hrefs) == 2
    assert any(h.startswith("https://www.ebay.com/sch/i.html?_nkw=Charizard+Base+4%2F102")
               for h in hrefs)


def test_card_page_shows_the_evolution_chain_with_links(client: Client,
                                                        charizard_line: dict) -> None:
    charizard = charizard_line["charizard"]
    body = get(client, f"/nl/pokemon/cards/{charizard.pk}/")
    chain = body[body.index('<ol class="evolution">'):body.index("</ol>",
                                                                 body.index('class="evolution"'))]
    assert chain.index("Charmander") < chain.index("Charmeleon") < chain.index("Charizard")
    assert f'href="/nl/pokemon/cards/{charizard_line["charmander"].pk}/"' in chain
    assert f'href="/nl/pokemon/cards/{charizard_line["charmeleon"].pk}/"' in chain
    assert 'aria-current="page"><small>Stage 2</small>Charizard' in chain


def test_card_page_in_dutch(client: Client, charizard_line: dict) -> None:
    body = get(client, f"/nl/pokemon/cards/{charizard_line['charizard'].pk}/")
    for text in ("Waar te koop", "Evolutie", "Zeldzaamheid", "Aanvallen", "Zwakte",
                 "Nog geen prijzen", "Illustrator"):
        assert text in body, text
    assert "Where to buy" not in body


def test_magic_card_shows_legalities_colours_and_foreign_names(client: Client,
                                                               black_lotus: Card) -> None:
    body = get(client, f"/en/mtg/cards/{black_lotus.pk}/")
    assert "Mana cost</dt><dd>{0}" in body
    assert "Sacrifice Black Lotus" in body
    assert 'class="badge legal-restricted">Restricted<' in body
    assert 'class="badge legal-banned">Banned<' in body
    assert "German</dt><dd>Schwarzer Lotus" in body
    assert "https://www.tcgplayer.com/product/1044" in body
    assert "printings" not in body.lower()
    assert "Evolution" not in body
    dutch = get(client, f"/nl/mtg/cards/{black_lotus.pk}/")
    assert "Duits</dt><dd>Schwarzer Lotus" in dutch
    assert "Beperkt" in dutch and "Verboden" in dutch


def test_card_page_uses_the_local_image_once_present(client: Client,
                                                     charizard_line: dict) -> None:
    charizard = charizard_line["charizard"]
    Card.objects.filter(pk=charizard.pk).update(
        local_image_url=f"/media/cards/pokemon/base1/{charizard.pk}-490.webp")
    body = get(client, f"/en/pokemon/cards/{charizard.pk}/")
    assert f'<img src="/media/cards/pokemon/base1/{charizard.pk}-490.webp"' in body
    assert "images.pokemontcg.io" not in body


def test_card_page_query_count(client: Client, charizard_line: dict,
                               django_assert_max_num_queries) -> None:
    warm(client)
    # game, card (with set), evolution chain: one query per step looked up, the price book
    with django_assert_max_num_queries(6):
        get(client, f"/en/pokemon/cards/{charizard_line['charizard'].pk}/")


def test_card_page_shows_the_price_book_and_a_chart_for_scripts(client: Client,
                                                                 charizard_line: dict) -> None:
    charizard = charizard_line["charizard"]
    history(charizard, "tcgplayer", {8: "800.00", 0: "894.61"}, variant="holofoil",
            observations=12)
    put(charizard, "cardmarket", "737.33", currency="EUR")
    put(charizard, "ebay", "2400.00", grade="psa_10")
    price_summaries_refresh(card_ids={charizard.pk}, sealed_ids=set())

    body = get(client, f"/en/pokemon/cards/{charizard.pk}/")

    assert "Prices arrive with the pricing engine" not in body
    assert re.search(r'class="price">\s*\$894\.61', body)
    assert "11.8% in 7 days" in body  # 800 -> 894.61
    rows = re.findall(r'<tr data-source="(\w+)" data-variant="(\w+)" data-grade="(\w+)"', body)
    assert rows == [("tcgplayer", "holofoil", "raw"), ("cardmarket", "normal", "raw"),
                    ("ebay", "normal", "psa_10")]
    assert "894.61 USD" in body and "737.33 EUR" in body and "PSA 10" in body
    assert "12 observations" in body
    # The chart is hidden until the script shows it; it reads the price-history endpoint.
    assert re.search(r'<figure class="price-chart" id="price-chart" data-price-chart hidden', body)
    assert f'data-url="/api/cards/{charizard.pk}/price-history"' in body
    assert body.count('aria-pressed="true"') == 1
    assert "/static/js/price-chart.js" in body


def test_card_page_with_graded_prices_only_has_a_table_but_no_chart(
        client: Client, charizard_line: dict) -> None:
    charizard = charizard_line["charizard"]
    put(charizard, "ebay", "2400.00", grade="psa_10")

    body = get(client, f"/en/pokemon/cards/{charizard.pk}/")

    assert 'data-grade="psa_10"' in body
    assert "data-price-chart" not in body
    assert 'class="price"' not in body  # no raw best price to show


def test_card_page_unprefixed_browser_redirect_and_404s(client: Client,
                                                        charizard_line: dict) -> None:
    charizard = charizard_line["charizard"]
    response = client.get(f"/pokemon/cards/{charizard.pk}", **HTML)
    assert response.status_code == 302
    assert response["Location"] == f"/en/pokemon/cards/{charizard.pk}"
    assert client.get(f"/en/mtg/cards/{charizard.pk}/", **HTML).status_code == 404
    assert client.get("/en/pokemon/cards/999999/", **HTML).status_code == 404
    assert client.get("/en/pokemon/cards/99999999999999999999999/", **HTML).status_code == 404


def test_card_page_links_all_resolve(client: Client, charizard_line: dict) -> None:
    body = get(client, f"/en/pokemon/cards/{charizard_line['charizard'].pk}/")
    for link in set(re.findall(r'href="(/[^"#]*)"', body)):
        if link.startswith(settings.STATIC_URL):
            assert finders.find(link.removeprefix(settings.STATIC_URL)), link
            continue
        status = client.get(link, **HTML).status_code
        assert status in (200, 301, 302), f"{link} answered {status}"


def test_tcg_cards_page_filters(client: Client, charizard_line: dict, base_set: CardSet,
                                black_lotus: Card, django_assert_max_num_queries) -> None:
    body = get(client, "/en/pokemon/cards/")
    assert ">Charizard<" in body and ">Black Lotus<" not in body
    body = get(client, "/en/pokemon/cards/", name="char", rarity="uncommon",
               set_id=base_set.pk)
    assert ">Charmeleon<" in body and ">Charizard<" not in body
    warm(client)
    with django_assert_max_num_queries(4):  # game, sets for the filter, count, page
        get(client, "/en/pokemon/cards/", name="char")


# --- Search -------------------------------------------------------------------------------------

def test_search_finds_cards_with_filters(client: Client, charizard_line: dict,
                                         black_lotus: Card) -> None:
    body = get(client, "/en/search/", q="Charizard")
    assert "1 card found for “Charizard”" in body
    assert f'href="/en/pokemon/cards/{charizard_line["charizard"].pk}/">Charizard</a>' in body

    body = get(client, "/en/search/", q="char", tcg_slug="pokemon", rarity="Uncommon")
    assert ">Charmeleon<" in body and ">Charizard<" not in body

    body = get(client, "/en/search/", q="char", tcg_slug="mtg")
    assert "0 cards found" in body and "No cards match" in body


def test_search_by_collector_number_and_set_code(client: Client, charizard_line: dict) -> None:
    assert ">Charizard<" in get(client, "/en/search/", q="4/102")
    body = get(client, "/en/search/", q="BS 24")
    assert ">Charmeleon<" in body and ">Charizard<" not in body


def test_search_price_filters(client: Client, charizard_line: dict) -> None:
    Card.objects.filter(pk=charizard_line["charizard"].pk).update(best_price=Decimal("894.61"))
    Card.objects.filter(pk=charizard_line["charmander"].pk).update(best_price=Decimal("5.39"))
    body = get(client, "/en/search/", q="char", min_price="100")
    assert ">Charizard<" in body and ">Charmander<" not in body
    body = get(client, "/en/search/", q="char", max_price="10")
    assert ">Charmander<" in body and ">Charizard<" not in body
    body = get(client, "/en/search/", q="char", min_price="10", max_price="5")
    assert "The maximum price is below the minimum price." in body
    assert "found for" not in body


def test_search_set_filter_follows_the_game(client: Client, charizard_line: dict,
                                            base_set: CardSet, black_lotus: Card) -> None:
    body = get(client, "/en/search/", q="char", tcg_slug="pokemon", set_id=base_set.pk)
    assert f'<option value="{base_set.pk}" selected>Base</option>' in body
    assert "3 cards found" in body
    # the set of another game is dropped, not an error
    body = get(client, "/en/search/", q="lotus", tcg_slug="mtg", set_id=base_set.pk)
    assert "1 card found" in body


def test_search_paginates(client: Client, base_set: CardSet) -> None:
    for number in range(1, 31):
        CardFactory(card_set=base_set, name=f"Pikachu {number}", number=str(number),
                    number_sort=number, source_id=f"pikachu-{number}")
    body = get(client, "/en/search/", q="pikachu")
    assert "30 cards found" in body and "Page 1 of 2" in body
    assert body.count('class="card-tile"') == 24
    assert 'href="?q=pikachu&amp;page=2"' in body
    page2 = get(client, "/en/search/", q="pikachu", page=2)
    assert page2.count('class="card-tile"') == 6
    assert "There are no more results" in get(client, "/en/search/", q="pikachu", page=7)


def test_search_without_a_query_shows_tips(client: Client) -> None:
    body = get(client, "/nl/search/")
    assert "<h1>Kaarten zoeken</h1>" in body
    assert "Charizard" in body and "found" not in body


def test_search_query_count(client: Client, charizard_line: dict, base_set: CardSet,
                            django_assert_max_num_queries) -> None:
    for number in range(200, 230):
        CardFactory(card_set=base_set, name="Charizard", number=str(number), number_sort=number,
                    source_id=f"extra-{number}")
    warm(client)
    # games and the chosen game's sets for the filters, then card_search's own queries (set
    # match, the page's ids with the total, the page's rows)
    with django_assert_max_num_queries(5):
        body = get(client, "/en/search/", q="charizard", tcg_slug="pokemon")
    assert body.count('class="card-tile"') == 24


def test_search_box_on_every_page_and_nav_entries(client: Client) -> None:
    for language, cards, search in (("en", "Cards", "Search cards"),
                                    ("nl", "Kaarten", "Kaarten zoeken")):
        body = get(client, f"/{language}/")
        form = re.search(rf'<form class="nav-search" role="search" method="get" '
                         rf'action="/{language}/search/">(.*?)</form>', body, re.S).group(1)
        assert f'<label for="nav-search-q" class="visually-hidden">{search}</label>' in form
        assert 'name="q"' in form
        assert f'<a href="/{language}/tcgs/">{cards}</a>' in body
    body = get(client, "/en/tcgs/")
    assert '<a href="/en/tcgs/" aria-current="page">Cards</a>' in body


# --- Top cards ----------------------------------------------------------------------------------

def test_top_cards_without_prices_is_an_honest_empty_state(client: Client,
                                                           charizard_line: dict) -> None:
    body = get(client, "/en/cards/top/")
    assert "No prices yet." in body
    assert "<table" not in body


def test_top_cards_ranks_by_best_price(client: Client, charizard_line: dict,
                                       black_lotus: Card, django_assert_max_num_queries) -> None:
    Card.objects.filter(pk=charizard_line["charizard"].pk).update(
        best_price=Decimal("894.61"), price_change_7d=Decimal("-2.5"))
    Card.objects.filter(pk=black_lotus.pk).update(best_price=Decimal("27500.00"))
    warm(client)
    with django_assert_max_num_queries(2):
        body = get(client, "/en/cards/top/")
    assert body.index("Black Lotus") < body.index("Charizard")
    assert "$27,500.00" in body and "-2.5%" in body
    body = get(client, "/nl/cards/top/", tcg_slug="pokemon")
    assert "Black Lotus" not in body and "$ 894,61" in body
    assert "Meest waardevolle kaarten van Pokémon TCG" in body


def test_top_cards_unprefixed_browser_is_redirected(client: Client) -> None:
    response = client.get("/cards/top", **HTML)
    assert response.status_code == 302 and response["Location"] == "/en/cards/top"
