"""Sealed products: /{tcg_slug}/sealed and /{tcg_slug}/sealed/{product_id}."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalogue.models import SealedProduct
from catalogue.tests.factories import CardSetFactory, SealedProductFactory, tcg
from catalogue.tests.test_api_tcgs_sets import assert_json_404
from pricing.tests.book import history


@pytest.fixture
def products(db) -> dict:  # noqa: ANN001
    flames = CardSetFactory(source_id="sv3", name="Obsidian Flames", code="OBF")
    return {
        "set": flames,
        "etb": SealedProductFactory(card_set=flames, name="Obsidian Flames Elite Trainer Box",
                                    kind=SealedProduct.Kind.ETB, tcgplayer_product_id=501257,
                                    best_price=Decimal("49.99")),
        "box": SealedProductFactory(card_set=flames, name="Obsidian Flames Booster Box"),
        "tin": SealedProductFactory(name="Charizard ex Tin", kind=SealedProduct.Kind.TIN),
        "mtg": SealedProductFactory(tcg=tcg("mtg"), name="Dominaria United Draft Booster Box"),
    }


def test_sealed_list(api_client: APIClient, products: dict,  # noqa: ANN001
                     django_assert_max_num_queries) -> None:  # noqa: ANN001
    SealedProductFactory.create_batch(20, card_set=products["set"])

    with django_assert_max_num_queries(3):
        body = api_client.get("/pokemon/sealed", {"limit": 200}).json()

    assert (body["total"], body["limit"], body["offset"]) == (23, 200, 0)
    etb = products["etb"]
    assert {"id": etb.pk, "tcg_id": etb.tcg_id, "card_set_id": products["set"].pk,
            "name": "Obsidian Flames Elite Trainer Box", "kind": "etb", "image_url": None,
            "best_price": 49.99} in body["items"]
    assert products["mtg"].pk not in [item["id"] for item in body["items"]]


def test_sealed_list_by_set_and_paging(api_client: APIClient, products: dict) -> None:  # noqa: ANN001
    body = api_client.get("/pokemon/sealed/", {"set_id": products["set"].pk}).json()
    page = api_client.get("/pokemon/sealed", {"limit": 1, "offset": 1}).json()

    assert [item["name"] for item in body["items"]] == ["Obsidian Flames Booster Box",
                                                        "Obsidian Flames Elite Trainer Box"]
    assert body["limit"] == 50
    assert [item["name"] for item in page["items"]] == ["Obsidian Flames Booster Box"]
    assert page["total"] == 3


@pytest.mark.parametrize(("params", "loc"), [({"limit": 201}, "limit"), ({"limit": 0}, "limit"),
                                             ({"offset": -5}, "offset"),
                                             ({"set_id": "sv3"}, "set_id")])
def test_sealed_list_bad_query_is_422(api_client: APIClient, db, params: dict,  # noqa: ANN001
                                      loc: str) -> None:
    response = api_client.get("/pokemon/sealed", params)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", loc]


def test_sealed_detail(api_client: APIClient, products: dict,  # noqa: ANN001
                       django_assert_max_num_queries) -> None:  # noqa: ANN001
    etb = products["etb"]

    # The TCG, the product with its set, its price history.
    with django_assert_max_num_queries(3):
        response = api_client.get(f"/pokemon/sealed/{etb.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Obsidian Flames Elite Trainer Box"
    assert body["tcgplayer_product_id"] == 501257
    assert body["cardmarket_product_id"] is None
    assert body["set"]["code"] == "OBF"
    assert body["price_history"] == []
    assert api_client.get(f"/pokemon/sealed/{products['tin'].pk}/").json()["set"] is None


def test_sealed_detail_price_history_is_oldest_first(api_client: APIClient,  # noqa: ANN001
                                                     products: dict) -> None:
    box = products["box"]
    history(box, "tcgplayer", {9: "120.00", 3: "131.50", 0: "129.99"})
    history(box, "cardmarket", {3: "110.00"}, currency="EUR")

    body = api_client.get(f"/pokemon/sealed/{box.pk}").json()

    today = timezone.now().date()
    assert body["price_history"] == [
        {"date": (today - timedelta(days=9)).isoformat(), "source": "tcgplayer",
         "market_price": 120.0, "currency": "USD", "variant": "normal"},
        {"date": (today - timedelta(days=3)).isoformat(), "source": "tcgplayer",
         "market_price": 131.5, "currency": "USD", "variant": "normal"},
        {"date": (today - timedelta(days=3)).isoformat(), "source": "cardmarket",
         "market_price": 110.0, "currency": "EUR", "variant": "normal"},
        {"date": today.isoformat(), "source": "tcgplayer", "market_price": 129.99,
         "currency": "USD", "variant": "normal"},
    ]


def test_sealed_detail_of_another_tcg_or_unknown_is_404(api_client: APIClient,  # noqa: ANN001
                                                        products: dict) -> None:
    assert_json_404(api_client.get(f"/pokemon/sealed/{products['mtg'].pk}"),
                    "Sealed product not found")
    assert_json_404(api_client.get("/pokemon/sealed/999999"), "Sealed product not found")
