"""The API limiter: X-RateLimit-* headers, 429s with Retry-After, UTC-midnight days, exactness."""

from __future__ import annotations

import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from accounts import quotas
from accounts.models import ApiKey, User
from accounts.quotas import consume, used_today

GATING = pytest.mark.urls("accounts.tests.gating_urls")
REDIS_URL = os.environ.get("REDIS_URL", "")


def _next_midnight_utc(now: float | None = None) -> int:
    moment = datetime.fromtimestamp(time.time() if now is None else now, tz=UTC)
    return int((moment + timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                   microsecond=0).timestamp())


def _fresh_minute(margin: float = 5) -> None:
    """Sleep into the next minute if fewer than `margin` seconds are left in this one.

    Per-minute windows are fixed clock minutes; a test whose requests straddle a boundary
    would see two windows.
    """
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.05)


def _bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def _assert_429(response, *, max_wait: int) -> int:  # noqa: ANN001
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= max_wait
    assert response.json() == {"detail": f"Rate limit exceeded. Retry after {wait} seconds."}
    return wait


@pytest.fixture
def free_key(user: User, make_key) -> tuple[ApiKey, str]:  # noqa: ANN001
    return make_key(user, tier="free")


# --- Headers ----------------------------------------------------------------------------------


def test_key_responses_carry_the_daily_window(free_key) -> None:  # noqa: ANN001
    client = _bearer(free_key[1])

    first = client.get("/api/developer/info")
    second = client.get("/api/developer/info")

    assert first.status_code == second.status_code == 200
    assert first.headers["X-RateLimit-Limit"] == "500"
    assert first.headers["X-RateLimit-Remaining"] == "499"
    assert second.headers["X-RateLimit-Remaining"] == "498"
    reset = int(first.headers["X-RateLimit-Reset"])
    assert reset == _next_midnight_utc()
    assert datetime.fromtimestamp(reset, tz=UTC).time().isoformat() == "00:00:00"


@pytest.mark.parametrize(("tier", "limit"), [("starter", "5000"), ("pro", "25000"),
                                             ("business", "200000")])
def test_limit_header_follows_the_key_tier(user: User, make_key, tier: str,  # noqa: ANN001
                                           limit: str) -> None:
    _key, raw = make_key(user, tier=tier)

    response = _bearer(raw).get("/api/keys/")

    assert response.headers["X-RateLimit-Limit"] == limit


