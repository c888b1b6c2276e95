"""What the adapters share: a csm.http.PoliteClient built from the adapter's options,
reading a saved payload instead of HTTP (`--file`), per-record parsing with counted
failures, and source dates.

Options every adapter of this kind accepts (tests and the command pass them):
`base_url`, `timeout`, `retries`, `backoff`, `min_interval`, `file` (a saved payload in the
source's own format, read instead of fetching).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO, Any

from django.utils import timezone

from csm.http import PoliteClient, SourceError
from pricing.ingest import Quote
from pricing.sources.base import ScrapeBatch


class RecordError(ValueError):
    """One record of a payload cannot be read: it is skipped and counted as invalid (the
    rest of the payload is still used). A payload that cannot be read at all is a
    SourceError."""


def source_client(options: dict[str, Any], *, base_url: str, min_interval: float = 0.2,
                  timeout: float = 60, headers: dict[str, str] | None = None) -> PoliteClient:
    """A PoliteClient for `base_url` (or options["base_url"]) with the options' overrides."""
    return PoliteClient(
        str(options.get("base_url") or base_url),
        min_interval=float(options.get("min_interval", min_interval)),
        timeout=float(options.get("timeout", timeout)),
        retries=int(options.get("retries", 4)),
        backoff=float(options.get("backoff", 1.0)),
        headers=headers)


def open_payload(path: str | Path) -> IO[bytes]:
    """A saved payload, gzip-compressed or not; a missing file is a SourceError."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if handle.read(2) == b"\x1f\x8b":
        handle.close()
        return gzip.open(path, "rb")
    handle.seek(0)
    return handle


def load_json_payload(path: str | Path) -> Any:
    """A saved JSON payload; garbage or a truncated file is a SourceError."""
    with open_payload(path) as handle:
        try:
            return json.load(handle)
        except (ValueError, EOFError, OSError) as exc:
            raise SourceError(f"{path} is not valid JSON: {exc}") from exc


def source_day(value: Any) -> datetime | None:
    """A source's "YYYY/MM/DD" or "YYYY-MM-DD" day as midnight UTC, never later than now."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip()[:10].replace("/", "-"))
    except ValueError:
        return None
    return min(datetime.combine(day, time(0), tzinfo=UTC), timezone.now())


def source_time(value: Any) -> datetime | None:
    """A source's ISO 8601 timestamp (aware), never later than now; None if unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return min(moment.astimezone(UTC), timezone.now())


def record_ref(record: Any, index: int, key: str = "id") -> str:
    if isinstance(record, dict) and isinstance(record.get(key), str | int) \
            and not isinstance(record.get(key), bool):
        return str(record[key])[:64]
    return f"record #{index + 1}"


def quotes_from_records(batch: ScrapeBatch, records: Iterable[Any],
                        parse: Callable[[Any], list[Quote]], *, what: str,
                        key: str = "id") -> int:
    """Parse every record into `batch`; a RecordError skips (and counts) that record.
    Returns the number of records seen. When there were records and none could be read,
    the payload is garbage: SourceError (nothing of it is written)."""
    seen = bad = 0
    first_error = ""
    for index, record in enumerate(records):
        seen += 1
        try:
            batch.quotes.extend(parse(record))
        except RecordError as exc:
            bad += 1
            message = f"{what} {record_ref(record, index, key)}: {exc}"
            first_error = first_error or message
            if len(batch.errors) < 10:
                batch.errors.append(message)
    batch.invalid += bad
    if seen and bad == seen:
        raise SourceError(f"none of the {seen} {what} records could be read ({first_error})")
    return seen
