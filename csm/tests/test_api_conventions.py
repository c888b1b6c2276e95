"""Contract-wide API conventions: JSON errors, 400 vs 422 shapes, paging, OpenAPI, docs."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User

GATING = pytest.mark.urls("accounts.tests.gating_urls")


def _users(n: int) -> list[User]:
    """Rows to page through; bulk-created because hashing passwords would dominate the test."""
    return User.objects.bulk_create(
        User(username=f"pager{i:02d}", email=f"pager{i:02d}@example.com") for i in range(n))


# --- Errors are JSON --------------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["application/json", "text/html,application/xhtml+xml"])
@pytest.mark.parametrize("path", ["/api/nope", "/api/keys/abc", "/api/keys/1/extra"])
def test_unknown_api_url_is_a_json_404(api_client: APIClient, db, path: str,  # noqa: ANN001
                                       accept: str) -> None:
    response = api_client.get(path, HTTP_ACCEPT=accept)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found"}


def test_method_not_allowed_is_a_json_405(session_client: APIClient) -> None:
    response = session_client.put("/api/keys/", {"name": "x"}, format="json")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}
    assert "POST" in response["Allow"]


def test_malformed_json_is_a_json_400(session_client: APIClient) -> None:
    response = session_client.post("/api/keys/", data='{"name": ',
                                   content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Invalid JSON body")


def test_a_json_body_that_is_not_an_object_is_400(session_client: APIClient) -> None:
    response = session_client.post("/api/keys/", ["name"], format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Request body must be a JSON object"}


def test_unsupported_content_type_is_400(session_client: APIClient) -> None:
    response = session_client.post("/api/keys/", data="name=x", content_type="text/plain")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Unsupported content type")


# --- Paging -----------------------------------------------------------------------------------


@GATING
def test_list_shape_and_paging(api_client: APIClient, db) -> None:  # noqa: ANN001
    users = sorted(_users(25), key=lambda u: u.pk)

    first = api_client.get("/t/users").json()
    page = api_client.get("/t/users", {"limit": 20, "offset": 20}).json()
    past_end = api_client.get("/t/users", {"offset": 100}).json()

    assert set(first) == {"items", "total", "limit", "offset"}
    assert (first["total"], first["limit"], first["offset"]) == (25, 10, 0)
    assert [u["id"] for u in first["items"]] == [u.pk for u in users[:10]]
    assert (page["limit"], page["offset"]) == (20, 20)
    assert [u["username"] for u in page["items"]] == [u.username for u in users[20:]]
    assert past_end["items"] == []
    assert past_end["total"] == 25


@GATING
def test_list_query_count_is_pinned(api_client: APIClient, db,  # noqa: ANN001
                                    django_assert_max_num_queries) -> None:  # noqa: ANN001
    _users(15)

    with django_assert_max_num_queries(2):
        assert len(api_client.get("/t/users", {"limit": 15}).json()["items"]) == 15


@GATING
@pytest.mark.parametrize(("params", "error"), [
    ({"limit": 21}, {"loc": ["query", "limit"],
                     "msg": "ensure this value is less than or equal to 20",
                     "type": "value_error.number.not_le"}),
    ({"limit": 0}, {"loc": ["query", "limit"],
                    "msg": "ensure this value is greater than or equal to 1",
                    "type": "value_error.number.not_ge"}),
    ({"limit": -5}, {"loc": ["query", "limit"],
                     "msg": "ensure this value is greater than or equal to 1",
                     "type": "value_error.number.not_ge"}),
    ({"limit": "ten"}, {"loc": ["query", "limit"], "msg": "value is not a valid integer",
                        "type": "type_error.integer"}),
    ({"limit": "2.5"}, {"loc": ["query", "limit"], "msg": "value is not a valid integer",
                        "type": "type_error.integer"}),
    ({"offset": -1}, {"loc": ["query", "offset"],
                      "msg": "ensure this value is greater than or equal to 0",
                      "type": "value_error.number.not_ge"}),
])
def test_bad_paging_is_422(api_client: APIClient, db, params: dict,  # noqa: ANN001
                           error: dict) -> None:
    response = api_client.get("/t/users", params)

    assert response.status_code == 422
    assert response.json() == {"detail": [error]}


@GATING
def test_limit_at_the_maximum_is_fine(api_client: APIClient, db) -> None:  # noqa: ANN001
    assert api_client.get("/t/users", {"limit": 20}).status_code == 200


# --- Query and body validation ----------------------------------------------------------------


@GATING
def test_query_validation_is_422_with_query_loc(api_client: APIClient, db) -> None:  # noqa: ANN001
    missing = api_client.get("/t/parse")
    bad_type = api_client.get("/t/parse", {"q": "pikachu", "min_price": "cheap"})
    ok = api_client.get("/t/parse", {"q": "pikachu", "min_price": "1.50"})

    assert missing.status_code == 422
    assert missing.json() == {"detail": [
        {"loc": ["query", "q"], "msg": "field required", "type": "value_error.missing"}]}
    assert bad_type.status_code == 422
    assert bad_type.json()["detail"] == [
        {"loc": ["query", "min_price"], "msg": "value is not a valid decimal",
         "type": "type_error.decimal"}]
    assert ok.json() == {"q": "pikachu", "min_price": "1.50"}


@GATING
@pytest.mark.parametrize(("body", "error"), [
    ({"name": "x", "quantity": 11}, {"loc": ["body", "quantity"],
                                     "msg": "ensure this value is less than or equal to 10",
                                     "type": "value_error.number.not_le"}),
    ({"name": "x", "quantity": "many"}, {"loc": ["body", "quantity"],
                                         "msg": "value is not a valid integer",
                                         "type": "type_error.integer"}),
    ({"name": "x", "condition": "burnt"}, {"loc": ["body", "condition"],
                                           "msg": "value is not a valid enumeration member",
                                           "type": "type_error.enum"}),
    ({"name": "x" * 21}, {"loc": ["body", "name"],
                          "msg": "ensure this value has at most 20 characters",
                          "type": "value_error.any_str.max_length"}),
])
def test_body_field_validation_is_422_with_body_loc(api_client: APIClient, db,  # noqa: ANN001
                                                    body: dict, error: dict) -> None:
    response = api_client.post("/t/parse", body, format="json")

    assert response.status_code == 422
    assert response.json() == {"detail": [error]}


@GATING
def test_missing_body_field_is_400(api_client: APIClient, db) -> None:  # noqa: ANN001
    response = api_client.post("/t/parse", {"quantity": 2}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "name required"}


@GATING
def test_valid_body_passes(api_client: APIClient, db) -> None:  # noqa: ANN001
    response = api_client.post("/t/parse", {"name": "x", "quantity": 3}, format="json")

    assert response.status_code == 201
    assert response.json() == {"name": "x", "quantity": 3}


# --- OpenAPI, Swagger UI and the browsable API ------------------------------------------------


def test_openapi_document(api_client: APIClient, db) -> None:  # noqa: ANN001
    response = api_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "CollectorsStashMarket API"
    paths = schema["paths"]
    for path in ("/api/keys/", "/api/keys/{key_id}", "/api/developer/info",
                 "/api/developer/key"):
        assert path in paths
    create = paths["/api/keys/"]["post"]
    body_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][body_ref.rsplit("/", 1)[1]]
    assert body["required"] == ["name"]
    assert set(body["properties"]) == {"name", "tier", "expires_at"}
    created_ref = create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    created = schema["components"]["schemas"][created_ref.rsplit("/", 1)[1]]
    assert "key" in created["properties"]
    assert {"200", "401"} <= set(paths["/api/developer/info"]["get"]["responses"])
    assert set(paths["/api/keys/{key_id}"]) == {"patch", "delete"}
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerKey"] == {"type": "http", "scheme": "bearer", "bearerFormat": "csm_…"}
    assert schemes["apiKeyHeader"]["name"] == "X-API-Key"
    assert schemes["apiKeyQuery"] == {"type": "apiKey", "in": "query", "name": "api_key"}
    assert schemes["cookieAuth"]["name"] == "tcg_session"


def test_swagger_ui(api_client: APIClient, db) -> None:  # noqa: ANN001
    response = api_client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"swagger" in response.content.lower()


def test_browsable_api_renders_for_a_signed_in_user(session_client: APIClient) -> None:
    session_client.post("/api/keys/", {"name": "browsable"}, format="json")

    response = session_client.get("/api/keys/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"browsable" in response.content
