"""The contract's own curl and Python `requests` examples, run verbatim against a live server.

Only the host changes: `https://collectorstashmarket.com` becomes the live server's URL.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from accounts.models import ApiKey, User

SPEC_HOST = "https://collectorstashmarket.com"
pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def run_curl(command: str, base_url: str, cwd: Path, **env: str) -> str:
    """Run a curl example from the spec in a shell, pointed at our server."""
    result = subprocess.run(
        ["bash", "-c", command.replace(SPEC_HOST, base_url)],
        cwd=cwd, capture_output=True, text=True, timeout=30, check=True,
        env={**os.environ, **env},
    )
    return result.stdout


def run_python(snippet: str, base_url: str) -> dict:
    namespace: dict = {"os": os}
    exec(snippet.replace(SPEC_HOST, base_url), namespace)  # noqa: S102 - the spec's own example
    return namespace


@pytest.mark.django_db(transaction=True)
def test_curl_register_login_then_keys_and_health(live_server, tmp_path: Path) -> None:
    url = live_server.url
    registered = json.loads(run_curl(
        """curl -c cookies.txt -X POST https://collectorstashmarket.com/auth/register \\
  -H 'Content-Type: application/json' \\
  -d '{"username":"alice","email":"a@example.com","password":"hunter2hunter2"}'""",
        url, tmp_path))
    assert registered == {"ok": True, "user_id": User.objects.get().pk, "username": "alice"}

    logged_in = json.loads(run_curl(
        """curl -c cookies.txt -X POST https://collectorstashmarket.com/auth/login \\
  -H 'Content-Type: application/json' \\
  -d '{"username":"alice","password":"hunter2hunter2"}'""", url, tmp_path))
    assert logged_in["ok"] is True
    assert "tcg_session" in (tmp_path / "cookies.txt").read_text()

    me = json.loads(run_curl(f"curl -s -b cookies.txt {url}/auth/me", url, tmp_path))
    assert me["username"] == "alice" and me["is_admin"] is False

    created = json.loads(run_curl(
        f"curl -s -b cookies.txt -X POST {url}/api/keys/ -H 'Content-Type: application/json' "
        """-d '{"name":"production"}'""", url, tmp_path))
    key = created["key"]
    assert key.startswith("csm_") and ApiKey.objects.get().name == "production"

    # Authentication modes 2, 3 and 4 from the spec, with the key in the environment.
    for header in ('-H "Authorization: Bearer $API_KEY"', '-H "X-API-Key: $API_KEY"'):
        listed = json.loads(run_curl(f'curl -s {header} "{url}/api/keys/"', url, tmp_path,
                                     API_KEY=key))
        assert [item["name"] for item in listed["items"]] == ["production"]
    info = json.loads(run_curl(f'curl -s "{url}/api/developer/info?api_key=$API_KEY"', url,
                               tmp_path, API_KEY=key))
    assert info["tier"] == "free"

    headers = run_curl(f'curl -s -D - -o /dev/null -H "Authorization: Bearer $API_KEY" '
                       f'"{url}/api/health"', url, tmp_path, API_KEY=key)
    assert "X-RateLimit-Limit: 500" in headers

    health = json.loads(run_curl("curl https://collectorstashmarket.com/api/health", url,
                                 tmp_path))
    assert health["status"] == "ok" and health["users"] == 1


@pytest.mark.django_db(transaction=True)
def test_python_requests_examples(live_server, monkeypatch: pytest.MonkeyPatch) -> None:
    url = live_server.url
    ns = run_python("""
import requests
s = requests.Session()
s.post("https://collectorstashmarket.com/auth/register",
       json={"username":"alice","email":"a@example.com","password":"hunter2hunter2"})
s.post("https://collectorstashmarket.com/auth/login",
       json={"username":"alice","password":"hunter2hunter2"})
""", url)
    session = ns["s"]
    assert session.get(f"{url}/auth/me").json()["username"] == "alice"

    ns = run_python("""
import requests
h = requests.get("https://collectorstashmarket.com/api/health").json()
""", url)
    assert ns["h"]["status"] == "ok" and ns["h"]["users"] == 1

    # The Quickstart's pattern (a key from the environment as a Bearer token) on an endpoint
    # that exists today; /api/search itself arrives with the catalogue.
    monkeypatch.setenv("CSM_KEY", session.post(f"{url}/api/developer/key").json()["key"])
    ns = run_python("""
import requests, os

api = "https://collectorstashmarket.com"
headers = {"Authorization": f"Bearer {os.environ['CSM_KEY']}"}

r = requests.get(f"{api}/api/keys/", headers=headers)
r.raise_for_status()
""", url)
    assert ns["r"].headers["X-RateLimit-Limit"] == "500"
    assert [item["name"] for item in ns["r"].json()["items"]] == ["default"]
