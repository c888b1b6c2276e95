"""Every pricing endpoint of the contract is in the OpenAPI document."""

from __future__ import annotations

import pytest

SPEC_ENDPOINTS = [
    ("get", "/api/cards/{card_id}/prices"),
    ("get", "/api/cards/{card_id}/price-history"),
    ("get", "/{tcg_slug}/cards/{card_id}/prices"),
    ("get", "/{tcg_slug}/cards/{card_id}/prices/history"),
    ("get", "/{tcg_slug}/cards/{card_id}/prices/{price_id}"),
    ("get", "/{tcg_slug}/cards/{card_id}/trend"),
    ("get", "/api/market/movers"),
    ("get", "/api/market-movers"),
    ("get", "/api/market/best-deals"),
    ("get", "/api/market/stats"),
    ("get", "/api/market/overview"),
    ("get", "/api/market/radar-stats"),
    ("get", "/api/market/active-sellers"),
    ("get", "/api/trending"),
    ("get", "/api/cards/{card_id}/predict"),
    ("get", "/api/market/trending-predictions"),
    ("get", "/api/price-intelligence/card/{card_id}"),
    ("get", "/api/price-intelligence/card/{card_id}/sources"),
    ("get", "/api/price-intelligence/card/{card_id}/history"),
    ("get", "/api/price-intelligence/compare/{card_id}"),
    ("get", "/api/price-intelligence/sources"),
    ("get", "/api/price-intelligence/stats"),
    ("get", "/api/price-intelligence/search"),
    ("get", "/api/price-intelligence/fx/rate"),
    ("get", "/api/cards/{card_id}/stash-score"),
    ("get", "/alerts"),
    ("post", "/alerts"),
    ("delete", "/alerts/{alert_id}"),
    ("post", "/alerts/digest-now"),
    ("get", "/api/alerts/unread-count"),
    ("get", "/api/notifications"),
    ("post", "/api/notifications/{alert_id}/read"),
    ("post", "/api/notifications/read-all"),
    ("get", "/api/notifications/feed"),
    ("get", "/api/notifications/feed/unread-count"),
    ("post", "/api/notifications/feed/{item_id}/read"),
    ("post", "/api/notifications/feed/read-all"),
]


@pytest.mark.django_db
def test_every_pricing_endpoint_is_documented(api_client) -> None:  # noqa: ANN001
    paths = api_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    documented = {(method, path.rstrip("/") or "/") for path, ops in paths.items()
                  for method in ops}
    missing = [f"{m.upper()} {p}" for m, p in SPEC_ENDPOINTS if (m, p) not in documented]
    assert missing == []
