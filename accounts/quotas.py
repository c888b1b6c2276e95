"""Request quotas: a daily and a per-minute fixed-window counter per bucket.

With REDIS_URL set the check-and-increment is one Lua script, so concurrent requests are
decided atomically across every web process (N + k simultaneous requests allow exactly N).
Without Redis the counters live in Django's cache behind a process lock, which is exact for
the single-process embedded server. A refused request consumes nothing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache

_LUA = """
local day = tonumber(redis.call('GET', KEYS[1]) or '0')
local minute = tonumber(redis.call('GET', KEYS[2]) or '0')
local per_day = tonumber(ARGV[1])
local per_minute = tonumber(ARGV[2])
if per_day >= 0 and day >= per_day then return {0, day, minute, 1} end
if per_minute >= 0 and minute >= per_minute then return {0, day, minute, 2} end
day = redis.call('INCR', KEYS[1])
if day == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
minute = redis.call('INCR', KEYS[2])
if minute == 1 then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
return {1, day, minute, 0}
"""

_LOCK = threading.Lock()


@dataclass(frozen=True)
class QuotaDecision:
    allowed: bool
    limit: int | None  # the limit reported in X-RateLimit-Limit (daily, else per minute)
    remaining: int | None
    reset: int  # epoch seconds when the reported window resets
    retry_after: int  # seconds until a refused request may succeed (0 when allowed)
    used_today: int


def _windows(now: float) -> tuple[str, str, int, int]:
    moment = datetime.fromtimestamp(now, tz=UTC)
    midnight = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    minute_end = (int(now) // 60 + 1) * 60
    return moment.strftime("%Y%m%d"), str(int(now) // 60), int(midnight.timestamp()), minute_end


def _keys(bucket: str, now: float) -> tuple[str, str, int, int]:
    day, minute, day_reset, minute_reset = _windows(now)
    prefix = f"{settings.CSM_QUOTA_PREFIX}:rl:{bucket}"
    return f"{prefix}:d:{day}", f"{prefix}:m:{minute}", day_reset, minute_reset


@lru_cache(maxsize=1)
def _redis_script():  # noqa: ANN202 - redis client objects are untyped
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    return client, client.register_script(_LUA)


def _redis_enabled() -> bool:
    return bool(getattr(settings, "REDIS_URL", ""))


def consume(bucket: str, *, per_day: int | None, per_minute: int | None,
            now: float | None = None) -> QuotaDecision:
    """Count one request against `bucket` if both windows have room."""
    now = time.time() if now is None else now
    day_key, minute_key, day_reset, minute_reset = _keys(bucket, now)
    day_ttl = day_reset - int(now) + 60
    if _redis_enabled():
        _client, script = _redis_script()
        allowed, day, minute, reason = script(
            keys=[day_key, minute_key],
            args=[-1 if per_day is None else per_day, -1 if per_minute is None else per_minute,
                  day_ttl, 120],
        )
    else:
        with _LOCK:
            day = cache.get(day_key, 0)
            minute = cache.get(minute_key, 0)
            if per_day is not None and day >= per_day:
                allowed, reason = 0, 1
            elif per_minute is not None and minute >= per_minute:
                allowed, reason = 0, 2
            else:
                allowed, reason, day, minute = 1, 0, day + 1, minute + 1
                cache.set(day_key, day, day_ttl)
                cache.set(minute_key, minute, 120)
    if per_day is not None:
        limit, remaining, reset = per_day, max(0, per_day - int(day)), day_reset
    elif per_minute is not None:
        limit, remaining, reset = per_minute, max(0, per_minute - int(minute)), minute_reset
    else:
        limit, remaining, reset = None, None, day_reset
    retry_after = 0
    if not allowed:
        retry_after = max(1, (day_reset if reason == 1 else minute_reset) - int(now))
    return QuotaDecision(bool(allowed), limit, remaining, reset, retry_after, int(day))


def used_today(bucket: str, now: float | None = None) -> int:
    day_key, _minute_key, _reset, _mreset = _keys(bucket, time.time() if now is None else now)
    if _redis_enabled():
        client, _script = _redis_script()
        return int(client.get(day_key) or 0)
    return int(cache.get(day_key, 0))


def used_today_many(buckets: list[str], now: float | None = None) -> dict[str, int]:
    """Today's counts for several buckets in one round trip."""
    if not buckets:
        return {}
    now = time.time() if now is None else now
    keys = [_keys(bucket, now)[0] for bucket in buckets]
    if _redis_enabled():
        client, _script = _redis_script()
        values = client.mget(keys)
    else:
        found = cache.get_many(keys)
        values = [found.get(key) for key in keys]
    return {bucket: int(value or 0) for bucket, value in zip(buckets, values, strict=True)}


def reset_bucket(bucket: str, now: float | None = None) -> None:
    """Forget today's and this minute's counts (used when a key is re-created in tests/admin)."""
    day_key, minute_key, _r, _m = _keys(bucket, time.time() if now is None else now)
    if _redis_enabled():
        client, _script = _redis_script()
        client.delete(day_key, minute_key)
    else:
        cache.delete_many([day_key, minute_key])
