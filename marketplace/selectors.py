"""Reads for the marketplace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accounts.models import User


def sellers_recently_active(*, since: datetime, limit: int) -> tuple[list[dict[str, Any]], int]:
    """Active seller accounts signed in since `since`, most recent first, and how many there
    are. The marketplace has no listings or sales yet; once it does, they are the activity
    this reads."""
    sellers = (User.objects.filter(is_seller=True, is_active=True, last_login__gte=since)
               .order_by("-last_login", "pk"))
    rows = sellers.values("pk", "username", "seller_profile__display_name",
                          "seller_profile__country", "last_login")[:limit]
    items = [{
        "seller_id": row["pk"], "username": row["username"],
        "display_name": row["seller_profile__display_name"] or row["username"],
        "country": row["seller_profile__country"] or None,
        # A day, not a time: enough to say "active", without publishing when someone signs in.
        "last_active": row["last_login"].date().isoformat(),
    } for row in rows]
    total = len(items) if len(items) < limit else sellers.count()
    return items, total
