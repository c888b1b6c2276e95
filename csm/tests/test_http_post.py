"""PoliteClient.post: the same pacing, retries and error handling as GET, against a local
server (recorded_http)."""

from __future__ import annotations

import json

import pytest

from csm.http import PoliteClient, SourceError


def _client(url: str, **kwargs: object) -> PoliteClient:
    return PoliteClient(url, min_interval=0, backoff=0, **kwargs)


def test_post_sends_form_body_and_headers(recorded_http) -> None:  # noqa: ANN001
    recorded_http.add_json("/identity/v1/oauth2/token", {"access_token": "abc"})
    response = _client(recorded_http.url).post(
        "/identity/v1/oauth2/token", data={"grant_type": "client_credentials", "scope": "a b"},
        headers={"Authorization": "Basic eHk="})
    assert response.json() == {"access_token": "abc"}
    path, body = recorded_http.posts[0]
    assert path == "/identity/v1/oauth2/token"
    assert body == b"grant_type=client_credentials&scope=a+b"
    sent = recorded_http.headers[0]
    assert sent["Authorization"] == "Basic eHk="
    assert sent["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent["User-Agent"].startswith("CollectorsStashMarket/")


def test_post_sends_json(recorded_http) -> None:  # noqa: ANN001
    recorded_http.add_json("/search", {"ok": True})
    _client(recorded_http.url).post("/search", json={"q": "Charizard"}, params={"limit": 3})
    path, body = recorded_http.posts[0]
    assert path == "/search?limit=3"
    assert json.loads(body) == {"q": "Charizard"}


def test_post_retries_5xx_then_succeeds(recorded_http) -> None:  # noqa: ANN001
    recorded_http.routes["/token"] = [(503, "busy", "text/plain"), (502, "busy", "text/plain"),
                                      (200, '{"access_token": "t"}', "application/json")]
    response = _client(recorded_http.url, retries=3).post("/token", data={"a": "1"})
    assert response.json() == {"access_token": "t"}
    assert len(recorded_http.posts) == 3
    assert {body for _path, body in recorded_http.posts} == {b"a=1"}


def test_post_gives_up_after_retries(recorded_http) -> None:  # noqa: ANN001
    recorded_http.routes["/token"] = (500, "boom", "text/plain")
    with pytest.raises(SourceError, match=r"POST .*/token failed after 2 attempts"):
        _client(recorded_http.url, retries=1).post("/token", data={})
    assert len(recorded_http.posts) == 2


def test_post_client_error_is_not_retried(recorded_http) -> None:  # noqa: ANN001
    recorded_http.routes["/token"] = (401, '{"error": "invalid_client"}', "application/json")
    with pytest.raises(SourceError, match="POST .*/token answered HTTP 401"):
        _client(recorded_http.url, retries=3).post("/token", data={})
    assert len(recorded_http.posts) == 1


def test_get_still_paces_and_passes_headers(recorded_http) -> None:  # noqa: ANN001
    recorded_http.add_json("/a", [1])
    client = _client(recorded_http.url)
    assert client.get("/a", headers={"Authorization": "Bearer x"}).json() == [1]
    assert recorded_http.headers[0]["Authorization"] == "Bearer x"
    assert recorded_http.posts == []
