"""Browser test: search → card page → Dutch, in real Chromium (Debian's) through Playwright."""

from __future__ import annotations

import importlib
import re
from datetime import date

import pytest


@pytest.fixture
def twelve_tcgs(transactional_db) -> None:  # noqa: ANN001
    """The TCG rows come from a data migration, which an earlier transactional test's flush
    has removed; seed them again the way the migration does."""
    from django.apps import apps

    migration = importlib.import_module("catalogue.migrations.0002_tcgs_and_search_indexes")
    migration.seed_tcgs(apps, None)




@pytest.fixture
def base_set_cards(twelve_tcgs) -> dict[str, object]:  # noqa: ANN001
    """Base Set Charizard #4 and the cards it evolves from, with their real data."""
    from catalogue.models import TCG, Card, CardSet

    pokemon = TCG.objects.get(slug="pokemon")
    base = CardSet.objects.create(tcg=pokemon, source_id="base1", name="Base", code="BS",
                                  series="Base", release_date=date(1999, 1, 9),
                                  total_cards=102, printed_total=102)
    common = {"tcg": pokemon, "card_set": base, "card_type": "Pokémon"}
    charmander = Card.objects.create(
        **common, name="Charmander", number="46", number_sort=46, rarity="Common",
        source_id="base1-46", pokemontcg_id="base1-46", variants=["normal"],
        image_url="https://images.pokemontcg.io/base1/46_hires.png",
        attributes={"hp": "50", "types": ["Fire"], "subtypes": ["Basic"]})
    charmeleon = Card.objects.create(
        **common, name="Charmeleon", number="24", number_sort=24, rarity="Uncommon",
        source_id="base1-24", pokemontcg_id="base1-24", evolves_from="Charmander",
        variants=["normal"], image_url="https://images.pokemontcg.io/base1/24_hires.png",
        attributes={"hp": "80", "types": ["Fire"], "subtypes": ["Stage 1"]})
    charizard = Card.objects.create(
        **common, name="Charizard", number="4", number_sort=4, rarity="Rare Holo",
        source_id="base1-4", pokemontcg_id="base1-4", evolves_from="Charmeleon",
        variants=["holofoil"], image_url="https://images.pokemontcg.io/base1/4_hires.png",
        legalities={"unlimited": "Legal"},
        attributes={"hp": "120", "types": ["Fire"], "subtypes": ["Stage 2"],
                    "attacks": [{"name": "Fire Spin", "cost": ["Fire"] * 4, "damage": "100",
                                 "text": "Discard 2 Energy cards attached to Charizard in "
                                         "order to use this attack."}],
                    "weaknesses": [{"type": "Water", "value": "×2"}],
                    "artist": "Mitsuhiro Arita"})
    return {"set": base, "charmander": charmander, "charmeleon": charmeleon,
            "charizard": charizard}


def test_search_then_card_page_then_dutch(page, base_set_cards) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    charizard = base_set_cards["charizard"]

    page.goto("/en/")
    search_box = page.get_by_role("searchbox", name="Search cards")
    search_box.fill("Charizard")
    search_box.press("Enter")

    expect(page).to_have_url(re.compile(r"/en/search/\?q=Charizard$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Search cards")
    expect(page.get_by_role("status")).to_contain_text("1 card found for “Charizard”")
    results = page.locator("ul.card-grid")
    expect(results.get_by_role("link")).to_have_count(1)

    results.get_by_role("link", name="Charizard").click()
    expect(page).to_have_url(re.compile(rf"/en/pokemon/cards/{charizard.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Charizard")
    expect(page).to_have_title(re.compile(r"^Charizard · Base"))
    facts = page.locator("dl.facts")
    expect(facts.get_by_role("link", name="Base")).to_be_visible()
    expect(facts).to_contain_text("4/102")

    buy = page.get_by_role("region", name="Where to buy")
    expect(buy.get_by_role("row", name=re.compile("Holofoil"))).to_be_visible()
    for shop, url in (("Cardmarket", "https://www.cardmarket.com/en/Pokemon/"),
                      ("TCGplayer", "https://www.tcgplayer.com/search/pokemon/product?"),
                      ("eBay", "https://www.ebay.com/sch/i.html?_nkw=Charizard+Base+4%2F102")):
        link = buy.get_by_role("link", name=re.compile(rf"^{shop}"))
        expect(link).to_have_attribute("href", re.compile("^" + re.escape(url)))

    expect(page.get_by_role("region", name="Prices")).to_contain_text(
        "Prices arrive with the pricing engine")

    chain = page.get_by_role("region", name="Evolution").get_by_role("listitem")
    expect(chain).to_have_text([re.compile("Basic.*Charmander"), re.compile("Stage 1.*Charmeleon"),
                                re.compile("Stage 2.*Charizard")])
    page.get_by_role("region", name="Evolution").get_by_role("link", name=re.compile(
        "Charmeleon")).click()
    expect(page).to_have_url(
        re.compile(rf"/en/pokemon/cards/{base_set_cards['charmeleon'].pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Charmeleon")
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Charizard")

    # Switch to Dutch: the same card, Dutch labels.
    nav = page.locator("nav.site-nav")
    nav.get_by_role("button", name="Nederlands").click()
    expect(page).to_have_url(re.compile(rf"/nl/pokemon/cards/{charizard.pk}/$"))
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Charizard")
    expect(page.get_by_role("region", name="Waar te koop")).to_be_visible()
    expect(page.get_by_role("region", name="Evolutie")).to_be_visible()
    expect(page.get_by_role("region", name="Prijzen")).to_contain_text("Nog geen prijzen")
    expect(page.locator("dl.facts")).to_contain_text("Zeldzaamheid")
    expect(nav.get_by_role("link", name="Kaarten")).to_be_visible()

    # Searching from the Dutch page stays Dutch.
    search_box = page.get_by_role("searchbox", name="Kaarten zoeken")
    search_box.fill("char")
    search_box.press("Enter")
    expect(page).to_have_url(re.compile(r"/nl/search/\?q=char$"))
    expect(page.get_by_role("status")).to_contain_text("3 kaarten gevonden voor “char”")


def test_browse_games_to_a_set(page, base_set_cards) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    page.goto("/en/")
    page.locator("nav.site-nav").get_by_role("link", name="Cards").click()
    expect(page).to_have_url(re.compile(r"/en/tcgs/$"))
    expect(page.locator(".tile-grid > li")).to_have_count(12)
    page.get_by_role("link", name="Pokémon", exact=False).first.click()
    expect(page).to_have_url(re.compile(r"/en/tcgs/pokemon/$"))
    page.get_by_role("link", name="Base", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/en/pokemon/sets/{base_set_cards['set'].pk}/$"))
    grid = page.locator("ul.card-grid")
    expect(grid.get_by_role("link")).to_have_text(["Charizard", "Charmeleon", "Charmander"])
    expect(grid.locator("img").first).to_have_attribute("loading", "lazy")
