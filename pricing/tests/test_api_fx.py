"""GET /api/price-intelligence/fx/rate: ECB reference rates, cross rates through EUR."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from pricing.fx import fx_cache_clear
from pricing.models import FxRate

pytestmark = pytest.mark.django_db

URL = "/api/price-intelligence/fx/rate"


@pytest.fixture
def ecb() -> None:
    for day, currency, rate in ((date(2026, 5, 4), "USD", "1.1000"),
                                (date(2026, 5, 5), "USD", "1.1250"),
                                (date(2026, 5, 5), "GBP", "0.8500"),
                                (date(2026, 5, 4), "JPY", "170.00")):
        FxRate.objects.create(date=day, currency=currency, rate=Decimal(rate))


def test_default_is_usd_to_eur_at_the_latest_rate(api_client: APIClient, ecb,  # noqa: ANN001
                                                  django_assert_max_num_queries) -> None:  # noqa: ANN001
    with django_assert_max_num_queries(1):  # USD's rate; EUR needs none
        response = api_client.get(URL)
    assert response.status_code == 200
    assert response.json() == {"from_currency": "USD", "to_currency": "EUR",
                               "rate": 0.88888889, "date": "2026-05-05", "source": "ECB"}
    with django_assert_max_num_queries(0):  # cached
        api_client.get(URL)


def test_eur_to_a_currency_is_the_ecb_figure(api_client: APIClient, ecb) -> None:  # noqa: ANN001
    body = api_client.get(URL, {"from_currency": "EUR", "to_currency": "USD"}).json()
    assert (body["rate"], body["date"]) == (1.125, "2026-05-05")


def test_cross_rates_go_through_eur_and_date_the_older_leg(api_client: APIClient,  # noqa: ANN001
                                                           ecb) -> None:  # noqa: ANN001
    body = api_client.get(URL, {"from_currency": "gbp", "to_currency": "jpy"}).json()
    assert (body["from_currency"], body["to_currency"]) == ("GBP", "JPY")
    assert body["rate"] == pytest.approx(170 / 0.85, abs=1e-6)
    assert body["date"] == "2026-05-04"


def test_same_currency_is_one_without_a_date(api_client: APIClient) -> None:
    body = api_client.get(URL, {"from_currency": "eur"}).json()
    assert body == {"from_currency": "EUR", "to_currency": "EUR", "rate": 1.0, "date": None,
                    "source": "ECB"}


def test_new_rates_are_seen_after_the_cache_is_cleared(api_client: APIClient,  # noqa: ANN001
                                                       ecb) -> None:  # noqa: ANN001
    assert api_client.get(URL).json()["rate"] == 0.88888889
    FxRate.objects.create(date=date(2026, 5, 6), currency="USD", rate=Decimal("1.25"))
    fx_cache_clear()
    assert api_client.get(URL).json() | {"from_currency": None} == {
        "from_currency": None, "to_currency": "EUR", "rate": 0.8, "date": "2026-05-06",
        "source": "ECB"}


@pytest.mark.parametrize(("params", "missing"), [
    ({"from_currency": "XYZ"}, "XYZ"), ({"to_currency": "CHF"}, "CHF"),
    ({"from_currency": "ABC", "to_currency": "abc"}, "ABC"),
    ({"from_currency": "XYZ", "to_currency": "CHF"}, "XYZ, CHF"),
])
def test_a_currency_without_a_rate_is_404(api_client: APIClient, ecb, params: dict,  # noqa: ANN001
                                          missing: str) -> None:
    response = api_client.get(URL, params)
    assert response.status_code == 404
    assert response.json() == {"detail": f"No FX rate for {missing}"}


@pytest.mark.parametrize(("params", "bad"), [
    ({"from_currency": "US"}, ["from_currency"]),
    ({"to_currency": "EURO"}, ["to_currency"]),
    ({"from_currency": "12$", "to_currency": ""}, ["from_currency", "to_currency"]),
    ({"from_currency": "€UR"}, ["from_currency"]),
])
def test_codes_that_are_not_three_letters_are_422(api_client: APIClient, params: dict,
                                                  bad: list[str]) -> None:
    response = api_client.get(URL, params)
    assert response.status_code == 422
    assert response.json() == {"detail": [
        {"loc": ["query", name], "msg": 'string does not match regex "^[A-Z]{3}$"',
         "type": "value_error.str.regex"} for name in bad]}
