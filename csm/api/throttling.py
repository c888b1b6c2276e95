"""The API limiter: per-key tier quotas, 30/min per IP for anonymous callers.

Session-cookie users (the website itself) bypass it. The decision is stored on the request so
RateLimitHeadersMiddleware can add X-RateLimit-* headers to the response.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts.models import ApiKey
from accounts.quotas import QuotaDecision, consume
from csm.api.authentication import CookieSessionAuthentication


class TierRateThrottle(BaseThrottle):
    decision: QuotaDecision | None = None

    def allow_request(self, request: Request, view: object) -> bool:
        if isinstance(request.successful_authenticator, CookieSessionAuthentication):
            return True
        key = request.auth if isinstance(request.auth, ApiKey) else None
        if key is not None:
            decision = consume(key.quota_bucket, per_day=key.daily_limit,
                               per_minute=key.rate_limit_per_minute)
        else:
            decision = consume(f"ip:{self.get_ident(request)}", per_day=None,
                               per_minute=settings.CSM_ANON_RATE_PER_MINUTE)
        self.decision = decision
        request._request.csm_quota = decision
        return decision.allowed

    def wait(self) -> float | None:
        return self.decision.retry_after if self.decision else None
