"""Catalogue admin: changelists, filters, search and change pages load for a superuser."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD
from catalogue.models import TCG, Card, CardSet, SealedProduct

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(db) -> Client:  # noqa: ANN001
    User.objects.create_superuser("root", "root@example.com", DEFAULT_PASSWORD)
    client = Client()
    assert client.login(username="root", password=DEFAULT_PASSWORD)
    return client


@pytest.fixture
def catalogue_rows() -> dict[str, object]:
    pokemon = TCG.objects.get(slug="pokemon")
    mtg = TCG.objects.get(slug="mtg")
    base = CardSet.objects.create(tcg=pokemon, source_id="base1", name="Base", code="BS",
                                  release_date=date(1999, 1, 9), total_cards=102)
    jungle = CardSet.objects.create(tcg=pokemon, source_id="base2", name="Jungle", code="JU",
                                    release_date=date(1999, 6, 16), total_cards=64)
    alpha = CardSet.objects.create(tcg=mtg, source_id="LEA", name="Limited Edition Alpha",
                                   code="LEA", release_date=date(1993, 8, 5), total_cards=295)
    cards = {}
    for card_set, number, name, rarity in [
        (base, "4", "Charizard", "Rare Holo"), (base, "24", "Charmeleon", "Uncommon"),
        (base, "46", "Charmander", "Common"), (jungle, "1", "Clefable", "Rare Holo"),
        (alpha, "232", "Black Lotus", "Rare"),
    ]:
        cards[name] = Card.objects.create(
            tcg=card_set.tcg, card_set=card_set, name=name, number=number,
            number_sort=int(number), rarity=rarity,
            source_id=f"{card_set.source_id}-{number}")
    sealed = SealedProduct.objects.create(tcg=pokemon, card_set=base, source_id="bs-box",
                                          name="Base Set Booster Box",
                                          kind=SealedProduct.Kind.BOOSTER_BOX)
    return {"pokemon": pokemon, "base": base, "jungle": jungle, "cards": cards,
            "sealed": sealed}


def admin_url(model: type, view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_all_catalogue_models_are_registered() -> None:
    for model in (TCG, CardSet, Card, SealedProduct):
        assert admin.site.is_registered(model), model


def test_changelists_and_change_pages_load(admin_browser: Client, catalogue_rows: dict,
                                           django_assert_max_num_queries) -> None:
    objects = {TCG: catalogue_rows["pokemon"], CardSet: catalogue_rows["base"],
               Card: catalogue_rows["cards"]["Charizard"], SealedProduct: catalogue_rows["sealed"]}
    for model, obj in objects.items():
        # list_select_related keeps the changelist flat however many rows it shows
        with django_assert_max_num_queries(12):
            changelist = admin_browser.get(admin_url(model, "changelist"))
        assert changelist.status_code == 200, model
        assert str(obj) in changelist.content.decode(), model
        change = admin_browser.get(admin_url(model, "change", obj.pk))
        assert change.status_code == 200, model
        assert admin_browser.get(admin_url(model, "add")).status_code == 200, model


@pytest.mark.parametrize(("term", "expected", "absent"), [
    ("charizard", ["Charizard"], ["Charmeleon"]),
    ("#24", ["Charmeleon"], ["Charizard"]),
    ("LEA", ["Black Lotus"], ["Charizard"]),
    ("base2-1", ["Clefable"], ["Charizard"]),
])
def test_card_search_by_name_number_code_and_source_id(admin_browser: Client,
                                                       catalogue_rows: dict, term: str,
                                                       expected: list[str],
                                                       absent: list[str]) -> None:
    body = admin_browser.get(admin_url(Card, "changelist"), {"q": term}).content.decode()
    for name in expected:
        assert f">{name}<" in body
    for name in absent:
        assert f">{name}<" not in body


def test_card_filters_by_tcg_set_and_rarity(admin_browser: Client, catalogue_rows: dict) -> None:
    url = admin_url(Card, "changelist")
    pokemon, jungle = catalogue_rows["pokemon"], catalogue_rows["jungle"]

    body = admin_browser.get(url, {"tcg__id__exact": pokemon.pk}).content.decode()
    assert ">Charizard<" in body and ">Black Lotus<" not in body
    assert "Jungle (JU)" in body  # the set filter lists the chosen game's sets

    body = admin_browser.get(url, {"tcg__id__exact": pokemon.pk,
                                   "card_set": jungle.pk}).content.decode()
    assert ">Clefable<" in body and ">Charizard<" not in body

    body = admin_browser.get(url, {"rarity": "Uncommon"}).content.decode()
    assert ">Charmeleon<" in body and ">Charizard<" not in body

    body = admin_browser.get(url, {"is_synthetic__exact": "1"}).content.decode()
    assert ">Charizard<" not in body


def test_set_search_by_code_and_autocomplete(admin_browser: Client, catalogue_rows: dict) -> None:
    body = admin_browser.get(admin_url(CardSet, "changelist"), {"q": "JU"}).content.decode()
    assert "Jungle" in body and ">Base<" not in body
    response = admin_browser.get(reverse("admin:autocomplete"), {
        "app_label": "catalogue", "model_name": "card", "field_name": "card_set", "term": "jun"})
    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["Jungle (JU)"]


def test_fetch_images_action_queues_the_task(admin_browser: Client, catalogue_rows: dict,
                                             monkeypatch, django_capture_on_commit_callbacks
                                             ) -> None:  # noqa: ANN001
    from catalogue import tasks

    queued: list[tuple] = []
    monkeypatch.setattr(tasks.card_images_fetch, "delay",
                        lambda card_ids, force: queued.append((sorted(card_ids), force)))
    charizard = catalogue_rows["cards"]["Charizard"]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_browser.post(admin_url(Card, "changelist"), {
            "action": "fetch_images", "_selected_action": [charizard.pk]}, follow=True)
    assert response.status_code == 200
    assert queued == [([charizard.pk], True)]
    assert "Queued the image download for 1 card." in response.content.decode()
