"""Shared pieces of the benchmark scripts (run as `python bench/<name>.py`, so this module is
importable as `common`)."""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Result:
    """One benchmark row: wall, SQL and CPU milliseconds per request, and its target."""

    name: str
    target_ms: float | None
    total_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # this process's CPU (not PostgreSQL's)
    queries: int = 0
    example: str = ""

    def pct(self, p: float, values: list[float] | None = None) -> float:
        """Nearest-rank percentile."""
        data = sorted(self.total_ms if values is None else values)
        rank = max(1, min(len(data), math.ceil(p / 100 * len(data))))
        return data[rank - 1]

    @property
    def passed(self) -> bool | None:
        return None if self.target_ms is None else self.pct(95) <= self.target_ms


class SqlTimer:
    """connection.execute_wrapper: adds up the time spent in SQL statements."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0

    def __call__(self, execute: Callable, sql: str, params: object, many: bool,
                 context: dict) -> object:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


def checked_get(client: object) -> Callable[[str], None]:
    """GET through a Django test client; any answer but 200 stops the benchmark."""

    def get(path: str) -> None:
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}: "
                             f"{response.content[:300]!r}")

    return get


def database_url_is_postgresql() -> bool:
    """True when DATABASE_URL names a PostgreSQL server; otherwise says why on stderr (the
    benchmarks' targets are for PostgreSQL: SQLite figures would say nothing about
    production)."""
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return True
    print("This benchmark runs on PostgreSQL only: set DATABASE_URL=postgresql://… "
          "(see bench/README.md). SQLite figures would say nothing about production.",
          file=sys.stderr)
    return False


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csm.settings")
    # The anonymous limiter still runs on every request; it just must not answer 429 here.
    os.environ.setdefault("CSM_ANON_RATE_PER_MINUTE", "100000000")
    import django

    django.setup()