def test_all_three_key_modes_are_counted(free_key) -> None:  # noqa: ANN001
    key, raw = free_key
    client = APIClient()

    client.get("/api/keys/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.get("/api/keys/", HTTP_X_API_KEY=raw)
    response = client.get("/api/keys/", {"api_key": raw})

    assert response.headers["X-RateLimit-Remaining"] == "497"
    assert used_today(key.quota_bucket) == 3


def test_unlimited_keys_get_no_headers_and_no_limit(user: User, make_key) -> None:  # noqa: ANN001
    _key, raw = make_key(user, tier="unlimited")
    client = _bearer(raw)

    responses = [client.get("/api/keys/") for _ in range(5)]

    assert {r.status_code for r in responses} == {200}
    assert "X-RateLimit-Limit" not in responses[-1].headers


def test_session_users_get_no_headers_and_are_never_limited(session_client: APIClient,
                                                            settings) -> None:  # noqa: ANN001
    settings.CSM_ANON_RATE_PER_MINUTE = 5

    responses = [session_client.get("/api/keys/") for _ in range(35)]

    assert {r.status_code for r in responses} == {200}
    assert not any(h.startswith("X-RateLimit") for r in responses for h in r.headers)


@GATING
def test_session_users_bypass_the_limiter_on_public_endpoints(session_client: APIClient) -> None:
    _fresh_minute(margin=10)

    responses = [session_client.get("/t/public") for _ in range(40)]

    assert {r.status_code for r in responses} == {200}
    assert "X-RateLimit-Limit" not in responses[-1].headers


# --- Anonymous callers ------------------------------------------------------------------------


@GATING
def test_anonymous_callers_get_30_per_minute_by_ip(api_client: APIClient, db) -> None:  # noqa: ANN001
    _fresh_minute(margin=10)

    responses = [api_client.get("/t/public") for _ in range(30)]

    assert {r.status_code for r in responses} == {200}
    assert responses[0].headers["X-RateLimit-Limit"] == "30"
    assert responses[0].headers["X-RateLimit-Remaining"] == "29"
    assert responses[-1].headers["X-RateLimit-Remaining"] == "0"
    minute_end = (int(time.time()) // 60 + 1) * 60
    assert int(responses[0].headers["X-RateLimit-Reset"]) == minute_end

    refused = api_client.get("/t/public")
    wait = _assert_429(refused, max_wait=60)
    assert wait == minute_end - int(time.time()) or wait == minute_end - int(time.time()) + 1
    assert refused.headers["X-RateLimit-Remaining"] == "0"

    other_ip = api_client.get("/t/public", REMOTE_ADDR="203.0.113.9")
    assert other_ip.status_code == 200


@GATING
def test_anonymous_limit_cannot_be_dodged_with_x_forwarded_for(api_client: APIClient,
                                                              db) -> None:  # noqa: ANN001
    _fresh_minute(margin=10)
    for i in range(30):
        api_client.get("/t/public", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")

    response = api_client.get("/t/public", HTTP_X_FORWARDED_FOR="198.51.100.200")

    assert response.status_code == 429


@GATING
def test_anonymous_limit_is_configurable(api_client: APIClient, db, settings) -> None:  # noqa: ANN001
    _fresh_minute(margin=5)
    settings.CSM_ANON_RATE_PER_MINUTE = 2

    statuses = [api_client.get("/t/public").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


# --- 429 --------------------------------------------------------------------------------------


def test_per_minute_limit_gives_429_with_retry_after(free_key) -> None:  # noqa: ANN001
    key, raw = free_key
    ApiKey.objects.filter(pk=key.pk).update(rate_limit_per_minute=3)
    client = _bearer(raw)
    _fresh_minute(margin=5)

    allowed = [client.get("/api/developer/info") for _ in range(3)]
    refused = client.get("/api/developer/info")

    assert {r.status_code for r in allowed} == {200}
    _assert_429(refused, max_wait=60)
    assert refused.headers["X-RateLimit-Limit"] == "500"
    assert refused.headers["X-RateLimit-Remaining"] == "497"


def test_a_refused_request_does_not_consume_quota(free_key) -> None:  # noqa: ANN001
    key, raw = free_key
    ApiKey.objects.filter(pk=key.pk).update(rate_limit_per_minute=3)
    client = _bearer(raw)
    _fresh_minute(margin=5)

    statuses = [client.get("/api/keys/").status_code for _ in range(8)]

    assert statuses == [200] * 3 + [429] * 5
    assert used_today(key.quota_bucket) == 3
    ApiKey.objects.filter(pk=key.pk).update(rate_limit_per_minute=10)
    after = client.get("/api/keys/")
    assert after.status_code == 200
    assert after.headers["X-RateLimit-Remaining"] == "496"
    assert after.json()["items"][0]["calls_today"] == 4


def test_daily_limit_gives_429_until_midnight_utc(free_key) -> None:  # noqa: ANN001
    key, raw = free_key
    ApiKey.objects.filter(pk=key.pk).update(daily_limit=2)
    client = _bearer(raw)

    statuses = [client.get("/api/developer/info").status_code for _ in range(2)]
    refused = client.get("/api/developer/info")

    assert statuses == [200, 200]
    wait = _assert_429(refused, max_wait=24 * 3600)
    assert abs(wait - (_next_midnight_utc() - time.time())) <= 2
    assert refused.headers["X-RateLimit-Limit"] == "2"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert used_today(key.quota_bucket) == 2


def test_keys_of_one_user_have_separate_quotas(user: User, make_key) -> None:  # noqa: ANN001
    a, raw_a = make_key(user, tier="starter", name="a")
    _b, raw_b = make_key(user, tier="starter", name="b")
    ApiKey.objects.filter(pk=a.pk).update(daily_limit=1)

    assert _bearer(raw_a).get("/api/keys/").status_code == 200
    assert _bearer(raw_a).get("/api/keys/").status_code == 429
    assert _bearer(raw_b).get("/api/keys/").status_code == 200


# --- Windows (quotas.consume with an explicit clock) ------------------------------------------

MIDNIGHT = datetime(2026, 5, 7, tzinfo=UTC).timestamp()


def test_daily_counter_resets_at_midnight_utc() -> None:
    before, after = MIDNIGHT - 1, MIDNIGHT + 1
    bucket = "key:midnight"

    first = consume(bucket, per_day=2, per_minute=None, now=before - 120)
    second = consume(bucket, per_day=2, per_minute=None, now=before)
    refused = consume(bucket, per_day=2, per_minute=None, now=before)
    next_day = consume(bucket, per_day=2, per_minute=None, now=after)

    assert (first.allowed, second.allowed, refused.allowed, next_day.allowed) == (
        True, True, False, True)
    assert first.reset == second.reset == int(MIDNIGHT)
    assert refused.retry_after == 1
    assert (refused.remaining, next_day.remaining) == (0, 1)
    assert next_day.reset == int(MIDNIGHT) + 24 * 3600
    assert used_today(bucket, now=before) == 2
    assert used_today(bucket, now=after) == 1


def test_minute_counter_is_a_fixed_clock_minute() -> None:
    start = MIDNIGHT + 600  # 00:10:00
    bucket = "key:minute"

    decisions = [consume(bucket, per_day=100, per_minute=2, now=start + s) for s in (0, 10, 50)]
    next_minute = consume(bucket, per_day=100, per_minute=2, now=start + 60)

    assert [d.allowed for d in decisions] == [True, True, False]
    assert decisions[2].retry_after == 10
    assert next_minute.allowed
    assert next_minute.used_today == 3
    assert next_minute.remaining == 97


def test_anonymous_bucket_reports_the_minute_window() -> None:
    start = MIDNIGHT + 600
    decision = consume("ip:192.0.2.1", per_day=None, per_minute=30, now=start + 15)

    assert (decision.limit, decision.remaining, decision.reset) == (30, 29, int(start) + 60)


def test_unlimited_bucket_reports_no_limit() -> None:
    decision = consume("key:unlimited", per_day=None, per_minute=None, now=MIDNIGHT)

    assert decision.allowed
    assert decision.limit is None


def _hammer(bucket: str, threads_n: int, **limits: int | None) -> int:
    """Call consume() from `threads_n` threads released together; return how many passed."""
    barrier = threading.Barrier(threads_n)
    results: list[bool] = []
    lock = threading.Lock()
    now = time.time()

    def run() -> None:
        barrier.wait()
        allowed = consume(bucket, now=now, **limits).allowed
        with lock:
            results.append(allowed)

    threads = [threading.Thread(target=run) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == threads_n
    return sum(results)


def test_in_process_counters_are_exact_under_threads(settings) -> None:  # noqa: ANN001
    settings.REDIS_URL = ""

    assert _hammer("key:threads-m", 50, per_day=None, per_minute=20) == 20
    assert _hammer("key:threads-d", 50, per_day=20, per_minute=None) == 20


# --- Redis ------------------------------------------------------------------------------------


@pytest.fixture
def redis_quotas(settings) -> Iterator[None]:  # noqa: ANN001
    """Point accounts.quotas at the real Redis named by REDIS_URL; remove its keys afterwards."""
    if not REDIS_URL:
        pytest.skip("REDIS_URL is not set")
    settings.REDIS_URL = REDIS_URL
    quotas._redis_script.cache_clear()
    yield
    client, _script = quotas._redis_script()
    keys = list(client.scan_iter(f"{settings.CSM_QUOTA_PREFIX}:*"))
    if keys:
        client.delete(*keys)
    quotas._redis_script.cache_clear()


@pytest.mark.redis
def test_redis_minute_limit_is_exact_under_concurrency(redis_quotas) -> None:  # noqa: ANN001
    assert quotas._redis_enabled()

    assert _hammer("key:redis-m", 50, per_day=None, per_minute=20) == 20
    assert used_today("key:redis-m") == 20


@pytest.mark.redis
def test_redis_daily_limit_is_exact_under_concurrency(redis_quotas) -> None:  # noqa: ANN001
    assert _hammer("key:redis-d", 50, per_day=20, per_minute=None) == 20
    assert used_today("key:redis-d") == 20


@pytest.mark.redis
def test_redis_daily_counter_resets_at_midnight_utc(redis_quotas) -> None:  # noqa: ANN001
    bucket = "key:redis-midnight"

    assert consume(bucket, per_day=1, per_minute=None, now=MIDNIGHT - 1).allowed
    assert not consume(bucket, per_day=1, per_minute=None, now=MIDNIGHT - 1).allowed
    assert consume(bucket, per_day=1, per_minute=None, now=MIDNIGHT + 1).allowed


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_redis_limit_is_exact_for_concurrent_http_requests(
        redis_quotas, live_server, user: User,  # noqa: ANN001
        make_key: Callable[..., tuple[ApiKey, str]]) -> None:
    key, raw = make_key(user, tier="free")
    ApiKey.objects.filter(pk=key.pk).update(rate_limit_per_minute=15)
    url = f"{live_server.url}/api/developer/info"
    threads_n = 40
    barrier = threading.Barrier(threads_n)
    statuses: list[int] = []
    lock = threading.Lock()

    def fetch() -> None:
        request = urllib.request.Request(  # noqa: S310 - url is the live server's http URL
            url, headers={"Authorization": f"Bearer {raw}"})
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        with lock:
            statuses.append(status)

    _fresh_minute(margin=15)
    threads = [threading.Thread(target=fetch) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(statuses) == threads_n
    assert statuses.count(200) == 15
    assert statuses.count(429) == threads_n - 15
    assert used_today(key.quota_bucket) == 15
