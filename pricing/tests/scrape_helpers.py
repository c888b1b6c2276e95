"""Helpers for the source adapter tests: recorded payloads and misbehaving servers."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
# No waiting in tests: one attempt, no backoff, no pacing, a short timeout.
FAST = {"retries": 0, "backoff": 0, "min_interval": 0, "timeout": 2}


def fixture_path(source: str, name: str) -> Path:
    return FIXTURES / source / name


def fixture_bytes(source: str, name: str) -> bytes:
    return fixture_path(source, name).read_bytes()


def fixture_json(source: str, name: str) -> Any:
    return json.loads(fixture_bytes(source, name))


def json_route(payload: Any, status: int = 200) -> tuple[int, bytes, str]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return (status, body, "application/json")


@contextmanager
def silent_server() -> Iterator[str]:
    """A base URL whose server accepts the connection and never answers (a timeout)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def unreachable_url() -> str:
    """A local port nothing listens on (connection refused)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"
